//! A plain-Rust forward pass of a [`NetSpec`], written from the math rather than from the
//! graph: the independent truth that the test vectors' expected scores come from.

use anyhow::{anyhow, Result};
use dram_core::manifest::FeatureKind;
use dram_core::Tensor;

use crate::arch::{NetSpec, Params, Pooling, MASK_OFFSET};

/// The network's outputs for encoded inputs (in `Manifest::graph_inputs` order): one row of
/// `output_width` values per input row.
pub fn forward(spec: &NetSpec, params: &Params, inputs: &[Tensor]) -> Result<Vec<Vec<f32>>> {
    let rows = inputs.first().map(|t| t.shape()[0]).ok_or_else(|| anyhow!("no inputs"))?;
    let table = |name: &str| params.get(name).ok_or_else(|| anyhow!("missing parameter {name}"));
    let mut out = Vec::with_capacity(rows);
    for n in 0..rows {
        let mut x: Vec<f32> = Vec::new();
        let mut next = 0;
        let mut item_rows: std::collections::BTreeMap<&str, Vec<f32>> = Default::default();
        for feature in &spec.manifest.features {
            match &feature.kind {
                FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                    let t = spec.table(feature).expect("table");
                    let id = inputs[next].as_i64().expect("ids")[n] as usize;
                    let row = table(&t.param)?.data[id * t.dim..(id + 1) * t.dim].to_vec();
                    item_rows.insert(feature.name.as_str(), row.clone());
                    x.extend(row);
                    next += 1;
                }
                FeatureKind::Numeric { .. } => {
                    x.push(inputs[next].as_f32().expect("values")[n]);
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
                    let ids = &inputs[next].as_i64().expect("ids")[n * width..(n + 1) * width];
                    let w = &inputs[next + 1].as_f32().expect("weights")[n * width..(n + 1) * width];
                    let data = &table(&t.param)?.data;
                    let h: Vec<&[f32]> = ids.iter().map(|&id| &data[id as usize * t.dim..(id as usize + 1) * t.dim]).collect();
                    let a: Vec<f32> = match spec.pooling_of(feature) {
                        Pooling::Mean => w.to_vec(),
                        Pooling::Attention => {
                            let FeatureKind::Sequence { item_feature, .. } = &feature.kind else { unreachable!() };
                            let target = &item_rows[item_feature.as_str()];
                            let att = &table(&format!("att.{}", feature.name))?.data;
                            let q: Vec<f32> = (0..t.dim)
                                .map(|r| (0..t.dim).map(|c| att[r * t.dim + c] * target[c]).sum())
                                .collect();
                            let logits: Vec<f32> = h
                                .iter()
                                .zip(w)
                                .map(|(hj, &wj)| {
                                    let dot: f32 = hj.iter().zip(&q).map(|(a, b)| a * b).sum();
                                    let mask = (wj * width as f32).min(1.0);
                                    dot / (t.dim as f32).sqrt() + (mask - 1.0) * -MASK_OFFSET
                                })
                                .collect();
                            let soft = dram_core::softmax(&logits);
                            let any: f32 = w.iter().sum();
                            soft.iter().map(|s| s * any).collect()
                        }
                    };
                    for d in 0..t.dim {
                        x.push(h.iter().zip(&a).map(|(hj, aj)| hj[d] * aj).sum());
                    }
                    next += 2;
                }
            }
        }
        let layers = spec.layers();
        for (i, (fan_in, fan_out)) in layers.iter().copied().enumerate() {
            let w = &table(&format!("mlp.{i}.weight"))?.data;
            let b = &table(&format!("mlp.{i}.bias"))?.data;
            let mut y: Vec<f32> = (0..fan_out)
                .map(|o| b[o] + (0..fan_in).map(|k| w[o * fan_in + k] * x[k]).sum::<f32>())
                .collect();
            if i + 1 < layers.len() {
                y.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            x = y;
        }
        out.push(x);
    }
    Ok(out)
}
