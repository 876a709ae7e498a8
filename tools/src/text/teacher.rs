//! The review teacher: one BERT encoder shared by several classification heads (one per task),
//! each reading the mean-pooled token vectors. One fine-tuning run then serves every task.

use std::path::Path;

use candle_core::{DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Linear, VarBuilder, VarMap};

use super::bert::{self, Bert, BertConfig};

/// A task head: its name (the label column) and class count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Label column, also the head's variable prefix.
    pub name: String,
    /// Classes.
    pub classes: usize,
}

/// Encoder plus heads, with their variables.
pub struct Teacher {
    /// Every variable, by Hugging Face name (encoder) or `head.<name>.*`.
    pub vars: VarMap,
    encoder: Bert,
    heads: Vec<Linear>,
    dropout: f64,
}

impl Teacher {
    /// A randomly initialised teacher (encoder and heads).
    pub fn new(config: &BertConfig, heads: &[Head]) -> Result<Teacher> {
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        let encoder = Bert::new(config, vb.clone())?;
        let heads = heads
            .iter()
            .map(|h| candle_nn::linear(config.hidden_size, h.classes, vb.pp(format!("head.{}", h.name))))
            .collect::<Result<_>>()?;
        Ok(Teacher { vars, encoder, heads, dropout: config.hidden_dropout_prob })
    }

    /// Copies the encoder weights of a Hugging Face `model.safetensors` (names with or without
    /// a `bert.` prefix); heads keep their initialisation. Every encoder variable must be found.
    pub fn load_encoder(&self, path: &Path) -> Result<()> {
        let file = candle_core::safetensors::load(path, &Device::Cpu)?;
        let data = self.vars.data().lock().expect("no other thread holds the variables");
        for (name, var) in data.iter() {
            if name.starts_with("head.") {
                continue;
            }
            let tensor = file.get(name).or_else(|| file.get(&format!("bert.{name}"))).ok_or_else(|| {
                candle_core::Error::Msg(format!("{} has no tensor `{name}`: expected a BERT model.safetensors", path.display()))
            })?;
            var.set(&tensor.to_dtype(DType::F32)?)?;
        }
        Ok(())
    }

    /// Transformer layers of the encoder.
    pub fn depth(&self) -> usize {
        self.encoder.depth()
    }

    /// Named variables, sorted by name (the optimiser's order).
    pub fn named_vars(&self) -> Vec<(String, Var)> {
        let data = self.vars.data().lock().expect("no other thread holds the variables");
        let mut all: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Mean-pooled sentence vectors `[batch, hidden]`.
    pub fn embed(&self, ids: &Tensor, mask: &Tensor, train: bool) -> Result<Tensor> {
        bert::mean_pool(&self.encoder.forward(ids, mask, train)?, mask)
    }

    /// Logits of every head, `[batch, classes]` each.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, train: bool) -> Result<Vec<Tensor>> {
        self.heads(&self.embed(ids, mask, train)?, train)
    }

    /// Token vectors after the embeddings and the first `layers` transformer layers (no
    /// dropout): what a fine-tuning run that freezes them computes once per text.
    pub fn prefix(&self, ids: &Tensor, mask: &Tensor, layers: usize) -> Result<Tensor> {
        self.encoder.layers(&self.encoder.embed(ids, false)?, mask, 0..layers, false)
    }

    /// Logits of every head from [`Teacher::prefix`] states, running the remaining layers.
    pub fn forward_from(&self, states: &Tensor, mask: &Tensor, layers: usize, train: bool) -> Result<Vec<Tensor>> {
        let tokens = self.encoder.layers(states, mask, layers..self.encoder.depth(), train)?;
        self.heads(&bert::mean_pool(&tokens, mask)?, train)
    }

    fn heads(&self, pooled: &Tensor, train: bool) -> Result<Vec<Tensor>> {
        let pooled = if train { candle_nn::ops::dropout(pooled, self.dropout as f32)? } else { pooled.clone() };
        self.heads.iter().map(|h| h.forward(&pooled)).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn tiny_config() -> BertConfig {
        BertConfig {
            vocab_size: 50,
            hidden_size: 16,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            intermediate_size: 32,
            max_position_embeddings: 24,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            hidden_act: "gelu".into(),
        }
    }

    #[test]
    fn every_encoder_and_head_weight_gets_a_gradient() {
        let heads = [Head { name: "a".into(), classes: 2 }, Head { name: "b".into(), classes: 3 }];
        let teacher = Teacher::new(&tiny_config(), &heads).unwrap();
        let (ids, mask) = bert::pad(&[&[1, 5, 7, 9, 2], &[1, 8, 2]], &Device::Cpu).unwrap();
        let logits = teacher.forward(&ids, &mask, true).unwrap();
        let labels_a = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
        let labels_b = Tensor::new(&[2u32, 0], &Device::Cpu).unwrap();
        let loss = (crate::train::loss::cross_entropy(&logits[0], &labels_a).unwrap()
            + crate::train::loss::cross_entropy(&logits[1], &labels_b).unwrap())
        .unwrap();
        let grads = loss.backward().unwrap();
        let vars = teacher.named_vars();
        // 5 embedding tensors + 16 per layer + 2 per head.
        assert_eq!(vars.len(), 5 + 2 * 16 + 4);
        for (name, var) in vars {
            let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("no gradient reaches {name}"));
            let size = g.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
            // Token-type row 1 and unused word rows are never looked up; the table as a whole is.
            assert!(size > 0.0, "zero gradient for {name}");
        }
    }

    #[test]
    fn a_frozen_prefix_then_the_rest_equals_the_whole_forward() {
        let teacher = Teacher::new(&tiny_config(), &[Head { name: "a".into(), classes: 3 }]).unwrap();
        let (ids, mask) = bert::pad(&[&[1, 5, 7, 9, 2], &[1, 8, 2]], &Device::Cpu).unwrap();
        let whole = teacher.forward(&ids, &mask, false).unwrap()[0].to_vec2::<f32>().unwrap();
        let states = teacher.prefix(&ids, &mask, 1).unwrap();
        let split = teacher.forward_from(&states, &mask, 1, false).unwrap()[0].to_vec2::<f32>().unwrap();
        for (a, b) in whole.iter().flatten().zip(split.iter().flatten()) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn dropout_is_real_in_training_and_off_in_evaluation() {
        let teacher = Teacher::new(&tiny_config(), &[Head { name: "a".into(), classes: 2 }]).unwrap();
        let (ids, mask) = bert::pad(&[&[1, 5, 7, 2]], &Device::Cpu).unwrap();
        let eval = |t: bool| teacher.embed(&ids, &mask, t).unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(eval(false), eval(false));
        assert_ne!(eval(true), eval(false));
    }
}
