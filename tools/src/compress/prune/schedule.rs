//! The gradual pruning schedule of Zhu & Gupta ("To prune, or not to prune", 2017): most of
//! the pruning happens early, while the network still has capacity to recover, and the last
//! steps remove little. Both methods follow it: magnitude pruning for its sparsity, structured
//! pruning for the fraction of parameters removed.

/// The target after step `step` of `steps` (1-based) on the way from 0 to `last`:
/// `s_t = s_f (1 - (1 - t/T)^3)`. Step `steps` reaches `last` exactly.
///
/// ```
/// use dram_tools::compress::prune::schedule::cubic;
/// assert_eq!(cubic(0.8, 2, 2), 0.8);
/// assert!((cubic(0.8, 1, 2) - 0.7).abs() < 1e-12); // 0.8 * (1 - 1/8)
/// ```
pub fn cubic(last: f64, step: usize, steps: usize) -> f64 {
    let steps = steps.max(1);
    let t = step.min(steps) as f64 / steps as f64;
    last * (1.0 - (1.0 - t).powi(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_matches_hand_computed_values() {
        // s_f = 0.5, T = 4: 0.5 * (1 - 0.75^3), 0.5 * (1 - 0.5^3), 0.5 * (1 - 0.25^3), 0.5.
        let expected = [0.5 * (1.0 - 0.421875), 0.5 * 0.875, 0.5 * (1.0 - 0.015625), 0.5];
        for (t, e) in (1..=4).zip(expected) {
            assert!((cubic(0.5, t, 4) - e).abs() < 1e-12, "step {t}: {} vs {e}", cubic(0.5, t, 4));
        }
        assert_eq!(cubic(0.5, 0, 4), 0.0);
        // Each step removes less than the one before.
        let deltas: Vec<f64> = (1..=4).map(|t| cubic(0.5, t, 4) - cubic(0.5, t - 1, 4)).collect();
        assert!(deltas.windows(2).all(|w| w[0] > w[1]), "{deltas:?}");
        // One step jumps straight to the target.
        assert_eq!(cubic(0.9, 1, 1), 0.9);
    }
}
