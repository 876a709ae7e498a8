//! `dram`: the command-line host tool. Each subcommand is a thin shell over `dram_tools`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use dram_tools::config::Config;
use dram_tools::dataset::{Binding, Dataset};
use dram_tools::teacher::Teacher;
use dram_tools::train::{self, net::Net, DistillSettings, Objective};
use dram_tools::{checkpoint, data, demo, eval, prune};

// candle allocates on every op; the distillation issue measured a tuned allocator ~4x faster
// than the system one on a small model. dram has not re-measured that trade-off itself.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "dram", version, about = "Distil, compress and export on-device personalisation models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DataArgs {
    /// Model configuration (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Training data (.csv or .parquet).
    #[arg(long)]
    train: PathBuf,
    /// Validation data, for early stopping.
    #[arg(long)]
    valid: PathBuf,
    /// Checkpoint directory to write (network description and weights).
    #[arg(long)]
    checkpoint: PathBuf,
    /// Also export the fp32 model file here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Per-epoch metrics as JSON lines.
    #[arg(long)]
    log: Option<PathBuf>,
}

/// Options of `prune` (boxed in [`Command`]: they outweigh every other command's).
#[derive(clap::Args)]
struct PruneArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Checkpoint of the trained network to prune.
    #[arg(long)]
    student: PathBuf,
    /// Teacher model file to distil from while fine-tuning (else labels only).
    #[arg(long, conflicts_with = "teacher_column")]
    teacher: Option<PathBuf>,
    /// Data column holding precomputed teacher logits (comma-separated columns, one per class).
    #[arg(long)]
    teacher_column: Option<String>,
    /// `structured` or `magnitude`.
    #[arg(long, default_value = "structured")]
    method: String,
    /// Structured: fraction of parameters kept.
    #[arg(long, default_value_t = 0.5)]
    keep: f64,
    /// Structured: unit ranking, `activation` or `weight`.
    #[arg(long, default_value = "activation")]
    saliency: String,
    /// Magnitude: fraction of weights zeroed.
    #[arg(long, default_value_t = 0.5)]
    sparsity: f64,
    /// Magnitude: `per_layer` (every tensor to the target), `global` (one threshold) or
    /// `sensitivity` (per-tensor targets from each tensor's measured validation drop).
    #[arg(long, default_value = "per_layer")]
    scope: String,
    /// Magnitude: how weights are ranked, `magnitude` (|w|) or `fisher` (estimated loss
    /// increase when zeroed: squared gradients of the fine-tuning objective times w^2).
    #[arg(long, default_value = "magnitude")]
    importance: String,
    /// Pruning steps of the gradual schedule.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    /// Fine-tuning epochs after each step.
    #[arg(long, default_value_t = 3)]
    finetune_epochs: usize,
    /// Fine-tuning peak learning rate (default: the config's).
    #[arg(long)]
    lr: Option<f64>,
    /// Extra fine-tuning epochs after the last step, at the final sparsity.
    #[arg(long, default_value_t = 0)]
    final_epochs: usize,
    /// Whose logits fine-tuning distils from: `teacher`, `self` (the unpruned student's
    /// own) or `both` (their mean); `self` and `both` need --teacher or --teacher-column,
    /// whose logits still rank weights.
    #[arg(long, default_value = "teacher")]
    recovery: String,
    /// Hard-label weight while fine-tuning (default: the config's distillation alpha);
    /// 0 follows the recovery logits only.
    #[arg(long)]
    recovery_alpha: Option<f64>,
    /// Which fine-tuning epoch is kept: `metric` (highest validation metric) or `fidelity`
    /// (validation logits closest to the unpruned student's).
    #[arg(long, default_value = "metric")]
    select: String,
    /// Seed of fine-tuning's batch order and the Fisher pass (default: the config's).
    #[arg(long)]
    seed: Option<u64>,
    /// Magnitude: multiply table weights' importance by their row's training reads to this
    /// power: negative protects rare rows (items newer than training), positive prunes them
    /// harder; 0 leaves the ranking alone.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    frequency_power: f64,
    /// `--scope sensitivity`: what each tensor's sensitivity curve measures, `metric`
    /// (validation metric drop) or `fidelity` (mean squared change of the validation logits).
    #[arg(long, default_value = "metric")]
    allocate_by: String,
    /// Write the pruning report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Options of `finetune-text-teacher` (see `dram_tools::text::finetune::FinetuneOptions`).
#[derive(clap::Args)]
struct FinetuneArgs {
    /// Directory with config.json, model.safetensors and tokenizer.json.
    #[arg(long, default_value = "data/minilm")]
    model_dir: PathBuf,
    /// Directory with train.csv, valid.csv and test.csv.
    #[arg(long, default_value = "data/reviews/prepared")]
    data: PathBuf,
    /// Output directory: checkpoint/, teacher.safetensors, cached-logit CSVs, metrics.json.
    #[arg(long)]
    out: PathBuf,
    /// Text column.
    #[arg(long, default_value = "text")]
    text_column: String,
    /// Heads as label-column:classes, comma-separated.
    #[arg(long, default_value = "recommended:2,sentiment:3")]
    heads: String,
    /// Word pieces kept per text, [CLS] and [SEP] included.
    #[arg(long, default_value_t = 64)]
    max_len: usize,
    /// Rows per step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Peak learning rate (linear warm-up, then linear decay to zero).
    #[arg(long, default_value_t = 8e-5)]
    lr: f64,
    /// Decoupled weight decay (not on biases, LayerNorm or embeddings).
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    /// Passes over the (sampled) training rows.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// Train on this many randomly drawn training rows.
    #[arg(long)]
    sample: Option<usize>,
    /// Fraction of steps warming up.
    #[arg(long, default_value_t = 0.06)]
    warmup: f64,
    /// Steps between checkpoints (a rerun resumes from the last).
    #[arg(long, default_value_t = 25)]
    checkpoint_every: usize,
    /// Seed of head initialisation, sampling and batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Freeze the embeddings and this many lower layers (0: fine-tune the whole encoder).
    #[arg(long, default_value_t = 0)]
    frozen_layers: usize,
    /// Start from an earlier run's teacher.safetensors (encoder and heads) instead of the
    /// pretrained encoder.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Skip this many rows of the shuffled training order before sampling (with --init and the
    /// same --seed: rows the earlier run did not train on).
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// Class weighting of the loss: class c weighs (rows / (classes * rows of c))^balance,
    /// scaled to a mean of 1 (0: plain cross-entropy, 1: balanced classes).
    #[arg(long, default_value_t = 0.0)]
    balance: f64,
}

impl FinetuneArgs {
    fn into_options(self) -> Result<dram_tools::text::finetune::FinetuneOptions> {
        let heads = self
            .heads
            .split(',')
            .map(|h| {
                let (name, classes) = h.split_once(':').with_context(|| format!("--heads entry `{h}`: expected column:classes"))?;
                Ok((name.to_string(), classes.parse().with_context(|| format!("--heads entry `{h}`: classes must be a number"))?))
            })
            .collect::<Result<_>>()?;
        Ok(dram_tools::text::finetune::FinetuneOptions {
            model_dir: self.model_dir,
            data_dir: self.data,
            text_column: self.text_column,
            heads,
            max_len: self.max_len,
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
            epochs: self.epochs,
            sample: self.sample,
            warmup: self.warmup,
            checkpoint_every: self.checkpoint_every,
            seed: self.seed,
            frozen_layers: self.frozen_layers,
            init: self.init,
            skip: self.skip,
            balance: self.balance,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train a model on labels.
    Train(DataArgs),
    /// Train a student on labels and a teacher's logits.
    Distill {
        #[command(flatten)]
        data: DataArgs,
        /// Teacher model file (any ONNX model with a dram manifest; wrap others with attach-manifest).
        #[arg(long, conflicts_with = "teacher_column")]
        teacher: Option<PathBuf>,
        /// Data column holding precomputed teacher logits (comma-separated columns, one per class).
        #[arg(long)]
        teacher_column: Option<String>,
    },
    /// Prune a trained checkpoint (structured: fewer hidden units and embedding dimensions, a
    /// smaller file; magnitude: zeroed weights, same file size), distilling after each step.
    Prune(Box<PruneArgs>),
    /// Export a checkpoint as a model file (ONNX with its manifest) for a deployment profile:
    /// cpu (fp32, or int8 with --int8), npu (int8 QDQ, static shapes), coreml (fp16 or int8
    /// weight-only, static shapes).
    Export {
        /// Checkpoint directory.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Quantize to int8 (implied by --target npu).
        #[arg(long)]
        int8: bool,
        #[command(flatten)]
        compress: CompressArgs,
    },
    /// Quantize a checkpoint to int8 with a calibration set (= export --int8), printing the
    /// per-tensor error report.
    Quantize {
        /// Checkpoint directory.
        #[arg(long)]
        checkpoint: PathBuf,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        compress: CompressArgs,
    },
    /// `Ranker::rank` latency of model files on the same candidates, interleaved in one run
    /// (candidate features from the first rows of the data; context and history from the first);
    /// for classifiers, `Classifier::predict` of the first `--candidates` rows per call.
    Latency {
        /// Model files (same features).
        #[arg(long, required = true)]
        model: Vec<PathBuf>,
        /// Data to take candidates from.
        #[arg(long)]
        data: PathBuf,
        /// Configuration naming the data's columns.
        #[arg(long)]
        config: PathBuf,
        /// Candidates per call.
        #[arg(long, default_value_t = 100)]
        candidates: usize,
        /// Timed calls per model.
        #[arg(long, default_value_t = 1000)]
        iterations: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List what a deployment target cannot run (or runs slowly) in a model file, by node.
    Lint {
        /// Model file.
        model: PathBuf,
        /// Deployment profile.
        #[arg(long, value_enum, default_value = "cpu")]
        target: dram_tools::export::Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate a model file through dram-core.
    Eval {
        /// Model file.
        #[arg(long)]
        model: PathBuf,
        /// Data to score.
        #[arg(long)]
        data: PathBuf,
        /// Configuration naming the label, group, history and feature columns.
        #[arg(long)]
        config: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a model file's manifest, inputs, outputs, parameters and size.
    Inspect {
        /// Model file.
        model: PathBuf,
    },
    /// Create an Ed25519 key pair for signing models: PREFIX.key (secret) and PREFIX.pub.
    Keygen {
        /// Path prefix of the two key files.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a model with a secret key from `dram keygen` (see docs/security.md).
    Sign {
        /// Secret key file (PREFIX.key).
        #[arg(long)]
        key: PathBuf,
        /// The model to sign.
        #[arg(long)]
        model: PathBuf,
        /// Output file for the signed model.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a model's signature against a public key file, as `Model::load_verified` does.
    Verify {
        /// Public key file (PREFIX.pub).
        #[arg(long)]
        key: PathBuf,
        /// The model to check.
        #[arg(long)]
        model: PathBuf,
    },
    /// Wrap an ONNX model made elsewhere with a manifest so dram-core can serve it.
    AttachManifest {
        /// The ONNX model.
        #[arg(long)]
        model: PathBuf,
        /// Manifest JSON (see docs/model-format.md).
        #[arg(long)]
        manifest: PathBuf,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the whole path on a synthetic shop and print a side-by-side table.
    Demo {
        /// Keep models, logs, report.json and report.html here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// A smaller shop and fewer epochs (for smoke tests).
        #[arg(long)]
        quick: bool,
    },
    /// Prepare MovieLens-100K (fetched by scripts/fetch-data.sh) as train/valid/test CSV files.
    PrepareMovielens {
        /// Directory holding ratings.parquet, users.parquet and items.parquet.
        #[arg(long, default_value = "data/movielens")]
        dir: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "data/movielens/prepared")]
        out: PathBuf,
    },
    /// Training throughput with a 10k-row vs a 1M-row hashed item table (one epoch each).
    BenchTrain,
    /// Prepare Women's E-Commerce Clothing Reviews (scripts/fetch-data.sh) by the text protocol.
    PrepareReviews {
        /// The reviews Parquet file.
        #[arg(long, default_value = "data/reviews/reviews.parquet")]
        data: PathBuf,
        /// Output directory (train.csv, valid.csv, test.csv).
        #[arg(long, default_value = "data/reviews/prepared")]
        out: PathBuf,
    },
    /// Fine-tune a BERT teacher (scripts/fetch-minilm.sh) on prepared text; resumable; caches logits.
    FinetuneTextTeacher(FinetuneArgs),
    /// The transfer set for distilling text students: a fine-tuned teacher's cached training
    /// rows (<teacher>/train.csv) plus perturbed copies of them (words cropped to a span and
    /// dropped at random) scored by the teacher. Pass the output to `dram distill --train`.
    AugmentText {
        /// Output directory of `finetune-text-teacher` (finished: logits cached).
        #[arg(long)]
        teacher: PathBuf,
        /// Perturbed copies per training row.
        #[arg(long, default_value_t = 2)]
        copies: usize,
        /// Chance that a copy keeps only a contiguous span (half to all) of the words.
        #[arg(long, default_value_t = 0.25)]
        span: f64,
        /// Chance that each word of a copy is dropped.
        #[arg(long, default_value_t = 0.1)]
        drop: f64,
        /// Seed of the perturbations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// CSV to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Per-review latency of a fine-tuned text teacher (exported to <teacher>/teacher.onnx and
    /// run by dram-core's Session) against student model files (dram-core's Classifier),
    /// interleaved review by review in one run.
    TextLatency {
        /// Output directory of `finetune-text-teacher`.
        #[arg(long)]
        teacher: PathBuf,
        /// Student model files.
        #[arg(long, required = true)]
        model: Vec<PathBuf>,
        /// Data holding the texts (the first --texts non-empty ones are timed).
        #[arg(long)]
        data: PathBuf,
        /// Text column.
        #[arg(long, default_value = "text")]
        text_column: String,
        /// Reviews timed.
        #[arg(long, default_value_t = 200)]
        texts: usize,
    },
    /// Regenerate the shared test vectors (fixture models and JSON cases).
    Fixtures {
        /// Output directory.
        #[arg(long, default_value = "tests/vectors")]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train(args) => fit(&args, None, None),
        Command::Distill { data, teacher, teacher_column } => {
            if teacher.is_none() && teacher_column.is_none() {
                bail!("distill needs --teacher MODEL.onnx or --teacher-column COLUMN");
            }
            fit(&data, teacher.as_deref(), teacher_column.as_deref())
        }
        Command::Prune(args) => {
            let PruneArgs { data, student, teacher, teacher_column, method, keep, saliency, sparsity, scope, importance, steps, finetune_epochs, lr, final_epochs, recovery, recovery_alpha, select, seed, frequency_power, allocate_by, report } = *args;
            let method = match method.as_str() {
                "structured" => prune::Method::Structured { keep, saliency: by_name("saliency", &saliency, "activation or weight")? },
                "magnitude" => prune::Method::Magnitude {
                    sparsity,
                    scope: by_name("scope", &scope, "per_layer, global or sensitivity")?,
                    importance: by_name("importance", &importance, "magnitude or fisher")?,
                },
                other => bail!("unknown --method `{other}`: expected structured or magnitude"),
            };
            let recovery = by_name("recovery", &recovery, "teacher, self or both")?;
            let select = by_name("select", &select, "metric or fidelity")?;
            let settings = prune::PruneSettings { method, steps, finetune_epochs, lr, final_epochs, recovery, recovery_alpha, select, frequency_power, allocate_by: by_name("allocate-by", &allocate_by, "metric or fidelity")? };
            let source = teacher.as_deref().map(Teacher::Model).or(teacher_column.as_deref().map(Teacher::Column));
            prune_checkpoint(&data, &student, source, &settings, seed, report.as_deref())
        }
        Command::Export { checkpoint, out, int8, compress } => export(&checkpoint, &out, int8, &compress),
        Command::Quantize { checkpoint, out, compress } => export(&checkpoint, &out, true, &compress),
        Command::Latency { model, data, config, candidates, iterations, json } => {
            let config = Config::load(&config)?;
            let models: Vec<std::sync::Arc<dram_core::Model>> =
                model.iter().map(|m| dram_core::Model::load(m).map(std::sync::Arc::new)).collect::<Result<_, _>>()?;
            let table = read_table(&data, &config)?;
            let reader = dram_tools::dataset::RowReader::new(models[0].manifest(), &Binding::of(&config), &table)?;
            let rows: Vec<usize> = (0..candidates.min(table.rows())).collect();
            let latencies = match models[0].manifest().task {
                dram_core::manifest::Task::Ranker => eval::rank_latencies(&models, &reader, &rows, iterations)?,
                dram_core::manifest::Task::Classifier => eval::classify_latencies(&models, &reader, &rows, iterations)?,
            };
            let base = latencies[0].0;
            let entries: Vec<serde_json::Value> = model
                .iter()
                .zip(&latencies)
                .map(|(m, (p50, p99))| serde_json::json!({"model": m.display().to_string(), "candidates": rows.len(), "p50_us": p50, "p99_us": p99, "p50_ratio_to_first": p50 / base}))
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for e in &entries {
                    // `Value`'s Display ignores precision: format the numbers themselves.
                    let number = |key: &str| e[key].as_f64().unwrap_or(f64::NAN);
                    println!("{:<40} p50 {:>8.1} µs  p99 {:>8.1} µs  x{:.3}", e["model"].as_str().unwrap_or(""), number("p50_us"), number("p99_us"), number("p50_ratio_to_first"));
                }
            }
            Ok(())
        }
        Command::Lint { model, target, json } => {
            let bytes = std::fs::read(&model).with_context(|| format!("reading {}", model.display()))?;
            let findings = dram_tools::lint::lint_bytes(&bytes, target)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&findings)?);
            } else if findings.is_empty() {
                println!("{}: nothing the {} target cannot run", model.display(), target.as_str());
            } else {
                print!("{}", dram_tools::lint::render(&findings));
            }
            if findings.iter().any(|f| f.severity == dram_tools::lint::Severity::Error) {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Eval { model, data, config, json } => {
            let config = Config::load(&config)?;
            let model = dram_core::Model::load(&model)?;
            let table = read_table(&data, &config)?;
            let set = Dataset::encode_with(&Binding::of(&config).for_manifest(model.manifest()), model.manifest(), &table)?;
            let quality = eval::evaluate(&model, &set)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&quality)?);
            } else {
                println!("rows      {}", quality.rows);
                for (name, value) in [
                    ("AUC", quality.auc),
                    ("log-loss", quality.log_loss),
                    ("NDCG@10", quality.ndcg10),
                    ("accuracy", quality.accuracy),
                    ("macro-F1", quality.macro_f1),
                ] {
                    if let Some(v) = value {
                        println!("{name:<9} {v:.4}");
                    }
                }
            }
            Ok(())
        }
        Command::Inspect { model } => {
            print!("{}", dram_tools::inspect::describe(&model)?);
            Ok(())
        }
        Command::Keygen { out } => {
            let (secret, public) = dram_tools::sign::keygen(&out)?;
            eprintln!("wrote {} (keep it secret) and {} (embed it in the app)", secret.display(), public.display());
            Ok(())
        }
        Command::Sign { key, model, out } => {
            let public = dram_tools::sign::sign_file(&key, &model, &out)?;
            eprintln!("wrote {}, signed by public key {}", out.display(), hex::encode(public));
            Ok(())
        }
        Command::Verify { key, model } => {
            dram_tools::sign::verify_file(&key, &model)?;
            eprintln!("{}: signature valid", model.display());
            Ok(())
        }
        Command::AttachManifest { model, manifest, out } => {
            let bytes = std::fs::read(&model).with_context(|| format!("reading {}", model.display()))?;
            let json = std::fs::read_to_string(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
            let wrapped = dram_tools::inspect::attach_manifest(&bytes, &json)?;
            std::fs::write(&out, &wrapped).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} ({} bytes); it loads in dram-core", out.display(), wrapped.len());
            Ok(())
        }
        Command::Demo { out, quick } => {
            let mut options = demo::DemoOptions::default();
            if quick {
                options.shop.users = 400;
                options.shop.items = 300;
                options.epochs = Some(2);
            }
            let report = demo::run(options, out.as_deref())?;
            println!("{}", demo::table(&report));
            println!("done in {:.0}s{}", report.seconds, out.map(|d| format!("; report in {}", d.join("report.html").display())).unwrap_or_default());
            Ok(())
        }
        Command::PrepareMovielens { dir, out } => {
            let (train, valid, test) = data::movielens::prepare(&dir)?;
            write_splits(&out, [("train", &train), ("valid", &valid), ("test", &test)])
        }
        Command::PrepareReviews { data: path, out } => {
            let (train, valid, test) = data::reviews::prepare(&path)?;
            write_splits(&out, [("train", &train), ("valid", &valid), ("test", &test)])
        }
        Command::FinetuneTextTeacher(args) => {
            let out = args.out.clone();
            dram_tools::text::finetune::run(&args.into_options()?, &out)
        }
        Command::BenchTrain => {
            let results = dram_tools::bench::table_size_throughput(&[10_000, 1_000_000])?;
            for (rows, rate) in &results {
                println!("item table {rows:>9} rows: {rate:>9.0} samples/s (epoch incl. one validation pass)");
            }
            println!("1M-row / 10k-row throughput ratio: {:.2}", results[1].1 / results[0].1);
            Ok(())
        }
        Command::TextLatency { teacher, model, data, text_column, texts } => {
            let table = data::read(&data)?;
            let column = table.column(&text_column).with_context(|| format!("{}", data.display()))?;
            let texts: Vec<String> = (0..table.rows()).map(|i| column.text(i)).filter(|t| !t.is_empty()).take(texts).collect();
            let timings = dram_tools::text::latency::compare(&teacher, &model, &texts)?;
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({"texts": texts.len(), "models": timings}))?);
            Ok(())
        }
        Command::AugmentText { teacher, copies, span, drop, seed, out } => {
            let how = dram_tools::text::augment::Perturbation { span, drop };
            let table = dram_tools::text::transfer::transfer_set(&teacher, copies, how, seed)?;
            data::write_csv(&table, &out)?;
            eprintln!("wrote {} rows to {}", table.rows(), out.display());
            Ok(())
        }
        Command::Fixtures { out } => dram_tools::fixtures::write(&out),
    }
}

/// Options of the export profiles and of int8 quantization.
#[derive(clap::Args)]
struct CompressArgs {
    /// Deployment profile.
    #[arg(long, value_enum, default_value = "cpu")]
    target: dram_tools::export::Target,
    /// Calibration data (.csv or .parquet), e.g. the validation split; int8 needs it.
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// Configuration naming the data's columns (default: the checkpoint's own).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Calibration rows used (evenly spaced).
    #[arg(long, default_value_t = 2048)]
    calibration_rows: usize,
    /// Embedding table scales: per row, per column, or auto (per row from 32 dimensions).
    #[arg(long, value_enum, default_value = "auto")]
    table_scales: dram_tools::quantize::TableScales,
    /// Skip bias correction.
    #[arg(long)]
    no_bias_correction: bool,
    /// Fixed row (candidate) count of the static-shape profiles (npu, coreml).
    #[arg(long, default_value_t = 128)]
    candidates: usize,
    /// Weight storage of the coreml profile.
    #[arg(long, value_enum, default_value = "f16")]
    weights: dram_tools::export::WeightStorage,
    /// Write the quantization report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
}

fn export(checkpoint_dir: &Path, out: &Path, int8: bool, args: &CompressArgs) -> Result<()> {
    use dram_tools::compress::{self, Request};
    use dram_tools::export::Target;
    let (net, manifest) = checkpoint::load(checkpoint_dir)?;
    let params = net.params()?;
    let int8 = int8 || args.target == Target::Npu;
    let bytes = if !int8 && args.target == Target::Cpu {
        let bytes = dram_tools::export::fp32_model(&net.spec, &params, &manifest)?;
        dram_core::Model::from_bytes(&bytes).context("the exported file does not load in dram-core")?;
        bytes
    } else {
        let calibration = match (&args.calibration, args.target) {
            (Some(path), _) => {
                let config = match &args.config {
                    Some(p) => Config::load(p)?,
                    None => checkpoint::config(checkpoint_dir)?,
                };
                let table = read_table(path, &config)?;
                Dataset::encode(&config, &manifest, &table)?
            }
            (None, Target::Coreml) => Dataset { inputs: Vec::new(), labels: Vec::new(), groups: Vec::new(), teacher: None, rows: 0 },
            (None, _) => bail!("int8 needs a calibration set: pass --calibration DATA (e.g. the validation split)"),
        };
        let request = Request {
            target: args.target,
            settings: dram_tools::quantize::Settings {
                table_scales: args.table_scales,
                bias_correction: !args.no_bias_correction,
                ..Default::default()
            },
            calibration_rows: args.calibration_rows,
            batch: args.candidates,
            coreml_weights: args.weights,
        };
        let compressed = compress::compress(&net.spec, &params, &manifest, &calibration, &request)?;
        if let Some(report) = &compressed.report {
            eprint!("{}", compress::report_table(report));
            if let Some(path) = &args.report {
                std::fs::write(path, serde_json::to_string_pretty(report)?).with_context(|| format!("writing {}", path.display()))?;
            }
        }
        compressed.bytes
    };
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} bytes, target {})", out.display(), bytes.len(), args.target.as_str());
    Ok(())
}

/// Writes prepared splits as `<out>/<name>.csv`.
fn write_splits(out: &Path, splits: [(&str, &data::Table); 3]) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (name, table) in splits {
        let path = out.join(format!("{name}.csv"));
        data::write_csv(table, &path)?;
        eprintln!("wrote {} ({} rows)", path.display(), table.rows());
    }
    Ok(())
}

fn read_table(path: &Path, config: &Config) -> Result<data::Table> {
    let mut table = data::read(path)?;
    if let Some(h) = &config.history {
        table.split_list(h).with_context(|| format!("history column in {}", path.display()))?;
    }
    Ok(table)
}

/// A snake_case option value as the library enum of that name.
fn by_name<T: serde::de::DeserializeOwned>(option: &str, value: &str, expected: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.into())).map_err(|_| anyhow::anyhow!("unknown --{option} `{value}`: expected {expected}"))
}

fn prune_checkpoint(args: &DataArgs, student: &Path, teacher: Option<Teacher>, settings: &prune::PruneSettings, seed: Option<u64>, report: Option<&Path>) -> Result<()> {
    let config = Config::load(&args.config)?;
    let (net, mut manifest) = checkpoint::load(student)?;
    if config.net_spec(manifest.clone()) != net.spec {
        bail!("--config {} does not describe the network in {}: pass the config it was trained with", args.config.display(), student.display());
    }
    let train_table = read_table(&args.train, &config)?;
    let mut train_set = Dataset::encode(&config, &manifest, &train_table)?;
    let valid_set = Dataset::encode(&config, &manifest, &read_table(&args.valid, &config)?)?;
    let objective = match teacher {
        Some(source) => {
            train_set.teacher = Some(dram_tools::teacher::logits(source, &config, &train_table)?);
            Objective::Distill(DistillSettings::from(&config.distill))
        }
        None => Objective::Labels,
    };
    let mut train_config = config.train.clone();
    train_config.seed = seed.unwrap_or(train_config.seed);
    let (pruned, outcome) = prune::run(&net, &train_set, &valid_set, &train_config, objective, settings)?;
    manifest.provenance.metrics.insert("valid_metric".into(), outcome.valid_metric_after);
    checkpoint::save(&args.checkpoint, &prune::shrink::config_for(&config, &pruned.spec), &manifest, &pruned)?;
    eprintln!(
        "pruned {} -> {} parameters ({:.1}% of weights zero), validation metric {:.4} -> {:.4}; checkpoint in {}",
        outcome.params_before, outcome.params_after, 100.0 * outcome.sparsity, outcome.valid_metric_before, outcome.valid_metric_after, args.checkpoint.display()
    );
    if let Some(path) = report {
        std::fs::write(path, serde_json::to_string_pretty(&outcome)?).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(out) = &args.out {
        let bytes = dram_tools::export::fp32_model(&pruned.spec, &pruned.params()?, &manifest)?;
        std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {} ({} bytes, was {})", out.display(), bytes.len(), outcome.bytes_before);
    }
    Ok(())
}

fn fit(args: &DataArgs, teacher: Option<&Path>, teacher_column: Option<&str>) -> Result<()> {
    let config = Config::load(&args.config)?;
    let train_table = read_table(&args.train, &config)?;
    let valid_table = read_table(&args.valid, &config)?;
    let manifest = config.manifest(&train_table)?;
    let mut train_set = Dataset::encode(&config, &manifest, &train_table)?;
    let valid_set = Dataset::encode(&config, &manifest, &valid_table)?;
    let objective = if teacher.is_some() || teacher_column.is_some() {
        let source = match (teacher, teacher_column) {
            (Some(path), _) => Teacher::Model(path),
            (None, Some(column)) => Teacher::Column(column),
            (None, None) => unreachable!(),
        };
        train_set.teacher = Some(dram_tools::teacher::logits(source, &config, &train_table)?);
        Objective::Distill(DistillSettings::from(&config.distill))
    } else {
        Objective::Labels
    };
    let mut net = Net::new(config.net_spec(manifest.clone()), config.train.seed)?;
    dram_tools::text::student_init::initialise(&config, &mut net)?;
    let logs = train::fit(&mut net, &train_set, &valid_set, &config.train, objective, "train", args.log.as_deref())?;
    let best = logs.iter().map(|l| l.valid_metric).fold(f64::NEG_INFINITY, f64::max);
    let mut manifest = manifest;
    manifest.provenance.dataset = Some(args.train.display().to_string());
    manifest.provenance.teacher = teacher.map(|t| t.display().to_string()).or(teacher_column.map(|c| format!("column {c}")));
    manifest.provenance.metrics.insert("valid_metric".into(), best);
    checkpoint::save(&args.checkpoint, &config, &manifest, &net)?;
    eprintln!("best validation metric {best:.4}; checkpoint in {}", args.checkpoint.display());
    if let Some(out) = &args.out {
        let bytes = dram_tools::export::fp32_model(&net.spec, &net.params()?, &manifest)?;
        std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
    }
    Ok(())
}
