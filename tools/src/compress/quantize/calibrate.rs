//! Activation calibration: the clipping threshold of a tensor from values observed on a
//! calibration set, by min-max, percentile, entropy (KL divergence, as TensorRT) or MSE search.
//! The quantizer tries each and keeps the one whose model output error is lowest.

use serde::{Deserialize, Serialize};

use super::scheme::{fake_i8, fake_relu, I8_MAX, RELU_MAX};

/// How a clipping threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Method {
    /// The largest magnitude seen.
    MinMax,
    /// The given percentile of the magnitudes (e.g. 99.99).
    Percentile {
        /// Percentile in (0, 100].
        percentile: f64,
    },
    /// The threshold minimising KL(P || Q) between the clipped histogram and its quantized form.
    Entropy,
    /// The threshold minimising the mean squared quantization error.
    Mse,
}

impl Method {
    /// The methods the quantizer tries on every activation tensor.
    pub const ALL: [Method; 4] =
        [Method::MinMax, Method::Percentile { percentile: 99.99 }, Method::Entropy, Method::Mse];

    /// Short name for reports.
    pub fn name(&self) -> String {
        match self {
            Method::MinMax => "minmax".into(),
            Method::Percentile { percentile } => format!("p{percentile}"),
            Method::Entropy => "entropy".into(),
            Method::Mse => "mse".into(),
        }
    }
}

/// The range a tensor is quantized to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Symmetric int8: values in `[-t, t]`.
    Signed,
    /// After ReLU: values in `[0, t]` on int8's `[0, 127]`; negatives carry no information.
    Relu,
}

impl Range {
    fn levels(self) -> usize {
        match self {
            Range::Signed => I8_MAX as usize + 1,
            Range::Relu => RELU_MAX as usize + 1,
        }
    }

    /// Scale for a clipping threshold.
    pub fn scale(self, threshold: f32) -> f32 {
        let top = match self {
            Range::Signed => I8_MAX,
            Range::Relu => RELU_MAX,
        };
        if threshold > 0.0 && threshold.is_finite() { threshold / top } else { 1.0 }
    }

    fn fake(self, x: f32, scale: f32) -> f32 {
        match self {
            Range::Signed => fake_i8(x, scale),
            Range::Relu => fake_relu(x, scale),
        }
    }

    /// The magnitudes that matter for this range.
    fn magnitudes(self, values: &[f32]) -> Vec<f32> {
        match self {
            Range::Signed => values.iter().map(|v| v.abs()).collect(),
            Range::Relu => values.iter().map(|v| v.max(0.0)).collect(),
        }
    }
}

/// The clipping threshold `method` picks for `values` (finite values; empty gives 0).
pub fn threshold(method: Method, values: &[f32], range: Range) -> f32 {
    let mags = range.magnitudes(values);
    let max = mags.iter().copied().fold(0.0f32, f32::max);
    if max == 0.0 {
        return 0.0;
    }
    match method {
        Method::MinMax => max,
        Method::Percentile { percentile } => {
            let mut sorted = mags;
            sorted.sort_by(f32::total_cmp);
            let rank = ((percentile / 100.0) * (sorted.len() - 1) as f64).round() as usize;
            sorted[rank.min(sorted.len() - 1)].max(f32::MIN_POSITIVE)
        }
        Method::Entropy => entropy_threshold(&mags, max, range.levels()),
        Method::Mse => {
            let candidates = (1..=200).map(|k| max * k as f32 / 200.0);
            candidates
                .map(|t| (t, mse(values, range, range.scale(t))))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(max, |(t, _)| t)
        }
    }
}

/// Mean squared error of quantizing `values` at `scale` in `range` (against ReLU'd values for
/// the unsigned range).
pub fn mse(values: &[f32], range: Range, scale: f32) -> f64 {
    let total: f64 = values
        .iter()
        .map(|&v| {
            let reference = if range == Range::Relu { v.max(0.0) } else { v };
            f64::from(reference - range.fake(v, scale)).powi(2)
        })
        .sum();
    total / values.len().max(1) as f64
}

const BINS: usize = 2048;

/// TensorRT's entropy calibration: a histogram of magnitudes; for each candidate threshold,
/// the clipped distribution P (outliers folded into the last bin) against Q, P merged into
/// `levels` quantization bins and spread back over P's non-empty bins; the threshold with the
/// smallest KL(P || Q) wins.
fn entropy_threshold(mags: &[f32], max: f32, levels: usize) -> f32 {
    let width = max / BINS as f32;
    let mut hist = vec![0f64; BINS];
    for &m in mags {
        hist[((m / width) as usize).min(BINS - 1)] += 1.0;
    }
    let mut best = (f64::INFINITY, BINS);
    for i in levels..=BINS {
        let mut p: Vec<f64> = hist[..i].to_vec();
        p[i - 1] += hist[i..].iter().sum::<f64>();
        let q = merged(&hist[..i], levels);
        let kl = kl_divergence(&p, &q);
        if kl < best.0 {
            best = (kl, i);
        }
    }
    (best.1 as f32 + 0.5).min(BINS as f32) * width
}

/// `p` merged into `levels` groups, each group's mass spread evenly over its non-empty bins.
fn merged(p: &[f64], levels: usize) -> Vec<f64> {
    let mut q = vec![0.0; p.len()];
    let per = p.len() as f64 / levels as f64;
    for level in 0..levels {
        let start = (level as f64 * per).floor() as usize;
        let end = (((level + 1) as f64 * per).floor() as usize).min(p.len());
        let group = &p[start..end];
        let mass: f64 = group.iter().sum();
        let nonzero = group.iter().filter(|&&v| v > 0.0).count();
        if nonzero > 0 {
            for (j, &v) in group.iter().enumerate() {
                if v > 0.0 {
                    q[start + j] = mass / nonzero as f64;
                }
            }
        }
    }
    q
}

fn kl_divergence(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    p.iter()
        .zip(q)
        .filter(|(&pi, _)| pi > 0.0)
        .map(|(&pi, &qi)| {
            let (pi, qi) = (pi / sp, (qi / sq).max(1e-12));
            pi * (pi / qi).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn uniform(n: usize) -> Vec<f32> {
        (0..n).map(|i| -1.0 + 2.0 * i as f32 / (n - 1) as f32).collect()
    }

    fn gaussian_with_outliers() -> Vec<f32> {
        let mut values: Vec<f32> = Rng::new(7).normals(100_000, 1.0);
        values.extend([50.0, -48.0, 45.0]);
        values
    }

    #[test]
    fn every_method_keeps_nearly_the_whole_range_of_a_uniform_distribution() {
        let values = uniform(20_001);
        assert_eq!(threshold(Method::MinMax, &values, Range::Signed), 1.0);
        let p = threshold(Method::Percentile { percentile: 99.0 }, &values, Range::Signed);
        assert!((p - 0.99).abs() < 1e-3, "{p}");
        // Clipping a uniform distribution costs more than it saves.
        let m = threshold(Method::Mse, &values, Range::Signed);
        assert!(m >= 0.97, "{m}");
        let e = threshold(Method::Entropy, &values, Range::Signed);
        assert!(e >= 0.9, "{e}");
    }

    #[test]
    fn outliers_fool_min_max_but_not_percentile_or_entropy() {
        let values = gaussian_with_outliers();
        let max = threshold(Method::MinMax, &values, Range::Signed);
        assert_eq!(max, 50.0);
        let p = threshold(Method::Percentile { percentile: 99.99 }, &values, Range::Signed);
        assert!((3.5..4.5).contains(&p), "{p}");
        let e = threshold(Method::Entropy, &values, Range::Signed);
        assert!((2.0..12.0).contains(&e), "{e}");
        // MSE weighs the three outliers' clipping error against everyone's rounding error; its
        // threshold has the lowest error of all methods' thresholds.
        let m = threshold(Method::Mse, &values, Range::Signed);
        let error = |t: f32| mse(&values, Range::Signed, Range::Signed.scale(t));
        for other in [max, p, e] {
            assert!(error(m) <= error(other) * 1.01, "mse threshold {m}: {} vs {other}: {}", error(m), error(other));
        }
    }

    #[test]
    fn mse_clips_the_tail_of_a_laplace_distribution() {
        // For Laplace(b) at 8 bits the MSE-optimal clip is about 9.9 b (Banner et al., ACIQ),
        // below the largest of 100k samples (about 12 b).
        let mut rng = Rng::new(3);
        let values: Vec<f32> = (0..100_000)
            .map(|_| {
                let u = rng.uniform() - 0.5;
                (-u.signum() * (1.0 - 2.0 * u.abs()).ln()) as f32
            })
            .collect();
        let max = threshold(Method::MinMax, &values, Range::Signed);
        let m = threshold(Method::Mse, &values, Range::Signed);
        assert!(m < 0.95 * max && m > 6.0, "mse {m}, max {max}");
    }

    #[test]
    fn relu_range_ignores_negative_values() {
        let mut values = uniform(1001);
        values.push(-100.0);
        assert_eq!(threshold(Method::MinMax, &values, Range::Relu), 1.0);
        assert_eq!(Range::Relu.scale(127.0), 1.0);
        // Negative pre-activations are zero after ReLU and after unsigned quantization alike.
        assert_eq!(mse(&[-3.0, -1.0], Range::Relu, 0.1), 0.0);
    }

    #[test]
    fn all_zero_tensors_give_a_zero_threshold() {
        for method in Method::ALL {
            assert_eq!(threshold(method, &[0.0; 10], Range::Signed), 0.0);
        }
    }
}
