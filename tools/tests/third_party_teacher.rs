//! A teacher not written by dram's exporter: built with the `onnx` Python package, wrapped
//! with `dram attach-manifest`, then distilled from. Ignored by a plain `cargo test` (it needs
//! Python's `onnx`); scripts/test.sh installs it and runs the test with `--ignored`.

#[path = "common/needs.rs"]
mod needs;

use std::path::Path;
use std::process::Command;

use dram_tools::data::{self, synth};

fn relabel_with_teacher(dir: &Path, files: &[&str]) {
    let teacher = dram_core::Model::load(dir.join("teacher.onnx")).unwrap();
    let config = dram_tools::model::config::Config::parse(dram_tools::data::synth::STUDENT_CONFIG).unwrap();
    let binding = dram_tools::model::dataset::Binding::of(&config).for_manifest(teacher.manifest());
    for file in files {
        let mut table = data::read(&dir.join(file)).unwrap();
        table.split_list("recent").unwrap();
        let set = dram_tools::model::dataset::Dataset::encode_with(&binding, teacher.manifest(), &table).unwrap();
        let logits = dram_tools::eval::teacher_logits(&teacher, &set).unwrap();
        let labels: Vec<i64> = logits.iter().map(|&l| i64::from(l > 0.0)).collect();
        table.replace("clicked", data::Column::Int(labels)).unwrap();
        data::write_csv(&table, &dir.join(file)).unwrap();
    }
}

#[test]
#[ignore = "needs python3 with onnx and numpy; scripts/test.sh installs them and runs these"]
fn distil_from_an_onnx_python_teacher() {
    needs::python_modules(&["onnx", "numpy"]);
    let dir = std::env::temp_dir().join(format!("dram-third-party-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = |p: &str| dir.join(p).display().to_string();
    let shop = synth::ShopConfig { users: 120, items: 100, impressions_per_user: 30, ..Default::default() };
    let table = synth::generate(&shop).unwrap();
    let (train, valid, test) = synth::split_by_user_time(&table, "user_id", 5, 5).unwrap();
    for (name, t) in [("train.csv", &train), ("valid.csv", &valid), ("test.csv", &test)] {
        data::write_csv(t, &dir.join(name)).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/make_teacher.py");
    let status = Command::new("python3")
        .args([script.display().to_string(), d("raw.onnx"), d("manifest.json"), shop.items.to_string(), shop.users.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let dram = env!("CARGO_BIN_EXE_dram");
    let run = |args: &[&str]| {
        let out = Command::new(dram).args(args).env("DRAM_QUIET", "1").output().unwrap();
        assert!(out.status.success(), "dram {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["attach-manifest", "--model", &d("raw.onnx"), "--manifest", &d("manifest.json"), "--out", &d("teacher.onnx")]);
    // A student that learns only from the teacher (alpha = 0) must reproduce its ranking. The
    // shop's clicks have nothing to do with this teacher, so validation (which picks the
    // epoch kept) judges the student by the teacher's decisions: relabel with them.
    relabel_with_teacher(&dir, &["train.csv", "valid.csv", "test.csv"]);
    let config = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/shop-student.toml"))
        .unwrap()
        .replace("alpha = 0.2", "alpha = 0.0")
        .replace("epochs = 20", "epochs = 12")
        .replace("patience = 3", "patience = 12");
    std::fs::write(dir.join("student.toml"), config).unwrap();
    run(&[
        "distill", "--config", &d("student.toml"), "--train", &d("train.csv"), "--valid", &d("valid.csv"),
        "--teacher", &d("teacher.onnx"), "--checkpoint", &d("ckpt"), "--out", &d("student.onnx"),
    ]);
    let config = dram_tools::model::config::Config::load(&dir.join("student.toml")).unwrap();
    let mut test_table = data::read(&dir.join("test.csv")).unwrap();
    test_table.split_list("recent").unwrap();
    let teacher = dram_core::Model::load(dir.join("teacher.onnx")).unwrap();
    let student = dram_core::Model::load(dir.join("student.onnx")).unwrap();
    let binding = dram_tools::model::dataset::Binding::of(&config);
    let score = |m: &dram_core::Model| {
        let set = dram_tools::model::dataset::Dataset::encode_with(&binding.for_manifest(m.manifest()), m.manifest(), &test_table).unwrap();
        dram_tools::eval::teacher_logits(m, &set).unwrap()
    };
    let (t, s) = (score(&teacher), score(&student));
    let mut sorted = t.clone();
    sorted.sort_by(f32::total_cmp);
    let median = sorted[sorted.len() / 2];
    let teacher_top: Vec<f32> = t.iter().map(|&v| if v > median { 1.0 } else { 0.0 }).collect();
    let agreement = dram_tools::metrics::auc(&s, &teacher_top).unwrap();
    assert!(agreement > 0.8, "student ranks the teacher's top half with AUC {agreement}");
    std::fs::remove_dir_all(dir).unwrap();
}
