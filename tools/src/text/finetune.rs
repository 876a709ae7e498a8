//! Fine-tuning the review teacher: AdamW with linear warm-up and decay over length-bucketed
//! batches, a checkpoint every N steps that a rerun resumes from, then the teacher's logits for
//! every split cached as CSV columns (`teacher_<task>_<class>`) that `dram distill
//! --teacher-column` reads. Each stage skips work already on disk, so the command is safe to
//! rerun after an interruption.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use candle_core::{Device, Tensor};


use super::bert::{self, BertConfig};
use super::cached_logits::{classifier_metrics, logit_columns, predict};
use super::options::{encoder_config, heads, FinetuneOptions, State};
use super::teacher::Teacher;
use crate::data::wordpiece::WordPiece;
use crate::data::{self, Column, Table};
use crate::rng::Rng;

/// One split: its table, word pieces and, with frozen layers, each text's frozen states.
struct Split {
    table: Table,
    tokens: Vec<Vec<u32>>,
    states: Option<Vec<Tensor>>,
}

impl Split {
    /// Logits of every head for `rows`.
    fn logits(&self, teacher: &Teacher, rows: &[usize], frozen: usize, train: bool) -> Result<Vec<Tensor>> {
        let refs: Vec<&[u32]> = rows.iter().map(|&r| self.tokens[r].as_slice()).collect();
        let (ids, mask) = bert::pad(&refs, &Device::Cpu)?;
        Ok(match &self.states {
            None => teacher.forward(&ids, &mask, train)?,
            Some(states) => {
                let seq = ids.dim(1)?;
                let padded = rows
                    .iter()
                    .map(|&r| states[r].pad_with_zeros(0, 0, seq - self.tokens[r].len()))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                teacher.forward_from(&Tensor::stack(&padded, 0)?, &mask, frozen, train)?
            }
        })
    }
}

/// Reads `<data_dir>/<name>.csv` and word-pieces its text column; with frozen layers and
/// `states` (a split to train on), also their outputs for every text (from
/// `<out>/states/<name>.safetensors` when present).
fn load_split(options: &FinetuneOptions, wp: &WordPiece, teacher: &Teacher, name: &str, out: &Path, states: bool) -> Result<Split> {
    let path = options.data_dir.join(format!("{name}.csv"));
    let table = data::read(&path)?;
    let text = table.column(&options.text_column).with_context(|| format!("{}", path.display()))?;
    let tokens: Vec<Vec<u32>> = (0..table.rows()).map(|i| wp.encode(&text.text(i), options.max_len)).collect();
    if options.frozen_layers == 0 || !states {
        return Ok(Split { table, tokens, states: None });
    }
    let file = out.join("states").join(format!("{name}-layers{}-len{}.safetensors", options.frozen_layers, options.max_len));
    let all = if file.exists() {
        candle_core::safetensors::load(&file, &Device::Cpu)?.remove("states").with_context(|| format!("{} has no `states`", file.display()))?
    } else {
        let started = Instant::now();
        let mut order: Vec<usize> = (0..tokens.len()).collect();
        order.sort_by_key(|&r| tokens[r].len());
        let mut per_row: Vec<Option<Tensor>> = vec![None; tokens.len()];
        for rows in order.chunks(64) {
            let refs: Vec<&[u32]> = rows.iter().map(|&r| tokens[r].as_slice()).collect();
            let (ids, mask) = bert::pad(&refs, &Device::Cpu)?;
            let states = teacher.prefix(&ids, &mask, options.frozen_layers)?.detach();
            for (k, &r) in rows.iter().enumerate() {
                per_row[r] = Some(states.get(k)?.narrow(0, 0, tokens[r].len())?);
            }
        }
        let per_row: Vec<Tensor> = per_row.into_iter().map(|t| t.expect("every row is in one chunk")).collect();
        let all = Tensor::cat(&per_row, 0)?;
        std::fs::create_dir_all(out.join("states"))?;
        let tmp = file.with_extension("tmp");
        candle_core::safetensors::save(&std::collections::HashMap::from([("states".to_string(), all.clone())]), &tmp)?;
        std::fs::rename(&tmp, &file)?;
        eprintln!("frozen-layer states of {} {name} texts in {:.0}s", tokens.len(), started.elapsed().as_secs_f64());
        all
    };
    let mut states = Vec::with_capacity(tokens.len());
    let mut offset = 0;
    for t in &tokens {
        states.push(all.narrow(0, offset, t.len())?);
        offset += t.len();
    }
    Ok(Split { table, tokens, states: Some(states) })
}

/// Batches of row indices: shuffled, sorted by length within windows of 50 batches (less
/// padding), then the batches shuffled.
fn plan(rows: &[usize], tokens: &[Vec<u32>], batch: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut order = rows.to_vec();
    rng.shuffle(&mut order);
    let mut batches = Vec::new();
    for window in order.chunks(batch * 50) {
        let mut w = window.to_vec();
        w.sort_by_key(|&r| tokens[r].len());
        batches.extend(w.chunks(batch).map(<[usize]>::to_vec));
    }
    rng.shuffle(&mut batches);
    batches
}

/// Linear warm-up to `peak` over `warmup` steps, then linear decay to zero at `total`.
pub fn learning_rate(peak: f64, step: usize, warmup: usize, total: usize) -> f64 {
    if step <= warmup {
        peak * step as f64 / warmup.max(1) as f64
    } else {
        peak * (total.saturating_sub(step)) as f64 / (total - warmup).max(1) as f64
    }
}

/// Fine-tunes (resuming from `<out>/checkpoint` when present), writes `<out>/teacher.safetensors`,
/// the cached logits `<out>/{train,valid,test}.csv` and `<out>/metrics.json`.
pub fn run(options: &FinetuneOptions, out: &Path) -> Result<()> {
    ensure!(options.balance.is_finite() && options.balance >= 0.0, "--balance must be a finite number >= 0 (0: plain cross-entropy, 1: balanced classes), found {}", options.balance);
    std::fs::create_dir_all(out.join("checkpoint"))?;
    let config = encoder_config(&options.model_dir)?;
    let wp = WordPiece::load(&options.model_dir.join("tokenizer.json"))?;
    ensure!(options.frozen_layers < config.num_hidden_layers, "--frozen-layers must leave at least one of the {} layers to train", config.num_hidden_layers);
    let teacher = Teacher::new(&config, &heads(options))?;
    let final_weights = out.join("teacher.safetensors");
    let ckpt = out.join("checkpoint");
    if final_weights.exists() {
        teacher.vars.clone().load(&final_weights)?;
        eprintln!("teacher already fine-tuned: {}", final_weights.display());
    } else if ckpt.join("state.json").exists() {
        teacher.vars.clone().load(ckpt.join("weights.safetensors"))?;
    } else if let Some(init) = &options.init {
        teacher.vars.clone().load(init).with_context(|| format!("loading --init {}", init.display()))?;
    } else {
        teacher.load_encoder(&options.model_dir.join("model.safetensors"))?;
    }
    // Frozen states are computed with the pretrained prefix, which fine-tuning leaves as is.
    let train_split = load_split(options, &wp, &teacher, "train", out, !final_weights.exists())?;
    if !final_weights.exists() {
        train(options, &config, &train_split, &teacher, out)?;
        teacher.vars.save(&final_weights)?;
    }
    let mut report = serde_json::Map::new();
    let mut train_split = Some(train_split);
    for split in ["valid", "test", "train"] {
        let path = out.join(format!("{split}.csv"));
        let mut loaded = match split {
            "train" => train_split.take().expect("taken once"),
            _ => load_split(options, &wp, &teacher, split, out, false)?,
        };
        if !path.exists() {
            let started = Instant::now();
            let logits = predict(&teacher, &config, options, &loaded.tokens)?;
            let table = &mut loaded.table;
            for (name, column) in logit_columns(options, &logits) {
                table.push(name, column)?;
            }
            data::write_csv(table, &path)?;
            eprintln!("cached teacher logits for {} {split} rows in {:.0}s: {}", table.rows(), started.elapsed().as_secs_f64(), path.display());
        }
        let cached = data::read(&path)?;
        let mut split_report = serde_json::Map::new();
        for (name, classes) in &options.heads {
            let labels: Vec<usize> = (0..cached.rows()).map(|i| cached.column(name).map(|c| c.number(i).unwrap_or(0.0) as usize)).collect::<Result<_>>()?;
            let columns: Vec<&Column> = (0..*classes).map(|k| cached.column(&format!("teacher_{name}_{k}"))).collect::<Result<_>>()?;
            let logits: Vec<f32> = (0..cached.rows()).flat_map(|i| columns.iter().map(move |c| c.number(i).unwrap_or(f64::NAN) as f32)).collect();
            split_report.insert(name.clone(), serde_json::to_value(classifier_metrics(&logits, &labels, *classes))?);
        }
        eprintln!("teacher on {split}: {}", serde_json::Value::Object(split_report.clone()));
        report.insert(split.into(), serde_json::Value::Object(split_report));
    }
    std::fs::write(out.join("metrics.json"), serde_json::to_string_pretty(&report)?)?;
    Ok(())
}

fn train(options: &FinetuneOptions, config: &BertConfig, split: &Split, teacher: &Teacher, out: &Path) -> Result<()> {
    let (table, tokens) = (&split.table, &split.tokens);
    let labels: Vec<Vec<u32>> = options
        .heads
        .iter()
        .map(|(name, classes)| {
            let c = table.column(name)?;
            (0..table.rows())
                .map(|i| match c.number(i) {
                    Some(v) if v >= 0.0 && (v as usize) < *classes => Ok(v as u32),
                    other => anyhow::bail!("label `{name}` must be a class index below {classes}, found {other:?} at row {i}"),
                })
                .collect()
        })
        .collect::<Result<_>>()?;
    let mut rng = Rng::new(options.seed);
    let mut rows: Vec<usize> = (0..table.rows()).collect();
    rng.shuffle(&mut rows);
    rows.drain(..options.skip.min(rows.len()));
    rows.truncate(options.sample.unwrap_or(usize::MAX));
    let mut batches = Vec::new();
    for _ in 0..options.epochs {
        batches.extend(plan(&rows, tokens, options.batch_size, &mut rng));
    }
    let class_weights: Vec<Tensor> = options
        .heads
        .iter()
        .zip(&labels)
        .map(|((_, classes), y)| {
            let mut counts = vec![0; *classes];
            rows.iter().for_each(|&r| counts[y[r] as usize] += 1);
            let w = crate::train::loss::balanced_class_weights(&counts, options.balance);
            eprintln!("class counts {counts:?}, loss weights {w:?}");
            Tensor::new(w.as_slice(), &Device::Cpu)
        })
        .collect::<candle_core::Result<_>>()?;
    let total = batches.len();
    let warmup = (options.warmup * total as f64).round() as usize;
    let frozen = |name: &str| {
        name.starts_with("embeddings.")
            || (0..options.frozen_layers).any(|i| name.starts_with(&format!("encoder.layer.{i}.")))
    };
    let trained: Vec<_> = if options.frozen_layers == 0 { teacher.named_vars() } else { teacher.named_vars().into_iter().filter(|(n, _)| !frozen(n)).collect() };
    let mut opt = super::adamw::AdamW::new(trained, options.weight_decay)?;
    let ckpt = out.join("checkpoint");
    let state_path = ckpt.join("state.json");
    if state_path.exists() {
        let state: State = serde_json::from_str(&std::fs::read_to_string(&state_path)?)?;
        ensure!(state.options == *options, "{} was written with other options {:?}; use another --out or delete it", state_path.display(), state.options);
        opt.load(&ckpt.join("adam.safetensors"), state.step)?;
        eprintln!("resuming from step {}/{total}", state.step);
    } else {
        eprintln!(
            "fine-tuning the top {} of {} layers on {} rows: {total} steps of {}",
            config.num_hidden_layers - options.frozen_layers,
            config.num_hidden_layers,
            rows.len(),
            options.batch_size
        );
    }
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(out.join("finetune.jsonl"))?;
    let started = Instant::now();
    let first = opt.step;
    for (k, batch) in batches.iter().enumerate().skip(opt.step) {
        let step = k + 1;
        let logits = split.logits(teacher, batch, options.frozen_layers, true)?;
        let mut loss = Tensor::zeros((), candle_core::DType::F32, &Device::Cpu)?;
        for (h, l) in logits.iter().enumerate() {
            let y: Vec<u32> = batch.iter().map(|&r| labels[h][r]).collect();
            let y = Tensor::new(y.as_slice(), &Device::Cpu)?;
            loss = (loss + crate::train::loss::weighted_cross_entropy(l, &y, &class_weights[h])?)?;
        }
        let lr = learning_rate(options.lr, step, warmup, total);
        opt.step(&loss.backward()?, lr)?;
        let rate = ((step - first) * options.batch_size) as f64 / started.elapsed().as_secs_f64();
        let line = serde_json::json!({"step": step, "total": total, "loss": loss.to_scalar::<f32>()?, "lr": lr, "rows_per_s": rate, "seq": batch.iter().map(|&r| tokens[r].len()).max()});
        writeln!(log, "{line}")?;
        if step % 10 == 0 || step == total {
            eprintln!("{line}");
        }
        if step % options.checkpoint_every == 0 || step == total {
            save_checkpoint(teacher, &opt, &ckpt, State { step, total_steps: total, options: options.clone() })?;
        }
    }
    Ok(())
}

/// Writes weights, moments and state, each through a temporary file renamed into place, state last.
fn save_checkpoint(teacher: &Teacher, opt: &super::adamw::AdamW, dir: &Path, state: State) -> Result<()> {
    let tmp = dir.join("weights.tmp.safetensors");
    teacher.vars.save(&tmp)?;
    std::fs::rename(&tmp, dir.join("weights.safetensors"))?;
    let tmp = dir.join("adam.tmp.safetensors");
    opt.save(&tmp)?;
    std::fs::rename(&tmp, dir.join("adam.safetensors"))?;
    let tmp = dir.join("state.tmp.json");
    std::fs::write(&tmp, serde_json::to_string_pretty(&state)?)?;
    std::fs::rename(&tmp, dir.join("state.json"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_malformed_encoder_config_says_which_file_and_what_to_do() {
        let dir = std::env::temp_dir().join(format!("dram-encoder-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = format!("{:#}", encoder_config(&dir).unwrap_err());
        assert!(missing.contains("config.json") && missing.contains("scripts/fetch-minilm.sh"), "{missing}");
        std::fs::write(dir.join("config.json"), "{\"hidden_size\": 8}").unwrap();
        let malformed = format!("{:#}", encoder_config(&dir).unwrap_err());
        assert!(malformed.contains("is not a BERT config.json") && malformed.contains("vocab_size"), "{malformed}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn learning_rate_warms_up_then_decays_to_zero() {
        assert_eq!(learning_rate(1.0, 5, 10, 110), 0.5);
        assert_eq!(learning_rate(1.0, 10, 10, 110), 1.0);
        assert!((learning_rate(1.0, 60, 10, 110) - 0.5).abs() < 1e-12);
        assert_eq!(learning_rate(1.0, 110, 10, 110), 0.0);
    }

    #[test]
    fn plan_covers_every_row_once_in_full_batches_but_the_last_of_a_window() {
        let tokens: Vec<Vec<u32>> = (0..230).map(|i| vec![0; 1 + i % 17]).collect();
        let rows: Vec<usize> = (0..230).collect();
        let batches = plan(&rows, &tokens, 8, &mut Rng::new(1));
        let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, rows);
        assert!(batches.iter().all(|b| b.len() <= 8));
    }
}
