//! How much each prunable unit matters. A unit's contribution to the next layer is its
//! activation times its outgoing weights, so a unit's score is the size of its activation
//! (root mean square over training rows, or a weight-only proxy) times the norm of its
//! outgoing weight column. Both factors are needed: ReLU networks can scale one up and the
//! other down without changing the function. An embedding dimension feeds several MLP input
//! columns (its feature's and those of sequences pooled from its table); its score is the
//! root sum of squares of theirs.

use std::collections::BTreeMap;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::model::arch::Params;
use crate::model::dataset::Dataset;
use crate::model::net::Net;

use super::shrink::column_owners;

/// Which activation size a score uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Saliency {
    /// Data-driven: root mean square of the unit's activation over a sample of training rows.
    #[default]
    Activation,
    /// Weights only: the norm of the unit's incoming weights and bias (for hidden units) or of
    /// its embedding column divided by sqrt(rows) (for embedding dimensions).
    Weight,
}

/// Scores of every prunable unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// One score per dimension of each table, by table feature.
    pub embedding_dims: BTreeMap<String, Vec<f64>>,
    /// One score per unit of each hidden layer.
    pub hidden: Vec<Vec<f64>>,
}

/// Rows of training data the activation scores are measured on (evenly spaced).
pub const SAMPLE_ROWS: usize = 8192;

/// Scores every hidden unit and embedding dimension of `net` (`data` is read only by
/// [`Saliency::Activation`]).
pub fn scores(net: &Net, data: &Dataset, saliency: Saliency) -> anyhow::Result<Scores> {
    let params = net.params()?;
    let spec = &net.spec;
    let layers = spec.layers().len();
    // Activation size of every MLP input column and every hidden unit.
    let sizes: Vec<Vec<f64>> = match saliency {
        Saliency::Activation => {
            let step = data.rows.div_ceil(SAMPLE_ROWS).max(1);
            let rows: Vec<usize> = (0..data.rows).step_by(step).collect();
            let mut x = net.mlp_input(&net.batch(data, &rows)?)?;
            let mut sizes = vec![rms_columns(&x)?];
            for i in 0..layers - 1 {
                let w = tensor(&params, &format!("mlp.{i}.weight"))?;
                let b = tensor(&params, &format!("mlp.{i}.bias"))?;
                x = x.matmul(&w.t()?)?.broadcast_add(&b)?.relu()?;
                sizes.push(rms_columns(&x)?);
            }
            sizes
        }
        Saliency::Weight => {
            let owners = column_owners(spec);
            let input = owners
                .iter()
                .map(|owner| match owner {
                    None => 1.0,
                    Some((feature, k)) => {
                        let table = &params[&format!("emb.{feature}")];
                        let dim = table.shape[1];
                        let sum: f64 = table.data.iter().skip(*k).step_by(dim).map(|&v| f64::from(v).powi(2)).sum();
                        (sum / table.shape[0] as f64).sqrt()
                    }
                })
                .collect();
            let mut sizes = vec![input];
            for i in 0..layers - 1 {
                let w = &params[&format!("mlp.{i}.weight")];
                let b = &params[&format!("mlp.{i}.bias")];
                let fan_in = w.shape[1];
                sizes.push(
                    (0..w.shape[0])
                        .map(|j| {
                            let row = &w.data[j * fan_in..(j + 1) * fan_in];
                            (row.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() + f64::from(b.data[j]).powi(2)).sqrt()
                        })
                        .collect(),
                );
            }
            sizes
        }
    };
    // Each unit's score: its size times the norm of its outgoing column in the next layer.
    let unit_scores: Vec<Vec<f64>> = sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let w = &params[&format!("mlp.{i}.weight")];
            let fan_in = w.shape[1];
            size.iter()
                .enumerate()
                .map(|(c, s)| s * (0..w.shape[0]).map(|r| f64::from(w.data[r * fan_in + c]).powi(2)).sum::<f64>().sqrt())
                .collect()
        })
        .collect();
    let mut embedding_dims: BTreeMap<String, Vec<f64>> =
        spec.embedding_dims.iter().map(|(f, &d)| (f.clone(), vec![0.0; d])).collect();
    for (owner, score) in column_owners(spec).iter().zip(&unit_scores[0]) {
        if let Some((feature, k)) = owner {
            embedding_dims.get_mut(feature).expect("owner is a table")[*k] += score * score;
        }
    }
    for dims in embedding_dims.values_mut() {
        dims.iter_mut().for_each(|s| *s = s.sqrt());
    }
    Ok(Scores { embedding_dims, hidden: unit_scores[1..].to_vec() })
}

fn tensor(params: &Params, name: &str) -> candle_core::Result<Tensor> {
    let p = &params[name];
    Tensor::from_vec(p.data.clone(), p.shape.as_slice(), &Device::Cpu)
}

fn rms_columns(x: &Tensor) -> candle_core::Result<Vec<f64>> {
    let rows = x.dim(0)?.max(1) as f64;
    Ok(x.sqr()?.sum(0)?.to_vec1::<f32>()?.into_iter().map(|s| (f64::from(s) / rows).sqrt()).collect())
}
