//! The one error type of `dram-core`: every failure says what was expected and what was found.
//!
//! Bindings map [`Error::code`] to their own status codes and exception classes, so the
//! classification of a failure is decided here, once, and not in each language.

use std::path::PathBuf;

/// Everything that can go wrong when loading a model, preprocessing features, ranking or
/// persisting history.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file the caller named does not exist.
    #[error("file not found: {path} (check the path the app passes; assets must be copied to a readable location or loaded as bytes)")]
    FileNotFound {
        /// The path that was opened.
        path: PathBuf,
    },
    /// Reading or writing a file failed for a reason other than its absence.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not an ONNX model (or not one tract can parse).
    #[error("not an ONNX model: {reason}")]
    NotOnnx {
        /// What the parser found.
        reason: String,
    },
    /// The ONNX file carries no `dram.manifest` entry in its `metadata_props`.
    #[error("the ONNX file has no `dram.manifest` in its metadata_props; use `Session` for raw models or wrap it with `dram attach-manifest`")]
    MissingManifest,
    /// The manifest declares a schema version this runtime does not know.
    #[error("manifest schema version {found} is not supported by this runtime (supports 1..={supported}); upgrade dram-core")]
    UnsupportedManifestVersion {
        /// Version found in the file.
        found: u64,
        /// Highest version this build reads.
        supported: u32,
    },
    /// The manifest is not valid JSON or breaks a rule of the schema.
    #[error("invalid manifest: {reason}")]
    InvalidManifest {
        /// Which rule was broken, with the offending value.
        reason: String,
    },
    /// The manifest and the graph disagree (an input missing, a wrong type or rank).
    #[error("manifest and graph disagree: {reason}")]
    GraphMismatch {
        /// What the manifest expected and what the graph declares.
        reason: String,
    },
    /// The graph's checksum differs from the one the file records (its CRC-32 entry, or the
    /// manifest's SHA-256).
    #[error("graph checksum mismatch: the file records {algorithm} {expected}, the graph hashes to {found}; the file was modified or corrupted after export: export or download it again")]
    ChecksumMismatch {
        /// `crc32` or `sha256`.
        algorithm: &'static str,
        /// Hex digest recorded in the file.
        expected: String,
        /// Hex digest of the graph as loaded.
        found: String,
    },
    /// Verification was requested but the model carries no `dram.signature`.
    #[error("the model is not signed (no `dram.signature` in its metadata_props); sign it with `dram sign --key` or load it without verification")]
    Unsigned,
    /// The model is signed, but by another key than the one the app trusts.
    #[error("the model is signed by public key {found}, but the app trusts {expected}; sign it with the matching secret key")]
    UntrustedSigner {
        /// Hex of the public key the app passed.
        expected: String,
        /// Hex of the public key recorded in the signature.
        found: String,
    },
    /// The signature entry is malformed or does not match the file's content.
    #[error("the model's signature is invalid: {reason}; do not use this file, download it again")]
    BadSignature {
        /// What failed.
        reason: String,
    },
    /// The public key passed for verification is unusable.
    #[error("invalid Ed25519 public key: {reason}; pass the 32 bytes `dram keygen` wrote to the .pub file (hex-decoded)")]
    InvalidPublicKey {
        /// What is wrong with it.
        reason: String,
    },
    /// The model was built for another task than the API it is used with.
    #[error("model task is `{found}` but this API needs a `{expected}` model")]
    TaskMismatch {
        /// The task the API needs.
        expected: &'static str,
        /// The task the manifest declares.
        found: &'static str,
    },
    /// A feature the manifest requires was not supplied.
    #[error("missing feature `{feature}`{}", row_suffix(*row))]
    MissingFeature {
        /// The feature's manifest name.
        feature: String,
        /// Index of the candidate (or row) that lacks it, if per-row.
        row: Option<usize>,
    },
    /// A feature value has the wrong type for its kind.
    #[error("feature `{feature}` expects {expected} but got {found}{}", row_suffix(*row))]
    WrongFeatureType {
        /// The feature's manifest name.
        feature: String,
        /// What the manifest's kind accepts.
        expected: &'static str,
        /// What was passed.
        found: String,
        /// Index of the candidate (or row).
        row: Option<usize>,
    },
    /// A numeric feature is NaN or infinite (before or after normalisation).
    #[error("feature `{feature}` must be finite but got {value}{}", row_suffix(*row))]
    NonFiniteFeature {
        /// The feature's manifest name.
        feature: String,
        /// The offending value, as text.
        value: String,
        /// Index of the candidate (or row).
        row: Option<usize>,
    },
    /// `rank`/`score` was called with no candidates.
    #[error("the candidate list is empty; pass at least one candidate")]
    EmptyCandidates,
    /// More candidates than the runtime accepts in one call.
    #[error("{count} candidates in one call exceeds the limit of {limit}; split the list")]
    TooManyCandidates {
        /// Candidates passed.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// An input exceeds a size limit that protects the app from hostile data.
    #[error("{what} is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A history event is malformed (empty item, over-long item, bad capacity).
    #[error("invalid event: {reason}")]
    InvalidEvent {
        /// What is wrong with it.
        reason: String,
    },
    /// A persisted history file is corrupt or truncated.
    #[error("history file is corrupt: {reason}; delete it to start a fresh history")]
    CorruptHistory {
        /// What check failed.
        reason: String,
    },
    /// A persisted history file was written by an unknown format version.
    #[error("history file format version {found} is not supported (supports 1..={supported})")]
    UnsupportedHistoryVersion {
        /// Version in the file.
        found: u16,
        /// Highest version this build reads.
        supported: u16,
    },
    /// A raw tensor passed to a [`crate::Session`] does not fit the graph.
    #[error("input `{input}`: expected {expected}, found {found}")]
    InputMismatch {
        /// Graph input name.
        input: String,
        /// What the graph declares.
        expected: String,
        /// What was passed.
        found: String,
    },
    /// A tensor's data length does not match its shape.
    #[error("invalid tensor: {reason}")]
    InvalidTensor {
        /// What does not fit.
        reason: String,
    },
    /// tract failed while optimising or running the graph.
    #[error("runtime error in the inference engine: {reason}")]
    Runtime {
        /// tract's error chain.
        reason: String,
    },
}

fn row_suffix(row: Option<usize>) -> String {
    row.map(|r| format!(" (candidate {r})")).unwrap_or_default()
}

/// Stable numeric classification of [`Error`] shared by every binding.
///
/// The numbers are part of the C ABI (`DRAM_STATUS_*`) and never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorCode {
    /// A file could not be found or read.
    Io = 2,
    /// The model bytes are not a usable dram model (not ONNX, no/invalid manifest, mismatch).
    InvalidModel = 3,
    /// Input data is wrong (missing/wrong/non-finite feature, empty list, bad event).
    InvalidInput = 4,
    /// Persisted history is corrupt or of an unknown version.
    CorruptHistory = 5,
    /// The inference engine failed.
    Runtime = 6,
}

impl Error {
    /// The stable classification bindings use for status codes and exception types.
    ///
    /// ```
    /// use dram_core::{Error, ErrorCode};
    /// assert_eq!(Error::EmptyCandidates.code(), ErrorCode::InvalidInput);
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::FileNotFound { .. } | Error::Io { .. } => ErrorCode::Io,
            Error::NotOnnx { .. }
            | Error::MissingManifest
            | Error::UnsupportedManifestVersion { .. }
            | Error::InvalidManifest { .. }
            | Error::GraphMismatch { .. }
            | Error::ChecksumMismatch { .. }
            | Error::Unsigned
            | Error::UntrustedSigner { .. }
            | Error::BadSignature { .. }
            | Error::TaskMismatch { .. } => ErrorCode::InvalidModel,
            Error::MissingFeature { .. }
            | Error::WrongFeatureType { .. }
            | Error::NonFiniteFeature { .. }
            | Error::EmptyCandidates
            | Error::TooManyCandidates { .. }
            | Error::TooLarge { .. }
            | Error::InvalidPublicKey { .. }
            | Error::InvalidEvent { .. }
            | Error::InputMismatch { .. }
            | Error::InvalidTensor { .. } => ErrorCode::InvalidInput,
            Error::CorruptHistory { .. } | Error::UnsupportedHistoryVersion { .. } => {
                ErrorCode::CorruptHistory
            }
            Error::Runtime { .. } => ErrorCode::Runtime,
        }
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::FileNotFound { path: path.to_path_buf() }
        } else {
            Error::Io { path: path.to_path_buf(), source }
        }
    }

    pub(crate) fn runtime(err: impl std::fmt::Display) -> Error {
        // `{:#}` prints anyhow's whole context chain on one line.
        Error::Runtime { reason: format!("{err:#}") }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
