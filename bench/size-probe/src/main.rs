//! Loads a ranker from the file named on the command line and ranks three candidates: the
//! least an app does with dram, so its stripped size is dram's footprint in an app.

use std::sync::Arc;

use dram_core::{Candidate, Features, History, Model, Ranker, Value};

fn main() {
    let path = std::env::args().nth(1).expect("usage: dram-size-probe MODEL.onnx");
    let bytes = std::fs::read(&path).expect("readable model file");
    let model = Arc::new(Model::from_bytes(&bytes).expect("a dram ranker"));
    let ranker = Ranker::new(model, History::new(20).expect("capacity")).expect("a ranker model");
    // The features of tests/vectors/models/ranker.onnx, the model scripts/size.sh passes.
    ranker.set_context(Features::from([("age".into(), Value::Int(35)), ("device".into(), Value::from("ios"))]));
    let shelf: Vec<Candidate> =
        (1..=3).map(|i| Candidate::new(i.to_string()).with("category", "c1").with("price", 5.0 * i as f64)).collect();
    for scored in ranker.rank(&shelf).expect("ranks") {
        println!("{} {}", scored.item, scored.score);
    }
}
