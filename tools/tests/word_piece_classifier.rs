//! A word-piece convolution classifier end to end: a vocabulary pruned from a `tokenizer.json`,
//! training and distillation in candle (every parameter reached by a gradient), export in fp32
//! and in each int8 profile, and scoring through `dram-core` equal to candle's and to the
//! plain-Rust reference. The data needs word order: "not great" is negative while "great" is
//! positive and "not" also appears in every class, so a bag of words cannot separate them.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{Device, Tensor};
use dram_core::manifest::FeatureKind;
use dram_tools::export::{compress, Request};
use dram_tools::model::config::Config;
use dram_tools::data::{Column, Table};
use dram_tools::model::dataset::Dataset;
use dram_tools::export::Target;
use dram_tools::rng::Rng;
use dram_tools::model::net::Net;
use dram_tools::train::{self, DistillSettings, Objective};

const WORDS: &[&str] = &[
    "the", "dress", "fit", "size", "was", "really", "and", "it", "is", "not", "small", "great", "love", "perfect",
    "awful", "broke", "okay", "fine", "average", "colour", "!", ",", ".",
];

/// A `tokenizer.json` with BERT's specials, the words above, `##s` and every letter.
fn tokenizer_json(dir: &Path) -> PathBuf {
    let mut pieces: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "##s"].map(String::from).to_vec();
    pieces.extend(WORDS.iter().map(|w| w.to_string()));
    for c in 'a'..='z' {
        pieces.extend([c.to_string(), format!("##{c}")]);
    }
    pieces.dedup();
    let vocab: serde_json::Map<String, serde_json::Value> =
        pieces.iter().enumerate().map(|(i, p)| (p.clone(), i.into())).collect();
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("tokenizer.json");
    std::fs::write(&path, serde_json::json!({ "model": { "type": "WordPiece", "vocab": vocab } }).to_string()).unwrap();
    path
}

fn config(vocab: &Path) -> Config {
    Config::parse(&format!(
        r#"
task = "classifier"
label = "label"

[[feature]]
name = "text"
kind = "word_pieces"
embedding_dim = 8
word_pieces = {{ vocab = "{}", min_count = 2, max_tokens = 24, window = 3, channels = 16 }}

[model]
hidden = [8]
labels = ["negative", "neutral", "positive"]

[train]
epochs = 12
batch_size = 32
lr = 0.02
patience = 12

[distill]
alpha = 0.5
temperature = 2.0
soft = "multiclass"
"#,
        vocab.display()
    ))
    .unwrap()
}

/// Reviews whose class is in a phrase: negative "not great" / "awful", neutral "okay",
/// positive "great"; "it was not small" appears in any class.
fn reviews(n: usize, seed: u64) -> Table {
    let positive = ["great", "perfect", "love"];
    let filler = ["the", "dress", "fit", "size", "was", "really", "and", "colour", "fits"];
    let mut rng = Rng::new(seed);
    let (mut texts, mut labels) = (vec![], vec![]);
    for _ in 0..n {
        let label = rng.below(3);
        let phrase = match label {
            0 if rng.uniform() < 0.7 => format!("not {}", positive[rng.below(3)]),
            0 => ["awful", "broke"][rng.below(2)].to_string(),
            1 => ["okay", "fine", "average"][rng.below(3)].to_string(),
            _ => positive[rng.below(3)].to_string(),
        };
        let mut words: Vec<String> = (0..5).map(|_| filler[rng.below(filler.len())].to_string()).collect();
        words.insert(rng.below(words.len() + 1), phrase);
        if rng.uniform() < 0.5 {
            words.insert(rng.below(words.len() + 1), "it was not small".into());
        }
        let mut text = words.join(" ");
        if rng.uniform() < 0.3 {
            text = text.to_uppercase() + "!";
        }
        texts.push(text);
        labels.push(label as i64);
    }
    let mut t = Table::new();
    t.push("text", Column::Str(texts)).unwrap();
    t.push("label", Column::Int(labels)).unwrap();
    t
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The data and settings of both tests, encoded; `dir` holds the tokenizer.json.
struct Setup {
    dir: PathBuf,
    config: Config,
    manifest: dram_core::manifest::Manifest,
    train_set: Dataset,
    valid: Dataset,
    test: Dataset,
}

fn setup(test_name: &str) -> Setup {
    std::env::set_var("DRAM_QUIET", "1");
    let dir = std::env::temp_dir().join(format!("dram-{test_name}-{}", std::process::id()));
    let config = config(&tokenizer_json(&dir));
    let (train_t, valid_t, test_t) = (reviews(1500, 1), reviews(300, 2), reviews(300, 3));
    let manifest = config.manifest(&train_t).unwrap();
    let train_set = Dataset::encode(&config, &manifest, &train_t).unwrap();
    let valid = Dataset::encode(&config, &manifest, &valid_t).unwrap();
    let test = Dataset::encode(&config, &manifest, &test_t).unwrap();
    Setup { dir, config, manifest, train_set, valid, test }
}

/// A teacher trained on the labels, then a student distilled from it.
fn distilled_student(s: &mut Setup) -> Net {
    let mut teacher = Net::new(s.config.net_spec(s.manifest.clone()), 1).unwrap();
    train::fit(&mut teacher, &s.train_set, &s.valid, &s.config.train, Objective::Labels, "teacher", None).unwrap();
    s.train_set.teacher = Some(teacher.predict(&s.train_set).unwrap());
    let mut student = Net::new(s.config.net_spec(s.manifest.clone()), 2).unwrap();
    let objective = Objective::Distill(DistillSettings::from(&s.config.distill));
    train::fit(&mut student, &s.train_set, &s.valid, &s.config.train, objective, "student", None).unwrap();
    student
}

#[test]
fn trains_distils_exports_and_classifies_word_pieces() {
    let mut s = setup("word-piece-classifier");
    let manifest = s.manifest.clone();
    let FeatureKind::WordPieces { tokenizer } = &manifest.features[0].kind else { panic!("{manifest:?}") };
    // The texts use no "##" piece but `##s` ("fits"), and every letter they contain stays.
    assert!(tokenizer.vocab.contains(&"not".to_string()) && tokenizer.vocab.contains(&"##s".to_string()));
    assert!(!tokenizer.vocab.iter().any(|p| p == "is" || p == "[UNK]"), "{:?}", tokenizer.vocab);
    assert_eq!(manifest.schema_version, 2);

    // Every parameter, the convolution's included, is reached by a gradient.
    let net = Net::new(s.config.net_spec(manifest.clone()), 7).unwrap();
    let rows: Vec<usize> = (0..64).collect();
    let batch = net.batch(&s.train_set, &rows).unwrap();
    let labels = Tensor::from_vec(rows.iter().map(|&r| s.train_set.labels[r] as u32).collect::<Vec<_>>(), 64, &Device::Cpu).unwrap();
    let grads = dram_tools::train::loss::cross_entropy(&net.forward(&batch).unwrap(), &labels).unwrap().backward().unwrap();
    for (name, var) in &net.dense {
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} has no gradient"));
        assert!(g.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0, "{name} has a zero gradient");
    }
    assert!(net.dense.iter().any(|(n, _)| n == "conv.text.weight"));
    let table = grads.get(batch.locals[0].var.as_tensor()).expect("the table has a gradient");
    assert!(table.abs().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap() > 0.0);

    let student = distilled_student(&mut s);
    let (valid, test) = (&s.valid, &s.test);

    // fp32: dram-core's logits equal candle's and the reference forward pass.
    let params = student.params().unwrap();
    let bytes = dram_tools::export::fp32_model(&student.spec, &params, &manifest).unwrap();
    let model = Arc::new(dram_core::Model::from_bytes(&bytes).unwrap());
    let runtime = dram_tools::eval::score(&model, test).unwrap();
    assert!(max_abs_diff(&runtime, &student.predict(test).unwrap()) < 1e-4);
    let rows: Vec<usize> = (0..test.rows).collect();
    let reference: Vec<f32> =
        dram_tools::model::reference::forward(&student.spec, &params, &test.tensors(&rows)).unwrap().concat();
    assert!(max_abs_diff(&runtime, &reference) < 1e-4);
    let quality = dram_tools::eval::evaluate(&model, test).unwrap();
    assert!(quality.macro_f1.unwrap() > 0.9, "{quality:?}");

    let classifier = dram_core::Classifier::new(model.clone()).unwrap();
    for (text, label) in [("Really great dress", "positive"), ("The dress was not great.", "negative"), ("Okay fit", "neutral")] {
        assert_eq!(classifier.classify_text(text).unwrap()[0].0, label, "{text}");
    }
    let batch = classifier.classify_texts(&["", "not great", "great"]).unwrap();
    assert_eq!(batch.len(), 3);
    assert_eq!((batch[1][0].0.as_str(), batch[2][0].0.as_str()), ("negative", "positive"));

    // int8 for CPUs (its agreement with the simulation is checked inside `compress`): smaller,
    // classifies about as well.
    let cpu = compress(&student.spec, &params, &manifest, valid, &Request::default()).unwrap().bytes;
    assert!(cpu.len() < bytes.len(), "int8 {} bytes vs fp32 {}", cpu.len(), bytes.len());
    let int8_quality = dram_tools::eval::evaluate(&dram_core::Model::from_bytes(&cpu).unwrap(), test).unwrap();
    assert!(int8_quality.macro_f1.unwrap() > quality.macro_f1.unwrap() - 0.02, "{int8_quality:?} vs {quality:?}");
    // The Core ML profile builds. ONNX Runtime's agreement on the fp32, cpu and npu files is
    // the test below.
    compress(&student.spec, &params, &manifest, valid, &Request { target: Target::Coreml, batch: 64, ..Request::default() }).unwrap();
    std::fs::remove_dir_all(&s.dir).unwrap();
}

/// All three files are standard ONNX that ONNX Runtime scores as dram-core does (the NPU file
/// in QDQ form with a static batch).
#[test]
#[ignore = "needs python3 with onnx, onnxruntime and numpy; scripts/test.sh installs them and runs these"]
fn word_piece_exports_score_the_same_in_onnxruntime() {
    common::needs::python_modules(&["onnx", "onnxruntime", "numpy"]);
    let mut s = setup("word-piece-onnxruntime");
    let student = distilled_student(&mut s);
    let params = student.params().unwrap();
    let fp32 = dram_tools::export::fp32_model(&student.spec, &params, &s.manifest).unwrap();
    let cpu = compress(&student.spec, &params, &s.manifest, &s.valid, &Request::default()).unwrap().bytes;
    let npu_request = Request { target: Target::Npu, batch: 64, ..Request::default() };
    let npu = compress(&student.spec, &params, &s.manifest, &s.valid, &npu_request).unwrap();
    let rows: Vec<usize> = (0..s.test.rows).collect();
    let exports = common::Exports { fp32: &fp32, cpu: &cpu, npu: &npu.bytes, npu_batch: 64 };
    common::onnxruntime_agrees("word_piece_exports_score_the_same_in_onnxruntime", &s.manifest, &s.test.tensors(&rows), &exports);
    std::fs::remove_dir_all(&s.dir).unwrap();
}
