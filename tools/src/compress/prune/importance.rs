//! What a single weight is worth, for unstructured pruning. Magnitude alone treats every
//! weight alike, but in a recommender they are not: an embedding row is read only when its id
//! occurs, so a large weight of a movie seen twice matters less than a small one of a movie
//! seen a thousand times, and one entry of a 16-weight attention matrix touches every score.
//! The Fisher score (Optimal Brain Damage with the empirical Fisher diagonal, as in
//! LeCun et al. 1990 and Theis et al. 2018) estimates the rise in the training loss when the
//! weight is set to zero: `F_i w_i^2 / 2`, with `F_i` the mean squared gradient of the loss
//! (the fine-tuning objective, so distillation included) over the training set. Frequency of
//! use, downstream weights and the loss all enter through the gradient, so one threshold over
//! all tensors compares like with like.
//!
//! How much a row's frequency should count is a choice about the data the model will score:
//! the Fisher pass weighs rows as training reads them, but a time-split evaluation (and a
//! live shop) reads newer items, rare in training, more often. [`weight_by_reads`] multiplies
//! table weights' scores by a power of how often training reads their row, to protect rare
//! rows (negative powers) or prune them harder (positive ones).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::arch::Params;
use crate::model::config::TrainConfig;
use crate::model::dataset::Dataset;
use crate::rng::Rng;
use crate::train::{self, Objective};
use crate::model::net::Net;

/// How weights are ranked for unstructured pruning (lowest goes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Importance {
    /// `|w|`.
    #[default]
    Magnitude,
    /// `F w^2 / 2`: the estimated loss increase when the weight is zeroed, `F` the empirical
    /// Fisher diagonal (mean squared mini-batch gradient) over the training rows.
    Fisher,
}

/// Rows per mini-batch when the Fisher diagonal is accumulated. Small batches keep the
/// squared mini-batch gradient close to the mean per-row squared gradient (their ratio is the
/// same for every weight as long as the mean gradient is small, as it is after training).
pub const FISHER_BATCH: usize = 64;

/// Importance of every weight of `net` (same names and shapes as [`Net::params`]). `data`,
/// `objective` and `config` (seed and list size of the batches) are read only by
/// [`Importance::Fisher`].
pub fn scores(net: &Net, data: &Dataset, objective: Objective, config: &TrainConfig, importance: Importance) -> anyhow::Result<Params> {
    let mut params = net.params()?;
    match importance {
        Importance::Magnitude => {
            params.values_mut().for_each(|p| p.data.iter_mut().for_each(|v| *v = v.abs()));
        }
        Importance::Fisher => {
            let fisher = fisher_diagonal(net, data, objective, config)?;
            for (name, p) in params.iter_mut() {
                for (v, f) in p.data.iter_mut().zip(&fisher[name].data) {
                    *v = 0.5 * f * *v * *v;
                }
            }
        }
    }
    Ok(params)
}

/// How often training reads each row of every table (by parameter name): the number of
/// mini-batches of [`FISHER_BATCH`] rows (the Fisher pass's batches, so its seed) that look
/// the row up, through any input (a history of items reads the item table too).
pub fn row_reads(net: &Net, data: &Dataset, config: &TrainConfig) -> anyhow::Result<BTreeMap<String, Vec<f64>>> {
    let tables = net.spec.tables();
    let mut reads: Vec<Vec<f64>> = tables.iter().map(|t| vec![0.0; t.rows]).collect();
    for rows in train::batches(&data.groups, config.list_size, FISHER_BATCH, &mut Rng::new(config.seed ^ 0xf15e)) {
        for (count, local) in reads.iter_mut().zip(net.batch(data, &rows)?.locals) {
            local.rows.iter().for_each(|&r| count[r] += 1.0);
        }
    }
    Ok(tables.into_iter().map(|t| t.param).zip(reads).collect())
}

/// Multiplies the score of every weight of a table in `reads` by its row's reads (as from
/// [`row_reads`]) to the power `power`; rows never read score 0 whatever the power (they
/// learned nothing). Other parameters are left alone, so with a per-tensor scope (where
/// only the order within a tensor matters) only the tables' rankings change. With Fisher
/// scores, which already grow with reads, `-1` ranks a table's weights by their sensitivity
/// per read: every row alike, however often training reads it.
///
/// ```
/// use std::collections::BTreeMap;
/// use dram_tools::model::arch::{Param, Params};
/// use dram_tools::compress::prune::importance::weight_by_reads;
/// let mut scores = Params::new();
/// scores.insert("emb.item".into(), Param { shape: vec![3, 1], data: vec![1.0, 1.0, 1.0] });
/// let reads = BTreeMap::from([("emb.item".to_string(), vec![0.0, 4.0, 16.0])]);
/// weight_by_reads(&mut scores, &reads, -0.5);
/// assert_eq!(scores["emb.item"].data, vec![0.0, 0.5, 0.25]);
/// ```
pub fn weight_by_reads(scores: &mut Params, reads: &BTreeMap<String, Vec<f64>>, power: f64) {
    for (name, count) in reads {
        let Some(p) = scores.get_mut(name) else { continue };
        let dim = p.data.len() / count.len().max(1);
        for (row, &n) in count.iter().enumerate() {
            let factor = if n > 0.0 { n.powf(power) as f32 } else { 0.0 };
            p.data[row * dim..(row + 1) * dim].iter_mut().for_each(|v| *v *= factor);
        }
    }
}

/// The mean squared gradient of the training objective with respect to every parameter of
/// `net`, over mini-batches of [`FISHER_BATCH`] rows covering `data` once. Table rows no
/// batch touches get zero.
pub fn fisher_diagonal(net: &Net, data: &Dataset, objective: Objective, config: &TrainConfig) -> anyhow::Result<Params> {
    let mut sums = net.params()?;
    sums.values_mut().for_each(|p| p.data.iter_mut().for_each(|v| *v = 0.0));
    let plan = train::batches(&data.groups, config.list_size, FISHER_BATCH, &mut Rng::new(config.seed ^ 0xf15e));
    for rows in &plan {
        let batch = net.batch(data, rows)?;
        let logits = net.forward(&batch)?;
        let grads = train::objective_loss(net, data, rows, &logits, objective)?.backward()?;
        for (name, var) in &net.dense {
            if let Some(g) = grads.get(var.as_tensor()) {
                let g = g.flatten_all()?.to_vec1::<f32>()?;
                let sum = sums.get_mut(name).expect("dense parameter listed by params()");
                sum.data.iter_mut().zip(g).for_each(|(s, g)| *s += g * g);
            }
        }
        for (table, local) in net.spec.tables().iter().zip(&batch.locals) {
            let Some(g) = grads.get(local.var.as_tensor()) else { continue };
            let g = g.flatten_all()?.to_vec1::<f32>()?;
            let sum = sums.get_mut(&table.param).expect("table listed by params()");
            for (l, &row) in local.rows.iter().enumerate() {
                for k in 0..table.dim {
                    sum.data[row * table.dim + k] += g[l * table.dim + k].powi(2);
                }
            }
        }
    }
    let batches = plan.len().max(1) as f32;
    sums.values_mut().for_each(|p| p.data.iter_mut().for_each(|v| *v /= batches));
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Config;
    use crate::data::synth;

    fn setup() -> (Net, Dataset, TrainConfig) {
        let config = Config::parse(crate::data::synth::STUDENT_CONFIG).unwrap();
        let table = synth::generate(&synth::ShopConfig { users: 30, items: 60, impressions_per_user: 12, ..Default::default() }).unwrap();
        let manifest = config.manifest(&table).unwrap();
        let data = Dataset::encode(&config, &manifest, &table).unwrap();
        (Net::new(config.net_spec(manifest), 3).unwrap(), data, config.train.clone())
    }

    #[test]
    fn magnitude_scores_are_absolute_values() {
        let (net, data, config) = setup();
        let params = net.params().unwrap();
        let scores = scores(&net, &data, Objective::Labels, &config, Importance::Magnitude).unwrap();
        for (name, p) in &params {
            assert_eq!(scores[name].data, p.data.iter().map(|v| v.abs()).collect::<Vec<_>>(), "{name}");
        }
    }

    #[test]
    fn fisher_matches_squared_gradients_and_ignores_unused_rows() {
        let (net, data, config) = setup();
        let fisher = fisher_diagonal(&net, &data, Objective::Labels, &config).unwrap();
        // Recompute one dense weight's and one table entry's mean squared gradient by hand.
        let plan = train::batches(&data.groups, config.list_size, FISHER_BATCH, &mut Rng::new(config.seed ^ 0xf15e));
        let (name, var) = &net.dense[0];
        let table = &net.spec.tables()[0];
        let dim = table.dim;
        let used_row = (0..table.rows).max_by(|&a, &b| fisher[&table.param].data[a * dim].total_cmp(&fisher[&table.param].data[b * dim])).unwrap();
        let (mut dense_sum, mut table_sum) = (0f64, 0f64);
        for rows in &plan {
            let batch = net.batch(&data, rows).unwrap();
            let loss = crate::train::loss::bce_with_logits(
                &net.forward(&batch).unwrap().flatten_all().unwrap(),
                &candle_core::Tensor::from_vec(rows.iter().map(|&r| data.labels[r]).collect::<Vec<_>>(), rows.len(), &candle_core::Device::Cpu).unwrap(),
            )
            .unwrap();
            let grads = loss.backward().unwrap();
            let g = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            dense_sum += f64::from(g[0]).powi(2);
            if let Some(l) = batch.locals[0].rows.iter().position(|&r| r == used_row) {
                let g = grads.get(batch.locals[0].var.as_tensor()).unwrap().to_vec2::<f32>().unwrap();
                table_sum += f64::from(g[l][0]).powi(2);
            }
        }
        let n = plan.len() as f64;
        let got = f64::from(fisher[name].data[0]);
        assert!((got - dense_sum / n).abs() <= 1e-4 * got.max(1e-12), "{name}: {got} vs {}", dense_sum / n);
        let got = f64::from(fisher[&table.param].data[used_row * table.dim]);
        assert!(got > 0.0 && (got - table_sum / n).abs() <= 1e-4 * got, "{}: {got} vs {}", table.param, table_sum / n);
        // A row no training row looks up has no gradient, so zero importance.
        let used = data_rows_of_table(&net, &data, 0);
        let unused = (0..table.rows).find(|r| !used.contains(r)).expect("the table has an unused row");
        assert!(fisher[&table.param].data[unused * table.dim..(unused + 1) * table.dim].iter().all(|&f| f == 0.0));
        // Scores are F w^2 / 2.
        let scores = scores(&net, &data, Objective::Labels, &config, Importance::Fisher).unwrap();
        let w = net.params().unwrap()[name].data[0];
        assert!((scores[name].data[0] - 0.5 * fisher[name].data[0] * w * w).abs() <= 1e-6 * scores[name].data[0].max(1e-20));
    }

    #[test]
    fn reads_count_the_fisher_batches_that_look_a_row_up_and_weight_table_scores() {
        let (net, data, config) = setup();
        let reads = row_reads(&net, &data, &config).unwrap();
        let plan = train::batches(&data.groups, config.list_size, FISHER_BATCH, &mut Rng::new(config.seed ^ 0xf15e));
        let table = &net.spec.tables()[0];
        let used = data_rows_of_table(&net, &data, 0);
        let row = used[used.len() / 2];
        let by_hand = plan.iter().filter(|rows| net.batch(&data, rows).unwrap().locals[0].rows.contains(&row)).count();
        assert_eq!(reads[&table.param][row], by_hand as f64);
        assert!(by_hand > 0);
        let unused = (0..table.rows).find(|r| !used.contains(r)).unwrap();
        assert_eq!(reads[&table.param][unused], 0.0);
        // Weighting scales each row of a table by reads^power and leaves dense tensors alone.
        let scores = scores(&net, &data, Objective::Labels, &config, Importance::Magnitude).unwrap();
        let mut weighted = scores.clone();
        weight_by_reads(&mut weighted, &reads, 1.0);
        let dim = table.dim;
        let n = reads[&table.param][row] as f32;
        assert_eq!(weighted[&table.param].data[row * dim], scores[&table.param].data[row * dim] * n);
        assert!(weighted[&table.param].data[unused * dim..(unused + 1) * dim].iter().all(|&v| v == 0.0));
        assert_eq!(weighted["mlp.0.weight"], scores["mlp.0.weight"]);
    }

    /// Table rows looked up by any training row (through any input of table `t`).
    fn data_rows_of_table(net: &Net, data: &Dataset, t: usize) -> Vec<usize> {
        let all: Vec<usize> = (0..data.rows).collect();
        let mut rows = net.batch(data, &all).unwrap().locals[t].rows.clone();
        rows.sort_unstable();
        rows
    }
}
