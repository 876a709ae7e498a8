//! What decoding a model file would allocate, found by walking its protobuf bytes without
//! building anything: prost makes a whole struct for every message on the wire, so a few bytes
//! of empty repeated entries (nodes, attributes, initializers) can ask for a hundred times their
//! size. [`decoded_bytes`] adds up what prost would allocate for dram's ONNX messages
//! ([`crate::format::onnx`]), and [`crate::format::container::decode`] refuses a file whose
//! total is out of proportion to its size before prost allocates anything.
//!
//! The walk reads each byte once, keeps no state but a depth, and refuses what prost would
//! refuse (truncated fields, lengths past the end, invalid wire types) with the reason.

use std::mem::size_of;

use crate::format::onnx::{
    tensor_proto, tensor_shape_proto, type_proto, AttributeProto, FunctionProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, SparseTensorProto, StringStringEntryProto,
    TensorAnnotation, TensorProto, TensorShapeProto, TrainingInfoProto, TypeProto, ValueInfoProto,
};

/// Deepest nesting of messages walked: a graph inside an attribute inside a node inside a
/// graph is three levels, so this allows the subgraph nesting [`crate::format::limits`]
/// accepts with room to spare, and stops a stack-eating chain of empty messages first.
pub const MAX_MESSAGE_DEPTH: usize = 100;

/// Most bytes decoding a model of `file_bytes` bytes may allocate: twice the file, plus room
/// for the structs of a small graph. Checked by walking the bytes ([`decoded_bytes`])
/// before anything is decoded, so a file of empty repeated entries is refused without the
/// allocations it asks for.
pub fn max_decoded_bytes(file_bytes: usize) -> u64 {
    2 * file_bytes as u64 + (8 << 20)
}

/// Why the bytes are not a protobuf message of the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// The message types of dram's ONNX schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    Model,
    StringEntry,
    OpsetId,
    Graph,
    Node,
    Attribute,
    ValueInfo,
    Type,
    TypeTensor,
    Shape,
    Dim,
    Tensor,
    Segment,
    Sparse,
    Annotation,
    Training,
    Function,
}

impl Msg {
    /// The decoded struct's own size.
    fn size(self) -> u64 {
        (match self {
            Msg::Model => size_of::<ModelProto>(),
            Msg::StringEntry => size_of::<StringStringEntryProto>(),
            Msg::OpsetId => size_of::<OperatorSetIdProto>(),
            Msg::Graph => size_of::<GraphProto>(),
            Msg::Node => size_of::<NodeProto>(),
            Msg::Attribute => size_of::<AttributeProto>(),
            Msg::ValueInfo => size_of::<ValueInfoProto>(),
            Msg::Type => size_of::<TypeProto>(),
            Msg::TypeTensor => size_of::<type_proto::Tensor>(),
            Msg::Shape => size_of::<TensorShapeProto>(),
            Msg::Dim => size_of::<tensor_shape_proto::Dimension>(),
            Msg::Tensor => size_of::<TensorProto>(),
            Msg::Segment => size_of::<tensor_proto::Segment>(),
            Msg::Sparse => size_of::<SparseTensorProto>(),
            Msg::Annotation => size_of::<TensorAnnotation>(),
            Msg::Training => size_of::<TrainingInfoProto>(),
            Msg::Function => size_of::<FunctionProto>(),
        }) as u64
    }
}

/// What a field holds, as far as allocation goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// A submessage held inline (optional or oneof): its heap parts only.
    One(Msg),
    /// An element of a repeated message field: a struct in a growing `Vec`.
    Many(Msg),
    /// A string or bytes field: its bytes.
    Bytes,
    /// An element of a repeated string or bytes field: its bytes and a `Vec` in a `Vec`.
    ManyBytes,
    /// A repeated number field, `Some(bytes)` wide when fixed-width, `None` for varints,
    /// decoded to values of `decoded` bytes each.
    Numbers { fixed: Option<u64>, decoded: u64 },
    /// A scalar or a field dram's schema does not hold: skipped, nothing allocated.
    Skip,
}

fn field(msg: Msg, tag: u64) -> Field {
    use Field::*;
    use Msg::*;
    let ints = Numbers { fixed: None, decoded: 8 };
    match (msg, tag) {
        (Model, 8) | (Function, 9) => Many(OpsetId),
        (Model, 2..=4) | (Model, 6) => Bytes,
        (Model, 7) => One(Graph),
        (Model, 14) | (Training, 3) | (Training, 4) | (Tensor, 13) | (Annotation, 2) => Many(StringEntry),
        (Model, 20) => Many(Training),
        (Model, 25) => Many(Function),
        (StringEntry, 1 | 2) | (OpsetId, 1) => Bytes,
        (Graph, 1) | (Function, 7) => Many(Node),
        (Graph, 2) | (Graph, 10) => Bytes,
        (Graph, 5) | (Attribute, 10) => Many(Tensor),
        (Graph, 15) | (Attribute, 23) => Many(Sparse),
        (Graph, 11..=13) => Many(ValueInfo),
        (Graph, 14) => Many(Annotation),
        (Node, 1 | 2) | (Function, 4..=6) => ManyBytes,
        (Node, 3 | 4 | 6 | 7) => Bytes,
        (Node, 5) => Many(Attribute),
        (Attribute, 1 | 4 | 13 | 21) => Bytes,
        (Attribute, 5) | (Sparse, 1 | 2) => One(Tensor),
        (Attribute, 6) | (Training, 1 | 2) => One(Graph),
        (Attribute, 22) => One(Sparse),
        (Attribute, 7) | (Tensor, 4) => Numbers { fixed: Some(4), decoded: 4 },
        (Attribute, 8) | (Tensor, 1 | 7 | 11) | (Sparse, 3) => ints,
        (Tensor, 5) => Numbers { fixed: None, decoded: 4 },
        (Tensor, 10) => Numbers { fixed: Some(8), decoded: 8 },
        (Attribute, 9) | (Tensor, 6) => ManyBytes,
        (Attribute, 11) => Many(Graph),
        (Attribute, 15) => Many(Type),
        (ValueInfo, 1 | 3) | (Type, 6) | (Dim, 2 | 3) | (Tensor, 8 | 9 | 12) | (Annotation, 1) => Bytes,
        (Function, 1 | 8 | 10) => Bytes,
        (ValueInfo, 2) => One(Type),
        (Type, 1) => One(TypeTensor),
        (TypeTensor, 2) => One(Shape),
        (Shape, 1) => Many(Dim),
        (Tensor, 3) => One(Segment),
        _ => Skip,
    }
}

/// Bytes prost would allocate to decode `bytes` as a [`ModelProto`] (the top-level struct
/// included), counting a growing `Vec`'s spare capacity: an upper bound, not an exact figure.
///
/// ```
/// use dram_core::format::wire::decoded_bytes;
///
/// // Field 7 (the graph) holding field 1 (a node) three times, each empty: 8 bytes that
/// // decode to three whole node structs.
/// let bytes = [0x3a, 0x06, 0x0a, 0x00, 0x0a, 0x00, 0x0a, 0x00];
/// assert!(decoded_bytes(&bytes).unwrap() > 3 * 100);
/// assert!(decoded_bytes(&[0x3a, 0x09]).is_err()); // a length past the end
/// ```
pub fn decoded_bytes(bytes: &[u8]) -> Result<u64, Malformed> {
    let mut walk = Walk { bytes, at: 0, total: Msg::Model.size() };
    walk.message(Msg::Model, bytes.len(), 0)?;
    Ok(walk.total)
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
    total: u64,
}

impl Walk<'_> {
    fn message(&mut self, msg: Msg, end: usize, depth: usize) -> Result<(), Malformed> {
        if depth > MAX_MESSAGE_DEPTH {
            return Err(Malformed(format!("messages nest deeper than {MAX_MESSAGE_DEPTH} levels")));
        }
        while self.at < end {
            let key = self.varint(end)?;
            let (tag, wire) = (key >> 3, key & 7);
            if tag == 0 {
                return Err(Malformed(format!("a field with tag 0 at byte {}", self.at)));
            }
            let kind = field(msg, tag);
            match wire {
                0 => {
                    self.varint(end)?;
                    self.scalar(kind);
                }
                1 => {
                    self.skip(8, end)?;
                    self.scalar(kind);
                }
                5 => {
                    self.skip(4, end)?;
                    self.scalar(kind);
                }
                2 => {
                    let len = self.varint(end)?;
                    let start = self.at;
                    let stop = usize::try_from(len).ok().and_then(|l| start.checked_add(l)).filter(|s| *s <= end).ok_or_else(|| {
                        Malformed(format!("a field of {len} bytes at byte {start} runs past the end of its message (byte {end})"))
                    })?;
                    self.delimited(kind, start, stop, depth)?;
                    self.at = stop;
                }
                3 | 4 => return Err(Malformed(format!("a protobuf group (wire type {wire}) at byte {}; ONNX uses none", self.at))),
                _ => return Err(Malformed(format!("invalid wire type {wire} at byte {}", self.at))),
            }
        }
        Ok(())
    }

    /// A number field written unpacked: one value.
    fn scalar(&mut self, kind: Field) {
        if let Field::Numbers { decoded, .. } = kind {
            self.total += 2 * decoded;
        }
    }

    fn delimited(&mut self, kind: Field, start: usize, stop: usize, depth: usize) -> Result<(), Malformed> {
        let len = (stop - start) as u64;
        match kind {
            Field::One(msg) => {
                // Inline in its parent, except when prost boxes it; count the struct either way.
                self.total += msg.size();
                self.message(msg, stop, depth + 1)
            }
            Field::Many(msg) => {
                self.total += 2 * msg.size();
                self.message(msg, stop, depth + 1)
            }
            Field::Bytes => {
                self.total += len;
                Ok(())
            }
            Field::ManyBytes => {
                self.total += len + 2 * size_of::<Vec<u8>>() as u64;
                Ok(())
            }
            Field::Numbers { fixed: Some(width), decoded } => {
                // prost reserves a packed fixed-width field's values up front.
                self.total += len / width * decoded;
                Ok(())
            }
            Field::Numbers { fixed: None, decoded } => {
                let values = self.bytes[start..stop].iter().filter(|b| **b < 0x80).count() as u64;
                self.total += 2 * values * decoded;
                Ok(())
            }
            Field::Skip => Ok(()),
        }
    }

    fn varint(&mut self, end: usize) -> Result<u64, Malformed> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let Some(&b) = self.bytes.get(self.at).filter(|_| self.at < end) else {
                return Err(Malformed(format!("a varint is cut off at byte {}", self.at)));
            };
            self.at += 1;
            if shift == 63 && b > 1 {
                return Err(Malformed(format!("a varint overflows 64 bits at byte {}", self.at - 1)));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(Malformed(format!("a varint is longer than 10 bytes at byte {}", self.at)))
    }

    fn skip(&mut self, n: usize, end: usize) -> Result<(), Malformed> {
        if end - self.at < n {
            return Err(Malformed(format!("a {n}-byte field is cut off at byte {}", self.at)));
        }
        self.at += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::format::onnx::{AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};

    #[test]
    fn every_dram_model_fits_its_decoding_budget() {
        // Small graphs decode to a few hundred bytes per node; large files to about their size.
        for path in crate::format::onnx::tests::dram_files() {
            let bytes = std::fs::read(&path).unwrap();
            let decoded = decoded_bytes(&bytes).unwrap();
            let budget = max_decoded_bytes(bytes.len());
            assert!(decoded <= budget / 2, "{}: {decoded} for {} bytes", path.display(), bytes.len());
            assert!(decoded > bytes.len() as u64 / 2, "{}: {decoded} for {} bytes", path.display(), bytes.len());
        }
    }

    #[test]
    fn empty_repeated_messages_cost_their_structs() {
        let nodes = 10_000;
        let model = ModelProto { graph: Some(GraphProto { node: vec![NodeProto::default(); nodes], ..Default::default() }), ..Default::default() };
        let bytes = model.encode_to_vec();
        assert!(bytes.len() < 3 * nodes);
        let decoded = decoded_bytes(&bytes).unwrap();
        assert!(decoded >= (nodes * size_of::<NodeProto>()) as u64, "{decoded}");
        assert!(decoded > 50 * bytes.len() as u64, "{decoded} for {} bytes", bytes.len());
    }

    #[test]
    fn packed_varints_count_their_values() {
        let tensor = TensorProto { int64_data: vec![1; 1000], ..Default::default() };
        let graph = GraphProto { initializer: vec![tensor], ..Default::default() };
        let decoded = decoded_bytes(&ModelProto { graph: Some(graph), ..Default::default() }.encode_to_vec()).unwrap();
        assert!(decoded >= 8 * 1000, "{decoded}");
    }

    #[test]
    fn nesting_past_the_depth_limit_is_refused() {
        let mut graph = GraphProto::default();
        for _ in 0..40 {
            let attribute = AttributeProto { g: Some(graph), ..Default::default() };
            graph = GraphProto { node: vec![NodeProto { attribute: vec![attribute], ..Default::default() }], ..Default::default() };
        }
        let bytes = ModelProto { graph: Some(graph), ..Default::default() }.encode_to_vec();
        let err = decoded_bytes(&bytes).unwrap_err();
        assert!(err.0.contains("deeper than 100"), "{err:?}");
    }

    #[test]
    fn malformed_bytes_say_where() {
        let cut = decoded_bytes(&[0x3a, 0x05, 0x0a]).unwrap_err();
        assert!(cut.0.contains("runs past the end"), "{cut:?}");
        let varint = decoded_bytes(&[0x08, 0xff]).unwrap_err();
        assert!(varint.0.contains("cut off"), "{varint:?}");
        let group = decoded_bytes(&[0x0b]).unwrap_err();
        assert!(group.0.contains("group"), "{group:?}");
        let wire = decoded_bytes(&[0x0e]).unwrap_err();
        assert!(wire.0.contains("invalid wire type 6"), "{wire:?}");
        let tag0 = decoded_bytes(&[0x00, 0x00]).unwrap_err();
        assert!(tag0.0.contains("tag 0"), "{tag0:?}");
        let long = decoded_bytes(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).unwrap_err();
        assert!(long.0.contains("overflows"), "{long:?}");
    }

    #[test]
    fn whatever_prost_decodes_the_walk_accepts() {
        // Every prefix of a fixture: the walk and prost agree on which are well-formed.
        let bytes = std::fs::read(format!("{}/../tests/vectors/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for cut in (0..bytes.len()).step_by(97) {
            let prefix = &bytes[..cut];
            if ModelProto::decode(prefix).is_ok() {
                assert!(decoded_bytes(prefix).is_ok(), "prefix of {cut} bytes");
            }
        }
    }
}
