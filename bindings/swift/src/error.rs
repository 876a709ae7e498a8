//! `DramError`: the Swift `throws` type, one case per [`dram_core::ErrorCode`], carrying
//! dram-core's message unchanged.

use dram_core::ErrorCode;

/// Why a dram call failed. The case is dram-core's `ErrorCode` (the C API's `DRAM_STATUS_*`);
/// the message, written by dram-core, says what was expected and what was found.
///
/// Swift: `catch DramError.InvalidInput(let message)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DramError {
    /// A file could not be found, read or written.
    #[error("{message}")]
    Io {
        /// dram-core's message.
        message: String,
    },
    /// The bytes are not a usable dram model, or the model is for another task.
    #[error("{message}")]
    InvalidModel {
        /// dram-core's message.
        message: String,
    },
    /// Input data is wrong: a missing, mistyped or non-finite feature, an empty candidate
    /// list, a bad event or history capacity.
    #[error("{message}")]
    InvalidInput {
        /// dram-core's message.
        message: String,
    },
    /// A saved history file is corrupt or of an unknown version; delete it to start afresh.
    #[error("{message}")]
    CorruptHistory {
        /// dram-core's message.
        message: String,
    },
    /// The inference engine failed.
    #[error("{message}")]
    Runtime {
        /// dram-core's message.
        message: String,
    },
}

impl DramError {
    /// The dram-core classification this case stands for.
    pub fn code(&self) -> ErrorCode {
        match self {
            DramError::Io { .. } => ErrorCode::Io,
            DramError::InvalidModel { .. } => ErrorCode::InvalidModel,
            DramError::InvalidInput { .. } => ErrorCode::InvalidInput,
            DramError::CorruptHistory { .. } => ErrorCode::CorruptHistory,
            DramError::Runtime { .. } => ErrorCode::Runtime,
        }
    }
}

impl From<dram_core::Error> for DramError {
    fn from(err: dram_core::Error) -> DramError {
        let message = err.to_string();
        match err.code() {
            ErrorCode::Io => DramError::Io { message },
            ErrorCode::InvalidModel => DramError::InvalidModel { message },
            ErrorCode::InvalidInput => DramError::InvalidInput { message },
            ErrorCode::CorruptHistory => DramError::CorruptHistory { message },
            ErrorCode::Runtime => DramError::Runtime { message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_keeps_its_code_and_message() {
        let cases = [
            dram_core::Error::FileNotFound { path: "x.onnx".into() },
            dram_core::Error::MissingManifest,
            dram_core::Error::EmptyCandidates,
            dram_core::Error::CorruptHistory { reason: "bad crc".into() },
            dram_core::Error::Runtime { reason: "boom".into() },
        ];
        for core in cases {
            let (code, message) = (core.code(), core.to_string());
            let err = DramError::from(core);
            assert_eq!(err.code(), code);
            assert_eq!(err.to_string(), message);
        }
    }
}
