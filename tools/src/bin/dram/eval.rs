//! `dram eval` and `dram latency`: model files scored and timed through dram-core.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use dram_core::manifest::Task;
use dram_tools::eval::{self, latency::LatencyRow};
use dram_tools::model::config::Config;
use dram_tools::model::dataset::{read_table, Binding, RowReader};

/// Options of `eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
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
}

/// `dram eval`.
pub fn eval(args: &EvalArgs) -> Result<()> {
    let quality = eval::evaluate_file(&args.model, &args.data, &args.config)?;
    if args.json {
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

/// Options of `latency`.
#[derive(clap::Args)]
pub struct LatencyArgs {
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
}

/// `dram latency`.
pub fn latency(args: &LatencyArgs) -> Result<()> {
    let config = Config::load(&args.config)?;
    let models: Vec<Arc<dram_core::Model>> = args.model.iter().map(|m| dram_core::Model::load(m).map(Arc::new)).collect::<Result<_, _>>()?;
    let table = read_table(&args.data, &config)?;
    let reader = RowReader::new(models[0].manifest(), &Binding::of(&config), &table)?;
    let rows: Vec<usize> = (0..args.candidates.min(table.rows())).collect();
    let latencies = match models[0].manifest().task {
        Task::Ranker => eval::rank_latencies(&models, &reader, &rows, args.iterations)?,
        Task::Classifier => eval::classify_latencies(&models, &reader, &rows, args.iterations)?,
    };
    let base = latencies[0].p50;
    let entries: Vec<LatencyRow> = args
        .model
        .iter()
        .zip(&latencies)
        .map(|(m, q)| LatencyRow { model: m.display().to_string(), candidates: rows.len(), p50_us: q.p50, p99_us: q.p99, p50_ratio_to_first: q.p50 / base })
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else {
        for e in &entries {
            println!("{:<40} p50 {:>8.1} µs  p99 {:>8.1} µs  x{:.3}", e.model, e.p50_us, e.p99_us, e.p50_ratio_to_first);
        }
    }
    Ok(())
}
