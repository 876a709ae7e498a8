//! `dram demo`: the whole path on a synthetic shop, offline, in a few minutes. A large teacher
//! is trained, a small student is trained alone and distilled from it, the distilled student is
//! pruned and quantized to int8, every model is exported and scored through `dram-core`, and a
//! side-by-side table (and, with `--out`, a JSON and HTML report) shows what distillation and
//! compression bought: accuracy against size and speed.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use dram_core::Model;
use serde::Serialize;

use crate::config::Config;
use crate::data::synth::{self, ShopConfig};
use crate::dataset::{Binding, Dataset, RowReader};
use crate::eval::{self, Quality};
use crate::train::{self, net::Net, DistillSettings, EpochLog, Objective};

/// The teacher: wide embeddings, target attention over the history, a deep tower.
pub const TEACHER_CONFIG: &str = include_str!("../configs/shop-teacher.toml");
/// The student: narrow embeddings, mean pooling, one small hidden layer.
pub const STUDENT_CONFIG: &str = include_str!("../configs/shop-student.toml");

/// One model's row of the demo table.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    /// Row name.
    pub name: String,
    /// Test AUC through dram-core.
    pub auc: f64,
    /// Test NDCG@10 per user through dram-core.
    pub ndcg10: f64,
    /// Parameters; for the pruned student the non-zero ones (its zeros still take their
    /// bytes in the file: `bytes` shows it).
    pub params: usize,
    /// Model file bytes.
    pub bytes: usize,
    /// Median `Ranker::rank` latency for 100 candidates, microseconds.
    pub p50_us: f64,
    /// Largest |candle score - dram-core score| on the test set.
    pub parity_max_abs_diff: f64,
    /// Per-epoch training log.
    pub epochs: Vec<EpochLog>,
}

/// The demo's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// Rows of train, validation and test data.
    pub rows: [usize; 3],
    /// One entry per model.
    pub models: Vec<ModelReport>,
    /// Teacher-vs-distilled-student test scores (a sample, for the scatter plot).
    pub scatter: Vec<(f32, f32)>,
    /// Wall time of the whole demo, seconds.
    pub seconds: f64,
}

/// Options of the demo.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// Shop size and seed.
    pub shop: ShopConfig,
    /// Epoch cap for every model (None: the configs' values).
    pub epochs: Option<usize>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { shop: ShopConfig::default(), epochs: None }
    }
}

struct Trained {
    net: Net,
    logs: Vec<EpochLog>,
    bytes: Vec<u8>,
}

fn train_one(config: &Config, train_set: &Dataset, valid: &Dataset, manifest: &dram_core::manifest::Manifest, objective: Objective, label: &str, epochs: Option<usize>, out: Option<&Path>) -> Result<Trained> {
    let mut net = Net::new(config.net_spec(manifest.clone()), config.train.seed)?;
    let mut train_config = config.train.clone();
    if let Some(e) = epochs {
        train_config.epochs = e;
    }
    let log = out.map(|d| d.join(format!("{label}.jsonl")));
    let logs = train::fit(&mut net, train_set, valid, &train_config, objective, label, log.as_deref())?;
    let mut manifest = manifest.clone();
    manifest.provenance.dataset = Some("dram demo synthetic shop".into());
    if let Objective::Distill(_) = objective {
        manifest.provenance.teacher = Some("demo teacher (shop-teacher.toml)".into());
    }
    let bytes = crate::export::fp32_model(&net.spec, &net.params()?, &manifest)?;
    if let Some(dir) = out {
        std::fs::write(dir.join(format!("{label}.onnx")), &bytes)?;
    }
    Ok(Trained { net, logs, bytes })
}

/// Runs the demo, printing progress to stderr; writes artefacts into `out` if given.
pub fn run(options: DemoOptions, out: Option<&Path>) -> Result<DemoReport> {
    let started = Instant::now();
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let shop = synth::generate(&options.shop)?;
    let (train_t, valid_t, test_t) = synth::split_by_user_time(&shop, "user_id", 5, 5)?;
    eprintln!(
        "synthetic shop: {} impressions ({} train, {} valid, {} test) in {:.1}s",
        shop.rows(),
        train_t.rows(),
        valid_t.rows(),
        test_t.rows(),
        started.elapsed().as_secs_f64()
    );
    let teacher_config = Config::parse(TEACHER_CONFIG)?;
    let student_config = Config::parse(STUDENT_CONFIG)?;
    let encode = |config: &Config| -> Result<(dram_core::manifest::Manifest, Dataset, Dataset, Dataset)> {
        let manifest = config.manifest(&train_t)?;
        let sets = (
            Dataset::encode(config, &manifest, &train_t)?,
            Dataset::encode(config, &manifest, &valid_t)?,
            Dataset::encode(config, &manifest, &test_t)?,
        );
        Ok((manifest, sets.0, sets.1, sets.2))
    };
    let (t_manifest, t_train, t_valid, t_test) = encode(&teacher_config)?;
    let teacher = train_one(&teacher_config, &t_train, &t_valid, &t_manifest, Objective::Labels, "teacher", options.epochs, out)?;
    let (s_manifest, mut s_train, s_valid, s_test) = encode(&student_config)?;
    let alone = train_one(&student_config, &s_train, &s_valid, &s_manifest, Objective::Labels, "student", options.epochs, out)?;
    // The teacher scores the training rows through dram-core, as any teacher file would be.
    let teacher_model = Model::from_bytes(&teacher.bytes)?;
    s_train.teacher = Some(eval::teacher_logits(&teacher_model, &t_train)?);
    let settings = DistillSettings::from(&student_config.distill);
    let distilled = train_one(&student_config, &s_train, &s_valid, &s_manifest, Objective::Distill(settings), "distilled", options.epochs, out)?;

    let mut models = Vec::new();
    let mut test_scores = Vec::new();
    for (name, trained, test, config) in [
        ("teacher", &teacher, &t_test, &teacher_config),
        ("student alone", &alone, &s_test, &student_config),
        ("distilled student", &distilled, &s_test, &student_config),
    ] {
        let model = Arc::new(Model::from_bytes(&trained.bytes)?);
        let runtime = eval::score(&model, test)?;
        let candle = trained.net.predict(test)?;
        let parity = runtime.iter().zip(&candle).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
        let quality: Quality = eval::quality(model.manifest().task, 1, &runtime, test);
        let reader = RowReader::new(model.manifest(), &Binding::of(config), &test_t)?;
        let rows: Vec<usize> = (0..100.min(test_t.rows())).collect();
        let (p50, _) = eval::rank_latency(model.clone(), &reader, &rows, 300)?;
        models.push(ModelReport {
            name: name.into(),
            auc: quality.auc.unwrap_or(f64::NAN),
            ndcg10: quality.ndcg10.unwrap_or(f64::NAN),
            params: trained.net.param_count(),
            bytes: trained.bytes.len(),
            p50_us: p50,
            parity_max_abs_diff: parity,
            epochs: trained.logs.clone(),
        });
        test_scores.push(runtime);
    }
    // Compression: the distilled student in int8 for the cpu target, calibrated on the
    // validation split; its parity is against the fake-quant simulation it was checked with.
    let params = distilled.net.params()?;
    let compressed = crate::compress::compress(&distilled.net.spec, &params, &s_manifest, &s_valid, &crate::compress::Request::default())?;
    if let Some(dir) = out {
        std::fs::write(dir.join("int8.onnx"), &compressed.bytes)?;
        if let Some(report) = &compressed.report {
            std::fs::write(dir.join("int8-report.json"), serde_json::to_string_pretty(report)?)?;
        }
    }
    let int8_model = Arc::new(Model::from_bytes(&compressed.bytes)?);
    let float_model = Arc::new(Model::from_bytes(&distilled.bytes)?);
    // Half the distilled student's weights zeroed (Fisher-ranked, each tensor's share from its
    // measured sensitivity), recovering after each step by self-distillation from the unpruned
    // student (docs/quantization.md). Zeros keep the file's size: the row shows the accuracy
    // cost of 50% sparsity.
    let mut prune_settings = crate::prune::PruneSettings::allocated(0.5);
    prune_settings.recovery = crate::prune::recovery::Recovery::SelfDistill;
    if let Some(e) = options.epochs {
        prune_settings.finetune_epochs = prune_settings.finetune_epochs.min(e);
    }
    let (pruned, _) = crate::prune::run(&distilled.net, &s_train, &s_valid, &student_config.train, Objective::Distill(settings), &prune_settings)?;
    let pruned_bytes = crate::export::fp32_model(&pruned.spec, &pruned.params()?, &s_manifest)?;
    if let Some(dir) = out {
        std::fs::write(dir.join("pruned.onnx"), &pruned_bytes)?;
    }
    let pruned_model = Arc::new(Model::from_bytes(&pruned_bytes)?);
    let pruned_runtime = eval::score(&pruned_model, &s_test)?;
    let pruned_quality: Quality = eval::quality(pruned_model.manifest().task, 1, &pruned_runtime, &s_test);
    let pruned_parity = pruned_runtime.iter().zip(&pruned.predict(&s_test)?).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
    let runtime = eval::score(&int8_model, &s_test)?;
    let quality: Quality = eval::quality(int8_model.manifest().task, 1, &runtime, &s_test);
    let reader = RowReader::new(int8_model.manifest(), &Binding::of(&student_config), &test_t)?;
    let rows: Vec<usize> = (0..100.min(test_t.rows())).collect();
    // fp32 and int8 latencies interleaved in one loop, so their ratio is not noise.
    let latencies = eval::rank_latencies(&[float_model, pruned_model, int8_model.clone()], &reader, &rows, 400)?;
    models[2].p50_us = latencies[0].0;
    models.push(ModelReport {
        name: "pruned student".into(),
        auc: pruned_quality.auc.unwrap_or(f64::NAN),
        ndcg10: pruned_quality.ndcg10.unwrap_or(f64::NAN),
        params: pruned.params()?.values().map(|p| p.data.iter().filter(|&&v| v != 0.0).count()).sum(),
        bytes: pruned_bytes.len(),
        p50_us: latencies[1].0,
        parity_max_abs_diff: pruned_parity,
        epochs: Vec::new(),
    });
    let net = compressed.net.as_ref().context("cpu int8 compression returns its network")?;
    let simulated = crate::quantize::sim::Simulator::new(net, &params, &crate::quantize::sim::Enabled::All)
        .logits(&s_test.tensors(&(0..s_test.rows).collect::<Vec<_>>()), &crate::quantize::sim::Enabled::All)?;
    models.push(ModelReport {
        name: "int8 student".into(),
        auc: quality.auc.unwrap_or(f64::NAN),
        ndcg10: quality.ndcg10.unwrap_or(f64::NAN),
        params: distilled.net.param_count(),
        bytes: compressed.bytes.len(),
        p50_us: latencies[2].0,
        parity_max_abs_diff: crate::quantize::sim::agreement(&runtime, &simulated).1.into(),
        epochs: Vec::new(),
    });
    let step = (test_scores[0].len() / 800).max(1);
    let scatter = test_scores[0].iter().zip(&test_scores[2]).step_by(step).map(|(a, b)| (*a, *b)).collect();
    let report = DemoReport {
        rows: [train_t.rows(), valid_t.rows(), test_t.rows()],
        models,
        scatter,
        seconds: started.elapsed().as_secs_f64(),
    };
    if let Some(dir) = out {
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&report)?)?;
        std::fs::write(dir.join("report.html"), crate::report::html(&report))?;
        std::fs::write(dir.join("shop-teacher.toml"), TEACHER_CONFIG)?;
        std::fs::write(dir.join("shop-student.toml"), STUDENT_CONFIG)?;
    }
    Ok(report)
}

/// The side-by-side table, as printed.
pub fn table(report: &DemoReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<18} {:>7} {:>8} {:>9} {:>10} {:>9} {:>9}\n",
        "model", "AUC", "NDCG@10", "params", "bytes", "p50 µs", "parity"
    ));
    for m in &report.models {
        s.push_str(&format!(
            "{:<18} {:>7.4} {:>8.4} {:>9} {:>10} {:>9.1} {:>9.1e}\n",
            m.name, m.auc, m.ndcg10, m.params, m.bytes, m.p50_us, m.parity_max_abs_diff
        ));
    }
    s
}
