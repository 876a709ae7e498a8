//! ONNX Runtime, the peer dram is measured against: opened at run time from the
//! `libonnxruntime` the `onnxruntime` PyPI wheel ships (`ORT_DYLIB_PATH`), and fed the very
//! tensors dram-core's encoder produced, so both runtimes compute the same thing.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use dram_core::{Tensor, TensorData};
use ort::environment::Environment;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::{DynValue, Tensor as OrtTensor};

/// The environment variable naming the ONNX Runtime shared library.
pub const DYLIB_VAR: &str = "ORT_DYLIB_PATH";

/// The library named by `ORT_DYLIB_PATH`, if it is set and exists.
pub fn locate() -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os(DYLIB_VAR)?);
    path.is_file().then_some(path)
}

/// A loaded ONNX Runtime (one per process).
pub struct Ort {
    env: Environment,
    version: String,
}

impl Ort {
    /// Opens the library at `lib`.
    pub fn load(lib: &Path) -> Result<Ort> {
        let env = ort::init_from(lib)
            .map_err(|e| anyhow!("cannot open ONNX Runtime at {}: {e}", lib.display()))?
            .with_name("dram-bench")
            .build()
            .map_err(|e| anyhow!("ONNX Runtime environment: {e}"))?;
        let version = lib
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split(".so.").nth(1))
            .unwrap_or("unknown")
            .to_string();
        Ok(Ort { env, version })
    }

    /// The library's version, from its file name (`libonnxruntime.so.1.32.0`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A session over model bytes with every graph optimisation and `threads` intra-op threads.
    pub fn session(&self, bytes: &[u8], threads: usize) -> Result<PeerSession> {
        let session = builder(Session::builder(&self.env).map_err(|e| anyhow!("{e}"))?, threads)?
            .commit_from_memory(bytes)
            .map_err(|e| anyhow!("ONNX Runtime rejected the model: {e}"))?;
        Ok(PeerSession { session })
    }
}

fn builder(b: SessionBuilder, threads: usize) -> Result<SessionBuilder> {
    let fail = |e: ort::Error<SessionBuilder>| anyhow!("ONNX Runtime session options: {e}");
    b.with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(fail)?
        .with_intra_threads(threads)
        .map_err(fail)?
        .with_inter_threads(1)
        .map_err(fail)?
        .with_intra_op_spinning(false)
        .map_err(fail)
}

/// One ONNX Runtime session.
pub struct PeerSession {
    session: Session,
}

impl PeerSession {
    /// Runs the graph on named tensors and returns its first output's values.
    pub fn run(&mut self, inputs: &[(String, Tensor)]) -> Result<Vec<f32>> {
        let values = inputs
            .iter()
            .map(|(name, t)| Ok((name.clone(), to_ort(t)?)))
            .collect::<Result<Vec<(String, DynValue)>>>()?;
        let outputs = self.session.run(values).map_err(|e| anyhow!("ONNX Runtime run: {e}"))?;
        let (_, first) = outputs.iter().next().context("the graph has no output")?;
        let (_, data) = first.try_extract_tensor::<f32>().map_err(|e| anyhow!("first output: {e}"))?;
        Ok(data.to_vec())
    }
}

fn to_ort(tensor: &Tensor) -> Result<DynValue> {
    let shape = tensor.shape().to_vec();
    Ok(match tensor.data() {
        TensorData::F32(v) => OrtTensor::from_array((shape, v.clone())).map_err(|e| anyhow!("{e}"))?.into_dyn(),
        TensorData::I64(v) => OrtTensor::from_array((shape, v.clone())).map_err(|e| anyhow!("{e}"))?.into_dyn(),
    })
}
