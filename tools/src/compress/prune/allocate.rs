//! How much of each tensor to prune, from measured sensitivity. One global threshold compares
//! scores across tensors, which works only if the scores are calibrated across them; a
//! per-layer target prunes a tensor the model leans on (a small user table, the last layer)
//! as hard as one it barely reads (the long tail of an item table). Here each tensor is
//! pruned alone to a ladder of sparsities, the validation metric is measured at each rung (its
//! sensitivity curve), and sparsity is handed out greedily to whichever tensor's next rung
//! costs the least metric per weight, until the global target is met.
//!
//! The cost can also be the change of the function itself ([`Cost::Fidelity`]: the mean
//! squared difference between the validation logits and the unpruned network's). The
//! metric on a few thousand validation rows is noisy and discrete, and a greedy search over
//! many rungs finds the ones where that noise happens to favour pruning; the logit change
//! is smooth and says how far the network moved, whatever split it is later scored on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::arch::Params;
use crate::model::dataset::Dataset;
use crate::train;
use crate::model::net::Net;

use super::mask::{self, Masks, Scope};

/// The sparsities each tensor's sensitivity is measured at: 0.05 to 1 in steps of 0.05.
pub fn levels() -> Vec<f64> {
    (1..=20).map(|i| f64::from(i) * 0.05).collect()
}

/// One tensor's sensitivity: the cost when it alone is pruned to each of [`levels`].
pub type Curve = Vec<f64>;

/// What a rung of a sensitivity curve costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Cost {
    /// The drop of the validation metric (AUC for rankers, macro-F1 for classifiers).
    #[default]
    Metric,
    /// The mean squared difference between the validation logits and the unpruned network's.
    Fidelity,
}

/// The sensitivity curve of every prunable parameter of `net`, pruned alone by `scores`
/// (lowest first) and validated on `valid`, in `cost`.
pub fn curves(net: &Net, valid: &Dataset, scores: &Params, cost: Cost) -> anyhow::Result<BTreeMap<String, Curve>> {
    let (base, _) = train::validate(net, valid)?;
    let reference = net.predict(valid)?;
    let mut out = BTreeMap::new();
    for (name, score) in scores.iter().filter(|(name, _)| mask::prunable(name)) {
        let alone: Params = [(name.clone(), score.clone())].into_iter().collect();
        let mut curve = Vec::new();
        for level in levels() {
            let mut pruned = net.snapshot()?;
            Masks::lowest(&alone, level, Scope::PerLayer).apply(&mut pruned)?;
            curve.push(match cost {
                Cost::Metric => base - train::validate(&pruned, valid)?.0,
                Cost::Fidelity => super::recovery::logit_mse(&pruned, valid, &reference)?,
            });
        }
        out.insert(name.clone(), curve);
    }
    Ok(out)
}

/// Per-tensor sparsities that zero `target` of all `sizes` weights together at the least total
/// measured cost. Curves are first made non-negative and non-decreasing (measurement noise
/// makes light pruning look free or even helpful); then, rung by rung, the tensor whose next
/// rung costs the least per weight it adds moves up (ties: the larger tensor). The last move
/// is cut short so the total is `target` exactly.
///
/// ```
/// use std::collections::BTreeMap;
/// use dram_tools::compress::prune::allocate::{allocate, levels};
/// let flat: Vec<f64> = levels().iter().map(|_| 0.0).collect();
/// let steep: Vec<f64> = levels().iter().map(|s| s * 0.1).collect();
/// let curves = BTreeMap::from([("cheap".to_string(), flat), ("dear".to_string(), steep)]);
/// let sizes = BTreeMap::from([("cheap".to_string(), 100), ("dear".to_string(), 100)]);
/// let plan = allocate(&curves, &sizes, 0.5);
/// assert!((plan["cheap"] - 1.0).abs() < 1e-9 && plan["dear"].abs() < 1e-9);
/// ```
pub fn allocate(curves: &BTreeMap<String, Curve>, sizes: &BTreeMap<String, usize>, target: f64) -> BTreeMap<String, f64> {
    let levels = levels();
    let monotone: BTreeMap<&String, Vec<f64>> = curves
        .iter()
        .map(|(name, curve)| {
            let mut worst = 0f64;
            (name, curve.iter().map(|&d| {
                worst = worst.max(d);
                worst
            }).collect())
        })
        .collect();
    let total: usize = sizes.values().sum();
    let budget = target.clamp(0.0, 1.0) * total as f64;
    // Rung reached by each tensor (0: unpruned; i: levels[i - 1]).
    let mut rung: BTreeMap<&String, usize> = monotone.keys().map(|&n| (n, 0)).collect();
    let sparsity_at = |r: usize| if r == 0 { 0.0 } else { levels[r - 1] };
    let cost_at = |name: &String, r: usize| if r == 0 { 0.0 } else { monotone[name][r - 1] };
    let mut zeros = 0f64;
    let mut plan: BTreeMap<String, f64> = monotone.keys().map(|&n| (n.clone(), 0.0)).collect();
    while zeros < budget - 1e-9 {
        let mut best: Option<(f64, usize, &String)> = None;
        for (&name, &r) in &rung {
            if r == levels.len() {
                continue;
            }
            let size = sizes[name];
            let added = (sparsity_at(r + 1) - sparsity_at(r)) * size as f64;
            let per_weight = (cost_at(name, r + 1) - cost_at(name, r)) / added.max(1e-12);
            let better = best.is_none_or(|(c, s, _)| per_weight < c - 1e-15 || ((per_weight - c).abs() <= 1e-15 && size > s));
            if better {
                best = Some((per_weight, size, name));
            }
        }
        let Some((_, size, name)) = best else { break };
        let r = rung[name];
        let added = (sparsity_at(r + 1) - sparsity_at(r)) * size as f64;
        let take = added.min(budget - zeros);
        zeros += take;
        *plan.get_mut(name).expect("planned") = sparsity_at(r) + take / size as f64;
        *rung.get_mut(name).expect("listed") = r + 1;
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Config;
    use crate::data::synth;

    #[test]
    fn fidelity_curves_measure_the_logit_change_of_each_tensor_alone() {
        let config = Config::parse(crate::data::synth::STUDENT_CONFIG).unwrap();
        let table = synth::generate(&synth::ShopConfig { users: 20, items: 30, impressions_per_user: 10, ..Default::default() }).unwrap();
        let manifest = config.manifest(&table).unwrap();
        let data = Dataset::encode(&config, &manifest, &table).unwrap();
        let net = Net::new(config.net_spec(manifest), 6).unwrap();
        let mut scores = net.params().unwrap();
        scores.values_mut().for_each(|p| p.data.iter_mut().for_each(|v| *v = v.abs()));
        let curves = curves(&net, &data, &scores, Cost::Fidelity).unwrap();
        // By hand: mlp.0.weight pruned alone to 50% (the 10th rung), mean squared logit change.
        let reference = net.predict(&data).unwrap();
        let alone: Params = [("mlp.0.weight".to_string(), scores["mlp.0.weight"].clone())].into_iter().collect();
        let mut pruned = net.snapshot().unwrap();
        Masks::lowest(&alone, 0.5, Scope::PerLayer).apply(&mut pruned).unwrap();
        let logits = pruned.predict(&data).unwrap();
        let mse = logits.iter().zip(&reference).map(|(a, b)| f64::from(a - b).powi(2)).sum::<f64>() / logits.len() as f64;
        assert!((curves["mlp.0.weight"][9] - mse).abs() <= 1e-12 * mse.max(1.0), "{} vs {mse}", curves["mlp.0.weight"][9]);
        // Pruning a whole tensor moves the logits; nothing pruned would cost nothing.
        assert!(curves.values().all(|c| c.iter().all(|&v| v >= 0.0)));
        assert!(curves["mlp.1.weight"][19] > 0.0);
    }

    fn curve(f: impl Fn(f64) -> f64) -> Curve {
        levels().into_iter().map(f).collect()
    }

    #[test]
    fn cheapest_weights_go_first_and_the_total_is_exact() {
        // a: free up to 0.5, then dear; b: a steady small cost; c: tiny and very dear.
        let curves = BTreeMap::from([
            ("a".to_string(), curve(|s| if s <= 0.5 + 1e-9 { 0.0 } else { (s - 0.5) * 0.2 })),
            ("b".to_string(), curve(|s| s * 0.01)),
            ("c".to_string(), curve(|s| s)),
        ]);
        let sizes = BTreeMap::from([("a".to_string(), 1000), ("b".to_string(), 400), ("c".to_string(), 16)]);
        let plan = allocate(&curves, &sizes, 0.4);
        let zeros: f64 = plan.iter().map(|(n, s)| s * sizes[n] as f64).sum();
        assert!((zeros - 0.4 * 1416.0).abs() < 1e-6, "{plan:?}");
        // a's free half (500 weights) first; then b's rungs (0.0005 per 20 weights: 2.5e-5 per
        // weight) beat a's next ones (0.01 per 50 weights: 2e-4), so the remaining 66.4
        // weights come from b.
        assert!((plan["a"] - 0.5).abs() < 1e-9, "{plan:?}");
        assert!((plan["b"] - 66.4 / 400.0).abs() < 1e-9, "{plan:?}");
        assert_eq!(plan["c"], 0.0);
    }

    #[test]
    fn noise_is_flattened_into_a_non_decreasing_non_negative_curve() {
        // A dip below zero and back must not make later rungs look cheaper than they are.
        let noisy = curve(|s| if s < 0.3 { -0.01 } else if s < 0.6 { 0.02 } else { 0.01 });
        let curves = BTreeMap::from([("noisy".to_string(), noisy), ("steady".to_string(), curve(|s| s * 0.05))]);
        let sizes = BTreeMap::from([("noisy".to_string(), 100), ("steady".to_string(), 100)]);
        let plan = allocate(&curves, &sizes, 0.3);
        // noisy's first rungs cost 0 (negative clipped), so it takes 0.25 first; its jump to
        // 0.02 at 0.3 costs 0.02/5 per weight against steady's 0.0025/5: steady gets the rest.
        assert!((plan["noisy"] - 0.25).abs() < 1e-9, "{plan:?}");
        assert!((plan["steady"] - 0.35).abs() < 1e-9, "{plan:?}");
        assert!(allocate(&curves, &sizes, 0.0).values().all(|&s| s == 0.0));
        let all = allocate(&curves, &sizes, 1.0);
        assert!(all.values().all(|&s| (s - 1.0).abs() < 1e-9), "{all:?}");
    }
}
