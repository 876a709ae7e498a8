//! Model signatures: who authorised a model file. The host tool signs an exported model with
//! an Ed25519 secret key (`dram sign`); an app that holds the matching public key loads it with
//! [`crate::Model::load_verified`], which refuses unsigned, tampered or foreign-signed files.
//!
//! The signature lives in the ONNX file's `metadata_props` under [`SIGNATURE_KEY`], as JSON
//! `{"algorithm":"ed25519","public_key":"<64 hex>","signature":"<128 hex>"}`. It signs
//! [`payload`]: the domain tag [`PAYLOAD_TAG`] followed by the SHA-256 of the model's protobuf
//! encoding with every `dram.signature` entry removed. The runtime executes exactly the decoded
//! message it hashes, so every byte that can change what runs (graph, weights, opsets,
//! manifest, other metadata) is covered. `docs/model-format.md` states the format for other
//! implementations.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey, PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::format::onnx::{ModelProto, StringStringEntryProto};
use crate::format::container;
use crate::{Error, Result};

/// The `metadata_props` key under which the signature JSON is stored.
pub const SIGNATURE_KEY: &str = "dram.signature";
/// Domain-separation prefix of the signed payload; names the payload's version.
pub const PAYLOAD_TAG: &[u8] = b"dram-model-signature-v1\n";
/// Length of a public key in bytes.
pub const PUBLIC_KEY_BYTES: usize = PUBLIC_KEY_LENGTH;
/// Length of a secret key (seed) in bytes.
pub const SECRET_KEY_BYTES: usize = SECRET_KEY_LENGTH;
/// Longest signature entry accepted, in bytes (the real one is about 230).
const MAX_ENTRY_BYTES: usize = 1024;

/// The signature entry as stored in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    algorithm: String,
    public_key: String,
    signature: String,
}

/// The bytes an Ed25519 signature covers: [`PAYLOAD_TAG`] then the SHA-256 of the model
/// encoded without its signature entries.
///
/// ```
/// let proto = dram_core::format::container::decode(&std::fs::read("../tests/vectors/models/ranker.onnx")?)?;
/// let payload = dram_core::signature::payload(&proto);
/// assert!(payload.starts_with(dram_core::signature::PAYLOAD_TAG));
/// assert_eq!(payload.len(), dram_core::signature::PAYLOAD_TAG.len() + 32);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn payload(proto: &ModelProto) -> Vec<u8> {
    let mut unsigned = proto.clone();
    unsigned.metadata_props.retain(|entry| entry.key != SIGNATURE_KEY);
    let digest = Sha256::digest(container::encode(&unsigned));
    [PAYLOAD_TAG, digest.as_slice()].concat()
}

/// The public key of a secret key (a 32-byte Ed25519 seed).
pub fn public_key(secret_key: &[u8; SECRET_KEY_BYTES]) -> [u8; PUBLIC_KEY_BYTES] {
    SigningKey::from_bytes(secret_key).verifying_key().to_bytes()
}

/// Signs `proto` with `secret_key`, replacing any previous signature. Only a valid dram model
/// (manifest present, valid, and matching its graph checksum) is signed, so a signature
/// always vouches for a usable file.
///
/// ```
/// use dram_core::format::{container, signature};
/// use dram_core::Model;
/// let mut proto = container::decode(&std::fs::read("../tests/vectors/models/ranker.onnx")?)?;
/// let secret = [7u8; 32];
/// signature::sign(&mut proto, &secret)?;
/// let bytes = container::encode(&proto);
/// Model::load_verified(&bytes, &signature::public_key(&secret))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign(proto: &mut ModelProto, secret_key: &[u8; SECRET_KEY_BYTES]) -> Result<()> {
    let manifest = container::read_manifest(proto)?.ok_or(Error::MissingManifest)?;
    container::verify_checksum(proto, &manifest)?;
    proto.metadata_props.retain(|entry| entry.key != SIGNATURE_KEY);
    let key = SigningKey::from_bytes(secret_key);
    let signature = key.sign(&payload(proto));
    let entry = Entry {
        algorithm: "ed25519".into(),
        public_key: hex::encode(key.verifying_key().to_bytes()),
        signature: hex::encode(signature.to_bytes()),
    };
    let value = serde_json::to_string(&entry).expect("the entry always serialises");
    proto.metadata_props.push(StringStringEntryProto { key: SIGNATURE_KEY.into(), value });
    Ok(())
}

/// Checks that `proto` carries exactly one valid signature by `public_key`.
///
/// Errors: [`Error::InvalidPublicKey`] for a key that is not 32 bytes or not a curve point,
/// [`Error::Unsigned`] without a signature, [`Error::UntrustedSigner`] when another key signed
/// it, [`Error::BadSignature`] for a malformed entry or a signature that does not match the
/// content (the file was modified after signing).
pub fn verify(proto: &ModelProto, public_key: &[u8]) -> Result<()> {
    let expected = parse_public_key(public_key)?;
    let mut entries = proto.metadata_props.iter().filter(|entry| entry.key == SIGNATURE_KEY);
    let entry = entries.next().ok_or(Error::Unsigned)?;
    if entries.next().is_some() {
        return Err(bad("expected one `dram.signature` entry, found several"));
    }
    if entry.value.len() > MAX_ENTRY_BYTES {
        return Err(bad(format!("the entry is {} bytes, expected at most {MAX_ENTRY_BYTES}", entry.value.len())));
    }
    let entry: Entry = serde_json::from_str(&entry.value).map_err(|e| bad(format!("the entry is not the expected JSON: {e}")))?;
    if entry.algorithm != "ed25519" {
        return Err(bad(format!("expected algorithm `ed25519`, found `{}`", entry.algorithm)));
    }
    let signer = decode_hex::<PUBLIC_KEY_BYTES>(&entry.public_key, "public_key")?;
    if signer != expected.to_bytes() {
        return Err(Error::UntrustedSigner { expected: hex::encode(expected.to_bytes()), found: entry.public_key });
    }
    let signature = Signature::from_bytes(&decode_hex::<64>(&entry.signature, "signature")?);
    expected
        .verify_strict(&payload(proto), &signature)
        .map_err(|_| bad("the signature does not match the file's content: it was modified after signing"))
}

/// Parses a raw 32-byte Ed25519 public key.
fn parse_public_key(bytes: &[u8]) -> Result<VerifyingKey> {
    let array: [u8; PUBLIC_KEY_BYTES] = bytes.try_into().map_err(|_| Error::InvalidPublicKey {
        reason: format!("expected {PUBLIC_KEY_BYTES} bytes, found {}", bytes.len()),
    })?;
    VerifyingKey::from_bytes(&array).map_err(|_| Error::InvalidPublicKey {
        reason: "the 32 bytes are not an Ed25519 public key (not a point of the curve)".into(),
    })
}

fn decode_hex<const N: usize>(text: &str, field: &str) -> Result<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out)
        .map_err(|e| bad(format!("`{field}` must be {} hex digits: {e}", 2 * N)))?;
    Ok(out)
}

fn bad(reason: impl Into<String>) -> Error {
    Error::BadSignature { reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> ModelProto {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/models/ranker.onnx");
        container::decode(&std::fs::read(path).unwrap()).unwrap()
    }

    const SECRET: [u8; 32] = [3; 32];

    fn signed() -> ModelProto {
        let mut proto = fixture();
        sign(&mut proto, &SECRET).unwrap();
        proto
    }

    #[test]
    fn a_signed_model_verifies_after_an_encode_decode_round_trip() {
        let bytes = container::encode(&signed());
        let decoded = container::decode(&bytes).unwrap();
        assert_eq!(decoded, signed(), "the round trip keeps every field");
        assert!(verify(&decoded, &public_key(&SECRET)).is_ok());
    }

    #[test]
    fn signing_twice_keeps_one_entry() {
        let mut proto = signed();
        sign(&mut proto, &[4; 32]).unwrap();
        assert_eq!(proto.metadata_props.iter().filter(|e| e.key == SIGNATURE_KEY).count(), 1);
        verify(&proto, &public_key(&[4; 32])).unwrap();
    }

    #[test]
    fn unsigned_wrong_key_and_bad_keys_have_their_own_errors() {
        assert!(matches!(verify(&fixture(), &public_key(&SECRET)), Err(Error::Unsigned)));
        let err = verify(&signed(), &public_key(&[9; 32])).unwrap_err();
        assert!(matches!(err, Error::UntrustedSigner { .. }), "{err}");
        assert!(matches!(verify(&signed(), &[1, 2, 3]), Err(Error::InvalidPublicKey { .. })));
    }

    #[test]
    fn any_change_outside_the_signature_is_detected() {
        let key = public_key(&SECRET);
        let mut proto = signed();
        proto.metadata_props.push(StringStringEntryProto { key: "note".into(), value: "x".into() });
        assert!(matches!(verify(&proto, &key), Err(Error::BadSignature { .. })));
        let mut proto = signed();
        proto.opset_import[0].version += 1;
        assert!(matches!(verify(&proto, &key), Err(Error::BadSignature { .. })));
        let mut proto = signed();
        proto.producer_name.push('!');
        assert!(matches!(verify(&proto, &key), Err(Error::BadSignature { .. })));
    }

    #[test]
    fn malformed_and_duplicate_entries_are_bad_signatures() {
        let key = public_key(&SECRET);
        let entry = |proto: &mut ModelProto| {
            proto.metadata_props.iter_mut().find(|e| e.key == SIGNATURE_KEY).unwrap().value.clone()
        };
        let mut proto = signed();
        let original = entry(&mut proto);
        for broken in [
            "not json".to_string(),
            original.replace("ed25519", "rsa"),
            original.replace("\"signature\":\"", "\"signature\":\"zz"),
            "x".repeat(MAX_ENTRY_BYTES + 1),
        ] {
            let mut proto = signed();
            proto.metadata_props.iter_mut().find(|e| e.key == SIGNATURE_KEY).unwrap().value = broken.clone();
            let err = verify(&proto, &key).unwrap_err();
            assert!(matches!(err, Error::BadSignature { .. }), "{broken:.40}: {err}");
        }
        let mut proto = signed();
        proto.metadata_props.push(StringStringEntryProto { key: SIGNATURE_KEY.into(), value: original });
        assert!(verify(&proto, &key).unwrap_err().to_string().contains("several"));
    }

    #[test]
    fn a_model_with_a_stale_checksum_cannot_be_signed() {
        let mut proto = fixture();
        proto.graph.as_mut().unwrap().name.push('x');
        assert!(matches!(sign(&mut proto, &SECRET), Err(Error::ChecksumMismatch { .. })));
    }
}
