//! The fine-tuned review teacher as an ONNX graph that `dram_core::Session` runs: word-piece ids
//! of one text at a fixed length in, each head's logits out. It exists so the teacher's file
//! size and per-review speed are measured in the same runtime as the students. The teacher is
//! not shipped, so the graph carries no manifest: its ids come from the host's tokenizer
//! ([`crate::data::wordpiece`]), which splits words with dram-core's own WordPiece
//! ([`dram_core::preprocess::wordpiece`]) over the teacher's full vocabulary.

use std::collections::HashMap;

use anyhow::{ensure, Context, Result};
use candle_core::Tensor;
use dram_core::onnx_proto::ModelProto;

use super::bert::BertConfig;
use super::teacher::{Head, Teacher};
use crate::export::builder::{attr_int, attr_ints, Elem, GraphBuilder};

/// Graph input: word-piece ids `[1, seq]` (int64, padding 0).
pub const IDS: &str = "input_ids";
/// Graph input: `[1, seq]` float mask, 1 for real pieces, 0 for padding.
pub const MASK: &str = "attention_mask";

/// Name of the output holding `head`'s logits `[1, classes]`.
pub fn output_name(head: &Head) -> String {
    format!("logits.{}", head.name)
}

/// The teacher's eval-mode forward pass (no dropout) for one text padded to `seq` pieces.
pub fn teacher_graph(teacher: &Teacher, config: &BertConfig, heads: &[Head], seq: usize) -> Result<ModelProto> {
    ensure!(
        (1..=config.max_position_embeddings).contains(&seq),
        "the teacher graph's length must be 1 to {} word pieces, found {seq}",
        config.max_position_embeddings
    );
    let vars: HashMap<String, Tensor> = teacher.named_vars().into_iter().map(|(n, v)| (n, v.as_tensor().clone())).collect();
    let mut w = Weights { vars: &vars, g: GraphBuilder::new("text-teacher") };
    w.g.input(IDS, Elem::I64, &[Some(1), Some(seq)]);
    w.g.input(MASK, Elem::F32, &[Some(1), Some(seq)]);
    let (h, heads_n) = (config.hidden_size, config.num_attention_heads);
    let width = h / heads_n;
    let eps = config.layer_norm_eps as f32;

    let words = w.constant("embeddings.word_embeddings.weight", |t| Ok(t.clone()))?;
    let x = w.g.node("Gather", &[&words, IDS], vec![attr_int("axis", 0)]);
    // Positions 0..seq and segment type 0 are the same for every text: one constant.
    let types = w.tensor("embeddings.token_type_embeddings.weight")?.narrow(0, 0, 1)?;
    let fixed = w.tensor("embeddings.position_embeddings.weight")?.narrow(0, 0, seq)?.broadcast_add(&types)?;
    let fixed = w.g.initializer_f32("embeddings.fixed", &[seq, h], &fixed.flatten_all()?.to_vec1::<f32>()?);
    let x = w.g.node("Add", &[&x, &fixed], vec![]);
    let mut x = w.layer_norm(&x, "embeddings.LayerNorm", eps)?;

    // Additive attention mask [1, 1, 1, seq]: 0 on real pieces, -1e4 on padding.
    let scale = w.g.initializer_f32("mask.scale", &[], &[1e4]);
    let shift = w.g.initializer_f32("mask.shift", &[], &[-1e4]);
    let m = w.g.node("Mul", &[MASK, &scale], vec![]);
    let m = w.g.node("Add", &[&m, &shift], vec![]);
    let shape = w.g.initializer_i64("mask.shape", &[4], &[1, 1, 1, seq as i64]);
    let bias = w.g.node("Reshape", &[&m, &shape], vec![]);
    let split = w.g.initializer_i64("split.shape", &[4], &[1, seq as i64, heads_n as i64, width as i64]);
    let merge = w.g.initializer_i64("merge.shape", &[3], &[1, seq as i64, h as i64]);
    let inv_sqrt = w.g.initializer_f32("attention.scale", &[], &[1.0 / (width as f32).sqrt()]);
    for i in 0..config.num_hidden_layers {
        let p = format!("encoder.layer.{i}");
        let heads_of = |w: &mut Weights, name: &str, perm: &[i64]| -> Result<String> {
            let t = w.dense(&x, &format!("{p}.attention.self.{name}"))?;
            let t = w.g.node("Reshape", &[&t, &split], vec![]);
            Ok(w.g.node("Transpose", &[&t], vec![attr_ints("perm", perm)]))
        };
        let q = heads_of(&mut w, "query", &[0, 2, 1, 3])?;
        let k = heads_of(&mut w, "key", &[0, 2, 3, 1])?;
        let v = heads_of(&mut w, "value", &[0, 2, 1, 3])?;
        let scores = w.g.node("MatMul", &[&q, &k], vec![]);
        let scores = w.g.node("Mul", &[&scores, &inv_sqrt], vec![]);
        let scores = w.g.node("Add", &[&scores, &bias], vec![]);
        let probs = w.g.node("Softmax", &[&scores], vec![attr_int("axis", 3)]);
        let context = w.g.node("MatMul", &[&probs, &v], vec![]);
        let context = w.g.node("Transpose", &[&context], vec![attr_ints("perm", &[0, 2, 1, 3])]);
        let context = w.g.node("Reshape", &[&context, &merge], vec![]);
        let attended = w.dense(&context, &format!("{p}.attention.output.dense"))?;
        let sum = w.g.node("Add", &[&attended, &x], vec![]);
        let x1 = w.layer_norm(&sum, &format!("{p}.attention.output.LayerNorm"), eps)?;
        let inner = w.dense(&x1, &format!("{p}.intermediate.dense"))?;
        let inner = w.gelu(&inner);
        let out = w.dense(&inner, &format!("{p}.output.dense"))?;
        let sum = w.g.node("Add", &[&out, &x1], vec![]);
        x = w.layer_norm(&sum, &format!("{p}.output.LayerNorm"), eps)?;
    }

    // Mean over real pieces, as `bert::mean_pool`.
    let axis1 = w.g.initializer_i64("axes.1", &[1], &[1]);
    let axis2 = w.g.initializer_i64("axes.2", &[1], &[2]);
    let m3 = w.g.node("Unsqueeze", &[MASK, &axis2], vec![]);
    let masked = w.g.node("Mul", &[&x, &m3], vec![]);
    let summed = w.g.node("ReduceSum", &[&masked, &axis1], vec![attr_int("keepdims", 0)]);
    let count = w.g.node("ReduceSum", &[&m3, &axis1], vec![attr_int("keepdims", 0)]);
    let floor = w.g.initializer_f32("pool.floor", &[], &[1e-9]);
    let count = w.g.node("Max", &[&count, &floor], vec![]);
    let pooled = w.g.node("Div", &[&summed, &count], vec![]);
    for head in heads {
        let p = format!("head.{}", head.name);
        let weight = w.constant(&format!("{p}.weight"), |t| Ok(t.clone()))?;
        let b = w.constant(&format!("{p}.bias"), |t| Ok(t.clone()))?;
        let logits = w.g.node("Gemm", &[&pooled, &weight, &b], vec![attr_int("transB", 1)]);
        w.g.output(&logits, &output_name(head), Elem::F32, &[Some(1), Some(head.classes)]);
    }
    Ok(w.g.finish(env!("CARGO_PKG_VERSION")))
}

/// The graph being built and the teacher's variables it reads.
struct Weights<'a> {
    vars: &'a HashMap<String, Tensor>,
    g: GraphBuilder,
}

impl Weights<'_> {
    fn tensor(&self, name: &str) -> Result<&Tensor> {
        self.vars.get(name).with_context(|| format!("the teacher has no variable `{name}`: expected a BERT encoder with heads"))
    }

    /// Variable `name`, transformed, as a float initializer of the same name.
    fn constant(&mut self, name: &str, f: impl Fn(&Tensor) -> candle_core::Result<Tensor>) -> Result<String> {
        let t = f(self.tensor(name)?)?.contiguous()?;
        let dims = t.dims().to_vec();
        Ok(self.g.initializer_f32(name, &dims, &t.flatten_all()?.to_vec1::<f32>()?))
    }

    /// `x W^T + b` for the `Linear` at `prefix` over `[1, seq, in]`.
    fn dense(&mut self, x: &str, prefix: &str) -> Result<String> {
        let weight = self.constant(&format!("{prefix}.weight"), |t| t.t())?;
        let bias = self.constant(&format!("{prefix}.bias"), |t| Ok(t.clone()))?;
        let y = self.g.node("MatMul", &[x, &weight], vec![]);
        Ok(self.g.node("Add", &[&y, &bias], vec![]))
    }

    /// `bert::LayerNorm` from primitive ops over the last axis.
    fn layer_norm(&mut self, x: &str, prefix: &str, eps: f32) -> Result<String> {
        let weight = self.constant(&format!("{prefix}.weight"), |t| Ok(t.clone()))?;
        let bias = self.constant(&format!("{prefix}.bias"), |t| Ok(t.clone()))?;
        let last = vec![attr_ints("axes", &[-1]), attr_int("keepdims", 1)];
        let mean = self.g.node("ReduceMean", &[x], last.clone());
        let centred = self.g.node("Sub", &[x, &mean], vec![]);
        let squared = self.g.node("Mul", &[&centred, &centred], vec![]);
        let var = self.g.node("ReduceMean", &[&squared], last);
        let eps = self.g.initializer_f32(&format!("{prefix}.eps"), &[], &[eps]);
        let var = self.g.node("Add", &[&var, &eps], vec![]);
        let std = self.g.node("Sqrt", &[&var], vec![]);
        let normed = self.g.node("Div", &[&centred, &std], vec![]);
        let scaled = self.g.node("Mul", &[&normed, &weight], vec![]);
        Ok(self.g.node("Add", &[&scaled, &bias], vec![]))
    }

    /// GELU, erf form: `x * (1 + erf(x / sqrt 2)) / 2`.
    fn gelu(&mut self, x: &str) -> String {
        let inv_sqrt2 = self.g.initializer_f32("gelu.inv_sqrt2", &[], &[std::f32::consts::FRAC_1_SQRT_2]);
        let one = self.g.initializer_f32("gelu.one", &[], &[1.0]);
        let half = self.g.initializer_f32("gelu.half", &[], &[0.5]);
        let scaled = self.g.node("Mul", &[x, &inv_sqrt2], vec![]);
        let erf = self.g.node("Erf", &[&scaled], vec![]);
        let shifted = self.g.node("Add", &[&erf, &one], vec![]);
        let product = self.g.node("Mul", &[x, &shifted], vec![]);
        self.g.node("Mul", &[&product, &half], vec![])
    }
}

/// Runs the exported graph for one text's `ids` (at most the graph's length) through `session`,
/// returning each head's logits in head order.
pub fn run(session: &dram_core::Session, ids: &[u32], seq: usize) -> Result<Vec<Vec<f32>>> {
    ensure!(ids.len() <= seq, "the teacher graph takes at most {seq} word pieces, found {}", ids.len());
    let padded: Vec<i64> = (0..seq).map(|k| ids.get(k).map_or(0, |&i| i64::from(i))).collect();
    let mask: Vec<f32> = (0..seq).map(|k| if k < ids.len() { 1.0 } else { 0.0 }).collect();
    let outputs = session.run(vec![
        (IDS.into(), dram_core::Tensor::i64(vec![1, seq], padded)?),
        (MASK.into(), dram_core::Tensor::f32(vec![1, seq], mask)?),
    ])?;
    outputs
        .into_iter()
        .map(|(name, t)| t.as_f32().map(<[f32]>::to_vec).with_context(|| format!("teacher output `{name}` is not float")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::bert;
    use candle_core::Device;

    #[test]
    fn the_graph_in_dram_core_gives_the_candle_teachers_logits() {
        let config = crate::text::teacher::tests::tiny_config();
        let heads = [Head { name: "a".into(), classes: 2 }, Head { name: "b".into(), classes: 3 }];
        let teacher = Teacher::new(&config, &heads).unwrap();
        let seq = 8;
        let proto = teacher_graph(&teacher, &config, &heads, seq).unwrap();
        let session = dram_core::Session::from_bytes(&dram_core::model_file::encode(&proto)).unwrap();
        for ids in [&[1u32, 5, 7, 9, 2][..], &[1, 8, 2], &[1, 3, 4, 5, 6, 7, 8, 2]] {
            let (t_ids, mask) = bert::pad(&[ids], &Device::Cpu).unwrap();
            let expected = teacher.forward(&t_ids, &mask, false).unwrap();
            let found = run(&session, ids, seq).unwrap();
            assert_eq!(found.len(), 2);
            for (e, f) in expected.iter().zip(&found) {
                let e = e.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                assert_eq!(e.len(), f.len());
                for (a, b) in e.iter().zip(f) {
                    assert!((a - b).abs() < 1e-4, "{e:?} vs {f:?}");
                }
            }
        }
        assert!(run(&session, &[1; 9], seq).is_err());
        assert!(teacher_graph(&teacher, &config, &heads, 25).is_err());
    }
}
