//! The ONNX container: decoding model bytes, and reading and writing the manifest and the
//! graph checksum in `metadata_props`. The host tool writes through these functions and the
//! runtime reads through them, so both sides agree on where everything lives.

use prost::Message;
use sha2::{Digest, Sha256};

use crate::onnx_proto::{ModelProto, StringStringEntryProto};
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
    sha256_hex(&proto.graph.as_ref().map(Message::encode_to_vec).unwrap_or_default())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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

/// [`verify_checksum`] for a model decoded from `bytes`: hashes the graph's bytes as stored
/// there, and encodes the graph again only when they do not match (a file re-serialised by
/// another protobuf library, or a tampered one). Saves encoding the weights a second time.
pub(crate) fn verify_stored_checksum(bytes: &[u8], proto: &ModelProto, manifest: &Manifest) -> Result<()> {
    if let (Some(expected), Some(graph)) = (&manifest.provenance.graph_sha256, stored_graph(bytes)) {
        if expected.eq_ignore_ascii_case(&sha256_hex(graph)) {
            return Ok(());
        }
    }
    verify_checksum(proto, manifest)
}

/// The `graph` field (ModelProto field 7) as stored in ONNX `bytes`, when it occurs exactly
/// once (protobuf merges repeated occurrences, and then no single slice is the graph).
fn stored_graph(bytes: &[u8]) -> Option<&[u8]> {
    const GRAPH_FIELD: u64 = 7;
    let mut rest = bytes;
    let mut graph = None;
    while !rest.is_empty() {
        let key = varint(&mut rest)?;
        let len = match key & 7 {
            0 => varint(&mut rest).map(|_| 0)?,
            1 => 8,
            2 => usize::try_from(varint(&mut rest)?).ok()?,
            5 => 4,
            _ => return None,
        };
        if len > rest.len() {
            return None;
        }
        let (field, tail) = rest.split_at(len);
        if key >> 3 == GRAPH_FIELD && (key & 7 != 2 || graph.replace(field).is_some()) {
            return None;
        }
        rest = tail;
    }
    graph
}

/// Reads one protobuf varint off the front of `buf`.
fn varint(buf: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, tail) = buf.split_first()?;
        *buf = tail;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(format!("{}/../tests/vectors/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn the_stored_graph_is_the_graph_encoded_again() {
        let bytes = fixture();
        let proto = decode(&bytes).unwrap();
        assert_eq!(stored_graph(&bytes).unwrap(), proto.graph.as_ref().unwrap().encode_to_vec());
        let manifest = read_manifest(&proto).unwrap().unwrap();
        assert_eq!(manifest.provenance.graph_sha256.as_deref(), Some(sha256_hex(stored_graph(&bytes).unwrap()).as_str()));
        verify_stored_checksum(&bytes, &proto, &manifest).unwrap();
    }

    #[test]
    fn a_repeated_or_truncated_graph_field_has_no_stored_slice() {
        let bytes = fixture();
        let proto = decode(&bytes).unwrap();
        let graph = ModelProto { graph: proto.graph.clone(), ..Default::default() }.encode_to_vec();
        assert!(stored_graph(&[bytes.as_slice(), &graph].concat()).is_none());
        assert!(stored_graph(&bytes[..bytes.len() - 1]).is_none());
        assert!(stored_graph(&[]).is_none());
    }

    #[test]
    fn a_graph_stored_differently_is_checked_by_encoding_it_again() {
        // An empty first occurrence merges into the second: the same graph, but no single
        // stored slice, so the re-encoded graph's checksum decides.
        let bytes = fixture();
        let proto = decode(&bytes).unwrap();
        let manifest = read_manifest(&proto).unwrap().unwrap();
        let rest = ModelProto { graph: None, ..proto.clone() }.encode_to_vec();
        let empty = ModelProto { graph: Some(Default::default()), ..Default::default() }.encode_to_vec();
        let graph = |g| ModelProto { graph: Some(g), ..Default::default() }.encode_to_vec();
        let merged = [rest.as_slice(), &empty, &graph(proto.graph.clone().unwrap())].concat();
        verify_stored_checksum(&merged, &decode(&merged).unwrap(), &manifest).unwrap();
        let mut changed = proto.graph.clone().unwrap();
        changed.name.push('x');
        let tampered = [rest.as_slice(), &graph(changed)].concat();
        let err = verify_stored_checksum(&tampered, &decode(&tampered).unwrap(), &manifest).unwrap_err();
        assert!(matches!(err, Error::ChecksumMismatch { .. }), "{err}");
    }
}
