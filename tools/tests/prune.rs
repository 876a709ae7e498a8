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

#[test]
fn pruned_model_file_is_smaller_and_runs_in_dram_core_with_candles_scores() {
    use dram_tools::compress::prune::{saliency::Saliency, shrink, structured_step};
    use dram_tools::model::{config::Config, dataset::Dataset, net::Net};
    let mut config = Config::parse(synth::STUDENT_CONFIG).unwrap();
    config.model.hidden = vec![8, 6];
    let table = synth::generate(&synth::ShopConfig { users: 40, items: 50, impressions_per_user: 15, ..Default::default() }).unwrap();
    let (train, valid, _) = synth::split_by_user_time(&table, "user_id", 3, 0).unwrap();
    let manifest = config.manifest(&train).unwrap();
    let (train, valid) = (Dataset::encode(&config, &manifest, &train).unwrap(), Dataset::encode(&config, &manifest, &valid).unwrap());
    let net = Net::new(config.net_spec(manifest), 5).unwrap();
    let pruned = structured_step(&net, &net.spec, 0.5, &train, Saliency::Activation, 1).unwrap();
    let manifest = &pruned.spec.manifest;
    let before = dram_tools::export::fp32_model(&net.spec, &net.params().unwrap(), manifest).unwrap();
    let after = dram_tools::export::fp32_model(&pruned.spec, &pruned.params().unwrap(), manifest).unwrap();
    // Every removed parameter was 4 bytes of initializer data (the graph itself is unchanged).
    let removed = net.param_count() - pruned.param_count();
    assert!(2 * pruned.param_count() <= net.param_count());
    assert!(before.len() - after.len() >= 4 * removed, "{} vs {} bytes, {removed} parameters removed", after.len(), before.len());
    let model = dram_core::Model::from_bytes(&after).unwrap();
    let runtime = dram_tools::eval::score(&model, &valid).unwrap();
    let candle = pruned.predict(&valid).unwrap();
    let max_diff = runtime.iter().zip(&candle).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(max_diff < 1e-4, "dram-core vs candle: {max_diff}");
    // The pruned checkpoint's config rebuilds the pruned shape.
    let config = shrink::config_for(&config, &pruned.spec);
    assert_eq!(config.net_spec(manifest.clone()), pruned.spec);
}

#[test]
fn a_word_piece_convolution_is_refused_with_what_to_do_instead() {
    use dram_tools::compress::prune::{run, PruneSettings};
    use dram_tools::model::{config::TrainConfig, dataset::Dataset, net::Net};
    let net = Net::new(dram_tools::fixtures::word_piece_classifier_spec(), 1).unwrap();
    let empty = Dataset { inputs: Vec::new(), labels: Vec::new(), groups: Vec::new(), teacher: None, rows: 0 };
    let settings = PruneSettings::structured(0.5);
    let err = run(&net, &empty, &empty, &TrainConfig::default(), dram_tools::train::Objective::Labels, &settings, &dram_tools::export::fp32_bytes).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("feature `text` is a word-piece convolution") && msg.contains("dram quantize"), "{msg}");
}
