//! `dram-bench`: dram-core against ONNX Runtime on the same `.onnx` files, on real data.
//! `run` regenerates `bench/results.{json,md}` and the plot (see `scripts/bench.sh`);
//! `cold-start` re-measures only the cold-start cells;
//! `profile` prints where one call's time goes inside dram-core, node by node.

mod cold;
mod latency;
mod peer;
mod report;
mod roofline;
mod suite;
mod workers;
mod workload;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Benchmarks dram-core against ONNX Runtime")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs every measurement and writes results.json, results.md and latency.svg.
    Run(suite::Options),
    /// Measures only the cold-start cells and replaces them in results.json and results.md.
    ColdStart(suite::Options),
    /// Per-node profile of a ranker on MovieLens candidates, or of a review classifier on
    /// review texts.
    Profile {
        /// The ranker or classifier model.
        #[arg(long, default_value = "out/movielens/distilled.onnx")]
        model: PathBuf,
        /// Review texts for a classifier, one per line (`scripts/bench.sh` writes them).
        #[arg(long, default_value = "out/bench/reviews.txt")]
        texts: PathBuf,
        /// The MovieLens test split the user and movies come from.
        #[arg(long, default_value = "data/movielens/prepared/test.csv")]
        data: PathBuf,
        /// Candidates (or texts) per call.
        #[arg(long, default_value_t = 100)]
        candidates: usize,
        /// Calls averaged.
        #[arg(long, default_value_t = 500)]
        calls: usize,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Run(options) => suite::run(&options),
        Command::ColdStart(options) => suite::cold_starts_only(&options),
        Command::Profile { model, texts, data, candidates, calls } => {
            let model = Arc::new(dram_core::Model::load(&model).with_context(|| format!("loading {}", model.display()))?);
            let inputs = if model.manifest().task == dram_core::manifest::Task::Classifier {
                workload::TextWorkload::reviews(model.clone(), &texts)?.tensors(candidates)?
            } else {
                workload::RankerWorkload::movielens(model.clone(), &data, candidates)?.tensors(candidates)?
            };
            let profile = model.session().profile(inputs, calls)?;
            print!("{}", report::profile_text(&profile, candidates));
            Ok(())
        }
    }
}
