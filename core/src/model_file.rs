//! The ONNX container: decoding model bytes, and reading and writing the manifest and the
//! graph checksum in `metadata_props`. The host tool writes through these functions and the
//! runtime reads through them, so both sides agree on where everything lives.

use prost::Message;
use sha2::{Digest, Sha256};
use tract_onnx::pb::{ModelProto, StringStringEntryProto};

use crate::manifest::{Manifest, MANIFEST_KEY};
use crate::{Error, Result};

/// Largest model file accepted, in bytes.
pub const MAX_MODEL_BYTES: usize = 256 << 20;

/// Decodes ONNX bytes, rejecting oversized input, files without a graph and graphs over the
/// [`crate::graph_limits`].
pub fn decode(bytes: &[u8]) -> Result<ModelProto> {
    if bytes.len() > MAX_MODEL_BYTES {
        return Err(Error::TooLarge { what: "model file", size: bytes.len(), limit: MAX_MODEL_BYTES });
    }
    if bytes.is_empty() {
        return Err(Error::NotOnnx { reason: "the model bytes are empty".into() });
    }
    let proto = ModelProto::decode(bytes)
        .map_err(|e| Error::NotOnnx { reason: format!("protobuf decoding failed: {e}") })?;
    if proto.graph.is_none() {
        return Err(Error::NotOnnx { reason: "the ModelProto holds no graph".into() });
    }
    crate::graph_limits::check(&proto)?;
    Ok(proto)
}

/// Encodes a model to ONNX bytes.
pub fn encode(proto: &ModelProto) -> Vec<u8> {
    proto.encode_to_vec()
}

/// The manifest stored in the model, if it has one; an invalid one is an error.
pub fn read_manifest(proto: &ModelProto) -> Result<Option<Manifest>> {
    proto
        .metadata_props
        .iter()
        .find(|entry| entry.key == MANIFEST_KEY)
        .map(|entry| Manifest::from_json(&entry.value))
        .transpose()
}

/// Lower-case hex SHA-256 of the encoded `GraphProto` (nodes and weights).
pub fn graph_sha256(proto: &ModelProto) -> String {
    let graph = proto.graph.as_ref().map(Message::encode_to_vec).unwrap_or_default();
    Sha256::digest(&graph).iter().map(|b| format!("{b:02x}")).collect()
}

/// Validates `manifest`, records the graph checksum in its provenance and stores it in the
/// model's `metadata_props`, replacing any previous manifest. Returns the stored manifest.
pub fn embed_manifest(proto: &mut ModelProto, manifest: &Manifest) -> Result<Manifest> {
    manifest.validate()?;
    let mut stored = manifest.clone();
    stored.provenance.graph_sha256 = Some(graph_sha256(proto));
    proto.metadata_props.retain(|entry| entry.key != MANIFEST_KEY);
    proto.metadata_props.push(StringStringEntryProto {
        key: MANIFEST_KEY.into(),
        value: stored.to_json(),
    });
    Ok(stored)
}

/// Checks the graph against the checksum the manifest records, if it records one.
pub fn verify_checksum(proto: &ModelProto, manifest: &Manifest) -> Result<()> {
    if let Some(expected) = &manifest.provenance.graph_sha256 {
        let found = graph_sha256(proto);
        if !expected.eq_ignore_ascii_case(&found) {
            return Err(Error::ChecksumMismatch { expected: expected.clone(), found });
        }
    }
    Ok(())
}
