//! The text distillation path end to end on a tiny random encoder: fine-tune (a few steps,
//! class-balanced), cache the teacher's logits, then build the augmented transfer set; the
//! copies' logits must be the teacher's own for their texts, their labels their source's.

use std::path::{Path, PathBuf};

use candle_core::Device;
use dram_tools::data::{self, Column, Table};
use dram_tools::data::augment::Perturbation;
use dram_tools::text::bert;
use dram_tools::text::finetune;
use dram_tools::text::options::FinetuneOptions;
use dram_tools::text::finetuned::Finetuned;
use dram_tools::text::transfer;
use dram_tools::data::wordpiece::WordPiece;

const WORDS: [&str; 12] = ["love", "it", "fits", "well", "runs", "small", "hate", "the", "zipper", "broke", "fine", "ok"];

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dram-text-transfer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A model directory with a 2-layer, 16-wide encoder's config and a WordPiece vocabulary.
fn model_dir(dir: &Path) {
    let mut vocab: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "."].map(String::from).to_vec();
    vocab.extend(WORDS.map(String::from));
    let vocab_json: serde_json::Map<String, serde_json::Value> = vocab.iter().enumerate().map(|(i, w)| (w.clone(), i.into())).collect();
    std::fs::write(dir.join("tokenizer.json"), serde_json::json!({"model": {"vocab": vocab_json}}).to_string()).unwrap();
    let config = serde_json::json!({
        "vocab_size": vocab.len(), "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 32, "max_position_embeddings": 32, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
}

/// Train, valid and test splits of short texts whose label follows their first word.
fn splits(dir: &Path) {
    for (name, rows) in [("train", 24), ("valid", 8), ("test", 8)] {
        let texts: Vec<String> = (0..rows).map(|i| (0..3 + i % 4).map(|k| WORDS[(i * 5 + k * 7) % WORDS.len()]).collect::<Vec<_>>().join(" ")).collect();
        let positive: Vec<i64> = texts.iter().map(|t| i64::from(!t.starts_with("hate") && !t.starts_with("the"))).collect();
        let mut table = Table::new();
        table.push("row", Column::Int((0..rows as i64).collect())).unwrap();
        table.push("text", Column::Str(texts.clone())).unwrap();
        table.push("recommended", Column::Int(positive.clone())).unwrap();
        table.push("sentiment", Column::Int((0..rows as i64).map(|i| i % 3).collect())).unwrap();
        data::write_csv(&table, &dir.join(format!("{name}.csv"))).unwrap();
    }
}

fn options(models: &Path, prepared: &Path) -> FinetuneOptions {
    FinetuneOptions {
        model_dir: models.to_path_buf(),
        data_dir: prepared.to_path_buf(),
        text_column: "text".into(),
        heads: vec![("recommended".into(), 2), ("sentiment".into(), 3)],
        max_len: 8,
        batch_size: 4,
        lr: 1e-3,
        weight_decay: 0.01,
        epochs: 1,
        sample: None,
        warmup: 0.1,
        checkpoint_every: 2,
        seed: 3,
        frozen_layers: 0,
        init: None,
        skip: 0,
        balance: 0.5,
    }
}

#[test]
fn a_negative_class_balance_is_refused_before_training() {
    let root = scratch("balance");
    model_dir(&root);
    let err = finetune::run(&FinetuneOptions { balance: -1.0, ..options(&root, &root) }, &root.join("out")).unwrap_err().to_string();
    assert!(err.contains("--balance must be a finite number >= 0") && err.contains("-1"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn transfer_set_is_the_cached_rows_then_teacher_scored_copies() {
    let root = scratch("e2e");
    let (models, prepared, out) = (root.join("model"), root.join("prepared"), root.join("teacher"));
    for d in [&models, &prepared] {
        std::fs::create_dir_all(d).unwrap();
    }
    model_dir(&models);
    splits(&prepared);
    let options = options(&models, &prepared);
    // No pretrained weights for a tiny encoder: start from a random one saved as `--init`.
    let config: bert::BertConfig = serde_json::from_str(&std::fs::read_to_string(models.join("config.json")).unwrap()).unwrap();
    let heads = options.heads.iter().map(|(name, classes)| dram_tools::text::teacher::Head { name: name.clone(), classes: *classes }).collect::<Vec<_>>();
    let random = dram_tools::text::teacher::Teacher::new(&config, &heads).unwrap();
    random.vars.save(root.join("init.safetensors")).unwrap();
    let options = FinetuneOptions { init: Some(root.join("init.safetensors")), ..options };
    finetune::run(&options, &out).unwrap();

    let cached = data::read(&out.join("train.csv")).unwrap();
    let how = Perturbation { span: 0.5, drop: 0.3 };
    let set = transfer::transfer_set(&out, 2, how, 7).unwrap();
    assert_eq!(set.names(), cached.names());
    assert!(set.rows() > cached.rows(), "copies were appended: {} rows", set.rows());
    assert_eq!(set.take(&(0..cached.rows()).collect::<Vec<_>>()), cached, "the cached rows come first, unchanged");

    // Each copy's logits are the fine-tuned teacher's for the copy's own text.
    let finetuned = Finetuned::load(&out).unwrap();
    let wp = WordPiece::load(&models.join("tokenizer.json")).unwrap();
    let texts = set.column("text").unwrap();
    let source_texts: Vec<String> = (0..cached.rows()).map(|i| cached.column("text").unwrap().text(i)).collect();
    for row in cached.rows()..set.rows() {
        let text = texts.text(row);
        let source = set.column("row").unwrap().number(row).unwrap() as usize;
        assert_ne!(text, source_texts[source], "copies equal to their source are left out");
        for label in ["recommended", "sentiment"] {
            assert_eq!(set.column(label).unwrap().number(row), cached.column(label).unwrap().number(source), "row {row}: {label} of its source");
        }
        let source_words: Vec<&str> = source_texts[source].split(' ').collect();
        assert!(text.split(' ').all(|w| source_words.contains(&w)), "{text} is made of {:?}'s words", source_texts[source]);
        let (ids, mask) = bert::pad(&[wp.encode(&text, options.max_len).as_slice()], &Device::Cpu).unwrap();
        let expected = finetuned.teacher.forward(&ids, &mask, false).unwrap();
        for (h, (name, classes)) in options.heads.iter().enumerate() {
            let want = expected[h].flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for k in 0..*classes {
                let got = set.column(&format!("teacher_{name}_{k}")).unwrap().number(row).unwrap() as f32;
                assert!((got - want[k]).abs() < 1e-4, "row {row} head {name} class {k}: {got} vs {}", want[k]);
            }
        }
    }
    // Reproducible for a seed.
    assert_eq!(transfer::transfer_set(&out, 2, how, 7).unwrap(), set);
    // A run whose final weights are gone has not finished, and says so.
    std::fs::rename(out.join("teacher.safetensors"), root.join("moved.safetensors")).unwrap();
    let err = Finetuned::load(&out).err().unwrap().to_string();
    assert!(err.contains("teacher.safetensors is missing") && err.contains("has not finished"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_unfinished_run_is_refused_with_what_to_do() {
    let root = scratch("unfinished");
    let err = transfer::transfer_set(&root, 1, Perturbation::default(), 1).err().unwrap().to_string();
    assert!(err.contains("finetune-text-teacher"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}
