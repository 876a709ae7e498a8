//! The Rust side of the Kotlin overhead benchmark: `Ranker::rank` called directly on the same
//! model, history, context and candidates as `RankOverheadBench.kt`, plus the same call on a
//! fresh copy of the candidates (the allocations any binding's conversion makes). Run by
//! `bench.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dram_core::{Candidate, Event, EventKind, History, Model, Ranker};

fn candidates(n: usize) -> Vec<Candidate> {
    let base = [
        ("3", "shoes", 49.0),
        ("17", "dresses", 89.5),
        ("25", "bags", 120.0),
        ("8", "shoes", 15.0),
        ("39", "hats", 9.99),
        ("1000", "unknown-category", 0.0),
    ];
    (0..n)
        .map(|i| {
            let (item, category, price) = match base.get(i) {
                Some(&(item, category, price)) => (item.to_string(), category, price),
                None => (
                    (i * 7).to_string(),
                    ["shoes", "bags", "hats"][i % 3],
                    i as f64 * 1.5,
                ),
            };
            Candidate::new(item)
                .with("category", category)
                .with("price", price)
        })
        .collect()
}

/// Microseconds per call: the fastest of 10 rounds of 0.3 s (after 1 s of warm-up), so that
/// other processes on the machine disturb the figure less. The Kotlin bench times the same way.
fn time(mut call: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for round in 0..=10 {
        let budget = Duration::from_millis(if round == 0 { 1000 } else { 300 });
        let start = Instant::now();
        let mut calls = 0u32;
        while start.elapsed() < budget {
            call();
            calls += 1;
        }
        if round > 0 {
            best = best.min(start.elapsed().as_secs_f64() * 1e6 / f64::from(calls));
        }
    }
    best
}

fn main() -> dram_core::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/models/ranker.onnx"
    );
    let ranker = Ranker::new(Arc::new(Model::load(path)?), History::new(50)?)?;
    ranker.set_context(
        [
            ("age".to_string(), 31.0.into()),
            ("device".to_string(), "android".into()),
        ]
        .into(),
    );
    ranker.record(Event::new("3", EventKind::View, 1))?;
    ranker.record(Event::new("17", EventKind::Click, 2))?;
    ranker.record(Event::new("25", EventKind::Purchase, 3))?;
    for n in [6, 100] {
        let candidates = candidates(n);
        let micros = time(|| {
            ranker.rank(&candidates).expect("the bench candidates rank");
        });
        println!("BENCH rust rank {n} candidates: {micros:.2} us/call");
        let micros = time(|| {
            ranker
                .rank(&candidates.clone())
                .expect("the bench candidates rank");
        });
        println!("BENCH rust rank (fresh copy) {n} candidates: {micros:.2} us/call");
    }
    Ok(())
}
