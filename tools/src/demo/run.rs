//! `dram demo`: the whole path on a synthetic shop, offline, in a few minutes. A large teacher
//! is trained, a small student is trained alone and distilled from it, the distilled student is
//! pruned and quantized to int8, every model is exported and scored through `dram-core`, and a
//! side-by-side table (and, with `--out`, a JSON and HTML report) shows what distillation and
//! compression bought: accuracy against size and speed.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use dram_core::manifest::Manifest;
use dram_core::Model;

use super::report::{DemoReport, ModelReport};
use crate::compress::prune::{self, recovery::Recovery, PruneSettings};
use crate::compress::quantize::sim::{self, Enabled, Simulator};
use crate::data::synth::{self, ShopConfig, STUDENT_CONFIG, TEACHER_CONFIG};
use crate::eval::{self, Quality};
use crate::export::{self, Request};
use crate::model::config::Config;
use crate::model::dataset::{Binding, Dataset, RowReader};
use crate::train::pipeline::{self, Trained};
use crate::train::{DistillSettings, Objective};


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

/// A demo model: the pipeline's result and its exported file.
struct Exported {
    trained: Trained,
    bytes: Vec<u8>,
}

/// Trains one demo model through the training pipeline and exports it (into `out`, if given).
fn train_one(config: &Config, train_set: &Dataset, valid: &Dataset, manifest: &Manifest, objective: Objective, label: &str, epochs: Option<usize>, out: Option<&Path>) -> Result<Exported> {
    let log = out.map(|d| d.join(format!("{label}.jsonl")));
    let job = pipeline::Job {
        config,
        manifest,
        train: train_set,
        valid,
        objective,
        label,
        epochs,
        log: log.as_deref(),
        dataset: "dram demo synthetic shop".into(),
        teacher: Some("demo teacher (shop-teacher.toml)".into()),
    };
    let trained = pipeline::run(&job)?;
    let bytes = export::fp32_model(&trained.net.spec, &trained.net.params()?, &trained.manifest)?;
    if let Some(dir) = out {
        std::fs::write(dir.join(format!("{label}.onnx")), &bytes)?;
    }
    Ok(Exported { trained, bytes })
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
    let encode = |config: &Config| -> Result<(Manifest, Dataset, Dataset, Dataset)> {
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
        let candle = trained.trained.net.predict(test)?;
        let parity = runtime.iter().zip(&candle).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
        let quality: Quality = eval::quality(model.manifest().task, 1, &runtime, test);
        let reader = RowReader::new(model.manifest(), &Binding::of(config), &test_t)?;
        let rows: Vec<usize> = (0..100.min(test_t.rows())).collect();
        let p50 = eval::rank_latency(model.clone(), &reader, &rows, 300)?.p50;
        models.push(ModelReport {
            name: name.into(),
            auc: quality.auc.unwrap_or(f64::NAN),
            ndcg10: quality.ndcg10.unwrap_or(f64::NAN),
            params: trained.trained.net.param_count(),
            bytes: trained.bytes.len(),
            p50_us: p50,
            parity_max_abs_diff: parity,
            epochs: trained.trained.logs.clone(),
        });
        test_scores.push(runtime);
    }
    // Compression: the distilled student in int8 for the cpu target, calibrated on the
    // validation split; its parity is against the fake-quant simulation it was checked with.
    let params = distilled.trained.net.params()?;
    let compressed = export::compress(&distilled.trained.net.spec, &params, &s_manifest, &s_valid, &Request::default())?;
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
    let mut prune_settings = PruneSettings::allocated(0.5);
    prune_settings.recovery = Recovery::SelfDistill;
    if let Some(e) = options.epochs {
        prune_settings.finetune_epochs = prune_settings.finetune_epochs.min(e);
    }
    let (pruned, _) = prune::run(&distilled.trained.net, &s_train, &s_valid, &student_config.train, Objective::Distill(settings), &prune_settings, &export::fp32_bytes)?;
    let pruned_bytes = export::fp32_model(&pruned.spec, &pruned.params()?, &s_manifest)?;
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
    models[2].p50_us = latencies[0].p50;
    models.push(ModelReport {
        name: "pruned student".into(),
        auc: pruned_quality.auc.unwrap_or(f64::NAN),
        ndcg10: pruned_quality.ndcg10.unwrap_or(f64::NAN),
        params: pruned.params()?.values().map(|p| p.data.iter().filter(|&&v| v != 0.0).count()).sum(),
        bytes: pruned_bytes.len(),
        p50_us: latencies[1].p50,
        parity_max_abs_diff: pruned_parity,
        epochs: Vec::new(),
    });
    let net = compressed.net.as_ref().context("cpu int8 compression returns its network")?;
    let simulated = Simulator::new(net, &params, &Enabled::All)
        .logits(&s_test.tensors(&(0..s_test.rows).collect::<Vec<_>>()), &Enabled::All)?;
    models.push(ModelReport {
        name: "int8 student".into(),
        auc: quality.auc.unwrap_or(f64::NAN),
        ndcg10: quality.ndcg10.unwrap_or(f64::NAN),
        params: distilled.trained.net.param_count(),
        bytes: compressed.bytes.len(),
        p50_us: latencies[2].p50,
        parity_max_abs_diff: sim::agreement(&runtime, &simulated).1.into(),
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
        std::fs::write(dir.join("report.html"), super::html::html(&report))?;
        std::fs::write(dir.join("shop-teacher.toml"), TEACHER_CONFIG)?;
        std::fs::write(dir.join("shop-student.toml"), STUDENT_CONFIG)?;
    }
    Ok(report)
}
