//! A text classifier end to end: config with a text feature and three labels, multi-class
//! training and distillation (KL on tempered softmax), export, and scoring through
//! `dram-core`'s `Classifier`.

use std::sync::Arc;

use dram_tools::model::config::Config;
use dram_tools::data::{Column, Table};
use dram_tools::export::{compress, Request};
use dram_tools::model::dataset::{Binding, Dataset, RowReader};
use dram_tools::rng::Rng;
use dram_tools::model::net::Net;
use dram_tools::train::{self, DistillSettings, Objective};

const CONFIG: &str = r#"
task = "classifier"
label = "label"

[[feature]]
name = "text"
kind = "text"
buckets = 4096
embedding_dim = 8
tokenizer = { word_ngrams = [1, 2], char_ngrams = [3], max_tokens = 48 }

[model]
hidden = [8]
labels = ["negative", "neutral", "positive"]

[train]
epochs = 6
batch_size = 64
lr = 0.01
patience = 6

[distill]
alpha = 0.5
temperature = 2.0
soft = "multiclass"
"#;

fn reviews(n: usize, seed: u64) -> Table {
    let words = [
        ["awful", "broke", "refund", "terrible", "disappointed"],
        ["okay", "average", "fine", "expected", "decent"],
        ["love", "perfect", "gorgeous", "great", "comfortable"],
    ];
    let filler = ["the", "dress", "fit", "size", "colour", "fabric", "was", "really", "and", "très"];
    let mut rng = Rng::new(seed);
    let (mut texts, mut labels) = (vec![], vec![]);
    for _ in 0..n {
        let label = rng.below(3);
        let mut text: Vec<&str> = (0..6).map(|_| filler[rng.below(filler.len())]).collect();
        for _ in 0..2 {
            // Some noise: a word of another class now and then.
            let class = if rng.uniform() < 0.8 { label } else { rng.below(3) };
            text.insert(rng.below(text.len()), words[class][rng.below(5)]);
        }
        texts.push(text.join(" "));
        labels.push(label as i64);
    }
    let mut t = Table::new();
    t.push("text", Column::Str(texts)).unwrap();
    t.push("label", Column::Int(labels)).unwrap();
    t
}

#[test]
fn trains_distils_exports_and_classifies() {
    std::env::set_var("DRAM_QUIET", "1");
    let config = Config::parse(CONFIG).unwrap();
    let (train_t, valid_t, test_t) = (reviews(1500, 1), reviews(300, 2), reviews(300, 3));
    let manifest = config.manifest(&train_t).unwrap();
    let mut train_set = Dataset::encode(&config, &manifest, &train_t).unwrap();
    let valid = Dataset::encode(&config, &manifest, &valid_t).unwrap();
    let test = Dataset::encode(&config, &manifest, &test_t).unwrap();

    let mut teacher = Net::new(config.net_spec(manifest.clone()), 1).unwrap();
    train::fit(&mut teacher, &train_set, &valid, &config.train, Objective::Labels, "teacher", None).unwrap();
    train_set.teacher = Some(teacher.predict(&train_set).unwrap());
    let mut student = Net::new(config.net_spec(manifest.clone()), 2).unwrap();
    let logs = train::fit(&mut student, &train_set, &valid, &config.train, Objective::Distill(DistillSettings::from(&config.distill)), "student", None).unwrap();
    assert!(logs.iter().all(|l| l.train_loss.is_finite()));

    let bytes = dram_tools::export::fp32_model(&student.spec, &student.params().unwrap(), &manifest).unwrap();
    let model = Arc::new(dram_core::Model::from_bytes(&bytes).unwrap());
    let quality = dram_tools::eval::evaluate(&model, &test).unwrap();
    assert!(quality.macro_f1.unwrap() > 0.8, "{quality:?}");
    assert!(quality.auc.unwrap() > 0.9, "{quality:?}");

    let classifier = dram_core::Classifier::new(model.clone()).unwrap();
    let top = &classifier.classify_text("Love it, gorgeous and comfortable!").unwrap()[0];
    assert_eq!(top.0, "positive", "{top:?}");
    let top = &classifier.classify_text("Terrible, it broke. Refund please").unwrap()[0];
    assert_eq!(top.0, "negative", "{top:?}");

    // The text student in int8, calibrated on validation: smaller, about as good.
    let params = student.params().unwrap();
    let int8 = compress(&student.spec, &params, &manifest, &valid, &Request::default()).unwrap().bytes;
    assert!(int8.len() * 2 < bytes.len(), "int8 {} bytes vs fp32 {}", int8.len(), bytes.len());
    let int8_model = Arc::new(dram_core::Model::from_bytes(&int8).unwrap());
    let int8_quality = dram_tools::eval::evaluate(&int8_model, &test).unwrap();
    assert!(int8_quality.macro_f1.unwrap() > quality.macro_f1.unwrap() - 0.02, "{int8_quality:?} vs {quality:?}");

    // Per-text latency of both files through `Classifier::predict`, interleaved.
    let reader = RowReader::new(model.manifest(), &Binding::of(&config), &test_t).unwrap();
    let latencies = dram_tools::eval::classify_latencies(&[model.clone(), int8_model], &reader, &[0], 10).unwrap();
    assert_eq!(latencies.len(), 2);
    assert!(latencies.iter().all(|q| q.p50 > 0.0 && q.p99 >= q.p50), "{latencies:?}");
}
