//! Latency sampling: contestants run in turn, call after call, inside one process, so
//! frequency changes and the other processes sharing the machine hit all of them alike.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

/// Percentiles of one contestant's call times, in microseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Stats {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Calls measured.
    pub calls: usize,
}

impl Stats {
    /// Percentiles of samples in microseconds; `None` for no samples.
    pub fn of(samples: &[f64]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Some(Stats { p50: at(0.5), p99: at(0.99), calls: sorted.len() })
    }
}

/// How long to sample one cell.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Warm-up calls per contestant, not measured.
    pub warmup: usize,
    /// Fewest measured rounds.
    pub min_rounds: usize,
    /// Most measured rounds.
    pub max_rounds: usize,
    /// Stop after this much wall time once `min_rounds` are done.
    pub time: Duration,
}

/// A named call to measure.
pub type Contestant<'a> = (&'a str, Box<dyn FnMut() -> Result<()> + 'a>);

/// Runs the contestants in turn (one call each per round) and returns their percentiles, in
/// the order given.
pub fn interleaved(budget: Budget, contestants: &mut [Contestant<'_>]) -> Result<Vec<Stats>> {
    for (_, call) in contestants.iter_mut() {
        for _ in 0..budget.warmup {
            call()?;
        }
    }
    let mut samples = vec![Vec::new(); contestants.len()];
    let started = Instant::now();
    for round in 0..budget.max_rounds {
        if round >= budget.min_rounds && started.elapsed() > budget.time {
            break;
        }
        for ((_, call), out) in contestants.iter_mut().zip(samples.iter_mut()) {
            let t = Instant::now();
            call()?;
            out.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    Ok(samples.iter().map(|s| Stats::of(s).expect("at least one round")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_ranked_samples() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let s = Stats::of(&samples).unwrap();
        assert_eq!((s.p50, s.p99, s.calls), (51.0, 99.0, 100));
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn contestants_alternate_and_each_gets_every_round() {
        let order = std::cell::RefCell::new(Vec::new());
        let budget = Budget { warmup: 1, min_rounds: 3, max_rounds: 3, time: Duration::ZERO };
        let mut contestants: Vec<Contestant<'_>> = vec![
            ("a", Box::new(|| Ok(order.borrow_mut().push('a')))),
            ("b", Box::new(|| Ok(order.borrow_mut().push('b')))),
        ];
        let stats = interleaved(budget, &mut contestants).unwrap();
        drop(contestants);
        assert_eq!(stats.iter().map(|s| s.calls).collect::<Vec<_>>(), vec![3, 3]);
        assert_eq!(order.into_inner().iter().collect::<String>(), "abababab");
    }
}
