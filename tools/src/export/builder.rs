//! A small builder for ONNX graphs: inputs with a symbolic batch dimension, initializers
//! stored as little-endian raw data, nodes with automatically unique output names.

use dram_core::onnx_proto::attribute_proto::AttributeType;
use dram_core::onnx_proto::tensor_proto::DataType;
use dram_core::onnx_proto::tensor_shape_proto::{dimension, Dimension};
use dram_core::onnx_proto::type_proto::{self, Tensor as TensorType};
use dram_core::onnx_proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The ONNX operator set dram exports (tract tests opsets 9 to 18).
pub const OPSET: i64 = 17;

/// Element types dram's graphs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// 32-bit float.
    F32,
    /// 64-bit integer.
    I64,
    /// 8-bit signed integer.
    I8,
    /// 8-bit unsigned integer.
    U8,
    /// 32-bit integer.
    I32,
    /// 16-bit float.
    F16,
}

impl Elem {
    fn data_type(self) -> i32 {
        (match self {
            Elem::F32 => DataType::Float,
            Elem::I64 => DataType::Int64,
            Elem::I8 => DataType::Int8,
            Elem::U8 => DataType::Uint8,
            Elem::I32 => DataType::Int32,
            Elem::F16 => DataType::Float16,
        }) as i32
    }
}

/// Builds one ONNX graph.
///
/// ```
/// use dram_tools::export::builder::{Elem, GraphBuilder};
/// let mut g = GraphBuilder::new("double");
/// g.input("x", Elem::F32, &[None, Some(2)]);
/// let two = g.initializer_f32("two", &[1], &[2.0]);
/// let y = g.node("Mul", &["x", &two], vec![]);
/// g.output(&y, "y", Elem::F32, &[None, Some(2)]);
/// let model = g.finish("doc-test");
/// assert_eq!(model.graph.unwrap().node.len(), 2); // Mul + the Identity naming the output
/// ```
#[derive(Debug, Default)]
pub struct GraphBuilder {
    graph: GraphProto,
    counter: usize,
}

/// A dimension: `None` is the symbolic batch dimension `N`.
pub type DimSpec = Option<usize>;

fn value_info(name: &str, elem: Elem, dims: &[DimSpec]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            denotation: String::new(),
            value: Some(match d {
                Some(v) => dimension::Value::DimValue(*v as i64),
                None => dimension::Value::DimParam(dram_core::manifest::BATCH_DIM.into()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            denotation: String::new(),
            value: Some(type_proto::Value::TensorType(TensorType {
                elem_type: elem.data_type(),
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        doc_string: String::new(),
    }
}

impl GraphBuilder {
    /// An empty graph.
    pub fn new(name: &str) -> GraphBuilder {
        GraphBuilder { graph: GraphProto { name: name.into(), ..Default::default() }, counter: 0 }
    }

    /// Declares a graph input.
    pub fn input(&mut self, name: &str, elem: Elem, dims: &[DimSpec]) {
        self.graph.input.push(value_info(name, elem, dims));
    }

    /// Declares `value` as the graph output `name` (through an Identity node when they differ).
    pub fn output(&mut self, value: &str, name: &str, elem: Elem, dims: &[DimSpec]) {
        if value != name {
            self.node_to("Identity", &[value], name, vec![]);
        }
        self.graph.output.push(value_info(name, elem, dims));
    }

    fn initializer(&mut self, name: &str, elem: Elem, dims: &[usize], raw: Vec<u8>) -> String {
        self.graph.initializer.push(TensorProto {
            name: name.into(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: elem.data_type(),
            raw_data: raw,
            ..Default::default()
        });
        name.to_string()
    }

    /// A float constant; returns its name.
    pub fn initializer_f32(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "initializer {name}");
        self.initializer(name, Elem::F32, dims, data.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    /// An int64 constant; returns its name.
    pub fn initializer_i64(&mut self, name: &str, dims: &[usize], data: &[i64]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "initializer {name}");
        self.initializer(name, Elem::I64, dims, data.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    /// An int8 constant; returns its name.
    pub fn initializer_i8(&mut self, name: &str, dims: &[usize], data: &[i8]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "initializer {name}");
        self.initializer(name, Elem::I8, dims, data.iter().map(|&v| v as u8).collect())
    }

    /// A uint8 constant; returns its name.
    pub fn initializer_u8(&mut self, name: &str, dims: &[usize], data: &[u8]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "initializer {name}");
        self.initializer(name, Elem::U8, dims, data.to_vec())
    }

    /// An int32 constant; returns its name.
    pub fn initializer_i32(&mut self, name: &str, dims: &[usize], data: &[i32]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "initializer {name}");
        self.initializer(name, Elem::I32, dims, data.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    /// A float16 constant (given as f32, rounded to nearest); returns its name.
    pub fn initializer_f16(&mut self, name: &str, dims: &[usize], data: &[f32]) -> String {
        assert_eq!(dims.iter().product::<usize>(), data.len(), "initializer {name}");
        let raw = data.iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect();
        self.initializer(name, Elem::F16, dims, raw)
    }

    /// Adds a node with one output, named automatically; returns the output name.
    pub fn node(&mut self, op: &str, inputs: &[&str], attributes: Vec<AttributeProto>) -> String {
        self.counter += 1;
        let output = format!("{}_{}", op.to_lowercase(), self.counter);
        self.node_to(op, inputs, &output, attributes);
        output
    }

    /// Adds a node writing the named output.
    pub fn node_to(&mut self, op: &str, inputs: &[&str], output: &str, attributes: Vec<AttributeProto>) {
        self.graph.node.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: format!("{output}/{op}"),
            op_type: op.into(),
            attribute: attributes,
            ..Default::default()
        });
    }

    /// Whether a node already writes `name`.
    pub fn has_value(&self, name: &str) -> bool {
        self.graph.node.iter().any(|n| n.output.iter().any(|o| o == name))
    }

    /// Renames the output of the node added last (and nothing else refers to it yet).
    pub fn rename_last_output(&mut self, name: &str) {
        if let Some(node) = self.graph.node.last_mut() {
            node.output[0] = name.to_string();
            node.name = format!("{name}/{}", node.op_type);
        }
    }

    /// The finished model, with dram as producer and [`OPSET`] as the default domain's opset.
    pub fn finish(self, producer_version: &str) -> ModelProto {
        ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto { domain: String::new(), version: OPSET }],
            producer_name: "dram".into(),
            producer_version: producer_version.into(),
            graph: Some(self.graph),
            ..Default::default()
        }
    }
}

/// Shrinks a finished model for shipping without changing what it computes: an `Identity`
/// that only names a graph output is removed (its input takes the output's name), attributes
/// equal to the operator's default are dropped (`Gather`'s `axis = 0`, `ReduceSum`'s
/// `keepdims = 1`), then [`compact_names`]. On the MovieLens int8 ranker this is ~1.6 KB of a
/// ~14 KB file.
///
/// ```
/// use dram_tools::export::builder::{compact, attr_int, Elem, GraphBuilder};
/// let mut g = GraphBuilder::new("lookup");
/// g.input("ids", Elem::I64, &[None]);
/// let table = g.initializer_f32("table", &[3, 1], &[0.0, 1.0, 2.0]);
/// let rows = g.node("Gather", &[&table, "ids"], vec![attr_int("axis", 0)]);
/// g.output(&rows, "rows", Elem::F32, &[None, Some(1)]);
/// let mut model = g.finish("0");
/// compact(&mut model);
/// let graph = model.graph.unwrap();
/// assert_eq!(graph.node.len(), 1, "the Identity naming the output is gone");
/// assert_eq!(graph.node[0].output, ["rows"]);
/// assert!(graph.node[0].attribute.is_empty(), "axis 0 is Gather's default");
/// ```
pub fn compact(model: &mut ModelProto) {
    if let Some(graph) = model.graph.as_mut() {
        inline_output_identities(graph);
        for node in &mut graph.node {
            node.attribute.retain(|a| !is_default_attribute(&node.op_type, a));
        }
    }
    compact_names(model);
}

/// Whether `attribute` holds `op`'s default value (for the operators dram writes).
fn is_default_attribute(op: &str, attribute: &AttributeProto) -> bool {
    let int = attribute.r#type == AttributeType::Int as i32;
    matches!((op, attribute.name.as_str(), int, attribute.i), ("Gather", "axis", true, 0) | ("ReduceSum", "keepdims", true, 1))
}

/// Removes each `Identity(v) -> output` where `v` is an intermediate value used nowhere else,
/// letting `v`'s producer write the output directly.
fn inline_output_identities(graph: &mut GraphProto) {
    let outputs: std::collections::HashSet<String> = graph.output.iter().map(|v| v.name.clone()).collect();
    let uses = |graph: &GraphProto, value: &str| graph.node.iter().flat_map(|n| &n.input).filter(|i| *i == value).count();
    let mut inlined = Vec::new();
    for (i, node) in graph.node.iter().enumerate() {
        if node.op_type != "Identity" {
            continue;
        }
        let (Some(source), Some(target)) = (node.input.first(), node.output.first()) else { continue };
        // A node's output is neither a graph input nor an initializer (ONNX names each value
        // once); it must not be a graph output itself, nor read anywhere else.
        let produced = graph.node.iter().any(|n| n.output.contains(source));
        if outputs.contains(target) && !outputs.contains(source) && produced && uses(graph, source) == 1 {
            inlined.push((i, source.clone(), target.clone()));
        }
    }
    for (_, source, target) in &inlined {
        for output in graph.node.iter_mut().flat_map(|n| n.output.iter_mut()) {
            if output == source {
                output.clone_from(target);
            }
        }
    }
    for (i, _, _) in inlined.into_iter().rev() {
        graph.node.remove(i);
    }
}

/// Shortens names for shipping: node names are dropped (runtimes name nodes after their first
/// output), intermediate values get short names (`t0`, `t1`, ...) and initializers too (`c0`,
/// `c1`, ...); graph inputs and outputs keep theirs (the manifest refers to them). On a
/// 10k-parameter int8 ranker names are ~1.5 KB of a ~14 KB file.
fn compact_names(model: &mut ModelProto) {
    let Some(graph) = model.graph.as_mut() else { return };
    let keep: std::collections::HashSet<String> =
        graph.input.iter().chain(&graph.output).map(|v| v.name.clone()).collect();
    let mut renamed = std::collections::HashMap::new();
    for (i, init) in graph.initializer.iter_mut().enumerate() {
        if !keep.contains(init.name.as_str()) {
            let short = format!("c{i}");
            renamed.insert(std::mem::replace(&mut init.name, short.clone()), short);
        }
    }
    let constants = renamed.len();
    for node in &mut graph.node {
        node.name.clear();
        for output in &mut node.output {
            if !keep.contains(output.as_str()) {
                let short = format!("t{}", renamed.len() - constants);
                renamed.insert(std::mem::replace(output, short.clone()), short);
            }
        }
    }
    for node in &mut graph.node {
        for input in &mut node.input {
            if let Some(short) = renamed.get(input.as_str()) {
                input.clone_from(short);
            }
        }
    }
}

/// An integer attribute.
pub fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i: value, ..Default::default() }
}

/// An integer-list attribute.
pub fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

/// A float attribute.
pub fn attr_float(name: &str, value: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f: value, ..Default::default() }
}
