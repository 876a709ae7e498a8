//! The ONNX container: decoding model bytes, and reading and writing the manifest and the
//! graph checksums in `metadata_props`. The host tool writes through these functions and the
//! runtime reads through them, so both sides agree on where everything lives.
//!
//! A graph carries two checksums of its encoded `GraphProto`. The manifest's `graph_sha256`
//! names the model (provenance, `dram inspect`, what `dram sign` refuses when stale). The
//! CRC-32 under [`GRAPH_CRC32_KEY`] is what a load checks: both only detect accidental
//! corruption, since anyone who edits a file can recompute either (signatures are the
//! defence against tampering, [`crate::format::signature`]), and CRC-32 is an order of
//! magnitude cheaper than SHA-256, which cost a small model as much as a peer runtime's whole
//! load (`docs/model-format.md`).
//! Files without the CRC entry (written before it existed) are checked by their SHA-256.

use prost::Message;
use sha2::{Digest, Sha256};

use crate::format::onnx::{ModelProto, StringStringEntryProto};
use crate::format::manifest::{Manifest, MANIFEST_KEY};
use crate::{Error, Result};

/// The `metadata_props` key of the graph's CRC-32 (IEEE, as zlib computes it), eight
/// lower-case hex digits: the checksum a load verifies.
pub const GRAPH_CRC32_KEY: &str = "dram.graph_crc32";

/// Largest model file accepted, in bytes.
pub const MAX_MODEL_BYTES: usize = 256 << 20;

/// Decodes ONNX bytes, rejecting oversized input, bytes whose decoding would allocate out of
/// proportion to their size ([`crate::format::wire::max_decoded_bytes`]), files without a graph and graphs over
/// the [`crate::format::limits`].
pub fn decode(bytes: &[u8]) -> Result<ModelProto> {
    if bytes.len() > MAX_MODEL_BYTES {
        return Err(Error::TooLarge { what: "model file", size: bytes.len(), limit: MAX_MODEL_BYTES });
    }
    if bytes.is_empty() {
        return Err(Error::NotOnnx { reason: "the model bytes are empty".into() });
    }
    let decoded = crate::format::wire::decoded_bytes(bytes)
        .map_err(|e| Error::NotOnnx { reason: format!("protobuf decoding failed: {}", e.0) })?;
    let budget = crate::format::wire::max_decoded_bytes(bytes.len());
    if decoded > budget {
        return Err(Error::NotOnnx {
            reason: format!(
                "decoding these {} bytes would allocate about {decoded} bytes, over the {budget} a model of this size may take \
                 (many empty repeated entries: nodes, attributes or initializers); the file is not a usable model",
                bytes.len()
            ),
        });
    }
    let proto = ModelProto::decode(bytes)
        .map_err(|e| Error::NotOnnx { reason: format!("protobuf decoding failed: {e}") })?;
    if proto.graph.is_none() {
        return Err(Error::NotOnnx { reason: "the ModelProto holds no graph".into() });
    }
    crate::format::limits::check(&proto)?;
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
    Checksum::Sha256.digest(&encoded_graph(proto))
}

fn encoded_graph(proto: &ModelProto) -> Vec<u8> {
    proto.graph.as_ref().map(Message::encode_to_vec).unwrap_or_default()
}

/// Validates `manifest`, records the graph's SHA-256 in its provenance and stores it in the
/// model's `metadata_props` with the graph's CRC-32, replacing any previous manifest and CRC.
/// Returns the stored manifest.
pub fn embed_manifest(proto: &mut ModelProto, manifest: &Manifest) -> Result<Manifest> {
    manifest.validate()?;
    let graph = encoded_graph(proto);
    let mut stored = manifest.clone();
    stored.provenance.graph_sha256 = Some(Checksum::Sha256.digest(&graph));
    proto.metadata_props.retain(|entry| entry.key != MANIFEST_KEY && entry.key != GRAPH_CRC32_KEY);
    proto.metadata_props.push(StringStringEntryProto { key: MANIFEST_KEY.into(), value: stored.to_json() });
    proto.metadata_props.push(StringStringEntryProto { key: GRAPH_CRC32_KEY.into(), value: Checksum::Crc32.digest(&graph) });
    Ok(stored)
}

/// A checksum algorithm a file records for its graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// [`GRAPH_CRC32_KEY`]'s.
    Crc32,
    /// The manifest's `graph_sha256`.
    Sha256,
}

impl Checksum {
    fn name(self) -> &'static str {
        match self {
            Checksum::Crc32 => "crc32",
            Checksum::Sha256 => "sha256",
        }
    }

    fn digest(self, bytes: &[u8]) -> String {
        match self {
            Checksum::Crc32 => format!("{:08x}", crc32fast::hash(bytes)),
            Checksum::Sha256 => hex::encode(Sha256::digest(bytes)),
        }
    }

    /// Model files from which on this checksum is computed on a second thread while tract
    /// optimises the graph: where hashing takes about as long as optimising a small ranker
    /// (~1 MB of SHA-256 with SHA-NI, over 10 MB of CRC-32).
    pub(crate) fn parallel_from_bytes(self) -> usize {
        match self {
            Checksum::Crc32 => 8 << 20,
            Checksum::Sha256 => 256 << 10,
        }
    }
}

/// Every checksum the file records with its digest: the CRC-32 entry first, then the
/// manifest's SHA-256.
fn recorded<'a>(proto: &'a ModelProto, manifest: &'a Manifest) -> impl Iterator<Item = (Checksum, &'a str)> {
    let crc = proto.metadata_props.iter().find(|entry| entry.key == GRAPH_CRC32_KEY);
    let crc = crc.map(|entry| (Checksum::Crc32, entry.value.as_str()));
    crc.into_iter().chain(manifest.provenance.graph_sha256.as_deref().map(|sha| (Checksum::Sha256, sha)))
}

/// The checksum a load verifies and the digest the file records for it: the CRC-32 entry when
/// present, else the manifest's SHA-256, else none.
pub(crate) fn load_checksum<'a>(proto: &'a ModelProto, manifest: &'a Manifest) -> Option<(Checksum, &'a str)> {
    recorded(proto, manifest).next()
}

/// Checks the load checksum ([`load_checksum`]) of a model decoded from `bytes`: hashes the
/// graph's bytes as stored there, and encodes the graph again only when they do not match (a
/// file re-serialised by another protobuf library, or a corrupted one). Saves encoding the
/// weights a second time.
pub(crate) fn verify_stored_checksum(bytes: &[u8], proto: &ModelProto, manifest: &Manifest) -> Result<()> {
    let Some((checksum, expected)) = load_checksum(proto, manifest) else { return Ok(()) };
    if let Some(graph) = stored_graph(bytes) {
        if expected.eq_ignore_ascii_case(&checksum.digest(graph)) {
            return Ok(());
        }
    }
    check(checksum, expected, &encoded_graph(proto))
}

fn check(checksum: Checksum, expected: &str, graph: &[u8]) -> Result<()> {
    let found = checksum.digest(graph);
    if !expected.eq_ignore_ascii_case(&found) {
        return Err(Error::ChecksumMismatch { algorithm: checksum.name(), expected: expected.to_string(), found });
    }
    Ok(())
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

/// Checks the graph against every checksum the file records (the CRC-32 entry and the
/// manifest's SHA-256), encoding it once.
pub fn verify_checksum(proto: &ModelProto, manifest: &Manifest) -> Result<()> {
    let mut recorded = recorded(proto, manifest).peekable();
    if recorded.peek().is_none() {
        return Ok(());
    }
    let graph = encoded_graph(proto);
    recorded.try_for_each(|(checksum, expected)| check(checksum, expected, &graph))
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
        let stored = stored_graph(&bytes).unwrap();
        assert_eq!(manifest.provenance.graph_sha256.as_deref(), Some(Checksum::Sha256.digest(stored).as_str()));
        assert_eq!(load_checksum(&proto, &manifest), Some((Checksum::Crc32, Checksum::Crc32.digest(stored).as_str())));
        verify_stored_checksum(&bytes, &proto, &manifest).unwrap();
        verify_checksum(&proto, &manifest).unwrap();
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
        assert!(matches!(err, Error::ChecksumMismatch { algorithm: "crc32", .. }), "{err}");
    }

    #[test]
    fn the_crc_is_zlibs_crc32_in_eight_hex_digits() {
        // The check value of CRC-32/ISO-HDLC, the CRC of zlib, gzip and PNG.
        assert_eq!(Checksum::Crc32.digest(b"123456789"), "cbf43926");
        assert_eq!(Checksum::Crc32.digest(b""), "00000000");
    }

    /// The fixture with one weight of its graph changed after export (the entries kept).
    fn corrupted(proto: &ModelProto) -> ModelProto {
        let mut changed = proto.clone();
        let weight = changed.graph.as_mut().unwrap().initializer.iter_mut().find(|t| !t.raw_data.is_empty()).unwrap();
        weight.raw_data[0] ^= 1;
        changed
    }

    #[test]
    fn files_without_the_crc_entry_are_checked_by_their_sha256() {
        let mut proto = decode(&fixture()).unwrap();
        let manifest = read_manifest(&proto).unwrap().unwrap();
        proto.metadata_props.retain(|entry| entry.key != GRAPH_CRC32_KEY);
        assert_eq!(load_checksum(&proto, &manifest).map(|(c, _)| c), Some(Checksum::Sha256));
        let bytes = encode(&proto);
        verify_stored_checksum(&bytes, &proto, &manifest).unwrap();
        let bad = corrupted(&proto);
        let err = verify_stored_checksum(&encode(&bad), &bad, &manifest).unwrap_err();
        assert!(matches!(err, Error::ChecksumMismatch { algorithm: "sha256", .. }), "{err}");
        assert!(err.to_string().contains("sha256"), "{err}");
    }

    #[test]
    fn a_corrupted_weight_fails_the_crc_and_a_stale_sha256_fails_the_full_check() {
        let proto = decode(&fixture()).unwrap();
        let manifest = read_manifest(&proto).unwrap().unwrap();
        let bad = corrupted(&proto);
        let err = verify_stored_checksum(&encode(&bad), &bad, &manifest).unwrap_err();
        assert!(matches!(err, Error::ChecksumMismatch { algorithm: "crc32", .. }), "{err}");
        // A CRC recomputed after the change satisfies a load, not the full check `dram sign`
        // runs: the manifest's SHA-256 still names the graph as exported.
        let mut recrc = bad.clone();
        let crc = Checksum::Crc32.digest(&encoded_graph(&bad));
        recrc.metadata_props.iter_mut().find(|e| e.key == GRAPH_CRC32_KEY).unwrap().value = crc;
        verify_stored_checksum(&encode(&recrc), &recrc, &manifest).unwrap();
        let err = verify_checksum(&recrc, &manifest).unwrap_err();
        assert!(matches!(err, Error::ChecksumMismatch { algorithm: "sha256", .. }), "{err}");
    }
}
