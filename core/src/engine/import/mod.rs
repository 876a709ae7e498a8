//! The direct import: dram's own ONNX operator set translated straight into a tract-core
//! [`TypedModel`], without tract-onnx's operator registry and its inference model.
//!
//! tract-onnx builds an `InferenceModel` first and analyses it twice before it has a typed
//! graph (about a quarter of dram's cold start on the MovieLens ranker, see
//! `docs/performance.md`). A dram file uses ~15 operators with facts that follow from the
//! inputs' declared types, so this module computes each node's typed op and facts directly, in
//! one pass over the nodes, emitting the ops as tract's declutter would leave them (`EinSum`
//! for products, `TypedBinOp`s, `AxisOp`s, `Reduce`, `Softmax`, `Gather`; constants fold as
//! they are wired). Such a graph needs only tract's `ChangeAxes` pass before dram's fusions
//! ([`crate::engine::plan::Declutter::AxesOnly`]).
//!
//! Anything outside that set (another operator, an attribute this module does not know, an
//! opset before 13, a symbolic dimension that is not a plain name) is [`Unsupported`], and
//! [`crate::Session`] falls back to tract-onnx, so any ONNX file tract reads still loads.
//! Each translation matches tract-onnx's on one-node graphs (`tests.rs`), and every dram file
//! gets the same plans and outputs as through tract-onnx (`plan.rs`).

mod attr;
mod constant;
mod elementwise;
mod fact;
mod layout;
mod linear;
mod quant;
mod reduce;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;

use tract_core::internal::*;
use tract_core::ops::konst::Const;
use tract_core::ops::nn::Reducer;

use crate::format::onnx::{GraphProto, ModelProto, NodeProto};

/// Lowest default-domain opset translated directly (13 moved `axes` of `ReduceSum` and
/// `Unsqueeze` from attributes to inputs and redefined `Softmax` over one axis).
const MIN_OPSET: i64 = 13;

/// Why a graph is not translated directly; the caller then loads it through tract-onnx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not in dram's direct ONNX import: {reason}")]
pub(crate) struct Unsupported {
    /// What was found that the direct import does not handle.
    pub(crate) reason: String,
}

impl Unsupported {
    pub(crate) fn new(reason: impl Into<String>) -> Unsupported {
        Unsupported { reason: reason.into() }
    }
}

/// A result whose failure sends the graph to tract-onnx.
pub(crate) type Import<T> = std::result::Result<T, Unsupported>;

/// tract's error while wiring a supported node (a shape or type the op rejects): the graph is
/// left to tract-onnx, which reports it in its own words.
pub(crate) fn wiring(node: &NodeProto) -> impl Fn(TractError) -> Unsupported + '_ {
    move |e| Unsupported::new(format!("{} node `{}`: {e:#}", node.op_type, node.name))
}

/// Translates `proto`'s graph into a typed model with the facts tract-onnx would give it.
pub(crate) fn translate(proto: &ModelProto) -> Import<TypedModel> {
    check_opsets(proto)?;
    let graph = proto.graph.as_ref().ok_or_else(|| Unsupported::new("the model has no graph"))?;
    let mut builder = Builder::new(graph);
    for input in &graph.input {
        if builder.initializers.contains_key(input.name.as_str()) {
            continue;
        }
        let fact = fact::input_fact(&builder.model.symbols, input)?;
        let source = builder.model.add_source(&input.name, fact).map_err(|e| Unsupported::new(format!("{e:#}")))?;
        builder.outlets.insert(input.name.as_str(), source);
    }
    for node in &graph.node {
        builder.translate_node(node)?;
    }
    let mut outputs = Vec::with_capacity(graph.output.len());
    for output in &graph.output {
        let outlet = builder.outlets.get(output.name.as_str()).copied();
        match outlet {
            Some(outlet) if builder.model.node(outlet.node).op_as::<Const>().is_none() => outputs.push(outlet),
            _ => return Err(Unsupported::new(format!("graph output `{}` is not computed by a node", output.name))),
        }
    }
    let mut model = builder.model;
    model.select_output_outlets(&outputs).map_err(|e| Unsupported::new(format!("{e:#}")))?;
    Ok(model)
}

/// Only the default ONNX domain, at opset 13 or later.
fn check_opsets(proto: &ModelProto) -> Import<()> {
    let default = proto.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx");
    match default {
        Some(opset) if opset.version >= MIN_OPSET => Ok(()),
        Some(opset) => Err(Unsupported::new(format!("default-domain opset {} (expected {MIN_OPSET} or later)", opset.version))),
        None => Err(Unsupported::new("no default-domain opset import")),
    }
}

/// The typed model being built and where each ONNX value name landed in it.
pub(crate) struct Builder<'g> {
    pub(crate) model: TypedModel,
    outlets: HashMap<&'g str, OutletId>,
    /// Initializers not yet referenced: each becomes a `Const` node when first read.
    initializers: HashMap<&'g str, &'g crate::format::onnx::TensorProto>,
}

impl<'g> Builder<'g> {
    fn new(graph: &'g GraphProto) -> Builder<'g> {
        Builder {
            model: TypedModel::default(),
            outlets: HashMap::new(),
            initializers: graph.initializer.iter().map(|t| (t.name.as_str(), t)).collect(),
        }
    }

    /// Wires one ONNX node, registering its outputs under their ONNX names.
    fn translate_node(&mut self, node: &'g NodeProto) -> Import<()> {
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(Unsupported::new(format!("operator {} of domain `{}`", node.op_type, node.domain)));
        }
        let mut inputs = TVec::new();
        for (ix, name) in node.input.iter().enumerate() {
            if name.is_empty() {
                // An omitted optional input is only accepted at the end of the list.
                if node.input[ix..].iter().any(|n| !n.is_empty()) {
                    return Err(Unsupported::new(format!("{} node `{}` omits a middle input", node.op_type, node.name)));
                }
                break;
            }
            inputs.push(self.outlet(name)?);
        }
        let name = if !node.name.is_empty() {
            node.name.clone()
        } else {
            node.output.first().cloned().unwrap_or_else(|| node.op_type.clone())
        };
        let name = self.model.unique_name(name).to_string();
        let wires = self.wire_op(&name, node, &inputs)?;
        let produced: Vec<&String> = node.output.iter().filter(|o| !o.is_empty()).collect();
        if produced.len() != wires.len() {
            return Err(Unsupported::new(format!("{} node `{}` with {} outputs", node.op_type, node.name, produced.len())));
        }
        for (output, wire) in produced.into_iter().zip(wires) {
            self.model.set_outlet_label(wire, output.clone()).map_err(wiring(node))?;
            self.outlets.insert(output.as_str(), wire);
        }
        Ok(())
    }

    fn wire_op(&mut self, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
        match node.op_type.as_str() {
            "Add" | "Sub" | "Mul" | "Div" | "Min" | "Max" => elementwise::binary(self, name, node, inputs),
            "Relu" => elementwise::relu(self, name, node, inputs),
            "Cast" => elementwise::cast(self, name, node, inputs),
            "Identity" => elementwise::identity(self, name, node, inputs),
            "Gather" => layout::gather(self, name, node, inputs),
            "Unsqueeze" => layout::unsqueeze(self, name, node, inputs),
            "Concat" => layout::concat(self, name, node, inputs),
            "ReduceSum" => reduce::reduce(self, name, node, inputs, Reducer::Sum),
            "ReduceMax" => reduce::reduce(self, name, node, inputs, Reducer::Max),
            "Softmax" => reduce::softmax(self, name, node, inputs),
            "Gemm" => linear::gemm(self, name, node, inputs),
            "MatMul" => linear::matmul(self, name, node, inputs),
            "MatMulInteger" => linear::matmul_integer(self, name, node, inputs),
            "QuantizeLinear" => quant::quantize_linear(self, name, node, inputs),
            other => Err(Unsupported::new(format!("operator {other}"))),
        }
    }

    /// The outlet holding the ONNX value `name` (an initializer becomes a `Const` here).
    fn outlet(&mut self, name: &str) -> Import<OutletId> {
        if let Some(outlet) = self.outlets.get(name) {
            return Ok(*outlet);
        }
        let Some((key, proto)) = self.initializers.remove_entry(name) else {
            return Err(Unsupported::new(format!("value `{name}` is read before it is computed")));
        };
        let tensor = constant::tensor(proto)?;
        let outlet = self.model.add_const(key, tensor).map_err(|e| Unsupported::new(format!("{e:#}")))?;
        self.outlets.insert(key, outlet);
        Ok(outlet)
    }

    /// The fact of an already wired outlet.
    pub(crate) fn fact(&self, outlet: OutletId) -> Import<&TypedFact> {
        self.model.outlet_fact(outlet).map_err(|e| Unsupported::new(format!("{e:#}")))
    }

    /// The constant value of `outlet`, if it is one.
    pub(crate) fn konst(&self, outlet: OutletId) -> Import<Option<Arc<Tensor>>> {
        Ok(self.fact(outlet)?.konst.clone())
    }

    /// Adds a constant node named after `name`.
    pub(crate) fn add_const(&mut self, name: &str, tensor: Tensor) -> Import<OutletId> {
        let name = self.model.unique_name(name).to_string();
        self.model.add_const(name, tensor).map_err(|e| Unsupported::new(format!("{e:#}")))
    }

    /// Wires `op` on `inputs` as node `name`, or a fresh name derived from it when taken.
    pub(crate) fn wire(&mut self, node: &NodeProto, name: &str, op: impl Into<Box<dyn TypedOp>>, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
        let name = self.model.unique_name(name).to_string();
        self.model.wire_node(name, op, inputs).map_err(wiring(node))
    }
}

/// `axis` (negative counts from the end) as an index into `rank` axes.
pub(crate) fn resolve_axis(node: &NodeProto, axis: i64, rank: usize) -> Import<usize> {
    let resolved = if axis < 0 { axis + rank as i64 } else { axis };
    if (0..rank as i64).contains(&resolved) {
        Ok(resolved as usize)
    } else {
        Err(Unsupported::new(format!("{} node `{}`: axis {axis} out of range for rank {rank}", node.op_type, node.name)))
    }
}
