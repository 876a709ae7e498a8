//! `dram`: the command-line host tool.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "dram", version, about = "Distil, compress and export on-device personalisation models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate the shared test vectors (fixture models and JSON cases).
    Fixtures {
        /// Output directory.
        #[arg(long, default_value = "tests/vectors")]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Fixtures { out } => dram_tools::fixtures::write(&out),
    }
}
