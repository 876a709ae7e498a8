//! Stress: many threads rank, classify, record events, save and load history at once on shared
//! objects. Scores must be bit-identical to a single-threaded run, no event may be lost, every
//! history file any thread reads back must be valid, and a watchdog fails the test instead of
//! hanging on a deadlock.
//!
//! `DRAM_STRESS_ITERATIONS` (default 150) sets the rounds per thread; CI runs the default.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use dram_core::{Candidate, Classifier, Event, EventKind, Features, History, Model, Ranker};

const THREADS: usize = 8;
const WATCHDOG: Duration = Duration::from_secs(120);

fn iterations() -> usize {
    std::env::var("DRAM_STRESS_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(150)
}

fn fixture(name: &str) -> Arc<Model> {
    Arc::new(Model::load(format!("{}/../tests/vectors/models/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap())
}

fn candidates() -> Vec<Candidate> {
    (0..12)
        .map(|i| Candidate::new(i.to_string()).with("category", ["shoes", "bags", "hats"][i % 3]).with("price", 10.0 + i as f64))
        .collect()
}

fn context() -> Features {
    Features::from([("age".into(), 29.into()), ("device".into(), "android".into())])
}

fn seeded_ranker(model: &Arc<Model>) -> Ranker {
    let ranker = Ranker::new(model.clone(), History::new(20).unwrap()).unwrap();
    ranker.set_context(context());
    for (i, item) in ["3", "7", "3", "11"].iter().enumerate() {
        ranker.record(Event::new(*item, EventKind::ALL[i % 5], i as i64)).unwrap();
    }
    ranker
}

/// Runs `body` on its own thread and fails if it has not finished within `limit`.
fn with_watchdog(name: &str, limit: Duration, body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let worker = thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: not finished in {limit:?}, a deadlock"),
    }
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dram-stress-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("history.bin")
}

#[test]
fn shared_rankers_and_classifiers_score_exactly_as_one_thread_does() {
    with_watchdog("scoring", WATCHDOG, || {
        let model = fixture("ranker.onnx");
        let ranker = Arc::new(seeded_ranker(&model));
        let expected = ranker.rank(&candidates()).unwrap();
        let classifier = Arc::new(Classifier::new(fixture("classifier.onnx")).unwrap());
        let texts = ["Lovely dress, fits well", "Too small and the zip broke", "ok"];
        let expected_classes = classifier.classify_texts(&texts).unwrap();
        let rounds = iterations();
        let start = Barrier::new(THREADS);
        let start = Arc::new(start);
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (ranker, classifier, start) = (ranker.clone(), classifier.clone(), start.clone());
                let (expected, expected_classes) = (expected.clone(), expected_classes.clone());
                thread::spawn(move || {
                    start.wait();
                    for round in 0..rounds {
                        if (t + round) % 4 == 0 {
                            assert_eq!(classifier.classify_texts(&texts).unwrap(), expected_classes);
                        } else {
                            assert_eq!(ranker.rank(&candidates()).unwrap(), expected, "thread {t} round {round}");
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        eprintln!("stress: {THREADS} threads x {rounds} rounds of rank/classify, all identical to one thread");
    });
}

#[test]
fn recording_saving_and_loading_at_once_loses_nothing_and_never_tears_a_file() {
    with_watchdog("history", WATCHDOG, || {
        let model = fixture("ranker.onnx");
        let rounds = iterations();
        let recorders = THREADS / 2;
        let ranker = Arc::new(Ranker::new(model.clone(), History::new(recorders * rounds).unwrap()).unwrap());
        ranker.set_context(context());
        let path = temp_path("history");
        ranker.save_history(&path).unwrap();
        let start = Arc::new(Barrier::new(THREADS));
        let mut workers = Vec::new();
        for t in 0..THREADS {
            let (ranker, path, start) = (ranker.clone(), path.clone(), start.clone());
            workers.push(thread::spawn(move || {
                start.wait();
                for round in 0..rounds {
                    match t % 4 {
                        // Recorders: distinct items per thread, timestamps in recording order.
                        0 | 1 => ranker.record(Event::new(format!("{t}-{round}"), EventKind::Click, round as i64)).unwrap(),
                        // Savers: two threads replacing the same file at once.
                        2 => ranker.save_history(&path).unwrap(),
                        // Readers of the file and rankers over the changing history.
                        _ => {
                            let loaded = History::load(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
                            assert!(loaded.len() <= ranker.history().capacity());
                            assert_eq!(ranker.rank(&candidates()).unwrap().len(), 12);
                        }
                    }
                }
            }));
        }
        for worker in workers {
            worker.join().unwrap();
        }
        // Every event recorded, each thread's in its own order.
        let history = ranker.history();
        let recorded: BTreeSet<String> = history.oldest_first().map(|e| e.item.clone()).collect();
        let wanted: BTreeSet<String> =
            (0..THREADS).filter(|t| t % 4 < 2).flat_map(|t| (0..rounds).map(move |r| format!("{t}-{r}"))).collect();
        assert_eq!(recorded, wanted);
        for t in (0..THREADS).filter(|t| t % 4 < 2) {
            let order: Vec<i64> =
                history.oldest_first().filter(|e| e.item.starts_with(&format!("{t}-"))).map(|e| e.timestamp_ms).collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "thread {t}'s events out of order");
        }
        // The last save wins completely, and scores over the final history match a fresh
        // single-threaded ranker's.
        ranker.save_history(&path).unwrap();
        assert_eq!(History::load(&path).unwrap(), history);
        let single = Ranker::new(model, History::load(&path).unwrap()).unwrap();
        single.set_context(context());
        assert_eq!(single.rank(&candidates()).unwrap(), ranker.rank(&candidates()).unwrap());
        // No temporary file is left behind.
        let dir = path.parent().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["history.bin"]);
        std::fs::remove_dir_all(dir).unwrap();
        eprintln!("stress: {THREADS} threads x {rounds} rounds of record/save/load/rank, {} events kept", history.len());
    });
}

#[test]
fn the_watchdog_fails_a_stuck_body() {
    let started = Instant::now();
    let stuck = std::panic::catch_unwind(|| {
        with_watchdog("stuck", Duration::from_millis(50), || thread::sleep(Duration::from_secs(2)))
    });
    let message = *stuck.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("a deadlock"), "{message}");
    // Before the stuck body's 2 s are up (with room for a loaded machine: under a parallel
    // build this took over 1 s once).
    assert!(started.elapsed() < Duration::from_millis(1900));
}
