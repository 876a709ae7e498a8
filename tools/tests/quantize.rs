//! Int8 export end to end: a trained student is quantized on a calibration set, exported for
//! the `cpu` target, and the file (a) scores through dram-core as the fake-quant simulation
//! predicts, (b) ranks like the float model, and (c) runs its layers on tract's integer
//! matmul kernels, with no float matmul left for a quantized layer.

mod common;

use dram_core::Model;
use dram_tools::model::arch::{NetSpec, Params};
use dram_tools::model::config::Config;
use dram_tools::data::synth;
use dram_tools::model::dataset::Dataset;
use dram_tools::compress::quantize::sim::{Enabled, Simulator};
use dram_tools::compress::quantize::{self, Settings, TableScales};
use dram_tools::model::net::Net;
use dram_tools::train::{self, Objective};
use dram_tools::{eval, export};

struct Trained {
    spec: NetSpec,
    params: Params,
    manifest: dram_core::manifest::Manifest,
    valid: Dataset,
    test: Dataset,
}

fn trained_student() -> Trained {
    std::env::set_var("DRAM_QUIET", "1");
    let shop = synth::generate(&synth::ShopConfig { users: 300, items: 200, impressions_per_user: 30, ..Default::default() }).unwrap();
    let (train_t, valid_t, test_t) = synth::split_by_user_time(&shop, "user_id", 5, 5).unwrap();
    let config = Config::parse(dram_tools::data::synth::STUDENT_CONFIG).unwrap();
    let manifest = config.manifest(&train_t).unwrap();
    let train_set = Dataset::encode(&config, &manifest, &train_t).unwrap();
    let valid = Dataset::encode(&config, &manifest, &valid_t).unwrap();
    let test = Dataset::encode(&config, &manifest, &test_t).unwrap();
    let mut net = Net::new(config.net_spec(manifest.clone()), 3).unwrap();
    let mut train_config = config.train.clone();
    train_config.epochs = 3;
    train::fit(&mut net, &train_set, &valid, &train_config, Objective::Labels, "student", None).unwrap();
    Trained { params: net.params().unwrap(), spec: net.spec.clone(), manifest, valid, test }
}

fn all_rows(data: &Dataset) -> Vec<dram_core::Tensor> {
    data.tensors(&(0..data.rows).collect::<Vec<_>>())
}

#[test]
fn int8_cpu_export_matches_simulation_keeps_ranking_and_uses_integer_kernels() {
    let t = trained_student();
    let calibration = all_rows(&t.valid);
    let (net, report) = quantize::quantize(&t.spec, &t.params, &calibration, &Settings::default()).unwrap();
    assert_eq!(report.tensors.len(), quantize::sim::sites(&net).len());
    assert!(report.output_rmse <= report.output_rmse_before_bias_correction + 1e-12);
    let bytes = export::int8_model(&net, &t.manifest, "test").unwrap();
    let float_bytes = export::fp32_model(&t.spec, &t.params, &t.manifest).unwrap();
    // Tiny tables here: graph structure and manifest weigh more than in real models.
    assert!(bytes.len() * 10 <= float_bytes.len() * 6, "int8 {} vs fp32 {} bytes", bytes.len(), float_bytes.len());

    // (a) dram-core computes what the simulation says the int8 network computes.
    let model = Model::from_bytes(&bytes).unwrap();
    assert_eq!(model.manifest().quantization.weights, dram_core::manifest::NumberFormat::Int8);
    let runtime = eval::score(&model, &t.test).unwrap();
    let simulated = Simulator::new(&net, &t.params, &Enabled::All).logits(&all_rows(&t.test), &Enabled::All).unwrap();
    let (close, worst) = quantize::sim::agreement(&runtime, &simulated);
    assert!(close >= 0.99 && worst < 0.05, "{close} of scores within 1e-4, worst {worst}");

    // (b) it ranks like the float model.
    let float_model = Model::from_bytes(&float_bytes).unwrap();
    let (q_auc, f_auc) = (eval::evaluate(&model, &t.test).unwrap().auc.unwrap(), eval::evaluate(&float_model, &t.test).unwrap().auc.unwrap());
    assert!((q_auc - f_auc).abs() < 0.01, "int8 AUC {q_auc} vs float {f_auc}");

    // (c) tract's optimised plan: every quantized layer is an integer matmul.
    // Shipped files drop node names, so products are told apart by their kernels: one integer
    // product per layer (a uint8 input adds a `.minus_a0_b` correction on the same node), and
    // float only for target attention, which stays float by design.
    let kernels = matmul_kernels(&bytes);
    let integer: std::collections::BTreeSet<&str> =
        kernels.iter().filter(|(_, info)| info.contains("_mmm_i32_")).map(|(name, _)| name.split('.').next().unwrap()).collect();
    let float = kernels.iter().filter(|(_, info)| info.contains("f32")).count();
    assert_eq!(integer.len(), t.spec.layers().len(), "{kernels:#?}");
    assert_eq!(float, 1, "only the attention product is float: {kernels:#?}");
    assert_eq!(integer.len() + float, kernels.iter().map(|(name, _)| name.split('.').next().unwrap()).collect::<std::collections::BTreeSet<_>>().len());

    // (d) dram-core's plan fuses every layer's epilogue (`Add -> Cast -> Mul [-> Relu ->
    // QuantizeLinear]`) into one integer op, tiny layers with their product: no float product,
    // no `Cast`, no per-channel `Mul` is left for a quantized layer.
    let rows: Vec<usize> = (0..8).collect();
    let named = model.encoder().inputs().iter().map(|i| i.name.clone()).zip(t.test.tensors(&rows)).collect();
    let plan = model.session().profile(named, 1).unwrap();
    let ops: Vec<&str> = plan.nodes.iter().map(|n| n.op.as_str()).collect();
    let fused = ops.iter().filter(|op| matches!(**op, "DramQuantDense" | "DramQuantEpilogue")).count();
    assert_eq!(fused, t.spec.layers().len(), "{ops:?}");
    assert!(!ops.contains(&"Cast"), "{ops:?}");
    // (e) the first layer's embedding tables are folded into it (core/src/engine/fuse/quant_embed.rs): no
    // `Concat` is left, and the only `Gather`s are the history's (a float table for pooling).
    assert_eq!(ops.iter().filter(|op| **op == "DramEmbedProduct").count(), 1, "{ops:?}");
    assert!(!ops.iter().any(|op| op.contains("Concat")), "{ops:?}");
}

/// `(node name, op info)` of every matrix product in tract's optimised plan.
fn matmul_kernels(bytes: &[u8]) -> Vec<(String, String)> {
    use tract_onnx::prelude::*;
    let model = tract_onnx::onnx().model_for_read(&mut &bytes[..]).unwrap().into_optimized().unwrap();
    model
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "OptMatMul")
        .map(|n| (n.name.to_lowercase(), n.op.info().unwrap().join(" ")))
        .collect()
}

#[test]
fn per_row_table_scales_export_and_load() {
    let t = trained_student();
    let calibration = all_rows(&t.valid);
    let settings = Settings { table_scales: TableScales::Row, ..Settings::default() };
    let (net, _) = quantize::quantize(&t.spec, &t.params, &calibration, &settings).unwrap();
    let model = Model::from_bytes(&export::int8_model(&net, &t.manifest, "test").unwrap()).unwrap();
    let runtime = eval::score(&model, &t.test).unwrap();
    let simulated = Simulator::new(&net, &t.params, &Enabled::All).logits(&all_rows(&t.test), &Enabled::All).unwrap();
    let (close, worst) = quantize::sim::agreement(&runtime, &simulated);
    assert!(close >= 0.99 && worst < 0.05, "{close} of scores within 1e-4, worst {worst}");
}

#[test]
#[ignore = "needs python3 with onnx, onnxruntime and numpy; scripts/test.sh installs them and runs these"]
fn fp32_cpu_and_npu_exports_score_the_same_in_onnxruntime() {
    let t = trained_student();
    let request = dram_tools::export::Request::default();
    let cpu = dram_tools::export::compress(&t.spec, &t.params, &t.manifest, &t.valid, &request).unwrap();
    let npu_request = dram_tools::export::Request { target: export::Target::Npu, batch: 64, ..request };
    let npu = dram_tools::export::compress(&t.spec, &t.params, &t.manifest, &t.valid, &npu_request).unwrap();
    let fp32 = export::fp32_model(&t.spec, &t.params, &t.manifest).unwrap();
    let rows: Vec<usize> = (0..t.test.rows.min(300)).collect();
    let exports = common::Exports { fp32: &fp32, cpu: &cpu.bytes, npu: &npu.bytes, npu_batch: 64 };
    common::onnxruntime_agrees("fp32_cpu_and_npu_exports_score_the_same_in_onnxruntime", &t.manifest, &t.test.tensors(&rows), &exports);
}

#[test]
fn an_empty_calibration_set_is_refused_with_what_to_pass() {
    let t = trained_student();
    let empty = Dataset { inputs: Vec::new(), labels: Vec::new(), groups: Vec::new(), teacher: None, rows: 0 };
    let err = dram_tools::export::compress(&t.spec, &t.params, &t.manifest, &empty, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("calibration set is empty"), "{err}");
    assert!(err.to_string().contains("validation split"), "{err}");
}
