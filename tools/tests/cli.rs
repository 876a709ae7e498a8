//! The `dram` binary end to end on CSV files: train a teacher, distil a student from it,
//! export, evaluate, inspect, and wrap a raw ONNX file with a manifest.

use std::path::{Path, PathBuf};
use std::process::Command;

use dram_tools::data::{self, synth};

fn dram(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_dram")).args(args).env("DRAM_QUIET", "1").output().unwrap();
    out
}

fn ok(args: &[&str]) -> String {
    let out = dram(args);
    assert!(out.status.success(), "dram {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dram-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn shop_csv(dir: &Path) -> (String, String, String) {
    let config = synth::ShopConfig { users: 150, items: 120, impressions_per_user: 30, ..Default::default() };
    let table = synth::generate(&config).unwrap();
    let (train, valid, test) = synth::split_by_user_time(&table, "user_id", 5, 5).unwrap();
    let paths: Vec<String> = [("train", &train), ("valid", &valid), ("test", &test)]
        .iter()
        .map(|(name, t)| {
            let p = dir.join(format!("{name}.csv"));
            data::write_csv(t, &p).unwrap();
            p.display().to_string()
        })
        .collect();
    (paths[0].clone(), paths[1].clone(), paths[2].clone())
}

fn config(dir: &Path, name: &str, base: &str, epochs: usize) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs").join(base)).unwrap();
    let text = text.replace("epochs = 4", &format!("epochs = {epochs}")).replace("epochs = 20", &format!("epochs = {epochs}"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn train_distill_export_eval_inspect_on_csv() {
    let dir = workdir("flow");
    let (train, valid, test) = shop_csv(&dir);
    let teacher_cfg = config(&dir, "teacher.toml", "shop-teacher.toml", 2);
    let student_cfg = config(&dir, "student.toml", "shop-student.toml", 2);
    let d = |p: &str| dir.join(p).display().to_string();
    ok(&["train", "--config", &teacher_cfg, "--train", &train, "--valid", &valid, "--checkpoint", &d("t"), "--out", &d("teacher.onnx"), "--log", &d("teacher.jsonl")]);
    let log = std::fs::read_to_string(dir.join("teacher.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 2, "{log}");
    assert!(log.contains("samples_per_second"));
    ok(&["distill", "--config", &student_cfg, "--train", &train, "--valid", &valid, "--checkpoint", &d("s"), "--teacher", &d("teacher.onnx")]);
    ok(&["export", "--checkpoint", &d("s"), "--out", &d("student.onnx")]);
    let json = ok(&["eval", "--model", &d("student.onnx"), "--data", &test, "--config", &student_cfg, "--json"]);
    let quality: serde_json::Value = serde_json::from_str(&json).unwrap();
    let auc = quality["auc"].as_f64().unwrap();
    assert!(auc > 0.5 && auc < 1.0, "{json}");
    assert!(quality["ndcg10"].as_f64().unwrap() > 0.0);
    let inspect = ok(&["inspect", &d("student.onnx")]);
    assert!(inspect.contains("loads in dram-core") && inspect.contains("\"teacher\""), "{inspect}");
    // Int8 through the CLI: the checkpoint's own config reads the calibration CSV; the file
    // lints clean for the cpu target and evaluates; int8 without calibration data says so.
    ok(&["quantize", "--checkpoint", &d("s"), "--calibration", &valid, "--out", &d("int8.onnx"), "--report", &d("int8.json")]);
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("int8.json")).unwrap()).unwrap();
    assert!(report["tensors"].as_array().is_some_and(|t| !t.is_empty()), "{report}");
    assert!(ok(&["lint", &d("int8.onnx"), "--target", "cpu"]).contains("nothing the cpu target cannot run"));
    ok(&["eval", "--model", &d("int8.onnx"), "--data", &test, "--config", &student_cfg]);
    let out = dram(&["quantize", "--checkpoint", &d("s"), "--out", &d("x.onnx")]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("int8 needs a calibration set"));
    // The teacher and the student read the same CSV columns but are different models.
    assert!(std::fs::metadata(dir.join("teacher.onnx")).unwrap().len() > 5 * std::fs::metadata(dir.join("student.onnx")).unwrap().len());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn distill_from_a_teacher_column_and_errors_are_clear() {
    let dir = workdir("errors");
    let (train, valid, _) = shop_csv(&dir);
    let student_cfg = config(&dir, "student.toml", "shop-student.toml", 1);
    let d = |p: &str| dir.join(p).display().to_string();
    // A precomputed teacher column: here the price, which is numeric and present in every row.
    ok(&["distill", "--config", &student_cfg, "--train", &train, "--valid", &valid, "--checkpoint", &d("s"), "--teacher-column", "price"]);
    let out = dram(&["distill", "--config", &student_cfg, "--train", &train, "--valid", &valid, "--checkpoint", &d("s"), "--teacher-column", "nope"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown column `nope`"));
    let out = dram(&["distill", "--config", &student_cfg, "--train", &train, "--valid", &valid, "--checkpoint", &d("s")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --teacher"));
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "user_id,item_id\n1,2\n3\n").unwrap();
    let out = dram(&["train", "--config", &student_cfg, "--train", &bad.display().to_string(), "--valid", &valid, "--checkpoint", &d("x")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn attach_manifest_wraps_a_raw_model() {
    let dir = workdir("attach");
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/models/classifier.onnx");
    let mut proto = dram_core::model_file::decode(&std::fs::read(vectors).unwrap()).unwrap();
    let manifest = dram_core::model_file::read_manifest(&proto).unwrap().unwrap();
    proto.metadata_props.clear();
    std::fs::write(dir.join("raw.onnx"), dram_core::model_file::encode(&proto)).unwrap();
    let mut manifest_json: serde_json::Value = serde_json::from_str(&manifest.to_json()).unwrap();
    manifest_json["provenance"] = serde_json::json!({"tool": "elsewhere"});
    std::fs::write(dir.join("m.json"), manifest_json.to_string()).unwrap();
    let d = |p: &str| dir.join(p).display().to_string();
    let inspect = ok(&["inspect", &d("raw.onnx")]);
    assert!(inspect.contains("manifest    none"), "{inspect}");
    ok(&["attach-manifest", "--model", &d("raw.onnx"), "--manifest", &d("m.json"), "--out", &d("wrapped.onnx")]);
    dram_core::Model::load(dir.join("wrapped.onnx")).unwrap();
    // A manifest that does not fit the graph is refused.
    manifest_json["features"][0]["kind"]["tokenizer"]["max_tokens"] = 7.into();
    std::fs::write(dir.join("bad.json"), manifest_json.to_string()).unwrap();
    let out = dram(&["attach-manifest", "--model", &d("raw.onnx"), "--manifest", &d("bad.json"), "--out", &d("x.onnx")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("manifest and graph disagree"));
    std::fs::remove_dir_all(dir).unwrap();
}
