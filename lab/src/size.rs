//! Stripped x86-64 size of dram's C library (`bindings/c`, `libdram.so`) and of the smallest Rust
//! app using dram (`bench/size-probe`: load a model, rank), under a sequence of release-profile
//! steps applied with `CARGO_PROFILE_RELEASE_*` variables (no Cargo.toml changes), written to
//! `bench/size.json` (`scripts/size.sh`; `docs/size.md` discusses it). Each step rebuilds tract
//! from scratch in its own target folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::results::{self, SizeResults, SizeStep, SIZE_RESULTS};

/// One release setting measured.
pub struct Step {
    /// What the step changes.
    pub name: &'static str,
    /// `CARGO_PROFILE_RELEASE_*` settings.
    pub env: &'static [(&'static str, &'static str)],
    /// Extra cargo arguments of both builds (features).
    pub args: &'static [&'static str],
    /// The cargo subcommand of the C library (`rustc --crate-type cdylib` builds it alone).
    pub c_command: &'static [&'static str],
}

const LTO_Z: &[(&str, &str)] =
    &[("CARGO_PROFILE_RELEASE_LTO", "fat"), ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"), ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")];
const LTO_Z_ABORT: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_LTO", "fat"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"),
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z"),
    ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
];
const LTO_2: &[(&str, &str)] =
    &[("CARGO_PROFILE_RELEASE_LTO", "fat"), ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1"), ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "2")];
const CDYLIB: &[&str] = &["rustc", "--crate-type", "cdylib"];

/// The steps, in order (`--steps` picks some by index).
pub const STEPS: [Step; 6] = [
    Step { name: "release (opt-level 3, 16 codegen units, unwind)", env: &[], args: &[], c_command: &["build"] },
    Step { name: "+ fat LTO, codegen-units = 1, opt-level = z", env: LTO_Z, args: &[], c_command: &["build"] },
    Step { name: "+ panic = abort (Rust binary only: the C library must catch panics)", env: LTO_Z_ABORT, args: &[], c_command: &["build"] },
    Step {
        name: "fat LTO, z, dram's direct import only (tract-onnx, tract-hir, tract-nnef not linked)",
        env: LTO_Z,
        args: &["--no-default-features"],
        c_command: &["build"],
    },
    Step { name: "+ the C library built as a cdylib alone (the size-first option)", env: LTO_Z, args: &["--no-default-features"], c_command: CDYLIB },
    Step {
        name: "the same at opt-level 2 (the mobile profile of android/build-native.sh: z is 1.7x slower)",
        env: LTO_2,
        args: &["--no-default-features"],
        c_command: CDYLIB,
    },
];

/// Measures the steps at `indices` (all when empty) from the repository root `root` and merges
/// them into `<root>/bench/size.json`, whose other steps keep their figures.
pub fn run(root: &Path, indices: &[usize]) -> Result<SizeResults> {
    let target = root.join("target/size");
    let model = root.join("tests/vectors/models/ranker.onnx");
    let chosen: Vec<usize> = if indices.is_empty() { (0..STEPS.len()).collect() } else { indices.to_vec() };
    let mut measured = Vec::new();
    for &index in &chosen {
        let step = STEPS.get(index).with_context(|| format!("no size step {index}: there are {}", STEPS.len()))?;
        eprintln!("== {}", step.name);
        let aborts = step.env.iter().any(|(k, _)| *k == "CARGO_PROFILE_RELEASE_PANIC");
        let c_library = if aborts {
            None
        } else {
            let mut cargo = step.c_command.to_vec();
            cargo.extend(["--release", "-p", "dram-c"]);
            cargo.extend(step.args);
            build(root, step, &cargo, &target)?;
            Some(stripped_size(&target.join("release/libdram.so"))?)
        };
        let manifest = root.join("bench/size-probe/Cargo.toml");
        let mut cargo = vec!["build", "--release", "--manifest-path", manifest.to_str().context("a UTF-8 repository path")?];
        cargo.extend(step.args);
        build(root, step, &cargo, &target)?;
        let probe = target.join("release/dram-size-probe");
        let ran = Command::new(&probe).arg(&model).stdout(std::process::Stdio::null()).status()?;
        if !ran.success() {
            bail!("{} {} failed ({ran})", probe.display(), model.display());
        }
        let rust_binary = stripped_size(&probe)?;
        println!("{:<70} C library {:>10} B   Rust binary {rust_binary:>10} B", step.name, c_library.map_or("null".into(), |b| b.to_string()));
        let env: Vec<String> = step.env.iter().map(|(k, v)| format!("{k}={v}")).chain(step.args.iter().map(|a| a.to_string())).collect();
        measured.push(SizeStep { step: step.name.into(), env: env.join(" "), c_library, rust_binary });
    }
    let new = SizeResults { target: "x86_64-unknown-linux-gnu".into(), tract: "0.23.9".into(), steps: measured };
    let path = root.join("bench/size.json");
    let merged = if path.exists() { results::read::<SizeResults>(&path, SIZE_RESULTS)?.merged(new) } else { new };
    results::write(&path, &merged)?;
    eprintln!("wrote {}", path.display());
    Ok(merged)
}

/// `nice -n 10 cargo ARGS --target-dir TARGET` with the step's settings.
fn build(root: &Path, step: &Step, cargo: &[&str], target: &Path) -> Result<()> {
    let mut command = Command::new("nice");
    command.current_dir(root).args(["-n", "10", "cargo"]).args(cargo).arg("--target-dir").arg(target);
    command.envs(step.env.iter().copied());
    let status = command.status().context("starting cargo")?;
    if !status.success() {
        bail!("cargo {} failed ({status}) in step `{}`", cargo.join(" "), step.name);
    }
    Ok(())
}

/// Bytes of `file` after `strip --strip-all` (of a copy).
fn stripped_size(file: &Path) -> Result<u64> {
    let copy: PathBuf = std::env::temp_dir().join(format!("dram-size-{}", std::process::id()));
    let status = Command::new("strip").arg("--strip-all").arg("-o").arg(&copy).arg(file).status().context("starting strip")?;
    if !status.success() {
        bail!("strip {} failed ({status})", file.display());
    }
    let bytes = std::fs::metadata(&copy)?.len();
    std::fs::remove_file(&copy)?;
    Ok(bytes)
}
