//! Long-lived scoring threads for the multi-thread cells. dram-core has no intra-op threads, so
//! a caller that wants two cores splits the rows; spawning scoped threads on every call cost
//! more than the call itself at 10-100 rows (measured: 157-262 µs against 23-89 µs on one
//! thread), so the threads are started once per cell and woken per call, as an app's worker
//! pool would (at 1,000 MovieLens candidates: 512 µs against 744 µs on one thread).

use std::sync::mpsc;
use std::thread::Scope;

use anyhow::{anyhow, Result};
use dram_core::{Model, Tensor};

/// Threads that each score one part of the rows when woken; the caller scores the first part.
pub struct Workers {
    wake: Vec<mpsc::Sender<()>>,
    done: mpsc::Receiver<Result<()>>,
}

impl Workers {
    /// Starts one thread per part after the first, inside `scope`; they stop when the
    /// `Workers` is dropped.
    pub fn start<'scope, 'env>(scope: &'scope Scope<'scope, 'env>, model: &'env Model, parts: &'env [Vec<Tensor>]) -> Workers {
        let (done_tx, done) = mpsc::channel();
        let wake = parts[1.min(parts.len())..]
            .iter()
            .map(|part| {
                let (wake_tx, wake_rx) = mpsc::channel::<()>();
                let done_tx = done_tx.clone();
                scope.spawn(move || {
                    while wake_rx.recv().is_ok() {
                        let scored = model.run_encoded(part.clone()).map(drop).map_err(anyhow::Error::from);
                        if done_tx.send(scored).is_err() {
                            return;
                        }
                    }
                });
                wake_tx
            })
            .collect();
        Workers { wake, done }
    }

    /// Scores every part once: `first` here, the others on the workers.
    pub fn run(&self, model: &Model, first: &[Tensor]) -> Result<()> {
        for w in &self.wake {
            w.send(()).map_err(|_| anyhow!("a scoring worker stopped"))?;
        }
        let mine = model.run_encoded(first.to_vec()).map(drop).map_err(anyhow::Error::from);
        for _ in &self.wake {
            self.done.recv().map_err(|_| anyhow!("a scoring worker stopped"))??;
        }
        mine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dram_core::preprocess::Row;
    use dram_core::{Event, Features, Value};

    #[test]
    fn workers_score_every_part_on_each_call_and_report_errors() {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/models/classifier.onnx")).unwrap();
        let model = Model::from_bytes(&bytes).unwrap();
        let feature = model.manifest().features[0].name.clone();
        let texts: Vec<Features> = ["fits well", "runs small", "love it"].iter().map(|t| Features::from([(feature.clone(), Value::Str(t.to_string()))])).collect();
        let (empty, no_events) = (Features::new(), Vec::<Event>::new());
        let rows: Vec<Row<'_>> = texts.iter().map(|f| Row { item: "", candidate: f, context: &empty, history: &no_events }).collect();
        let good = model.encoder().encode_rows(&rows).unwrap();
        // No tensors: no rows, which dram-core refuses.
        let parts = vec![good.clone(), good, Vec::new()];
        std::thread::scope(|s| {
            let workers = Workers::start(s, &model, &parts[..2]);
            for _ in 0..3 {
                workers.run(&model, &parts[0]).unwrap();
            }
            let failing = Workers::start(s, &model, &parts[1..]);
            assert!(failing.run(&model, &parts[1]).is_err(), "the worker's error reaches the caller");
        });
    }
}
