//! Named contestants for [`dram_core::timing`], the one harness `dram latency` and the text
//! comparison use too: a cell's calls run in turn, one call each per round, and are summarised
//! by the same nearest-rank quantiles. This module only names the calls and gives the summary
//! the serialised shape of `results.json`.

use anyhow::Result;
use dram_core::timing::{self, Quantiles};
use serde::Serialize;

pub use dram_core::timing::Budget;

/// The figures `results.json` keeps of one contestant's call times, in microseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Stats {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Calls measured.
    pub calls: usize,
}

impl From<Quantiles> for Stats {
    fn from(q: Quantiles) -> Stats {
        Stats { p50: q.p50, p99: q.p99, calls: q.calls }
    }
}

/// A named call to measure.
pub type Contestant<'a> = (&'a str, Box<dyn FnMut() -> Result<()> + 'a>);

/// Runs the contestants through [`timing::interleaved`] and returns their figures in the order
/// given; a budget without rounds is an error naming the first contestant.
pub fn interleaved(budget: Budget, contestants: &mut [Contestant<'_>]) -> Result<Vec<Stats>> {
    let names: Vec<&str> = contestants.iter().map(|(name, _)| *name).collect();
    // One closure type for every contestant: no second box around the timed call.
    let mut calls: Vec<_> = contestants.iter_mut().map(|(_, call)| move |_round: usize| call()).collect();
    let summaries = timing::interleaved(budget, &mut calls)?;
    summaries
        .into_iter()
        .zip(names)
        .map(|(q, name)| q.map(Stats::from).ok_or_else(|| anyhow::anyhow!("no rounds measured for `{name}`: the budget's max_rounds is 0")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contestants_alternate_and_keep_their_order() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut contestants: Vec<Contestant<'_>> = vec![
            ("a", Box::new(|| Ok(order.borrow_mut().push('a')))),
            ("b", Box::new(|| Ok(order.borrow_mut().push('b')))),
        ];
        let stats = interleaved(Budget::rounds(3, 1), &mut contestants).unwrap();
        drop(contestants);
        assert_eq!(stats.iter().map(|s| s.calls).collect::<Vec<_>>(), vec![3, 3]);
        assert_eq!(order.into_inner().iter().collect::<String>(), "abababab");
    }

    #[test]
    fn no_rounds_is_an_error_naming_the_contestant() {
        let mut contestants: Vec<Contestant<'_>> = vec![("dram", Box::new(|| Ok(())))];
        let err = interleaved(Budget::rounds(0, 0), &mut contestants).unwrap_err();
        assert!(err.to_string().contains("`dram`"), "{err}");
    }
}
