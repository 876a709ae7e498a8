//! The one way dram times calls: `dram latency`, the text latency comparison and `dram-bench`
//! all measure through [`interleaved`] and summarise through [`Quantiles::of`], so their
//! figures are comparable.
//!
//! Calls under comparison run in turn, one call of each per round, inside one process: a
//! change of clock frequency or a neighbour's load hits every contestant alike, and the ratios
//! between them hold even when absolute times drift.
//!
//! Quantiles are *nearest-rank on the sorted samples*: the `q`-quantile of `n` samples is the
//! sample at index `round((n - 1) * q)` of the sorted list (no interpolation), so the median of
//! an even count is the upper of the two middle samples and every reported figure is a time
//! that was actually measured.

use std::time::{Duration, Instant};

/// A summary of one contestant's call times, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantiles {
    /// Median (nearest rank).
    pub p50: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Calls measured.
    pub calls: usize,
}

impl Quantiles {
    /// Summarises samples in microseconds; `None` when there are none.
    ///
    /// ```
    /// use dram_core::timing::Quantiles;
    ///
    /// let q = Quantiles::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
    /// assert_eq!((q.p50, q.p99, q.mean, q.calls), (3.0, 4.0, 2.5, 4));
    /// assert!(Quantiles::of(&[]).is_none());
    /// ```
    pub fn of(samples_us: &[f64]) -> Option<Quantiles> {
        if samples_us.is_empty() {
            return None;
        }
        let mut sorted = samples_us.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[nearest_rank(sorted.len(), q)];
        Some(Quantiles {
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            calls: sorted.len(),
        })
    }
}

/// Index of the `q`-quantile in `n` sorted samples (`n > 0`, `0 <= q <= 1`).
fn nearest_rank(n: usize, q: f64) -> usize {
    (((n - 1) as f64) * q).round() as usize
}

/// How long to sample: warm-up calls, then rounds until `min_rounds` are done and `time` has
/// passed, or `max_rounds` are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Calls per contestant before measuring, not timed.
    pub warmup: usize,
    /// Fewest measured rounds.
    pub min_rounds: usize,
    /// Most measured rounds.
    pub max_rounds: usize,
    /// Wall time after which sampling stops once `min_rounds` are done.
    pub time: Duration,
}

impl Budget {
    /// Exactly `rounds` measured rounds after `warmup` untimed calls.
    ///
    /// ```
    /// let b = dram_core::timing::Budget::rounds(100, 20);
    /// assert_eq!((b.min_rounds, b.max_rounds, b.warmup), (100, 100, 20));
    /// ```
    pub fn rounds(rounds: usize, warmup: usize) -> Budget {
        Budget { warmup, min_rounds: rounds, max_rounds: rounds, time: Duration::ZERO }
    }
}

/// A call under measurement, for callers that hold differing closures in one list
/// (`Vec<Box<Call<'_, E>>>`); its argument is the round (warm-up calls count from 0 too), so a
/// contestant can take a different input each round.
pub type Call<'a, E> = dyn FnMut(usize) -> Result<(), E> + 'a;

/// Runs `calls` in turn, one call of each per round, and returns their [`Quantiles`] in the
/// order given. The first error any call returns stops the measurement and is returned.
/// With no rounds to run (`max_rounds == 0`) every contestant's summary is `None`.
///
/// ```
/// use dram_core::timing::{interleaved, Budget};
///
/// let mut order = String::new();
/// let mut log = Vec::new();
/// let mut a = |_round: usize| -> Result<(), ()> { log.push('a'); Ok(()) };
/// let mut sum = 0;
/// let mut b = |round: usize| -> Result<(), ()> { sum += round; Ok(()) };
/// let mut calls: [&mut dyn FnMut(usize) -> Result<(), ()>; 2] = [&mut a, &mut b];
/// let q = interleaved(Budget::rounds(3, 1), &mut calls).unwrap();
/// assert_eq!(q.iter().map(|q| q.unwrap().calls).collect::<Vec<_>>(), vec![3, 3]);
/// order.extend(log);
/// assert_eq!(order, "aaaa"); // one warm-up call, then three rounds
/// assert_eq!(sum, 0 + 0 + 1 + 2); // warm-up round 0, then rounds 0, 1, 2
/// ```
pub fn interleaved<E, C: FnMut(usize) -> Result<(), E>>(budget: Budget, calls: &mut [C]) -> Result<Vec<Option<Quantiles>>, E> {
    for call in calls.iter_mut() {
        for round in 0..budget.warmup {
            call(round)?;
        }
    }
    let mut samples = vec![Vec::with_capacity(budget.min_rounds); calls.len()];
    let started = Instant::now();
    for round in 0..budget.max_rounds {
        if round >= budget.min_rounds && started.elapsed() >= budget.time {
            break;
        }
        for (call, out) in calls.iter_mut().zip(samples.iter_mut()) {
            let t = Instant::now();
            call(round)?;
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    Ok(samples.iter().map(|s| Quantiles::of(s)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_the_nearest_ranked_samples() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let q = Quantiles::of(&samples).unwrap();
        assert_eq!((q.p50, q.p90, q.p99, q.calls), (51.0, 90.0, 99.0, 100));
        assert_eq!(q.mean, 50.5);
    }

    #[test]
    fn one_sample_is_every_quantile() {
        let q = Quantiles::of(&[7.0]).unwrap();
        assert_eq!((q.p50, q.p90, q.p99, q.mean), (7.0, 7.0, 7.0, 7.0));
    }

    #[test]
    fn nan_samples_sort_last_and_do_not_panic() {
        let q = Quantiles::of(&[f64::NAN, 1.0, 2.0]).unwrap();
        assert_eq!(q.p50, 2.0);
        assert!(q.p99.is_nan());
    }

    #[test]
    fn contestants_alternate_and_each_gets_every_round() {
        let order = std::cell::RefCell::new(String::new());
        let mut a = |_: usize| -> Result<(), ()> { order.borrow_mut().push('a'); Ok(()) };
        let mut b = |_: usize| -> Result<(), ()> { order.borrow_mut().push('b'); Ok(()) };
        let mut calls: [&mut Call<'_, ()>; 2] = [&mut a, &mut b];
        let q = interleaved(Budget::rounds(3, 1), &mut calls).unwrap();
        assert_eq!(q.iter().map(|q| q.unwrap().calls).collect::<Vec<_>>(), vec![3, 3]);
        assert_eq!(order.into_inner(), "abababab");
    }

    #[test]
    fn the_time_budget_stops_after_the_minimum_rounds() {
        let budget = Budget { warmup: 0, min_rounds: 2, max_rounds: 1_000_000, time: Duration::ZERO };
        let mut a = |_: usize| -> Result<(), ()> { Ok(()) };
        let q = interleaved(budget, &mut [&mut a]).unwrap();
        assert_eq!(q[0].unwrap().calls, 2);
    }

    #[test]
    fn the_first_error_stops_the_measurement() {
        let mut calls = 0;
        let mut failing = |round: usize| -> Result<(), String> {
            calls += 1;
            if round == 2 { Err(format!("failed at round {round}")) } else { Ok(()) }
        };
        let err = interleaved(Budget::rounds(10, 0), &mut [&mut failing]).unwrap_err();
        assert_eq!(err, "failed at round 2");
        assert_eq!(calls, 3);
    }

    #[test]
    fn no_rounds_give_no_summary() {
        let mut a = |_: usize| -> Result<(), ()> { Ok(()) };
        assert_eq!(interleaved(Budget::rounds(0, 0), &mut [&mut a]).unwrap(), vec![None]);
    }
}
