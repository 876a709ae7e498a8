//! The hardware limit a call is compared with: this core's measured fused multiply-add
//! throughput, so the table can say how far each runtime is from the arithmetic floor.

use std::hint::black_box;
use std::time::Instant;

/// Independent accumulators: enough vectors in flight to cover FMA latency on two ports.
const LANES: usize = 64;

/// Peak multiply-adds per second of one core, and the instruction set it was measured with.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Peak {
    /// Multiply-adds per second.
    pub fma_per_second: f64,
    /// `avx2+fma` or `baseline` (SSE2 multiply then add).
    pub isa: &'static str,
}

/// Measures the peak over about `millis` milliseconds (best of five slices).
pub fn measure(millis: u64) -> Peak {
    let (kernel, isa) = kernel();
    let iters = 200_000;
    let mut best = 0.0f64;
    let deadline = Instant::now() + std::time::Duration::from_millis(millis);
    for _ in 0..5 {
        let t = Instant::now();
        black_box(kernel(iters, black_box(0.999_9), black_box(1e-4)));
        best = best.max((iters * LANES) as f64 / t.elapsed().as_secs_f64());
        if Instant::now() > deadline {
            break;
        }
    }
    Peak { fma_per_second: best, isa }
}

type Kernel = fn(usize, f32, f32) -> f32;

#[cfg(target_arch = "x86_64")]
fn kernel() -> (Kernel, &'static str) {
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        (avx2_fma, "avx2+fma")
    } else {
        (baseline, "baseline")
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn kernel() -> (Kernel, &'static str) {
    (baseline, "baseline")
}

#[cfg(target_arch = "x86_64")]
fn avx2_fma(iters: usize, x: f32, y: f32) -> f32 {
    #[target_feature(enable = "avx2,fma")]
    fn inner(iters: usize, x: f32, y: f32) -> f32 {
        let mut acc = [1.0f32; LANES];
        for _ in 0..iters {
            for a in acc.iter_mut() {
                *a = a.mul_add(x, y);
            }
        }
        acc.iter().sum()
    }
    // SAFETY: `kernel` hands this function out only after detecting AVX2 and FMA at run time.
    unsafe { inner(iters, x, y) }
}

fn baseline(iters: usize, x: f32, y: f32) -> f32 {
    let mut acc = [1.0f32; LANES];
    for _ in 0..iters {
        for a in acc.iter_mut() {
            *a = *a * x + y;
        }
    }
    acc.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_compute_the_same_recurrence() {
        let expected = (0..10).fold(1.0f32, |a, _| a * 0.5 + 0.25) * LANES as f32;
        assert!((baseline(10, 0.5, 0.25) - expected).abs() < 1e-3);
        let (k, _) = kernel();
        assert!((k(10, 0.5, 0.25) - expected).abs() < 1e-3);
    }

    #[test]
    fn a_core_does_at_least_a_hundred_million_multiply_adds_a_second() {
        assert!(measure(50).fma_per_second > 1e8);
    }
}
