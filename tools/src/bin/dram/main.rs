//! `dram`: the command-line host tool. Each subcommand is a thin shell over `dram_tools`,
//! grouped by the library layer it drives: [`train`] (train, distil), [`compress`] (prune,
//! quantize), [`export`] (export, lint, inspect, attach a manifest, keys and signatures),
//! [`eval`] (scores, latency) and [`demo`] (the demo, the test vectors).
//!
//! The project's own experiments on public data sets (preparing MovieLens and the reviews,
//! fine-tuning the text teacher, their latency and throughput runs) are `dram-lab`'s.

mod compress;
mod demo;
mod eval;
mod export;
mod train;

use anyhow::Result;
use clap::{Parser, Subcommand};

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

#[derive(Subcommand)]
enum Command {
    /// Train a model on labels.
    Train(train::DataArgs),
    /// Train a student on labels and a teacher's logits.
    Distill(train::DistillArgs),
    /// Prune a trained checkpoint (structured: fewer hidden units and embedding dimensions, a
    /// smaller file; magnitude: zeroed weights, same file size), distilling after each step.
    Prune(Box<compress::PruneArgs>),
    /// Export a checkpoint as a model file (ONNX with its manifest) for a deployment profile:
    /// cpu (fp32, or int8 with --int8), npu (int8 QDQ, static shapes), coreml (fp16 or int8
    /// weight-only, static shapes).
    Export(export::ExportArgs),
    /// Quantize a checkpoint to int8 with a calibration set (= export --int8), printing the
    /// per-tensor error report.
    Quantize(compress::QuantizeArgs),
    /// `Ranker::rank` latency of model files on the same candidates, interleaved in one run
    /// (candidate features from the first rows of the data; context and history from the first);
    /// for classifiers, `Classifier::predict` of the first `--candidates` rows per call.
    Latency(eval::LatencyArgs),
    /// List what a deployment target cannot run (or runs slowly) in a model file, by node.
    Lint(export::LintArgs),
    /// Evaluate a model file through dram-core.
    Eval(eval::EvalArgs),
    /// Show a model file's manifest, inputs, outputs, parameters and size.
    Inspect(export::InspectArgs),
    /// Create an Ed25519 key pair for signing models: PREFIX.key (secret) and PREFIX.pub.
    Keygen(export::KeygenArgs),
    /// Sign a model with a secret key from `dram keygen` (see docs/security.md).
    Sign(export::SignArgs),
    /// Check a model's signature against a public key file, as `Model::load_verified` does.
    Verify(export::VerifyArgs),
    /// Wrap an ONNX model made elsewhere with a manifest so dram-core can serve it.
    AttachManifest(export::AttachManifestArgs),
    /// Run the whole path on a synthetic shop and print a side-by-side table.
    Demo(demo::DemoArgs),
    /// Regenerate the shared test vectors (fixture models and JSON cases).
    Fixtures(demo::FixturesArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Train(args) => train::train(&args),
        Command::Distill(args) => train::distill(&args),
        Command::Prune(args) => compress::prune(*args),
        Command::Export(args) => export::export(&args),
        Command::Quantize(args) => compress::quantize(&args),
        Command::Latency(args) => eval::latency(&args),
        Command::Lint(args) => export::lint(&args),
        Command::Eval(args) => eval::eval(&args),
        Command::Inspect(args) => export::inspect(&args),
        Command::Keygen(args) => export::keygen(&args),
        Command::Sign(args) => export::sign(&args),
        Command::Verify(args) => export::verify(&args),
        Command::AttachManifest(args) => export::attach_manifest(&args),
        Command::Demo(args) => demo::demo(&args),
        Command::Fixtures(args) => demo::fixtures(&args),
    }
}
