//! `dram-lab`: the project's experiments on public data sets, apart from the product CLI.
//! `scripts/movielens.sh`, `reviews.sh` and `size.sh` are short calls to it.

mod finetune;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use dram_lab::dram_cli::Dram;
use dram_lab::prepare::{self, movielens, reviews};
use dram_lab::{text_latency, train_throughput};
use dram_tools::data;

#[derive(Parser)]
#[command(name = "dram-lab", version, about = "dram's own experiments: data sets prepared, tables reproduced, typed results")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Prepare MovieLens-100K (fetched by scripts/fetch-data.sh) as train/valid/test CSV files.
    PrepareMovielens {
        /// Directory holding ratings.parquet, users.parquet and items.parquet.
        #[arg(long, default_value = "data/movielens")]
        dir: PathBuf,
        /// Output directory.
        #[arg(long, default_value = "data/movielens/prepared")]
        out: PathBuf,
    },
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
    FinetuneTextTeacher(finetune::FinetuneArgs),
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
    /// Training throughput with a 10k-row vs a 1M-row hashed item table (one epoch each).
    BenchTrain,
    /// The MovieLens-100K table: every model trained, compressed, linted, timed and scored
    /// (scripts/movielens.sh); writes <out>/results.json.
    Movielens {
        /// The fetched MovieLens files.
        #[arg(long, default_value = "data/movielens")]
        data: PathBuf,
        /// Models, logs and results.json.
        #[arg(long, default_value = "out/movielens")]
        out: PathBuf,
        /// The model configurations.
        #[arg(long, default_value = "tools/configs")]
        configs: PathBuf,
    },
    /// The review-classification table after the text teacher (scripts/reviews.sh); writes
    /// <out>/results.json.
    Reviews {
        /// The prepared reviews (prepare-reviews).
        #[arg(long, default_value = "data/reviews/prepared")]
        prepared: PathBuf,
        /// A finished finetune-text-teacher run.
        #[arg(long, default_value = "out/reviews/teacher-full")]
        teacher: PathBuf,
        /// Models, logs and results.json.
        #[arg(long, default_value = "out/reviews")]
        out: PathBuf,
        /// The model configurations.
        #[arg(long, default_value = "tools/configs")]
        configs: PathBuf,
        /// Perturbed copies per training row in the transfer set.
        #[arg(long, default_value_t = 2)]
        copies: usize,
        /// Keep the model files of the steps that do not depend on the teacher when they exist.
        #[arg(long)]
        reuse: bool,
    },
    /// Library and binary sizes under a sequence of release settings (scripts/size.sh);
    /// merges the steps measured into bench/size.json.
    Size {
        /// Indices of the steps to run (all by default), e.g. `--steps 0,1`.
        #[arg(long, value_delimiter = ',')]
        steps: Vec<usize>,
        /// The repository root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::PrepareMovielens { dir, out } => {
            let (train, valid, test) = movielens::prepare(&dir)?;
            prepare::write_splits(&out, [("train", &train), ("valid", &valid), ("test", &test)])
        }
        Command::PrepareReviews { data: path, out } => {
            let (train, valid, test) = reviews::prepare(&path)?;
            prepare::write_splits(&out, [("train", &train), ("valid", &valid), ("test", &test)])
        }
        Command::FinetuneTextTeacher(args) => {
            let out = args.out.clone();
            dram_tools::text::finetune::run(&args.into_options()?, &out)
        }
        Command::AugmentText { teacher, copies, span, drop, seed, out } => {
            let how = dram_tools::data::augment::Perturbation { span, drop };
            let table = dram_tools::text::transfer::transfer_set(&teacher, copies, how, seed)?;
            data::write_csv(&table, &out)?;
            eprintln!("wrote {} rows to {}", table.rows(), out.display());
            Ok(())
        }
        Command::TextLatency { teacher, model, data: path, text_column, texts } => {
            let table = data::read(&path)?;
            let column = table.column(&text_column).with_context(|| format!("{}", path.display()))?;
            let texts: Vec<String> = (0..table.rows()).map(|i| column.text(i)).filter(|t| !t.is_empty()).take(texts).collect();
            let timings = text_latency::compare(&teacher, &model, &texts)?;
            println!("{}", serde_json::to_string_pretty(&timings)?);
            Ok(())
        }
        Command::BenchTrain => {
            let results = train_throughput::table_size_throughput(&[10_000, 1_000_000])?;
            for (rows, rate) in &results {
                println!("item table {rows:>9} rows: {rate:>9.0} samples/s (epoch incl. one validation pass)");
            }
            println!("1M-row / 10k-row throughput ratio: {:.2}", results[1].1 / results[0].1);
            Ok(())
        }
        Command::Movielens { data, out, configs } => {
            let table = dram_lab::movielens::run(&Dram::beside_this_binary()?, &dram_lab::movielens::Folders { data, out, configs })?;
            println!("{}", serde_json::to_string_pretty(&table)?);
            Ok(())
        }
        Command::Reviews { prepared, teacher, out, configs, copies, reuse } => {
            let plan = dram_lab::reviews::Plan { prepared, teacher, out: out.clone(), configs, copies, reuse };
            let table = dram_lab::reviews::run(&Dram::beside_this_binary()?, &plan)?;
            dram_lab::reviews::print(&table);
            eprintln!("wrote {}", out.join("results.json").display());
            Ok(())
        }
        Command::Size { steps, root } => {
            dram_lab::size::run(&root, &steps)?;
            Ok(())
        }
    }
}
