//! Which tensor's sparsity hurts: each prunable parameter is pruned alone to the target
//! sparsity (its lowest-importance weights zeroed, nothing fine-tuned) and the network is
//! validated. A per-layer schedule that prunes a sensitive tensor as hard as a tolerant one
//! shows up here as one large drop; the report carries the list so a user sees it.

use serde::Serialize;

use crate::model::arch::Params;
use crate::model::dataset::Dataset;
use crate::train;
use crate::model::net::Net;

use super::mask::{self, Masks, Scope};

/// The cost of pruning one parameter alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TensorSensitivity {
    /// Parameter name (`emb.<feature>`, `att.<sequence>`, `mlp.<i>.weight`).
    pub param: String,
    /// Its weights.
    pub weights: usize,
    /// Validation metric with it pruned to the target and every other parameter intact.
    pub valid_metric: f64,
    /// The unpruned network's validation metric minus `valid_metric`.
    pub drop: f64,
}

/// Every prunable parameter of `net` pruned alone to `sparsity` by `scores` (as from
/// [`super::importance::scores`]), validated on `valid`; in parameter-name order.
pub fn per_tensor(net: &Net, valid: &Dataset, scores: &Params, sparsity: f64) -> anyhow::Result<Vec<TensorSensitivity>> {
    let (base, _) = train::validate(net, valid)?;
    let mut out = Vec::new();
    for (name, score) in scores.iter().filter(|(name, _)| mask::prunable(name)) {
        let alone: Params = [(name.clone(), score.clone())].into_iter().collect();
        let mut pruned = net.snapshot()?;
        Masks::lowest(&alone, sparsity, Scope::PerLayer).apply(&mut pruned)?;
        let (metric, _) = train::validate(&pruned, valid)?;
        out.push(TensorSensitivity { param: name.clone(), weights: score.data.len(), valid_metric: metric, drop: base - metric });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Config;
    use crate::data::synth;

    #[test]
    fn each_tensor_is_pruned_alone_and_its_drop_measured() {
        let config = Config::parse(crate::data::synth::STUDENT_CONFIG).unwrap();
        let table = synth::generate(&synth::ShopConfig { users: 30, items: 40, impressions_per_user: 12, ..Default::default() }).unwrap();
        let manifest = config.manifest(&table).unwrap();
        let data = Dataset::encode(&config, &manifest, &table).unwrap();
        let net = Net::new(config.net_spec(manifest), 2).unwrap();
        let mut scores = net.params().unwrap();
        scores.values_mut().for_each(|p| p.data.iter_mut().for_each(|v| *v = v.abs()));
        let report = per_tensor(&net, &data, &scores, 0.9).unwrap();
        let prunable: Vec<&String> = scores.keys().filter(|n| mask::prunable(n)).collect();
        assert_eq!(report.iter().map(|t| &t.param).collect::<Vec<_>>(), prunable);
        let (base, _) = train::validate(&net, &data).unwrap();
        // Recompute the first MLP weight's row by hand: zero its 90% smallest, validate.
        let row = report.iter().find(|t| t.param == "mlp.0.weight").unwrap();
        let mut params = net.params().unwrap();
        let w = params.get_mut("mlp.0.weight").unwrap();
        let mut order: Vec<usize> = (0..w.data.len()).collect();
        order.sort_by(|&a, &b| w.data[a].abs().total_cmp(&w.data[b].abs()));
        let count = (0.9 * w.data.len() as f64).round() as usize;
        order[..count].iter().for_each(|&i| w.data[i] = 0.0);
        let weights = w.data.len();
        let mut by_hand = net.snapshot().unwrap();
        by_hand.load_params(&params).unwrap();
        let (metric, _) = train::validate(&by_hand, &data).unwrap();
        assert_eq!(row.valid_metric, metric);
        assert_eq!(row.weights, weights);
        assert!((row.drop - (base - metric)).abs() < 1e-12);
        // Pruning 90% of the tower's first layer changes the scores; the original is untouched.
        assert_ne!(metric, base);
        assert_eq!(train::validate(&net, &data).unwrap().0, base);
    }
}
