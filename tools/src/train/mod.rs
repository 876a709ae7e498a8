//! Training and distillation: a short, explicit loop over list-structured batches, AdamW
//! (dense parameters through candle, embedding rows lazily), warm-up plus cosine learning
//! rate, early stopping on the validation metric, a progress bar, and a JSON-lines log.

pub mod loss;
pub mod pipeline;
pub mod student_init;
pub mod teacher;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use candle_core::{Device, Tensor};
use candle_nn::optim::{Optimizer, ParamsAdamW};
use dram_core::manifest::Task;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::model::config::{DistillConfig, SoftLoss, TrainConfig};
use crate::model::dataset::Dataset;
use crate::metrics;
use crate::rng::Rng;
use crate::model::net::Net;
use crate::model::sparse::AdamW;

/// What the student learns from.
#[derive(Debug, Clone, Copy)]
pub enum Objective {
    /// Labels only.
    Labels,
    /// Labels and the teacher logits stored in the training set.
    Distill(DistillSettings),
}

/// Distillation settings in force.
#[derive(Debug, Clone, Copy)]
pub struct DistillSettings {
    /// Hard-loss weight.
    pub alpha: f64,
    /// Temperature.
    pub temperature: f64,
    /// Soft loss.
    pub soft: SoftLoss,
    /// MSE weight.
    pub mse_weight: f64,
}

impl From<&DistillConfig> for DistillSettings {
    fn from(c: &DistillConfig) -> Self {
        DistillSettings { alpha: c.alpha, temperature: c.temperature, soft: c.soft, mse_weight: c.mse_weight }
    }
}

/// One epoch's record, as written to the JSON-lines log.
#[derive(Debug, Clone, Serialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss.
    pub train_loss: f64,
    /// Validation metric used for early stopping (AUC for rankers, macro-F1 for classifiers).
    pub valid_metric: f64,
    /// Validation log-loss (rankers) or cross-entropy (classifiers).
    pub valid_loss: f64,
    /// Training throughput.
    pub samples_per_second: f64,
    /// Wall time of the epoch.
    pub seconds: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
}

/// Validation metric and loss of a network on `data`: (AUC, log-loss) for rankers,
/// (macro-F1, cross-entropy) for classifiers.
pub fn validate(net: &Net, data: &Dataset) -> Result<(f64, f64)> {
    let logits = net.predict(data)?;
    Ok(score_logits(net.spec.manifest.task, net.spec.output_width(), &logits, &data.labels))
}

/// The validation metric and loss of logits against labels.
pub fn score_logits(task: Task, width: usize, logits: &[f32], labels: &[f32]) -> (f64, f64) {
    match task {
        Task::Ranker => (metrics::auc(logits, labels).unwrap_or(0.5), metrics::log_loss(logits, labels)),
        Task::Classifier => {
            let classes: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
            let predicted: Vec<usize> = logits
                .chunks(width)
                .map(|row| row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i))
                .collect();
            let ce = logits
                .chunks(width)
                .zip(&classes)
                .map(|(row, &c)| -f64::from(dram_core::softmax(row)[c].max(1e-12)).ln())
                .sum::<f64>()
                / classes.len().max(1) as f64;
            (metrics::macro_f1(&predicted, &classes, width), ce)
        }
    }
}

/// Batches of row indices: each group's rows are shuffled and cut into lists of at most
/// `list_size`, lists are shuffled, and consecutive lists fill batches of about `batch_size`.
pub fn batches(groups: &[u64], list_size: usize, batch_size: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut by_group: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
    for (i, &g) in groups.iter().enumerate() {
        by_group.entry(g).or_default().push(i);
    }
    let mut lists: Vec<Vec<usize>> = Vec::new();
    for mut rows in by_group.into_values() {
        rng.shuffle(&mut rows);
        lists.extend(rows.chunks(list_size.max(1)).map(<[usize]>::to_vec));
    }
    rng.shuffle(&mut lists);
    let mut out = Vec::new();
    let mut current = Vec::new();
    for list in lists {
        current.extend(list);
        if current.len() >= batch_size {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Trains `net` on `train`, stopping early on `valid`; restores the best epoch's weights.
pub fn fit(
    net: &mut Net,
    train: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    objective: Objective,
    label: &str,
    log_path: Option<&Path>,
) -> Result<Vec<EpochLog>> {
    fit_with(net, train, valid, config, objective, label, log_path, &mut |_| Ok(()))
}

/// [`fit`] with `after_step` run on the network after every optimiser step (dense and
/// embedding updates both applied): pruning re-applies its masks there, so pruned weights
/// stay zero through fine-tuning.
#[allow(clippy::too_many_arguments)]
pub fn fit_with(
    net: &mut Net,
    train: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    objective: Objective,
    label: &str,
    log_path: Option<&Path>,
    after_step: &mut dyn FnMut(&mut Net) -> Result<()>,
) -> Result<Vec<EpochLog>> {
    fit_scored(net, train, valid, config, objective, label, log_path, after_step, &|_, metric| Ok(metric))
}

/// [`fit_with`] keeping the epoch of highest `score(net, validation metric)` (early stopping
/// counts epochs since that score last rose): pruning can keep the epoch closest to the
/// network it pruned instead of the one of highest validation metric.
#[allow(clippy::too_many_arguments)]
pub fn fit_scored(
    net: &mut Net,
    train: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    objective: Objective,
    label: &str,
    log_path: Option<&Path>,
    after_step: &mut dyn FnMut(&mut Net) -> Result<()>,
    score: &dyn Fn(&Net, f64) -> Result<f64>,
) -> Result<Vec<EpochLog>> {
    if let Objective::Distill(_) = objective {
        anyhow::ensure!(train.teacher.is_some(), "distillation needs teacher logits for the training rows");
    }
    let mut log_file = match log_path {
        Some(p) => Some(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => None,
    };
    let mut rng = Rng::new(config.seed ^ 0x5eed);
    let mut dense_opt = candle_nn::AdamW::new(
        net.dense_vars(),
        ParamsAdamW { lr: config.lr, weight_decay: config.weight_decay, ..Default::default() },
    )?;
    let steps_per_epoch = train.rows.div_ceil(config.batch_size).max(1);
    let total_steps = steps_per_epoch * config.epochs;
    let mut step = 0usize;
    let mut best = (f64::NEG_INFINITY, net.snapshot()?, 0usize);
    let mut logs = Vec::new();
    let quiet = std::env::var_os("DRAM_QUIET").is_some();
    for epoch in 1..=config.epochs {
        let started = Instant::now();
        let plan = batches(&train.groups, config.list_size, config.batch_size, &mut rng);
        let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(train.rows as u64) };
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("{label} epoch {epoch}/{}", config.epochs));
        let mut loss_sum = 0.0;
        let mut lr = config.lr;
        for rows in &plan {
            step += 1;
            lr = schedule(config, step, total_steps);
            dense_opt.set_learning_rate(lr);
            let batch = net.batch(train, rows)?;
            let logits = net.forward(&batch)?;
            let loss = objective_loss(net, train, rows, &logits, objective)?;
            let grads = loss.backward()?;
            dense_opt.step(&grads)?;
            let sparse_opt = AdamW { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: config.weight_decay };
            for (table, local) in net.tables.iter_mut().zip(&batch.locals) {
                if let Some(g) = grads.get(local.var.as_tensor()) {
                    table.update(local, g, &sparse_opt, step)?;
                }
            }
            after_step(net)?;
            let value = f64::from(loss.to_scalar::<f32>()?);
            loss_sum += value * rows.len() as f64;
            bar.inc(rows.len() as u64);
            let rate = bar.position() as f64 / started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("loss {value:.4} | {rate:.0} samples/s"));
        }
        bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        let (metric, valid_loss) = validate(net, valid)?;
        let record = EpochLog {
            epoch,
            train_loss: loss_sum / train.rows as f64,
            valid_metric: metric,
            valid_loss,
            samples_per_second: train.rows as f64 / seconds,
            seconds,
            lr,
        };
        if !quiet {
            eprintln!(
                "{label} epoch {epoch}: loss {:.4}, valid {} {metric:.4}, {:.0} samples/s",
                record.train_loss,
                if net.spec.manifest.task == Task::Ranker { "AUC" } else { "macro-F1" },
                record.samples_per_second
            );
        }
        if let Some(f) = log_file.as_mut() {
            writeln!(f, "{}", serde_json::to_string(&record)?)?;
        }
        logs.push(record);
        let kept = score(net, metric)?;
        if kept > best.0 {
            best = (kept, net.snapshot()?, epoch);
        } else if epoch - best.2 >= config.patience {
            break;
        }
    }
    *net = best.1;
    Ok(logs)
}

/// Linear warm-up to the peak rate, then cosine decay to 10% of it.
pub fn schedule(config: &TrainConfig, step: usize, total: usize) -> f64 {
    if step <= config.warmup_steps {
        return config.lr * step as f64 / config.warmup_steps.max(1) as f64;
    }
    let progress = (step - config.warmup_steps) as f64 / (total.saturating_sub(config.warmup_steps)).max(1) as f64;
    config.lr * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos()))
}

/// The training loss of `logits` (the forward pass of `rows` of `data`) under `objective`;
/// pruning differentiates it to rank weights.
pub fn objective_loss(net: &Net, data: &Dataset, rows: &[usize], logits: &Tensor, objective: Objective) -> Result<Tensor> {
    let dev = Device::Cpu;
    let width = net.spec.output_width();
    let labels: Vec<f32> = rows.iter().map(|&r| data.labels[r]).collect();
    let classifier = net.spec.manifest.task == Task::Classifier;
    let hard = if classifier {
        let classes: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
        loss::cross_entropy(logits, &Tensor::from_vec(classes, rows.len(), &dev)?)?
    } else {
        loss::bce_with_logits(&logits.flatten_all()?, &Tensor::from_vec(labels.clone(), rows.len(), &dev)?)?
    };
    let Objective::Distill(settings) = objective else { return Ok(hard) };
    let teacher_all = data.teacher.as_ref().expect("checked in fit");
    let teacher: Vec<f32> = crate::model::dataset::gather(teacher_all, width, rows);
    let teacher = Tensor::from_vec(teacher, (rows.len(), width), &dev)?;
    let t = settings.temperature;
    let soft = match settings.soft {
        SoftLoss::Binary => {
            let targets = candle_nn::ops::sigmoid(&teacher.affine(1.0 / t, 0.0)?)?.flatten_all()?;
            loss::bce_with_logits(&logits.affine(1.0 / t, 0.0)?.flatten_all()?, &targets)?
        }
        SoftLoss::Multiclass => loss::softmax_kd(logits, &teacher, None, t)?,
        SoftLoss::Listwise => listwise(logits, &teacher, &data.groups, rows, t)?,
    };
    let mut total = (hard.affine(settings.alpha, 0.0)? + soft.affine((1.0 - settings.alpha) * t * t, 0.0)?)?;
    if settings.mse_weight > 0.0 {
        total = (total + loss::mse(logits, &teacher)?.affine(settings.mse_weight, 0.0)?)?;
    }
    Ok(total)
}

/// Listwise distillation: rows of the same group form one list (batches keep lists together);
/// the lists are padded into a `[lists, longest]` matrix with a mask.
fn listwise(logits: &Tensor, teacher: &Tensor, groups: &[u64], rows: &[usize], t: f64) -> Result<Tensor> {
    let mut lists: Vec<Vec<u32>> = Vec::new();
    let mut last = None;
    for (i, &r) in rows.iter().enumerate() {
        if last != Some(groups[r]) {
            lists.push(Vec::new());
            last = Some(groups[r]);
        }
        lists.last_mut().expect("pushed").push(i as u32);
    }
    let longest = lists.iter().map(Vec::len).max().unwrap_or(1);
    let mut index = Vec::with_capacity(lists.len() * longest);
    let mut mask = Vec::with_capacity(lists.len() * longest);
    for list in &lists {
        for k in 0..longest {
            index.push(list.get(k).copied().unwrap_or(list[0]));
            mask.push(if k < list.len() { 1f32 } else { 0.0 });
        }
    }
    let dev = Device::Cpu;
    let shape = (lists.len(), longest);
    let index = Tensor::from_vec(index, lists.len() * longest, &dev)?;
    let mask = Tensor::from_vec(mask, shape, &dev)?;
    let s = logits.flatten_all()?.index_select(&index, 0)?.reshape(shape)?;
    let te = teacher.flatten_all()?.index_select(&index, 0)?.reshape(shape)?;
    Ok(loss::softmax_kd(&s, &te, Some(&mask), t)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_row_once_and_keep_lists_together() {
        let groups: Vec<u64> = (0..100).map(|i| i % 7).collect();
        let plan = batches(&groups, 4, 16, &mut Rng::new(3));
        let mut all: Vec<usize> = plan.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for batch in &plan {
            // Lists are contiguous runs of one group, at most 4 long.
            let mut run = 1;
            for w in batch.windows(2) {
                run = if groups[w[0]] == groups[w[1]] { run + 1 } else { 1 };
                assert!(run <= 4 || groups[w[0]] == groups[w[1]]);
            }
        }
    }

    #[test]
    fn schedule_warms_up_then_decays_to_a_tenth() {
        let config = TrainConfig { lr: 1.0, warmup_steps: 10, ..Default::default() };
        assert!((schedule(&config, 5, 100) - 0.5).abs() < 1e-12);
        assert!((schedule(&config, 10, 100) - 1.0).abs() < 1e-12);
        assert!((schedule(&config, 100, 100) - 0.1).abs() < 1e-12);
    }
}
