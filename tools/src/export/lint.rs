//! `dram lint`: what a deployment target cannot run, or runs slowly, in a model file, with the
//! node names: operators outside the target's allow-list, dynamic shapes on static-shape
//! targets, integer arithmetic and float matrix products where integer kernels were meant, and
//! graph patterns known to be slow in tract.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;
use dram_core::onnx_proto::tensor_proto::DataType;
use dram_core::onnx_proto::{type_proto, ModelProto};

use crate::export::Target;

/// Operators the `npu` profile allows (QDQ graphs that NNAPI and QNN execution providers take
/// whole).
pub const NPU_OPS: &[&str] = &[
    "Add", "Concat", "DequantizeLinear", "Gather", "Gemm", "Identity", "MatMul", "Min", "Mul", "QuantizeLinear",
    "ReduceMax", "ReduceSum", "Relu", "Reshape", "Sigmoid", "Softmax", "Sub", "Transpose", "Unsqueeze",
];

/// Operators the `coreml` profile allows (what ONNX-to-Core ML conversion maps directly).
pub const COREML_OPS: &[&str] = &[
    "Add", "Cast", "Concat", "DequantizeLinear", "Gather", "Gemm", "Identity", "MatMul", "Min", "Mul", "ReduceMax", "ReduceSum",
    "Relu", "Reshape", "Sigmoid", "Softmax", "Sub", "Transpose", "Unsqueeze",
];

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The target cannot run this (or not on the accelerator).
    Error,
    /// It runs, but slowly or not as intended.
    Warning,
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Node name (or input name for shape findings).
    pub node: String,
    /// Operator type (`input` for graph inputs).
    pub op: String,
    /// What is wrong and what to do.
    pub problem: String,
}

/// Lints a decoded model for `target`.
pub fn lint(model: &ModelProto, target: Target) -> Vec<Finding> {
    let Some(graph) = &model.graph else {
        return vec![finding(Severity::Error, "", "graph", "the file has no graph")];
    };
    let types = element_types(model);
    let producer: HashMap<&str, &str> =
        graph.node.iter().flat_map(|n| n.output.iter().map(move |o| (o.as_str(), n.op_type.as_str()))).collect();
    let mut out = Vec::new();
    if target != Target::Cpu {
        for input in &graph.input {
            if let Some(type_proto::Value::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                let dynamic = t.shape.as_ref().map_or(true, |s| {
                    s.dim.iter().any(|d| !matches!(d.value, Some(dram_core::onnx_proto::tensor_shape_proto::dimension::Value::DimValue(v)) if v > 0))
                });
                if dynamic {
                    out.push(finding(
                        Severity::Error,
                        &input.name,
                        "input",
                        &format!("dynamic shape: the {} target needs static shapes; export with --target {} --candidates N", target.as_str(), target.as_str()),
                    ));
                }
            }
        }
    }
    for node in &graph.node {
        let op = node.op_type.as_str();
        let name = if node.name.is_empty() { node.output.first().map_or("", String::as_str) } else { &node.name };
        let input_type = |i: usize| node.input.get(i).and_then(|n| types.get(n.as_str())).copied();
        let from = |i: usize| node.input.get(i).and_then(|n| producer.get(n.as_str())).copied();
        // Index arithmetic is int64 (ONNX ids); int32 is an integer product's accumulator, whose
        // bias add and cast belong to the int8 scheme.
        let integer_math = ["Add", "Sub", "Mul", "Div", "Cast", "Min", "Max", "Mod"].contains(&op)
            && input_type(0) == Some(DataType::Int64 as i32);
        if integer_math {
            out.push(finding(
                Severity::Warning,
                name,
                op,
                "integer arithmetic in the graph (tract runs it on a slow scalar path); do index arithmetic in preprocessing",
            ));
        }
        let specific = match (target, op) {
            (Target::Cpu, "Gather") if from(0) == Some("DequantizeLinear") => Some(finding(
                Severity::Warning,
                name,
                op,
                "gathers from a dequantized table: the whole table is dequantized on every call; gather int8 rows, then dequantize",
            )),
            (Target::Cpu, "MatMul" | "Gemm") if from(0) == Some("DequantizeLinear") || from(1) == Some("DequantizeLinear") => Some(finding(
                Severity::Warning,
                name,
                op,
                "QDQ matrix product: tract does not fuse it and runs it in f32; export --target cpu uses MatMulInteger",
            )),
            (Target::Npu, "MatMul" | "Gemm") if from(1) != Some("DequantizeLinear") => Some(finding(
                Severity::Warning,
                name,
                op,
                "float weights: int8-only accelerators run this product on the CPU (dram quantize --target npu keeps only target attention float)",
            )),
            (Target::Coreml, "QuantizeLinear") => Some(finding(
                Severity::Error,
                name,
                op,
                "activation quantization: Core ML conversion takes float graphs with fp16 or int8 weight-only storage",
            )),
            _ => None,
        };
        let allowed = match target {
            Target::Cpu => None,
            Target::Npu => Some(NPU_OPS),
            Target::Coreml => Some(COREML_OPS),
        };
        if let (None, Some(ops)) = (&specific, allowed) {
            if !ops.contains(&op) {
                out.push(finding(Severity::Error, name, op, &format!("`{op}` is not in the {} allow-list (docs/quantization.md)", target.as_str())));
            }
        }
        out.extend(specific);
    }
    out
}

fn finding(severity: Severity, node: &str, op: &str, problem: &str) -> Finding {
    Finding { severity, node: node.into(), op: op.into(), problem: problem.into() }
}

/// Element type of every value whose type follows from the inputs, initializers and op rules.
fn element_types(model: &ModelProto) -> HashMap<&str, i32> {
    let mut types: HashMap<&str, i32> = HashMap::new();
    let Some(graph) = &model.graph else { return types };
    for input in &graph.input {
        if let Some(type_proto::Value::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
            types.insert(&input.name, t.elem_type);
        }
    }
    for init in &graph.initializer {
        types.insert(&init.name, init.data_type);
    }
    for node in &graph.node {
        let first = node.input.first().and_then(|n| types.get(n.as_str())).copied();
        let attr = |name: &str| node.attribute.iter().find(|a| a.name == name).map(|a| a.i as i32);
        let out = match node.op_type.as_str() {
            "Cast" => attr("to"),
            "Shape" | "Size" | "NonZero" | "ArgMax" | "ArgMin" => Some(DataType::Int64 as i32),
            "MatMulInteger" | "ConvInteger" => Some(DataType::Int32 as i32),
            "DequantizeLinear" => Some(DataType::Float as i32),
            "QuantizeLinear" => Some(node.input.get(2).and_then(|n| types.get(n.as_str())).copied().unwrap_or(DataType::Uint8 as i32)),
            "Equal" | "Less" | "Greater" | "Not" | "And" | "Or" => Some(DataType::Bool as i32),
            _ => first,
        };
        if let Some(t) = out {
            for o in &node.output {
                types.insert(o, t);
            }
        }
    }
    types
}

/// Findings as aligned text, one per line.
pub fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{:<7} {:<28} {:<17} {}\n", format!("{:?}", f.severity).to_lowercase(), f.node, f.op, f.problem))
        .collect()
}

/// Lints model bytes.
pub fn lint_bytes(bytes: &[u8], target: Target) -> Result<Vec<Finding>> {
    let model = dram_core::model_file::decode(bytes)?;
    Ok(lint(&model, target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::builder::{attr_int, Elem, GraphBuilder};

    fn graph(build: impl FnOnce(&mut GraphBuilder)) -> ModelProto {
        let mut g = GraphBuilder::new("crafted");
        build(&mut g);
        g.finish("test")
    }

    fn problems(model: &ModelProto, target: Target) -> Vec<(String, String)> {
        lint(model, target).into_iter().map(|f| (f.node, f.op)).collect()
    }

    #[test]
    fn index_arithmetic_in_the_graph_is_flagged_with_its_node() {
        // tf2onnx-style index clamping: Mul and Cast on int64 ids.
        let model = graph(|g| {
            g.input("ids", Elem::I64, &[None]);
            let k = g.initializer_i64("k", &[], &[3]);
            let scaled = g.node("Mul", &["ids", &k], vec![]);
            let cast = g.node("Cast", &[&scaled], vec![attr_int("to", 1)]);
            g.output(&cast, "y", Elem::F32, &[None]);
        });
        let found = problems(&model, Target::Cpu);
        assert_eq!(found, vec![("mul_1/Mul".into(), "Mul".into()), ("cast_2/Cast".into(), "Cast".into())]);
    }

    #[test]
    fn dequantize_then_gather_and_qdq_matmul_are_flagged_for_cpu() {
        let model = graph(|g| {
            g.input("ids", Elem::I64, &[None]);
            let table = g.initializer_i8("table", &[4, 2], &[1, 2, 3, 4, 5, 6, 7, 8]);
            let s = g.initializer_f32("s", &[], &[0.1]);
            let table = g.node("DequantizeLinear", &[&table, &s], vec![]);
            let rows = g.node("Gather", &[&table, "ids"], vec![attr_int("axis", 0)]);
            let w = g.initializer_i8("w", &[2, 1], &[1, 1]);
            let w = g.node("DequantizeLinear", &[&w, &s], vec![]);
            let y = g.node("MatMul", &[&rows, &w], vec![]);
            g.output(&y, "y", Elem::F32, &[None, Some(1)]);
        });
        let found = problems(&model, Target::Cpu);
        assert_eq!(found, vec![("gather_2/Gather".into(), "Gather".into()), ("matmul_4/MatMul".into(), "MatMul".into())]);
        // The same graph is a fine QDQ graph for an NPU, except for its dynamic input.
        assert_eq!(problems(&model, Target::Npu), vec![("ids".into(), "input".into())]);
    }

    #[test]
    fn npu_and_coreml_reject_ops_float_weights_and_activation_quantization() {
        let model = graph(|g| {
            g.input("x", Elem::F32, &[Some(8), Some(2)]);
            let w = g.initializer_f32("w", &[2, 1], &[1.0, 2.0]);
            let y = g.node("MatMul", &["x", &w], vec![]);
            let e = g.node("Erf", &[&y], vec![]);
            let s = g.initializer_f32("s", &[], &[0.1]);
            let q = g.node("QuantizeLinear", &[&e, &s], vec![]);
            g.output(&q, "y", Elem::U8, &[Some(8), Some(1)]);
        });
        assert_eq!(problems(&model, Target::Npu), vec![("matmul_1/MatMul".into(), "MatMul".into()), ("erf_2/Erf".into(), "Erf".into())]);
        let severities: Vec<Severity> = lint(&model, Target::Npu).iter().map(|f| f.severity).collect();
        assert_eq!(severities, vec![Severity::Warning, Severity::Error]);
        assert_eq!(problems(&model, Target::Coreml), vec![("erf_2/Erf".into(), "Erf".into()), ("quantizelinear_3/QuantizeLinear".into(), "QuantizeLinear".into())]);
        assert!(lint(&model, Target::Coreml)[1].problem.contains("activation quantization"));
        assert!(problems(&model, Target::Cpu).is_empty());
    }
}
