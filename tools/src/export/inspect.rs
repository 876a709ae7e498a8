//! `dram inspect` and `dram attach-manifest`: reading and wrapping model files.

use std::fmt::Write;
use std::path::Path;

use anyhow::{Context, Result};
use dram_core::manifest::Manifest;
use dram_core::model_file;

/// A human-readable description of a model file.
pub fn describe(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let proto = model_file::decode(&bytes)?;
    let graph = proto.graph.as_ref().expect("decode checks the graph");
    let params = parameter_count(graph);
    let mut s = String::new();
    writeln!(s, "file        {} ({} bytes)", path.display(), bytes.len())?;
    writeln!(s, "producer    {} {}", proto.producer_name, proto.producer_version)?;
    writeln!(s, "opset       {:?}", proto.opset_import.iter().map(|o| (o.domain.as_str(), o.version)).collect::<Vec<_>>())?;
    writeln!(s, "nodes       {}", graph.node.len())?;
    writeln!(s, "parameters  {params}")?;
    let session = dram_core::Session::from_proto(&proto)?;
    for i in session.inputs() {
        writeln!(s, "input       {} {} {:?}", i.name, i.dtype, i.shape)?;
    }
    for o in session.outputs() {
        writeln!(s, "output      {} {} {:?}", o.name, o.dtype, o.shape)?;
    }
    match model_file::read_manifest(&proto)? {
        Some(m) => {
            writeln!(s, "manifest    (schema {})", m.schema_version)?;
            writeln!(s, "{}", serde_json::to_string_pretty(&m)?)?;
            match dram_core::Model::from_bytes(&bytes) {
                Ok(_) => writeln!(s, "status      loads in dram-core {}", dram_core::VERSION)?,
                Err(e) => writeln!(s, "status      does NOT load in dram-core: {e}")?,
            }
        }
        None => writeln!(s, "manifest    none (a raw ONNX model: use `dram attach-manifest`)")?,
    }
    Ok(s)
}

/// Parameters of a model file's graph: the elements of its initializers.
pub fn parameter_count(graph: &dram_core::onnx_proto::GraphProto) -> i64 {
    graph.initializer.iter().map(|t| t.dims.iter().product::<i64>()).sum()
}

/// Parameters of the model file at `path` (as `dram inspect` prints them).
pub fn file_parameter_count(path: &Path) -> Result<i64> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let proto = model_file::decode(&bytes)?;
    Ok(parameter_count(proto.graph.as_ref().expect("decode checks the graph")))
}

/// The model with `manifest_json` embedded; fails unless the result loads in `dram-core`.
pub fn attach_manifest(onnx: &[u8], manifest_json: &str) -> Result<Vec<u8>> {
    let manifest = Manifest::from_json(manifest_json)?;
    let mut proto = model_file::decode(onnx)?;
    model_file::embed_manifest(&mut proto, &manifest)?;
    let bytes = model_file::encode(&proto);
    dram_core::Model::from_bytes(&bytes).context("the manifest does not fit the graph")?;
    Ok(bytes)
}
