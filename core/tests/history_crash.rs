//! Crash safety of history saves: a child process saves its history in a loop and is killed
//! with SIGKILL at random moments, many times over. After every kill the file must load and
//! hold either the version before or a version after the previous check (never garbage, never
//! older), and the directory must not fill up with the temporary files of killed saves.
//!
//! `DRAM_KILL_ITERATIONS` (default 40) sets the number of kills; the child is this test binary
//! re-run on its ignored `saver_child` test.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dram_core::{Event, EventKind, History};

const CHILD_ENV: &str = "DRAM_KILL_TEST_HISTORY";
const CAPACITY: usize = 1500;
/// Items are long so that a save takes long enough (about 300 KB) to be killed half-way.
const ITEM_BYTES: usize = 200;

fn item(n: u64) -> String {
    format!("{n:0width$}", width = ITEM_BYTES)
}

/// Checks `history` is a window of consecutive events ending at some number and returns it.
fn last_number(history: &History) -> u64 {
    let numbers: Vec<u64> = history.oldest_first().map(|e| e.item.trim_start_matches('0').parse().unwrap_or(0)).collect();
    assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "events are not consecutive: the file mixes versions");
    assert!(history.oldest_first().all(|e| e.item.len() == ITEM_BYTES && e.timestamp_ms as u64 == e.item.parse::<u64>().unwrap()));
    numbers.last().copied().unwrap_or(0)
}

/// The child: load, then record and save forever (until killed).
#[test]
#[ignore = "the child process of every_kill_leaves_the_old_or_a_newer_file; runs only when re-invoked"]
fn saver_child() {
    let path = PathBuf::from(std::env::var(CHILD_ENV).expect("run by the kill test only"));
    let mut history = History::load(&path).unwrap();
    let mut next = last_number(&history) + 1;
    loop {
        history.record(Event::new(item(next), EventKind::View, next as i64)).unwrap();
        history.save(&path).unwrap();
        next += 1;
    }
}

fn spawn_child(path: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "saver_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A small deterministic generator, so a failing iteration can be replayed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn every_kill_leaves_the_old_or_a_newer_file() {
    let iterations: usize = std::env::var("DRAM_KILL_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let dir = std::env::temp_dir().join(format!("dram-kill-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("history.bin");
    History::new(CAPACITY).unwrap().save(&path).unwrap();
    let max_file = 24 + CAPACITY * (1 + 8 + 2 + ITEM_BYTES);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut last = 0;
    let mut interrupted = 0;
    let started = Instant::now();
    for iteration in 0..iterations {
        let mut child = spawn_child(&path);
        std::thread::sleep(Duration::from_millis(20 + rng.below(60)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let history = History::load(&path).unwrap_or_else(|e| panic!("iteration {iteration}: {e}"));
        let now = last_number(&history);
        assert!(now >= last, "iteration {iteration}: the file went back from event {last} to {now}");
        last = now;
        let size = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(size <= max_file, "iteration {iteration}: {size} bytes, over the bound {max_file}");
        // The history plus at most the temporary file of the save this kill interrupted.
        let files = std::fs::read_dir(&dir).unwrap().count();
        assert!(files <= 2, "iteration {iteration}: {files} files in the history directory");
        interrupted += usize::from(files == 2);
    }
    assert!(last > 0, "the child never completed a save: the test proved nothing");
    eprintln!(
        "kill test: {iterations} kills in {:?} ({interrupted} interrupted a save half-way), {last} saves, file always valid",
        started.elapsed()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
