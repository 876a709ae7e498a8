//! A dram model: the optimised graph plus its manifest, checked against each other at load.

use std::path::Path;

use crate::format::onnx::ModelProto;
use crate::format::manifest::{DType, Dim, Manifest, OutputMeaning, Task};
use crate::preprocess::{Encoder, Row};
use crate::engine::session::{IoInfo, Session};
use crate::tensor::Tensor;
use crate::format::container;
use crate::{Error, Result};

/// Most rows (candidates) accepted in one call.
pub const MAX_ROWS_PER_CALL: usize = 65_536;

/// A loaded, validated, optimised model; `Send + Sync`, shared with `Arc` across threads.
///
/// ```no_run
/// let model = dram_core::Model::load("ranker.onnx")?;
/// println!("{} features", model.manifest().features.len());
/// # Ok::<(), dram_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Model {
    manifest: Manifest,
    session: Session,
    encoder: Encoder,
    /// Index of the manifest's first output among the session's outputs.
    primary_output: usize,
}

impl Model {
    /// Loads a model file. The path must name a regular file of at most
    /// [`container::MAX_MODEL_BYTES`], checked before it is read.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let bytes = crate::format::read::regular_file(path, container::MAX_MODEL_BYTES, "model file")?;
        Model::from_bytes(&bytes)
    }

    /// Loads a model from bytes (an app asset or bundle resource).
    pub fn from_bytes(bytes: &[u8]) -> Result<Model> {
        Model::from_proto(container::decode(bytes)?, Integrity::Checksum(bytes))
    }

    /// Loads a model from bytes only if it carries a valid Ed25519 signature by `public_key`
    /// (32 raw bytes); see [`crate::format::signature`] for the errors. Use it for downloaded models.
    ///
    /// ```no_run
    /// let bytes = std::fs::read("ranker.onnx")?;
    /// let trusted: [u8; 32] = [0; 32]; // the app's pinned key, from `dram keygen`
    /// let model = dram_core::Model::load_verified(&bytes, &trusted)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_verified(bytes: &[u8], public_key: &[u8]) -> Result<Model> {
        let proto = container::decode(bytes)?;
        crate::format::signature::verify(&proto, public_key)?;
        Model::from_proto(proto, Integrity::Signed)
    }

    fn from_proto(proto: ModelProto, integrity: Integrity<'_>) -> Result<Model> {
        let manifest = container::read_manifest(&proto)?.ok_or(Error::MissingManifest)?;
        let session = match integrity {
            Integrity::Checksum(bytes) => checked_session(bytes, &proto, &manifest)?,
            Integrity::Signed => Session::from_proto(&proto)?,
        };
        check_inputs(&manifest, session.inputs())?;
        let primary_output = check_outputs(&manifest, session.outputs())?;
        let encoder = Encoder::new(&manifest);
        Ok(Model { manifest, session, encoder, primary_output })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The underlying raw session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The preprocessing the model's inputs go through.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Runs the graph on tensors in [`Encoder::inputs`] order and returns the manifest's
    /// first output as rows of values (one row of `width` values per input row).
    pub fn run_encoded(&self, tensors: Vec<Tensor>) -> Result<Vec<f32>> {
        let rows = tensors.first().and_then(|t| t.shape().first().copied()).unwrap_or(0);
        if rows == 0 {
            return Err(Error::EmptyCandidates);
        }
        if rows > MAX_ROWS_PER_CALL {
            return Err(Error::TooManyCandidates { count: rows, limit: MAX_ROWS_PER_CALL });
        }
        let named = self.encoder.inputs().iter().map(|i| i.name.clone()).zip(tensors).collect();
        let mut outputs = self.session.run(named)?;
        let (name, output) = outputs.swap_remove(self.primary_output);
        let values = output.as_f32().ok_or_else(|| Error::Runtime {
            reason: format!("output `{name}` is {}, expected f32", output.dtype_name()),
        })?;
        if output.shape().first() != Some(&rows) {
            return Err(Error::Runtime {
                reason: format!("output `{name}` has shape {:?}, expected {rows} rows", output.shape()),
            });
        }
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(Error::Runtime {
                reason: format!("output `{name}` holds the non-finite value {bad}; the model's weights are unusable"),
            });
        }
        Ok(values.to_vec())
    }

    /// Encodes independent rows and runs the model: the primary output's values, row-major.
    pub fn predict_rows(&self, rows: &[Row<'_>]) -> Result<Vec<f32>> {
        if rows.len() > MAX_ROWS_PER_CALL {
            return Err(Error::TooManyCandidates { count: rows.len(), limit: MAX_ROWS_PER_CALL });
        }
        self.run_encoded(self.encoder.encode_rows(rows)?)
    }

    /// Number of values per row of the primary output (1 for rankers, classes for classifiers).
    pub fn output_width(&self) -> usize {
        match &self.manifest.outputs[0].meaning {
            OutputMeaning::ClassLogits { labels } => labels.len(),
            OutputMeaning::Logit | OutputMeaning::Probability => 1,
        }
    }

    pub(crate) fn require_task(&self, task: Task) -> Result<()> {
        if self.manifest.task != task {
            return Err(Error::TaskMismatch { expected: task.as_str(), found: self.manifest.task.as_str() });
        }
        Ok(())
    }
}

/// How a model's graph checksum is checked at load.
enum Integrity<'a> {
    /// Against the graph as stored in the bytes the model was decoded from.
    Checksum(&'a [u8]),
    /// Not again: the signature just verified covers the graph and the manifest's checksum,
    /// and signing refuses a model whose checksum is stale.
    Signed,
}

/// Verifies the graph checksum and builds the session; for large files both at once
/// ([`container::Checksum::parallel_from_bytes`]). A checksum mismatch is reported before
/// any error of the session.
fn checked_session(bytes: &[u8], proto: &ModelProto, manifest: &Manifest) -> Result<Session> {
    let verify = || container::verify_stored_checksum(bytes, proto, manifest);
    let parallel = container::load_checksum(proto, manifest).is_some_and(|(c, _)| bytes.len() >= c.parallel_from_bytes());
    if !parallel {
        verify()?;
        return Session::from_proto(proto);
    }
    std::thread::scope(|scope| {
        let Ok(hashing) = std::thread::Builder::new().name("dram-checksum".into()).spawn_scoped(scope, verify) else {
            verify()?;
            return Session::from_proto(proto);
        };
        let session = Session::from_proto(proto);
        hashing.join().unwrap_or_else(|_| Err(Error::Runtime { reason: "the checksum thread panicked".into() }))?;
        session
    })
}

fn check_inputs(manifest: &Manifest, graph: &[IoInfo]) -> Result<()> {
    let wanted = manifest.graph_inputs();
    for input in &wanted {
        let declared = graph.iter().find(|g| g.name == input.name).ok_or_else(|| Error::GraphMismatch {
            reason: format!(
                "the manifest feeds input `{}` but the graph's inputs are {:?}",
                input.name,
                graph.iter().map(|g| &g.name).collect::<Vec<_>>()
            ),
        })?;
        let dtype = match input.dtype {
            DType::F32 => "f32",
            DType::I64 => "i64",
        };
        let shape_fits = declared.shape.len() == input.shape.len()
            && declared.shape.iter().zip(&input.shape).all(|(g, m)| match (g, m) {
                (None, Dim::Batch) => true,
                (Some(g), Dim::Fixed(m)) => g == m,
                _ => false,
            });
        if declared.dtype != dtype || !shape_fits {
            return Err(Error::GraphMismatch {
                reason: format!(
                    "input `{}`: manifest expects {dtype} {:?} (Batch = symbolic `N`), graph declares {} {:?} (None = symbolic)",
                    input.name, input.shape, declared.dtype, declared.shape
                ),
            });
        }
    }
    if let Some(extra) = graph.iter().find(|g| !wanted.iter().any(|w| w.name == g.name)) {
        return Err(Error::GraphMismatch {
            reason: format!("graph input `{}` is fed by no manifest feature", extra.name),
        });
    }
    Ok(())
}

fn check_outputs(manifest: &Manifest, graph: &[IoInfo]) -> Result<usize> {
    let primary = &manifest.outputs[0];
    let index = graph.iter().position(|g| g.name == primary.name).ok_or_else(|| Error::GraphMismatch {
        reason: format!(
            "manifest output `{}` is not among the graph's outputs {:?}",
            primary.name,
            graph.iter().map(|g| &g.name).collect::<Vec<_>>()
        ),
    })?;
    let declared = &graph[index];
    let ok = match &primary.meaning {
        OutputMeaning::Logit | OutputMeaning::Probability => match declared.shape.as_slice() {
            [_] => true,
            [_, width] => width.is_none_or(|w| w == 1),
            _ => false,
        },
        OutputMeaning::ClassLogits { labels } => {
            matches!(declared.shape.as_slice(), [_, width] if width.is_none_or(|w| w == labels.len()))
        }
    };
    if !ok || declared.dtype != "f32" {
        return Err(Error::GraphMismatch {
            reason: format!(
                "output `{}` is {} {:?}, expected f32 with shape [N] or [N, 1] for scores and [N, classes] for class logits",
                declared.name, declared.dtype, declared.shape
            ),
        });
    }
    Ok(index)
}
