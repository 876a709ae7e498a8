//! Unstructured magnitude pruning: the smallest weights are set to zero and kept there. Masks
//! cover embedding tables, attention matrices and MLP weights (biases are few and stay dense);
//! they are chosen per parameter (each pruned to the same sparsity, as Zhu & Gupta do) or over
//! all of them at once, and re-applied after every optimiser step while fine-tuning.
//!
//! Zeros do not make the fp32 file smaller or tract faster: the matrices keep their shapes.
//! They pay off only with sparse storage or compression of the file; structured pruning is
//! what shrinks the model itself.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::model::arch::Params;
use crate::model::net::Net;

/// Over which weights the magnitude threshold is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Scope {
    /// Every prunable parameter is pruned to the target sparsity on its own.
    #[default]
    PerLayer,
    /// One threshold over all prunable weights (large-magnitude layers keep more).
    Global,
    /// Per-parameter sparsities allocated from each parameter's measured sensitivity
    /// ([`super::allocate`]), together reaching the target. [`Masks::lowest`] has no curves
    /// and treats it as `PerLayer`; [`super::run`] measures them and uses [`Masks::lowest_each`].
    Sensitivity,
}

/// Whether a parameter is subject to magnitude pruning.
pub fn prunable(name: &str) -> bool {
    !name.ends_with(".bias")
}

/// The zeroed positions of every prunable parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Masks {
    /// Flat indices of pruned weights, ascending, by parameter name.
    pub pruned: BTreeMap<String, Vec<usize>>,
}

impl Masks {
    /// Masks that prune the smallest-magnitude `sparsity` of the prunable weights of `params`.
    ///
    /// ```
    /// use dram_tools::model::arch::{Param, Params};
    /// use dram_tools::compress::prune::mask::{Masks, Scope};
    /// let mut params = Params::new();
    /// params.insert("mlp.0.weight".into(), Param { shape: vec![2, 2], data: vec![0.5, -0.1, 2.0, 0.3] });
    /// let masks = Masks::magnitude(&params, 0.5, Scope::PerLayer);
    /// assert_eq!(masks.pruned["mlp.0.weight"], vec![1, 3]);
    /// ```
    pub fn magnitude(params: &Params, sparsity: f64, scope: Scope) -> Masks {
        Masks::lowest(params, sparsity, scope)
    }

    /// Masks that prune the `sparsity` of the prunable weights whose `scores` (one per weight,
    /// named and shaped as the parameters; compared by absolute value) are lowest, such as
    /// [`super::importance::scores`].
    ///
    /// ```
    /// use dram_tools::model::arch::{Param, Params};
    /// use dram_tools::compress::prune::mask::{Masks, Scope};
    /// let mut scores = Params::new();
    /// scores.insert("emb.a".into(), Param { shape: vec![2, 1], data: vec![0.0, 5.0] });
    /// scores.insert("mlp.0.weight".into(), Param { shape: vec![1, 2], data: vec![1.0, 0.5] });
    /// let masks = Masks::lowest(&scores, 0.5, Scope::Global);
    /// assert_eq!((masks.pruned["emb.a"].clone(), masks.pruned["mlp.0.weight"].clone()), (vec![0], vec![1]));
    /// ```
    pub fn lowest(scores: &Params, sparsity: f64, scope: Scope) -> Masks {
        let sparsity = sparsity.clamp(0.0, 1.0);
        let prunable: Vec<(&String, &Vec<f32>)> =
            scores.iter().filter(|(name, _)| prunable(name)).map(|(name, p)| (name, &p.data)).collect();
        let mut pruned = BTreeMap::new();
        match scope {
            Scope::PerLayer | Scope::Sensitivity => {
                for (name, data) in prunable {
                    let count = (sparsity * data.len() as f64).round() as usize;
                    pruned.insert(name.clone(), smallest(data.iter().enumerate().map(|(i, &v)| (0, i, v)), count));
                }
            }
            Scope::Global => {
                let total: usize = prunable.iter().map(|(_, d)| d.len()).sum();
                let count = (sparsity * total as f64).round() as usize;
                let all = prunable.iter().enumerate().flat_map(|(p, (_, data))| data.iter().enumerate().map(move |(i, &v)| (p, i, v)));
                let mut per_param = vec![Vec::new(); prunable.len()];
                for (p, i) in smallest_pairs(all, count) {
                    per_param[p].push(i);
                }
                for ((name, _), mut indices) in prunable.iter().zip(per_param) {
                    indices.sort_unstable();
                    pruned.insert((*name).clone(), indices);
                }
            }
        }
        Masks { pruned }
    }

    /// Masks that prune, in each prunable parameter named in `sparsities`, that fraction of
    /// its weights with the lowest `scores`, rounded up to whole weights (so sparsities that
    /// add up to a target reach it); other parameters stay dense.
    pub fn lowest_each(scores: &Params, sparsities: &BTreeMap<String, f64>) -> Masks {
        let mut pruned = BTreeMap::new();
        for (name, p) in scores.iter().filter(|(name, _)| prunable(name)) {
            let sparsity = sparsities.get(name).copied().unwrap_or(0.0).clamp(0.0, 1.0);
            let count = (sparsity * p.data.len() as f64 - 1e-9).ceil().max(0.0) as usize;
            pruned.insert(name.clone(), smallest(p.data.iter().enumerate().map(|(i, &v)| (0, i, v)), count));
        }
        Masks { pruned }
    }

    /// Sets every pruned weight of `net` to zero.
    pub fn apply(&self, net: &mut Net) -> candle_core::Result<()> {
        for (table, spec) in net.tables.iter_mut().zip(net.spec.tables()) {
            if let Some(indices) = self.pruned.get(&spec.param) {
                for &i in indices {
                    table.data[i] = 0.0;
                }
            }
        }
        for (name, var) in &net.dense {
            let Some(indices) = self.pruned.get(name).filter(|i| !i.is_empty()) else { continue };
            let mut keep = vec![1f32; var.elem_count()];
            for &i in indices {
                keep[i] = 0.0;
            }
            let keep = Tensor::from_vec(keep, var.dims(), &Device::Cpu)?;
            var.set(&var.as_tensor().mul(&keep)?)?;
        }
        Ok(())
    }
}

/// Zero and total counts of the prunable weights of `params`.
pub fn zeros(params: &Params) -> (usize, usize) {
    params
        .iter()
        .filter(|(name, _)| prunable(name))
        .fold((0, 0), |(z, n), (_, p)| (z + p.data.iter().filter(|&&v| v == 0.0).count(), n + p.data.len()))
}

fn smallest(values: impl Iterator<Item = (usize, usize, f32)>, count: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = smallest_pairs(values, count).into_iter().map(|(_, i)| i).collect();
    indices.sort_unstable();
    indices
}

/// The `count` (parameter, index) pairs of smallest magnitude; ties broken by position.
fn smallest_pairs(values: impl Iterator<Item = (usize, usize, f32)>, count: usize) -> Vec<(usize, usize)> {
    let mut all: Vec<(f32, usize, usize)> = values.map(|(p, i, v)| (v.abs(), p, i)).collect();
    let count = count.min(all.len());
    if count == 0 {
        return Vec::new();
    }
    all.select_nth_unstable_by(count - 1, |a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    all.truncate(count);
    all.into_iter().map(|(_, p, i)| (p, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arch::Param;

    fn params() -> Params {
        let mut p = Params::new();
        p.insert("emb.a".into(), Param { shape: vec![2, 2], data: vec![10.0, -20.0, 30.0, 40.0] });
        p.insert("mlp.0.weight".into(), Param { shape: vec![1, 4], data: vec![0.1, -0.4, 0.3, 0.2] });
        p.insert("mlp.0.bias".into(), Param { shape: vec![1], data: vec![0.0] });
        p
    }

    #[test]
    fn per_layer_prunes_each_parameter_to_the_target_and_skips_biases() {
        let m = Masks::magnitude(&params(), 0.5, Scope::PerLayer);
        assert_eq!(m.pruned["emb.a"], vec![0, 1]);
        assert_eq!(m.pruned["mlp.0.weight"], vec![0, 3]);
        assert!(!m.pruned.contains_key("mlp.0.bias"));
    }

    #[test]
    fn global_takes_the_smallest_over_all_weights() {
        // The MLP weights are all smaller than the table's, so they go first.
        let m = Masks::magnitude(&params(), 0.5, Scope::Global);
        assert_eq!(m.pruned["emb.a"], Vec::<usize>::new());
        assert_eq!(m.pruned["mlp.0.weight"], vec![0, 1, 2, 3]);
        let m = Masks::magnitude(&params(), 0.75, Scope::Global);
        assert_eq!(m.pruned["emb.a"], vec![0, 1]);
    }

    #[test]
    fn lowest_each_prunes_each_parameter_to_its_own_sparsity() {
        let plan = BTreeMap::from([("emb.a".to_string(), 0.75), ("mlp.0.weight".to_string(), 0.3), ("mlp.0.bias".to_string(), 1.0)]);
        let m = Masks::lowest_each(&params(), &plan);
        assert_eq!(m.pruned["emb.a"], vec![0, 1, 2]);
        // 0.3 of 4 weights is 1.2: rounded up to 2.
        assert_eq!(m.pruned["mlp.0.weight"], vec![0, 3]);
        let m = Masks::lowest_each(&params(), &BTreeMap::from([("emb.a".to_string(), 0.75)]));
        assert_eq!(m.pruned["mlp.0.weight"], Vec::<usize>::new());
        assert!(!m.pruned.contains_key("mlp.0.bias"));
    }

    #[test]
    fn zeros_counts_prunable_weights_only() {
        let mut p = params();
        p.get_mut("mlp.0.weight").unwrap().data[2] = 0.0;
        assert_eq!(zeros(&p), (1, 8));
    }
}
