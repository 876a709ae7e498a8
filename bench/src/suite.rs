//! `dram-bench run`: every measurement of the comparison, in one process, written as
//! `results.json`, `results.md` and `latency.svg`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use dram_core::timing::Quantiles;
use dram_lab::results::{self, DataSetResults, SizeResults, DATA_SET_RESULTS, SIZE_RESULTS};
use dram_core::{Classifier, Model, Tensor};
use serde::Serialize;
use serde_json::Value as Json;

use crate::latency::{interleaved, Budget, Contestant, Stats};
use crate::peer::{self, Ort};
use crate::workers::Workers;
use crate::workload::{RankerWorkload, TextWorkload};
use crate::{cold, report, roofline};

/// Where the inputs are and how long to measure.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// Directory results are written to.
    #[arg(long, default_value = "bench")]
    pub out: PathBuf,
    /// MovieLens models and results.json (scripts/movielens.sh).
    #[arg(long, default_value = "out/movielens")]
    pub movielens: PathBuf,
    /// Review classifier models and results.json.
    #[arg(long, default_value = "out/reviews")]
    pub reviews: PathBuf,
    /// MovieLens test split (user, history and candidate movies).
    #[arg(long, default_value = "data/movielens/prepared/test.csv")]
    pub movielens_data: PathBuf,
    /// Review texts, one per line.
    #[arg(long, default_value = "out/bench/reviews.txt")]
    pub review_texts: PathBuf,
    /// Library and binary sizes written by scripts/size.sh.
    #[arg(long, default_value = "bench/size.json")]
    pub sizes: PathBuf,
    /// Candidate counts of the ranker cells.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,1000")]
    pub candidates: Vec<usize>,
    /// Seconds of sampling per cell (at least 50 rounds).
    #[arg(long, default_value_t = 1.5)]
    pub seconds: f64,
    /// Cold starts per runtime and model (interleaved; the cell reports the median).
    #[arg(long, default_value_t = 25)]
    pub cold_runs: usize,
}

/// One latency cell: a model, a thread count and a batch, both runtimes.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub workload: String,
    pub model: String,
    pub threads: usize,
    pub rows: usize,
    /// dram-core on the encoded tensors (the same ones ONNX Runtime gets).
    pub dram: Stats,
    /// ONNX Runtime on the encoded tensors.
    pub ort: Stats,
    /// dram-core including encoding from raw features (and sorting, for rankers).
    pub dram_end_to_end: Option<Stats>,
    /// dram p50 / ONNX Runtime p50.
    pub ratio: f64,
    /// Largest difference between the runtimes' outputs.
    pub max_abs_diff: f32,
}

/// Runs everything and writes the results.
pub fn run(options: &Options) -> Result<()> {
    let lib = peer::locate().with_context(|| {
        format!("set {} to the onnxruntime wheel's libonnxruntime.so (scripts/bench.sh does)", peer::DYLIB_VAR)
    })?;
    let ort = Ort::load(&lib)?;
    // The lab's results first: a missing or malformed file stops the run before the long
    // measurements rather than after them.
    let libraries = results::read::<SizeResults>(&options.sizes, SIZE_RESULTS)?;
    let training = training(&options.movielens)?;
    let quality = quality(&[("MovieLens-100K", &options.movielens), ("Women's reviews", &options.reviews)])?;
    let budget = Budget {
        warmup: 20,
        min_rounds: 50,
        max_rounds: 20_000,
        time: Duration::from_secs_f64(options.seconds),
    };
    let mut cells = Vec::new();
    let mut cold_starts = Vec::new();
    let rankers = onnx_files(&options.movielens, &["distilled", "teacher"]);
    let mut skipped = Vec::new();
    for path in &rankers {
        let measured = (|| -> Result<()> {
            let bytes = std::fs::read(path)?;
            let model = Arc::new(Model::load(path)?);
            let work = RankerWorkload::movielens(model.clone(), &options.movielens_data, 1000)?;
            for &threads in &[1, 2] {
                let mut session = ort.session(&bytes, threads)?;
                for &rows in &options.candidates {
                    eprintln!("ranker {} threads={threads} N={rows}", path.display());
                    let named = work.tensors(rows)?;
                    let shelf = work.candidates(rows);
                    let e2e: Box<dyn FnMut() -> Result<()>> = Box::new(|| Ok(drop(work.ranker.rank(&shelf)?)));
                    cells.push(cell("movielens-ranker", path, threads, rows, &model, &mut session, &named, Some(e2e), budget)?);
                }
            }
            cold_starts.push(cold_start(&ort, path, &bytes, &work.tensors(100)?, options.cold_runs)?);
            Ok(())
        })();
        if let Err(e) = measured {
            eprintln!("skipping {}: {e:#}", path.display());
            skipped.push(serde_json::json!({"model": file_name(path), "reason": format!("{e:#}")}));
        }
    }
    let classifiers = onnx_files(&options.reviews, &[]);
    for path in &classifiers {
        let measured = (|| -> Result<()> {
            let bytes = std::fs::read(path)?;
            let model = Arc::new(Model::load(path)?);
            let work = TextWorkload::reviews(model.clone(), &options.review_texts)?;
            let classifier = Classifier::new(model.clone()).ok();
            for &threads in &[1, 2] {
                let mut session = ort.session(&bytes, threads)?;
                for rows in [1, 32] {
                    eprintln!("classifier {} threads={threads} texts={rows}", path.display());
                    let named = work.tensors(rows)?;
                    let texts: Vec<&str> = work.texts.iter().cycle().take(rows).map(String::as_str).collect();
                    let e2e: Option<Box<dyn FnMut() -> Result<()>>> = classifier
                        .as_ref()
                        .map(|c| Box::new(move || Ok(drop(c.classify_texts(&texts)?))) as Box<dyn FnMut() -> Result<()>>);
                    cells.push(cell("reviews-classifier", path, threads, rows, &model, &mut session, &named, e2e, budget)?);
                }
            }
            cold_starts.push(cold_start(&ort, path, &bytes, &work.tensors(1)?, options.cold_runs)?);
            Ok(())
        })();
        if let Err(e) = measured {
            eprintln!("skipping {}: {e:#}", path.display());
            skipped.push(serde_json::json!({"model": file_name(path), "reason": format!("{e:#}")}));
        }
    }
    let profile = profile_of(options, rankers.first())?;
    let peak = roofline::measure(500);
    let results = serde_json::json!({
        "machine": machine(&ort),
        "latency": cells,
        "skipped": skipped,
        "cold_start": cold_starts,
        "model_files": model_files(&[&options.movielens, &options.reviews])?,
        "libraries": libraries,
        "roofline": roofline_json(&profile, &peak, &cells),
        "profile": profile,
        "training": training,
        "quality": quality,
    });
    std::fs::create_dir_all(&options.out)?;
    std::fs::write(options.out.join("results.json"), serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(options.out.join("results.md"), report::markdown(&results))?;
    std::fs::write(options.out.join("latency.svg"), report::svg(&results))?;
    eprintln!("wrote {}/results.{{json,md}} and latency.svg", options.out.display());
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn cell(
    workload: &str,
    path: &Path,
    threads: usize,
    rows: usize,
    model: &Model,
    session: &mut peer::PeerSession,
    named: &[(String, Tensor)],
    end_to_end: Option<Box<dyn FnMut() -> Result<()> + '_>>,
    budget: Budget,
) -> Result<Cell> {
    let tensors: Vec<Tensor> = named.iter().map(|(_, t)| t.clone()).collect();
    let ours = model.run_encoded(tensors.clone())?;
    let theirs = session.run(named)?;
    let max_abs_diff = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    if ours.len() != theirs.len() {
        anyhow::bail!("{}: dram returned {} values, ONNX Runtime {}", path.display(), ours.len(), theirs.len());
    }
    let parts = split_rows(&tensors, if threads > 1 && worth_splitting(model, &tensors)? { threads } else { 1 })?;
    let stats = std::thread::scope(|scope| {
        let workers = Workers::start(scope, model, &parts);
        let mut contestants: Vec<Contestant<'_>> = vec![
            ("dram", Box::new(|| workers.run(model, &parts[0]))),
            ("ort", Box::new(|| Ok(drop(session.run(named)?)))),
        ];
        if let (Some(e2e), 1) = (end_to_end, threads) {
            contestants.push(("dram end-to-end", e2e));
        }
        interleaved(budget, &mut contestants)
    })?;
    Ok(Cell {
        workload: workload.into(),
        model: file_name(path),
        threads,
        rows,
        dram: stats[0],
        ort: stats[1],
        dram_end_to_end: stats.get(2).copied(),
        ratio: stats[0].p50 / stats[1].p50,
        max_abs_diff,
    })
}

/// A call that takes less than this on one thread is scored on the calling thread alone even
/// when more threads are allowed: waking a parked worker took ~100 µs on the 2-core benchmark
/// machine, more than scoring 100 MovieLens candidates (measured: 142 µs split vs 88 µs on one
/// thread at 100 rows; 512 vs 744 µs at 1,000). The policy is by work, not rows: 32 reviews
/// through a word-piece convolution take ~3 ms, 32 through an n-gram bag ~0.6 ms.
const MIN_MICROS_TO_SPLIT: f64 = 300.0;

/// Whether a call on `tensors` is long enough on one thread to gain from splitting: the median
/// of five timed calls against [`MIN_MICROS_TO_SPLIT`] (an app would time its first calls the
/// same way).
fn worth_splitting(model: &Model, tensors: &[Tensor]) -> Result<bool> {
    let mut micros = (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            model.run_encoded(tensors.to_vec())?;
            Ok(start.elapsed().as_secs_f64() * 1e6)
        })
        .collect::<Result<Vec<f64>>>()?;
    micros.sort_by(f64::total_cmp);
    Ok(micros[2] >= MIN_MICROS_TO_SPLIT)
}

/// The tensors' rows split into `parts` contiguous slices (fewer when there are fewer rows).
fn split_rows(tensors: &[Tensor], parts: usize) -> Result<Vec<Vec<Tensor>>> {
    let rows = tensors.first().map_or(0, |t| t.shape()[0]);
    let parts = parts.clamp(1, rows.max(1));
    let per = rows.div_ceil(parts);
    (0..parts)
        .map(|p| {
            let (start, end) = (p * per, ((p + 1) * per).min(rows));
            tensors.iter().map(|t| slice_rows(t, start, end)).collect()
        })
        .collect()
}

fn slice_rows(t: &Tensor, start: usize, end: usize) -> Result<Tensor> {
    let width: usize = t.shape()[1..].iter().product();
    let mut shape = t.shape().to_vec();
    shape[0] = end - start;
    Ok(match t.data() {
        dram_core::TensorData::F32(v) => Tensor::f32(shape, v[start * width..end * width].to_vec())?,
        dram_core::TensorData::I64(v) => Tensor::i64(shape, v[start * width..end * width].to_vec())?,
    })
}

/// `dram-bench cold-start`: measures only the cold-start cells of the models `run` measures and
/// replaces them in `results.json` and `results.md` (the other cells keep their figures).
pub fn cold_starts_only(options: &Options) -> Result<()> {
    let lib = peer::locate().with_context(|| {
        format!("set {} to the onnxruntime wheel's libonnxruntime.so (scripts/bench.sh does)", peer::DYLIB_VAR)
    })?;
    let ort = Ort::load(&lib)?;
    let mut cold_starts = Vec::new();
    let rankers = onnx_files(&options.movielens, &["distilled", "teacher"]);
    let classifiers = onnx_files(&options.reviews, &[]);
    for (path, is_ranker) in rankers.iter().map(|p| (p, true)).chain(classifiers.iter().map(|p| (p, false))) {
        let measured = (|| -> Result<Json> {
            let bytes = std::fs::read(path)?;
            let model = Arc::new(Model::from_bytes(&bytes)?);
            let named = match is_ranker {
                true => RankerWorkload::movielens(model, &options.movielens_data, 100)?.tensors(100)?,
                false => TextWorkload::reviews(model, &options.review_texts)?.tensors(1)?,
            };
            cold_start(&ort, path, &bytes, &named, options.cold_runs)
        })();
        match measured {
            Ok(cell) => cold_starts.push(cell),
            Err(e) => eprintln!("skipping {}: {e:#}", path.display()),
        }
    }
    let file = options.out.join("results.json");
    // A first run starts the file; an existing one must be the document `run` wrote.
    let mut results = if file.exists() { results::read::<Json>(&file, "dram-bench results")? } else { serde_json::json!({ "machine": machine(&ort) }) };
    anyhow::ensure!(results.is_object(), "{} is not a dram-bench results document (expected a JSON object)", file.display());
    for c in &cold_starts {
        eprintln!(
            "{} rows={}: p50 dram {:.2} ms, ORT {:.2} ms, dram/ORT {:.2}; min dram {:.2} ms, ORT {:.2} ms, dram/ORT {:.2}",
            c["model"], c["rows"], c["dram_ms"].as_f64().unwrap_or(f64::NAN), c["ort_ms"].as_f64().unwrap_or(f64::NAN),
            c["ratio"].as_f64().unwrap_or(f64::NAN), c["dram_min_ms"].as_f64().unwrap_or(f64::NAN),
            c["ort_min_ms"].as_f64().unwrap_or(f64::NAN), c["min_ratio"].as_f64().unwrap_or(f64::NAN),
        );
    }
    results["cold_start"] = Json::Array(cold_starts);
    std::fs::create_dir_all(&options.out)?;
    std::fs::write(&file, serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(options.out.join("results.md"), report::markdown(&results))?;
    eprintln!("updated the cold-start cells of {}/results.{{json,md}}", options.out.display());
    Ok(())
}

fn cold_start(ort: &Ort, path: &Path, bytes: &[u8], named: &[(String, Tensor)], runs: usize) -> Result<Json> {
    eprintln!("cold start {}", path.display());
    let tensors: Vec<Tensor> = named.iter().map(|(_, t)| t.clone()).collect();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        ours.push(cold::dram(bytes, &tensors)?);
        theirs.push(cold::ort(ort, bytes, named)?);
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let (ours_min, theirs_min) = (min(&ours), min(&theirs));
    let (ours, theirs) = (Quantiles::of(&ours).expect("one run or more"), Quantiles::of(&theirs).expect("one run or more"));
    Ok(serde_json::json!({
        "model": file_name(path), "rows": tensors[0].shape()[0], "runs": runs.max(1),
        "dram_ms": ours.p50, "ort_ms": theirs.p50, "ratio": ours.p50 / theirs.p50,
        "dram_min_ms": ours_min, "ort_min_ms": theirs_min, "min_ratio": ours_min / theirs_min,
    }))
}

fn profile_of(options: &Options, ranker: Option<&PathBuf>) -> Result<Json> {
    let Some(path) = ranker else { return Ok(Json::Null) };
    let model = Arc::new(Model::load(path)?);
    let work = RankerWorkload::movielens(model.clone(), &options.movielens_data, 100)?;
    let profile = model.session().profile(work.tensors(100)?, 500)?;
    Ok(serde_json::json!({
        "model": file_name(path), "rows": 100, "plan_rows": profile.plan_rows,
        "total_us": profile.total_micros, "multiply_adds": profile.multiply_adds,
        "nodes": profile.nodes.iter().take(8).map(|n| serde_json::json!({"name": n.name, "op": n.op, "us": n.micros})).collect::<Vec<_>>(),
    }))
}

fn roofline_json(profile: &Json, peak: &roofline::Peak, cells: &[Cell]) -> Json {
    let macs = profile["multiply_adds"].as_f64();
    let (rows, plan_rows) = (100.0, profile["plan_rows"].as_f64().unwrap_or(100.0));
    let cell = cells.iter().find(|c| c.model == profile["model"].as_str().unwrap_or("") && c.threads == 1 && c.rows == 100);
    let Some(macs) = macs else { return Json::Null };
    let macs = macs * rows / plan_rows;
    let floor_us = macs / peak.fma_per_second * 1e6;
    serde_json::json!({
        "model": profile["model"], "rows": 100, "multiply_adds": macs,
        "peak_fma_per_second": peak.fma_per_second, "isa": peak.isa, "floor_us": floor_us,
        "dram_p50_us": cell.map(|c| c.dram.p50), "ort_p50_us": cell.map(|c| c.ort.p50),
    })
}

/// `.onnx` files in `dir`: the `preferred` stems first, in that order, then the rest (int8, ...).
fn onnx_files(dir: &Path, preferred: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "onnx")).collect())
        .unwrap_or_default();
    let rank = |p: &PathBuf| {
        let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        (preferred.iter().position(|w| *w == stem).unwrap_or(preferred.len()), stem.to_string())
    };
    files.sort_by_key(rank);
    files
}

fn model_files(dirs: &[&Path]) -> Result<Json> {
    let mut out = Vec::new();
    for dir in dirs {
        for path in onnx_files(dir, &[]) {
            let bytes = std::fs::metadata(&path)?.len();
            out.push(serde_json::json!({"path": path.display().to_string(), "bytes": bytes}));
        }
    }
    Ok(Json::Array(out))
}

/// Median samples/s over the epochs of the distilled student's training log.
fn training(movielens: &Path) -> Result<Json> {
    let log = movielens.join("distilled.jsonl");
    let rates = results::read_epoch_rates(&log)?;
    Ok(match Quantiles::of(&rates) {
        Some(s) => serde_json::json!({"log": log.display().to_string(), "epochs": s.calls, "samples_per_second_p50": s.p50}),
        None => anyhow::bail!("{} has no epochs", log.display()),
    })
}

/// The rows of each data set's results.json (`{model: {quality: {...}, params, bytes}}`); a
/// data set whose folder does not exist (its pipeline never ran) is left out, and said so.
fn quality(sets: &[(&str, &Path)]) -> Result<Json> {
    let mut rows = Vec::new();
    for (dataset, dir) in sets {
        if !dir.exists() {
            eprintln!("no {dataset} rows: {} does not exist (run its script in scripts/)", dir.display());
            continue;
        }
        let table: DataSetResults = results::read(&dir.join("results.json"), DATA_SET_RESULTS)?;
        for (model, entry) in table {
            rows.push(serde_json::json!({"dataset": dataset, "model": model, "entry": entry}));
        }
    }
    Ok(Json::Array(rows))
}

fn machine(ort: &Ort) -> Json {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown".into());
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "onnxruntime": ort.version(),
        "tract": "0.23.9",
    })
}

fn file_name(path: &Path) -> String {
    let dir = path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or("");
    format!("{dir}/{}", path.file_name().and_then(|s| s.to_str()).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_into_contiguous_halves() {
        let t = Tensor::i64(vec![3, 2], vec![1, 2, 3, 4, 5, 6]).unwrap();
        let parts = split_rows(&[t.clone()], 2).unwrap();
        assert_eq!(parts[0][0], Tensor::i64(vec![2, 2], vec![1, 2, 3, 4]).unwrap());
        assert_eq!(parts[1][0], Tensor::i64(vec![1, 2], vec![5, 6]).unwrap());
        let one = Tensor::f32(vec![1], vec![0.5]).unwrap();
        assert_eq!(split_rows(&[one.clone()], 2).unwrap(), vec![vec![one]]);
    }
}
