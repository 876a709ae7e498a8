//! A plain-Rust forward pass of a [`NetSpec`], written from the math rather than from the
//! graph: the independent truth that the test vectors' expected scores come from, and the
//! float model that quantization calibrates against.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use dram_core::manifest::FeatureKind;
use dram_core::Tensor;

use crate::model::arch::{NetSpec, Params, Pooling, MASK_OFFSET};

/// The network's outputs for encoded inputs (in `Manifest::graph_inputs` order): one row of
/// `output_width` values per input row.
pub fn forward(spec: &NetSpec, params: &Params, inputs: &[Tensor]) -> Result<Vec<Vec<f32>>> {
    (0..rows(inputs)?)
        .map(|n| {
            let x: Vec<f32> = pieces(spec, params, inputs, n)?.concat();
            Ok(mlp(spec, params, x)?.pop().expect("at least one layer"))
        })
        .collect()
}

/// Number of rows in encoded inputs.
pub fn rows(inputs: &[Tensor]) -> Result<usize> {
    inputs.first().map(|t| t.shape()[0]).ok_or_else(|| anyhow!("no inputs"))
}

/// The MLP input of row `n`, one vector per feature in manifest order (their concatenation is
/// the first layer's input).
pub fn pieces(spec: &NetSpec, params: &Params, inputs: &[Tensor], n: usize) -> Result<Vec<Vec<f32>>> {
    let table = |name: &str| params.get(name).ok_or_else(|| anyhow!("missing parameter {name}"));
    let mut out = Vec::with_capacity(spec.manifest.features.len());
    let mut next = 0;
    let mut item_rows: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    for feature in &spec.manifest.features {
        match &feature.kind {
            FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                let t = spec.table(feature).expect("table");
                let id = inputs[next].as_i64().ok_or_else(|| anyhow!("ids must be i64"))?[n] as usize;
                let row = table(&t.param)?.data[id * t.dim..(id + 1) * t.dim].to_vec();
                item_rows.insert(feature.name.as_str(), row.clone());
                out.push(row);
                next += 1;
            }
            FeatureKind::Numeric { .. } => {
                out.push(vec![inputs[next].as_f32().ok_or_else(|| anyhow!("values must be f32"))?[n]]);
                next += 1;
            }
            FeatureKind::Sequence { .. } | FeatureKind::Text { .. } => {
                let t = if matches!(feature.kind, FeatureKind::Text { .. }) {
                    spec.table(feature)
                } else {
                    spec.sequence_table(feature)
                }
                .expect("table");
                let width = inputs[next].shape()[1];
                let ids = &inputs[next].as_i64().ok_or_else(|| anyhow!("ids must be i64"))?[n * width..(n + 1) * width];
                let w = &inputs[next + 1].as_f32().ok_or_else(|| anyhow!("weights must be f32"))?[n * width..(n + 1) * width];
                let data = &table(&t.param)?.data;
                let h: Vec<&[f32]> = ids.iter().map(|&id| &data[id as usize * t.dim..(id as usize + 1) * t.dim]).collect();
                let a: Vec<f32> = match spec.pooling_of(feature) {
                    Pooling::Mean => w.to_vec(),
                    Pooling::Attention => {
                        let FeatureKind::Sequence { item_feature, .. } = &feature.kind else { unreachable!() };
                        let target = &item_rows[item_feature.as_str()];
                        let att = &table(&format!("att.{}", feature.name))?.data;
                        attention(att, target, &h, w, t.dim)
                    }
                };
                out.push((0..t.dim).map(|d| h.iter().zip(&a).map(|(hj, aj)| hj[d] * aj).sum()).collect());
                next += 2;
            }
            FeatureKind::WordPieces { .. } => {
                let t = spec.table(feature).expect("table");
                let conv = spec.conv(feature).expect("word-piece features have a convolution");
                let len = inputs[next + 1].shape()[1];
                let cells = conv.window * len;
                let ids = &inputs[next].as_i64().ok_or_else(|| anyhow!("ids must be i64"))?[n * cells..(n + 1) * cells];
                let w = &inputs[next + 1].as_f32().ok_or_else(|| anyhow!("weights must be f32"))?[n * len..(n + 1) * len];
                out.push(conv_max(&table(&t.param)?.data, &table(&conv.weight)?.data, &table(&conv.bias)?.data, ids, w, &conv));
                next += 2;
            }
        }
    }
    Ok(out)
}

/// `max_t w_t relu(b + sum_j E[ids[j][t]] W[j])` per channel: the width-`window` convolution
/// over embedded word pieces, max-pooled over the positions with weight 1 (0 for an empty text).
fn conv_max(table: &[f32], weight: &[f32], bias: &[f32], ids: &[i64], w: &[f32], conv: &crate::model::arch::Conv) -> Vec<f32> {
    let (d, c, len) = (conv.dim, conv.channels, w.len());
    let mut pooled = vec![0f32; c];
    for t in 0..len {
        let mut acc = bias.to_vec();
        for j in 0..conv.window {
            let id = ids[j * len + t] as usize;
            let e = &table[id * d..(id + 1) * d];
            for (k, ek) in e.iter().enumerate() {
                let row = &weight[(j * d + k) * c..(j * d + k + 1) * c];
                acc.iter_mut().zip(row).for_each(|(a, wk)| *a += ek * wk);
            }
        }
        for (p, a) in pooled.iter_mut().zip(acc) {
            *p = p.max(a.max(0.0) * w[t]);
        }
    }
    pooled
}

/// Target-attention pooling weights: softmax over real events of `h_j . (att t) / sqrt(d)`,
/// scaled by the total pooling weight (0 for an empty history).
fn attention(att: &[f32], target: &[f32], h: &[&[f32]], w: &[f32], dim: usize) -> Vec<f32> {
    let q: Vec<f32> = (0..dim).map(|r| (0..dim).map(|c| att[r * dim + c] * target[c]).sum()).collect();
    let len = w.len() as f32;
    let logits: Vec<f32> = h
        .iter()
        .zip(w)
        .map(|(hj, &wj)| {
            let dot: f32 = hj.iter().zip(&q).map(|(a, b)| a * b).sum();
            let mask = (wj * len).min(1.0);
            dot / (dim as f32).sqrt() + (mask - 1.0) * -MASK_OFFSET
        })
        .collect();
    let soft = dram_core::softmax(&logits);
    let any: f32 = w.iter().sum();
    soft.iter().map(|s| s * any).collect()
}

/// The MLP tower on input `x`: every layer's output before its activation, the output layer
/// (the logits) last.
pub fn mlp(spec: &NetSpec, params: &Params, mut x: Vec<f32>) -> Result<Vec<Vec<f32>>> {
    let table = |name: &str| params.get(name).ok_or_else(|| anyhow!("missing parameter {name}"));
    let layers = spec.layers();
    let mut outputs = Vec::with_capacity(layers.len());
    for (i, (fan_in, fan_out)) in layers.iter().copied().enumerate() {
        let w = &table(&format!("mlp.{i}.weight"))?.data;
        let b = &table(&format!("mlp.{i}.bias"))?.data;
        let y: Vec<f32> = (0..fan_out)
            .map(|o| b[o] + (0..fan_in).map(|k| w[o * fan_in + k] * x[k]).sum::<f32>())
            .collect();
        x = y.iter().map(|v| v.max(0.0)).collect();
        outputs.push(y);
    }
    Ok(outputs)
}
