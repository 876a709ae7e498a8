//! What a test that depends on something outside the repository (a Python package, downloaded
//! weights) checks before it starts.
//!
//! Such a test is marked `#[ignore = "needs …; scripts/test.sh installs it and runs these"]`: a
//! plain `cargo test` lists it as ignored with that reason, and `scripts/test.sh` installs the
//! dependency, then runs it with `--ignored`. Once a test runs, a missing dependency is a
//! failure that names the command installing it, so the test command never passes without
//! having checked what the test checks.

// Each test binary that includes this module calls only the checks it needs.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// Panics, with the install command, unless `python3` imports every module of `modules`.
pub fn python_modules(modules: &[&str]) {
    let import = format!("import {}", modules.join(", "));
    let out = Command::new("python3").args(["-c", &import]).output();
    let why = match out {
        Ok(out) if out.status.success() => return,
        Ok(out) => String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_owned(),
        Err(e) => format!("python3 did not start: {e}"),
    };
    panic!(
        "this test needs python3 with {}; `{import}` failed ({why}). \
         Install them with scripts/install-deps.sh (python3 -m pip install {}).",
        modules.join(", "),
        modules.join(" ")
    );
}

/// Panics, with the command that makes it, unless `path` exists.
pub fn file(path: &Path, made_by: &str) {
    assert!(path.exists(), "this test needs {}; run {made_by} (scripts/test.sh does)", path.display());
}
