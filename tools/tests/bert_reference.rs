//! The trainable BERT encoder against candle-transformers' `BertModel` (the reference
//! implementation, which cannot be trained): same weights, same token vectors. A tiny random
//! configuration always runs; the real all-MiniLM-L6-v2 check needs the weights that
//! `scripts/fetch-minilm.sh` puts under `data/minilm`, so a plain `cargo test` ignores it and
//! scripts/test.sh fetches them and runs it with `--ignored`.

#[path = "common/needs.rs"]
mod needs;

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as ReferenceConfig};
use dram_tools::text::bert::{self, BertConfig};
use dram_tools::text::teacher::{Head, Teacher};
use dram_tools::data::wordpiece::WordPiece;

const TINY: &str = r#"{"vocab_size": 60, "hidden_size": 24, "num_hidden_layers": 2, "num_attention_heads": 4,
  "intermediate_size": 48, "max_position_embeddings": 32, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
  "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu",
  "initializer_range": 0.02, "pad_token_id": 0, "classifier_dropout": null, "model_type": "bert"}"#;

fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

/// The reference model reading exactly the teacher's encoder variables.
fn reference(teacher: &Teacher, config_json: &str) -> BertModel {
    let tensors: HashMap<String, Tensor> = teacher
        .named_vars()
        .into_iter()
        .filter(|(name, _)| !name.starts_with("head."))
        .map(|(name, var)| (name, var.as_tensor().clone()))
        .collect();
    let config: ReferenceConfig = serde_json::from_str(config_json).unwrap();
    BertModel::load(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu), &config).unwrap()
}

#[test]
fn tiny_random_encoder_equals_candle_transformers() {
    let config: BertConfig = serde_json::from_str(TINY).unwrap();
    let teacher = Teacher::new(&config, &[Head { name: "a".into(), classes: 2 }]).unwrap();
    // Random init leaves LayerNorm at (1, 0) and biases at 0; perturb every tensor so the
    // comparison covers them too.
    for (_, var) in teacher.named_vars() {
        let t = var.as_tensor();
        var.set(&(t + t.randn_like(0.0, 0.1).unwrap()).unwrap()).unwrap();
    }
    let reference = reference(&teacher, TINY);
    let (ids, mask) = bert::pad(&[&[2, 17, 33, 41, 5, 3], &[2, 9, 3], &[2, 59, 58, 3]], &Device::Cpu).unwrap();
    let ours = teacher_tokens(&teacher, &ids, &mask);
    let theirs = reference.forward(&ids, &ids.zeros_like().unwrap(), Some(&mask)).unwrap();
    let diff = max_difference(&ours, &theirs);
    assert!(diff < 1e-5, "token vectors differ by {diff}");
}

/// Token vectors through the teacher's encoder (mean pooling is checked separately).
fn teacher_tokens(teacher: &Teacher, ids: &Tensor, mask: &Tensor) -> Tensor {
    let layers = teacher.depth();
    teacher.prefix(ids, mask, layers).unwrap()
}

#[test]
#[ignore = "needs the all-MiniLM-L6-v2 weights in data/minilm; scripts/test.sh fetches them and runs these"]
fn real_minilm_mean_pooled_embeddings_equal_candle_transformers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/minilm");
    needs::file(&dir.join("model.safetensors"), "scripts/fetch-minilm.sh");
    let config_json = std::fs::read_to_string(dir.join("config.json")).unwrap();
    let config: BertConfig = serde_json::from_str(&config_json).unwrap();
    let teacher = Teacher::new(&config, &[Head { name: "a".into(), classes: 2 }]).unwrap();
    teacher.load_encoder(&dir.join("model.safetensors")).unwrap();
    let reference = reference(&teacher, &config_json);
    let wp = WordPiece::load(&dir.join("tokenizer.json")).unwrap();
    let texts = [
        "Love this dress! Fits perfectly and the colour is gorgeous.",
        "Runs small; returned it.",
        "Très jolie, mais le tissu est fin 😕",
    ];
    let tokens: Vec<Vec<u32>> = texts.iter().map(|t| wp.encode(t, 64)).collect();
    let refs: Vec<&[u32]> = tokens.iter().map(Vec::as_slice).collect();
    let (ids, mask) = bert::pad(&refs, &Device::Cpu).unwrap();
    let ours = teacher.embed(&ids, &mask, false).unwrap();
    let theirs = bert::mean_pool(&reference.forward(&ids, &ids.zeros_like().unwrap(), Some(&mask)).unwrap(), &mask).unwrap();
    let diff = max_difference(&ours, &theirs);
    assert!(diff < 1e-4, "mean-pooled embeddings differ by {diff}");
    // Sentences about the same thing sit closer than unrelated ones (a sanity check on the
    // loaded weights, not only on the arithmetic).
    let unit = ours.broadcast_div(&ours.sqr().unwrap().sum_keepdim(1).unwrap().sqrt().unwrap()).unwrap();
    let cosine = unit.matmul(&unit.t().unwrap()).unwrap().to_vec2::<f32>().unwrap();
    assert!(cosine[0][1] > 0.0 && cosine[0][1] < 0.99, "{cosine:?}");
}
