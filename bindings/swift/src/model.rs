//! `DramModel`: a loaded, validated model, shared by the rankers and classifiers built on it.

use std::sync::Arc;

use crate::DramError;

/// A dram model (ONNX graph plus manifest), loaded once and shared across threads.
///
/// Swift: `try DramModel.fromFile(path: url.path)` or `try DramModel.fromBytes(bytes: data)`.
#[derive(Debug, uniffi::Object)]
pub struct DramModel {
    inner: Arc<dram_core::Model>,
}

#[uniffi::export]
impl DramModel {
    /// Loads a model file.
    #[uniffi::constructor]
    pub fn from_file(path: String) -> Result<Arc<DramModel>, DramError> {
        Ok(Arc::new(DramModel { inner: Arc::new(dram_core::Model::load(path)?) }))
    }

    /// Loads a model from bytes (a bundle resource read into `Data`).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<DramModel>, DramError> {
        Ok(Arc::new(DramModel { inner: Arc::new(dram_core::Model::from_bytes(&bytes)?) }))
    }

    /// Loads a model from bytes only if it carries a valid Ed25519 signature by `public_key`
    /// (the 32 raw bytes `dram keygen` writes, hex-decoded). Use it for downloaded models.
    /// `InvalidModel` for an unsigned, foreign-signed or modified file; `InvalidInput` for a
    /// malformed key.
    ///
    /// Swift: `try DramModel.fromBytesVerified(bytes: data, publicKey: pinnedKey)`.
    #[uniffi::constructor]
    pub fn from_bytes_verified(bytes: Vec<u8>, public_key: Vec<u8>) -> Result<Arc<DramModel>, DramError> {
        Ok(Arc::new(DramModel { inner: Arc::new(dram_core::Model::load_verified(&bytes, &public_key)?) }))
    }

    /// The task the manifest declares: `"ranker"` or `"classifier"`.
    pub fn task(&self) -> String {
        self.inner.manifest().task.as_str().to_owned()
    }
}

impl DramModel {
    /// The dram-core model, for the objects built on it.
    pub(crate) fn core(&self) -> Arc<dram_core::Model> {
        self.inner.clone()
    }
}
