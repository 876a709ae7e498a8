//! `dram demo` and `dram fixtures`: the synthetic-shop walkthrough and the shared test vectors.

use std::path::PathBuf;

use anyhow::Result;
use dram_tools::demo;

/// Options of `demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Keep models, logs, report.json and report.html here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A smaller shop and fewer epochs (for smoke tests).
    #[arg(long)]
    quick: bool,
}

/// `dram demo`.
pub fn demo(args: &DemoArgs) -> Result<()> {
    let mut options = demo::DemoOptions::default();
    if args.quick {
        options.shop.users = 400;
        options.shop.items = 300;
        options.epochs = Some(2);
    }
    let report = demo::run(options, args.out.as_deref())?;
    println!("{}", demo::table(&report));
    println!(
        "done in {:.0}s{}",
        report.seconds,
        args.out.as_ref().map(|d| format!("; report in {}", d.join("report.html").display())).unwrap_or_default()
    );
    Ok(())
}

/// Options of `fixtures`.
#[derive(clap::Args)]
pub struct FixturesArgs {
    /// Output directory.
    #[arg(long, default_value = "tests/vectors")]
    out: PathBuf,
}

/// `dram fixtures`.
pub fn fixtures(args: &FixturesArgs) -> Result<()> {
    dram_tools::fixtures::write(&args.out)
}
