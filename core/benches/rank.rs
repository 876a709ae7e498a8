//! `Ranker::rank` latency for the fixture ranker (100 candidates, a 50-event history), model
//! load time from bytes, and cold start (load, then the first ranking). Run with
//! `cargo bench -p dram-core --bench rank`.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use dram_core::{Candidate, Event, EventKind, Features, History, Model, Ranker, Value};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../tests/vectors/models/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture model")
}

fn ranker(bytes: &[u8]) -> Ranker {
    let model = Arc::new(Model::from_bytes(bytes).expect("fixture loads"));
    let ranker = Ranker::new(model, History::new(50).expect("capacity")).expect("ranker model");
    ranker.set_context(Features::from([("age".into(), Value::Int(35)), ("device".into(), Value::from("ios"))]));
    let kinds = [EventKind::View, EventKind::Click, EventKind::AddToCart, EventKind::Purchase];
    for i in 0..50 {
        ranker.record(Event::new(((i * 7) % 40).to_string(), kinds[i % 4], i as i64)).expect("valid event");
    }
    ranker
}

fn candidates(n: usize) -> Vec<Candidate> {
    (0..n)
        .map(|i| Candidate::new((i % 40).to_string()).with("category", format!("c{}", i % 9)).with("price", 5.0 + i as f64))
        .collect()
}

fn bench(c: &mut Criterion) {
    for name in ["ranker.onnx", "ranker_din.onnx"] {
        let bytes = fixture(name);
        let ranker = ranker(&bytes);
        let shelf = candidates(100);
        c.bench_function(&format!("{name}/rank_100_candidates_50_events"), |b| b.iter(|| ranker.rank(&shelf).expect("ranks")));
        c.bench_function(&format!("{name}/load_from_bytes"), |b| b.iter(|| Model::from_bytes(&bytes).expect("loads")));
        // Cold start as dram-bench measures it: bytes in memory to the first 100-candidate
        // ranking, which also builds the plan of the 104-row bucket.
        c.bench_function(&format!("{name}/cold_start_rank_100_candidates"), |b| {
            b.iter(|| crate::ranker(&bytes).rank(&shelf).expect("ranks"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
