//! Writing ONNX: tract reads ONNX but has no writer, so dram builds `dram_core::onnx_proto` (prost)
//! messages itself. Everything here emits standard ONNX that other runtimes load too.

mod builder;

pub use builder::{attr_float, attr_int, attr_ints, compact, Elem, GraphBuilder, OPSET};
