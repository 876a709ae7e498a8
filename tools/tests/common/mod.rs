//! Helpers shared by the integration tests: the ONNX Runtime interop check, and what a test
//! with an outside dependency checks first (`needs`).

pub mod needs;

use std::path::Path;
use std::process::Command;

use dram_core::manifest::Manifest;
use dram_core::{Model, Tensor};

/// The three exports of one model: fp32, the `cpu` int8 file and the `npu` QDQ file (with its
/// static batch).
pub struct Exports<'a> {
    pub fp32: &'a [u8],
    pub cpu: &'a [u8],
    pub npu: &'a [u8],
    pub npu_batch: usize,
}

/// Runs `tests/python/check_interop.py` on `exports` for the encoded `rows`: ONNX's checker
/// must accept every file and ONNX Runtime must score them as dram-core does. Fails, naming
/// the install command, when python3 with `onnx`, `onnxruntime` and `numpy` is missing: the
/// tests calling this are ignored unless run on purpose (see [`needs`]).
pub fn onnxruntime_agrees(test: &str, manifest: &Manifest, rows: &[Tensor], exports: &Exports) {
    needs::python_modules(&["onnx", "onnxruntime", "numpy"]);
    let dir = std::env::temp_dir().join(format!("dram-interop-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [("fp32.onnx", exports.fp32), ("int8.onnx", exports.cpu), ("npu.onnx", exports.npu)] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let mut inputs = serde_json::Map::new();
    for (input, tensor) in manifest.graph_inputs().iter().zip(rows) {
        let (dtype, data) = match (tensor.as_i64(), tensor.as_f32()) {
            (Some(ids), _) => ("i64", serde_json::json!(ids)),
            (_, Some(values)) => ("f32", serde_json::json!(values)),
            _ => unreachable!("dram inputs are i64 or f32"),
        };
        inputs.insert(input.name.clone(), serde_json::json!({"dtype": dtype, "shape": tensor.shape(), "data": data}));
    }
    let score = |bytes: &[u8]| Model::from_bytes(bytes).unwrap().run_encoded(rows.to_vec()).unwrap();
    let scores = serde_json::json!({"fp32": score(exports.fp32), "int8": score(exports.cpu)});
    let cases = serde_json::json!({"inputs": inputs, "batch": exports.npu_batch, "scores": scores});
    std::fs::write(dir.join("cases.json"), cases.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/check_interop.py");
    let out = Command::new("python3").arg(script).arg(&dir).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "ONNX Runtime disagrees with dram-core:\n{report}");
    std::fs::remove_dir_all(dir).unwrap();
}
