//! A small demo end to end: the exported files score like candle, and the report is written.

use dram_tools::demo::{self, DemoOptions};

#[test]
fn quick_demo_exports_files_that_match_candle() {
    std::env::set_var("DRAM_QUIET", "1");
    let dir = std::env::temp_dir().join(format!("dram-demo-{}", std::process::id()));
    let mut options = DemoOptions::default();
    options.shop.users = 200;
    options.shop.items = 150;
    options.epochs = Some(2);
    let report = demo::run(options, Some(&dir)).unwrap();
    let names: Vec<&str> = report.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["teacher", "student alone", "distilled student", "pruned student", "int8 student"]);
    for m in &report.models {
        // int8 parity is against the fake-quant simulation: at most one int8 step on a value
        // that float summation order put on a rounding boundary.
        let bound = if m.name.starts_with("int8") { 0.05 } else { 1e-4 };
        assert!(m.parity_max_abs_diff <= bound, "{}: parity {}", m.name, m.parity_max_abs_diff);
        assert!(m.auc > 0.5, "{}: AUC {}", m.name, m.auc);
        assert!(m.p50_us > 0.0 && m.bytes > 0);
    }
    assert!(report.models[0].params >= 10 * report.models[2].params);
    assert!(report.models[3].params * 3 <= report.models[2].params * 2, "pruning to half keeps {} of {}", report.models[3].params, report.models[2].params);
    assert!(report.models[4].bytes * 2 <= report.models[2].bytes, "int8 {} vs fp32 {} bytes", report.models[4].bytes, report.models[2].bytes);
    for file in ["report.json", "report.html", "teacher.onnx", "distilled.onnx", "distilled.jsonl", "pruned.onnx", "int8.onnx", "int8-report.json"] {
        assert!(dir.join(file).exists(), "{file} missing");
    }
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert!(json["models"][2]["parity_max_abs_diff"].is_number());
    assert!(std::fs::read_to_string(dir.join("report.html")).unwrap().contains("<svg"));
    std::fs::remove_dir_all(dir).unwrap();
}
