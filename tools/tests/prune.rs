//! `dram prune` end to end on CSV files: a trained student is pruned (structured, magnitude,
//! and Fisher-ranked with sensitivity allocation, self-distillation and fidelity selection),
//! distilling from a teacher file, and the results reload, export and evaluate.

use std::path::{Path, PathBuf};
use std::process::Command;

use dram_tools::data::{self, synth};

fn ok(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dram")).args(args).env("DRAM_QUIET", "1").output().unwrap();
    assert!(out.status.success(), "dram {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn workdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dram-prune-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn prune_a_checkpoint_then_export_and_evaluate_it() {
    let dir = workdir();
    let d = |p: &str| dir.join(p).display().to_string();
    let shop = synth::generate(&synth::ShopConfig { users: 120, items: 100, impressions_per_user: 25, ..Default::default() }).unwrap();
    let (train, valid, test) = synth::split_by_user_time(&shop, "user_id", 5, 5).unwrap();
    for (name, table) in [("train.csv", &train), ("valid.csv", &valid), ("test.csv", &test)] {
        data::write_csv(table, &dir.join(name)).unwrap();
    }
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/shop-student.toml")).unwrap();
    std::fs::write(dir.join("student.toml"), base.replace("epochs = 20", "epochs = 2")).unwrap();
    let data = ["--config", &d("student.toml"), "--train", &d("train.csv"), "--valid", &d("valid.csv")];
    ok(&[&["train"], &data[..], &["--checkpoint", &d("student"), "--out", &d("student.onnx")]].concat());

    // Structured: half the parameters, self-distilled from the unpruned file.
    let prune = |name: &str, method: &[&str]| {
        let (student, teacher) = (d("student"), d("student.onnx"));
        let (ckpt, out, report) = (d(name), d(&format!("{name}.onnx")), d(&format!("{name}.json")));
        let fixed = ["--student", &student, "--teacher", &teacher, "--steps", "2", "--finetune-epochs", "1"];
        let outputs = ["--checkpoint", &ckpt, "--out", &out, "--report", &report];
        ok(&[&["prune"], &data[..], &fixed[..], method, &outputs[..]].concat());
        json(&dir.join(format!("{name}.json")))
    };
    let report = prune("structured", &["--method", "structured", "--keep", "0.5"]);
    let (before, after) = (report["params_before"].as_u64().unwrap(), report["params_after"].as_u64().unwrap());
    assert!(2 * after <= before, "{after} of {before} parameters kept");
    assert_eq!(report["steps"].as_array().unwrap().len(), 2);
    let small = std::fs::metadata(dir.join("structured.onnx")).unwrap().len();
    assert!(small < std::fs::metadata(dir.join("student.onnx")).unwrap().len());
    // The pruned checkpoint reloads at its new shape and exports the same file.
    ok(&["export", "--checkpoint", &d("structured"), "--out", &d("re-exported.onnx")]);
    assert_eq!(std::fs::read(dir.join("re-exported.onnx")).unwrap(), std::fs::read(dir.join("structured.onnx")).unwrap());
    let eval = ok(&["eval", "--model", &d("structured.onnx"), "--data", &d("test.csv"), "--config", &d("student.toml"), "--json"]);
    assert!(eval.contains("\"auc\""), "{eval}");

    // Magnitude: 60% of the weights zero, same shapes.
    let report = prune("magnitude", &["--method", "magnitude", "--sparsity", "0.6", "--scope", "global"]);
    assert!((report["sparsity"].as_f64().unwrap() - 0.6).abs() < 0.01, "{report}");
    assert_eq!(report["params_after"], report["params_before"]);
    ok(&["eval", "--model", &d("magnitude.onnx"), "--data", &d("test.csv"), "--config", &d("student.toml")]);

    // Fisher-ranked, sensitivity-allocated, self-distilled: at least half the weights zero,
    // each tensor at its own allocated share, the dense tensors reported per parameter.
    let report = prune("allocated", &["--method", "magnitude", "--sparsity", "0.5", "--scope", "sensitivity", "--importance", "fisher", "--recovery", "self", "--select", "fidelity", "--frequency-power", "1", "--seed", "7"]);
    assert!(report["sparsity"].as_f64().unwrap() >= 0.5, "{report}");
    assert_eq!(report["seed"], 7);
    assert_eq!(report["settings"]["select"], "fidelity");
    assert_eq!(report["settings"]["frequency_power"], 1.0);
    assert!(report["valid_logit_rmse"].as_f64().unwrap() > 0.0, "{report}");
    let allocation = report["allocation"].as_object().unwrap();
    let by_param = report["sparsity_by_param"].as_object().unwrap();
    assert_eq!(allocation.keys().collect::<Vec<_>>(), by_param.keys().collect::<Vec<_>>());
    let sensitivity = report["sensitivity"].as_array().unwrap();
    assert_eq!(sensitivity.len(), allocation.len());
    for (tensor, (name, share)) in sensitivity.iter().zip(allocation) {
        // Each tensor's share, rounded up to a whole weight.
        assert_eq!(tensor["param"].as_str().unwrap(), name);
        let (got, share, weights) = (by_param[name].as_f64().unwrap(), share.as_f64().unwrap(), tensor["weights"].as_f64().unwrap());
        assert!(got >= share - 1e-9 && got < share + 1.0 / weights + 1e-9, "{name}: {got} vs {share}");
    }
    ok(&["eval", "--model", &d("allocated.onnx"), "--data", &d("test.csv"), "--config", &d("student.toml")]);
    // Self-distillation without a teacher's logits to rank by is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_dram"))
        .args(["prune", "--config", &d("student.toml"), "--train", &d("train.csv"), "--valid", &d("valid.csv"), "--student", &d("student"), "--checkpoint", &d("y")])
        .args(["--method", "magnitude", "--recovery", "self"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("self-distillation needs a distillation objective"), "{}", String::from_utf8_lossy(&out.stderr));

    // A config that does not describe the checkpoint is refused with a clear message.
    std::fs::write(dir.join("other.toml"), base.replace("hidden = [16]", "hidden = [12]")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dram"))
        .args(["prune", "--config", &d("other.toml"), "--train", &d("train.csv"), "--valid", &d("valid.csv"), "--student", &d("student"), "--checkpoint", &d("x")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not describe the network"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
