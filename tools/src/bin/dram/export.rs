//! `dram export`, `lint`, `inspect`, `attach-manifest`, `keygen`, `sign` and `verify`: model
//! files written, checked, read and signed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use dram_tools::compress::quantize::{Settings, TableScales};
use dram_tools::export::checkpoint::{export_checkpoint, Calibration};
use dram_tools::export::lint::{self, Severity};
use dram_tools::export::{inspect, report_table, sign, Request, Target, WeightStorage};

/// Options of the export profiles and of int8 quantization.
#[derive(clap::Args)]
pub struct CompressArgs {
    /// Deployment profile.
    #[arg(long, value_enum, default_value = "cpu")]
    target: Target,
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
    table_scales: TableScales,
    /// Skip bias correction.
    #[arg(long)]
    no_bias_correction: bool,
    /// Fixed row (candidate) count of the static-shape profiles (npu, coreml).
    #[arg(long, default_value_t = 128)]
    candidates: usize,
    /// Weight storage of the coreml profile.
    #[arg(long, value_enum, default_value = "f16")]
    weights: WeightStorage,
    /// Write the quantization report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// Options of `export`.
#[derive(clap::Args)]
pub struct ExportArgs {
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
}

/// `dram export`.
pub fn export(args: &ExportArgs) -> Result<()> {
    write_export(&args.checkpoint, &args.out, args.int8, &args.compress)
}

/// Exports a checkpoint as `args` say, printing and writing the quantization report.
pub fn write_export(checkpoint: &Path, out: &Path, int8: bool, args: &CompressArgs) -> Result<()> {
    let request = Request {
        target: args.target,
        settings: Settings { table_scales: args.table_scales, bias_correction: !args.no_bias_correction, ..Default::default() },
        calibration_rows: args.calibration_rows,
        batch: args.candidates,
        coreml_weights: args.weights,
    };
    let calibration = Calibration { data: args.calibration.as_deref(), config: args.config.as_deref() };
    let compressed = export_checkpoint(checkpoint, int8, &request, calibration)?;
    if let Some(report) = &compressed.report {
        eprint!("{}", report_table(report));
        if let Some(path) = &args.report {
            std::fs::write(path, serde_json::to_string_pretty(report)?).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    std::fs::write(out, &compressed.bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} bytes, target {})", out.display(), compressed.bytes.len(), args.target.as_str());
    Ok(())
}

/// Options of `lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Model file.
    model: PathBuf,
    /// Deployment profile.
    #[arg(long, value_enum, default_value = "cpu")]
    target: Target,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `dram lint`: exits with status 1 when the target cannot run the model.
pub fn lint(args: &LintArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("reading {}", args.model.display()))?;
    let findings = lint::lint_bytes(&bytes, args.target)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&findings)?);
    } else if findings.is_empty() {
        println!("{}: nothing the {} target cannot run", args.model.display(), args.target.as_str());
    } else {
        print!("{}", lint::render(&findings));
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        std::process::exit(1);
    }
    Ok(())
}

/// Options of `inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// Model file.
    model: PathBuf,
}

/// `dram inspect`.
pub fn inspect(args: &InspectArgs) -> Result<()> {
    print!("{}", inspect::describe(&args.model)?);
    Ok(())
}

/// Options of `attach-manifest`.
#[derive(clap::Args)]
pub struct AttachManifestArgs {
    /// The ONNX model.
    #[arg(long)]
    model: PathBuf,
    /// Manifest JSON (see docs/model-format.md).
    #[arg(long)]
    manifest: PathBuf,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
}

/// `dram attach-manifest`.
pub fn attach_manifest(args: &AttachManifestArgs) -> Result<()> {
    let bytes = std::fs::read(&args.model).with_context(|| format!("reading {}", args.model.display()))?;
    let json = std::fs::read_to_string(&args.manifest).with_context(|| format!("reading {}", args.manifest.display()))?;
    let wrapped = inspect::attach_manifest(&bytes, &json)?;
    std::fs::write(&args.out, &wrapped).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {} ({} bytes); it loads in dram-core", args.out.display(), wrapped.len());
    Ok(())
}

/// Options of `keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Path prefix of the two key files.
    #[arg(long)]
    out: PathBuf,
}

/// `dram keygen`.
pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let (secret, public) = sign::keygen(&args.out)?;
    eprintln!("wrote {} (keep it secret) and {} (embed it in the app)", secret.display(), public.display());
    Ok(())
}

/// Options of `sign`.
#[derive(clap::Args)]
pub struct SignArgs {
    /// Secret key file (PREFIX.key).
    #[arg(long)]
    key: PathBuf,
    /// The model to sign.
    #[arg(long)]
    model: PathBuf,
    /// Output file for the signed model.
    #[arg(long)]
    out: PathBuf,
}

/// `dram sign`.
pub fn sign(args: &SignArgs) -> Result<()> {
    let public = sign::sign_file(&args.key, &args.model, &args.out)?;
    eprintln!("wrote {}, signed by public key {}", args.out.display(), hex::encode(public));
    Ok(())
}

/// Options of `verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Public key file (PREFIX.pub).
    #[arg(long)]
    key: PathBuf,
    /// The model to check.
    #[arg(long)]
    model: PathBuf,
}

/// `dram verify`.
pub fn verify(args: &VerifyArgs) -> Result<()> {
    sign::verify_file(&args.key, &args.model)?;
    eprintln!("{}: signature valid", args.model.display());
    Ok(())
}
