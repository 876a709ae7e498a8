//! The product CLI as the pipelines call it: each step of an experiment is the `dram` command a
//! user would type, run from the `dram` binary built beside `dram-lab`, so the tables measure
//! the tool users get.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The `dram` binary.
pub struct Dram {
    exe: PathBuf,
}

impl Dram {
    /// The `dram` binary in the same folder as the running `dram-lab` (cargo builds both into
    /// `target/<profile>/`).
    pub fn beside_this_binary() -> Result<Dram> {
        let exe = std::env::current_exe().context("locating dram-lab")?.with_file_name(format!("dram{}", std::env::consts::EXE_SUFFIX));
        if !exe.exists() {
            bail!("{} is missing: build it with `cargo build --bin dram` (the scripts build both binaries)", exe.display());
        }
        Ok(Dram { exe })
    }

    /// Runs `dram ARGS`, its output passed through; fails with the command line.
    pub fn run(&self, args: &[Arg<'_>]) -> Result<()> {
        let status = self.command(args).status().with_context(|| format!("starting {}", self.exe.display()))?;
        if !status.success() {
            bail!("`{}` failed ({status})", self.line(args));
        }
        Ok(())
    }

    /// Runs `dram ARGS` and returns what it printed on stdout.
    pub fn output(&self, args: &[Arg<'_>]) -> Result<String> {
        let out = self.command(args).stderr(std::process::Stdio::inherit()).output().with_context(|| format!("starting {}", self.exe.display()))?;
        if !out.status.success() {
            bail!("`{}` failed ({})", self.line(args), out.status);
        }
        String::from_utf8(out.stdout).with_context(|| format!("`{}` printed non-UTF-8 output", self.line(args)))
    }

    fn command(&self, args: &[Arg<'_>]) -> Command {
        eprintln!("+ {}", self.line(args));
        let mut command = Command::new(&self.exe);
        command.args(args.iter().map(Arg::os));
        command
    }

    fn line(&self, args: &[Arg<'_>]) -> String {
        std::iter::once("dram".to_string()).chain(args.iter().map(|a| a.os().to_string_lossy().into_owned())).collect::<Vec<_>>().join(" ")
    }
}

/// One command-line argument: a flag, a value or a path.
#[derive(Debug, Clone, Copy)]
pub struct Arg<'a>(&'a OsStr);

impl Arg<'_> {
    fn os(&self) -> OsString {
        self.0.to_os_string()
    }
}

impl<'a, T: AsRef<OsStr> + ?Sized> From<&'a T> for Arg<'a> {
    fn from(value: &'a T) -> Arg<'a> {
        Arg(value.as_ref())
    }
}

/// The arguments of one `dram` call, each converted to an [`Arg`].
#[macro_export]
macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$($crate::dram_cli::Arg::from($a)),*] };
}
