//! The raw escape hatch: any ONNX graph tract can run, named tensors in and out, no manifest.
//! [`crate::Model`] is built on it. Graphs within dram's operator set are translated directly
//! ([`crate::engine::import`]); any other goes through tract-onnx. The graph is decluttered once at
//! load; optimised plans (one per padded candidate-count bucket, see [`crate::engine::plan`]) are
//! built on first use and shared by every call and thread, each call running its own state.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use tract_core::prelude::*;

use crate::format::onnx::ModelProto;
use crate::engine::plan::{Declutter, Plans};
use crate::tensor::{Tensor as DramTensor, TensorData};
use crate::format::container;
use crate::{Error, Result};

/// Type and shape of a graph input or output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoInfo {
    /// Name in the ONNX graph.
    pub name: String,
    /// Element type, as `f32`, `i64`, `i32`, ...
    pub dtype: String,
    /// Dimensions; `None` for a symbolic one (such as the candidate count).
    pub shape: Vec<Option<usize>>,
}

/// An optimised graph ready to run from many threads.
///
/// ```no_run
/// use dram_core::{Session, Tensor};
/// let session = Session::load("model.onnx")?;
/// let outputs = session.run(vec![("x".into(), Tensor::f32(vec![1, 3], vec![0.1, 0.2, 0.3])?)])?;
/// println!("{:?}", outputs[0]);
/// # Ok::<(), dram_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    plans: Arc<Plans>,
    inputs: Vec<IoInfo>,
    outputs: Vec<IoInfo>,
    /// Whether the graph came through dram's direct import (not tract-onnx).
    direct: bool,
}

impl Session {
    /// Loads and optimises the ONNX file at `path`, a regular file of at most
    /// [`container::MAX_MODEL_BYTES`] (checked before it is read).
    pub fn load(path: impl AsRef<Path>) -> Result<Session> {
        let path = path.as_ref();
        let bytes = crate::format::read::regular_file(path, container::MAX_MODEL_BYTES, "model file")?;
        Session::from_bytes(&bytes)
    }

    /// Loads and optimises ONNX bytes (an app asset or bundle resource).
    pub fn from_bytes(bytes: &[u8]) -> Result<Session> {
        Session::from_proto(&container::decode(bytes)?)
    }

    /// Optimises a decoded model.
    pub fn from_proto(proto: &ModelProto) -> Result<Session> {
        guard(|| build(proto))
    }

    /// The graph's inputs, in graph order.
    pub fn inputs(&self) -> &[IoInfo] {
        &self.inputs
    }

    /// The graph's outputs, in graph order.
    pub fn outputs(&self) -> &[IoInfo] {
        &self.outputs
    }

    /// Runs the graph. Every input must be given once, by name, with the declared element
    /// type, rank and fixed dimensions. Outputs come back in graph order with their names.
    pub fn run(&self, inputs: Vec<(String, DramTensor)>) -> Result<Vec<(String, DramTensor)>> {
        let (plan, values, rows) = self.prepare(self.checked(inputs)?)?;
        let outputs = guard(|| plan.run(values).map_err(Error::runtime))?;
        self.finish(outputs, rows)
    }

    /// Named inputs in graph order, each checked against its declaration.
    pub(crate) fn checked(&self, inputs: Vec<(String, DramTensor)>) -> Result<Vec<DramTensor>> {
        let mut slots: Vec<Option<DramTensor>> = vec![None; self.inputs.len()];
        for (name, tensor) in inputs {
            let index = self.inputs.iter().position(|i| i.name == name).ok_or_else(|| {
                Error::InputMismatch {
                    input: name.clone(),
                    expected: format!("one of the graph inputs {:?}", self.input_names()),
                    found: "an unknown name".into(),
                }
            })?;
            if slots[index].replace(tensor).is_some() {
                return Err(Error::InputMismatch {
                    input: name,
                    expected: "one tensor".into(),
                    found: "two tensors with this name".into(),
                });
            }
        }
        let mut tensors = Vec::with_capacity(slots.len());
        for (info, slot) in self.inputs.iter().zip(slots) {
            let tensor = slot.ok_or_else(|| Error::InputMismatch {
                input: info.name.clone(),
                expected: "a tensor".into(),
                found: "nothing".into(),
            })?;
            check_input(info, &tensor)?;
            tensors.push(tensor);
        }
        Ok(tensors)
    }

    /// Picks the plan for checked input tensors (graph order) and converts them, padded to
    /// the plan's bucket: the plan, its inputs and the real row count when padded.
    pub(crate) fn prepare(
        &self,
        tensors: Vec<DramTensor>,
    ) -> Result<(Arc<TypedSimplePlan>, TVec<TValue>, Option<usize>)> {
        let rows = if self.plans.is_bucketed() { Some(common_rows(&self.inputs, &tensors)?) } else { None };
        let chosen = guard(|| self.plans.choose(rows).map_err(Error::runtime))?;
        let values = tensors
            .into_iter()
            .map(|t| {
                let t = match chosen.pad_to {
                    Some(bucket) => t.pad_rows(bucket),
                    None => t,
                };
                Ok(to_tract(t)?.into_tvalue())
            })
            .collect::<Result<TVec<TValue>>>()?;
        Ok((chosen.plan, values, chosen.pad_to.and(rows)))
    }

    /// Names the plan's outputs and drops the padding rows of batched ones.
    pub(crate) fn finish(&self, outputs: TVec<TValue>, rows: Option<usize>) -> Result<Vec<(String, DramTensor)>> {
        let batched = self.plans.batched_outputs();
        self.outputs
            .iter()
            .zip(outputs)
            .enumerate()
            .map(|(ix, (info, value))| {
                let tensor = from_tract(&value)?;
                let tensor = match rows {
                    Some(rows) if batched[ix] => tensor.truncate_rows(rows),
                    _ => tensor,
                };
                Ok((info.name.clone(), tensor))
            })
            .collect()
    }

    pub(crate) fn plans(&self) -> &Plans {
        &self.plans
    }

    /// Whether the graph was translated by [`crate::engine::import`] rather than tract-onnx.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn imported_directly(&self) -> bool {
        self.direct
    }

    fn input_names(&self) -> Vec<&str> {
        self.inputs.iter().map(|i| i.name.as_str()).collect()
    }
}

/// Runs `f`, turning a panic inside tract into an error so no hostile model or input can take
/// the app down (bindings build with `panic = "unwind"`).
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(Error::Runtime { reason: format!("the inference engine panicked: {message}") })
    })
}

/// Builds the typed graph (dram's direct import when the graph stays within its operator
/// set, tract-onnx otherwise) and prepares its plans.
fn build(proto: &ModelProto) -> Result<Session> {
    let (typed, direct) = match crate::engine::import::translate(proto) {
        Ok(typed) => (typed, true),
        Err(unsupported) => (through_tract_onnx(proto, unsupported)?, false),
    };
    let passes = if direct { Declutter::AxesOnly } else { Declutter::Full };
    let plans = Plans::new(typed, passes).map_err(Error::runtime)?;
    let typed = plans.decluttered();
    let inputs = io_infos(typed, typed.input_outlets().map_err(Error::runtime)?)?;
    let outputs = io_infos(typed, typed.output_outlets().map_err(Error::runtime)?)?;
    Ok(Session { plans: Arc::new(plans), inputs, outputs, direct })
}

/// Any ONNX graph tract reads: tract-onnx's inference model, analysed into a typed one.
#[cfg(feature = "onnx-fallback")]
fn through_tract_onnx(proto: &ModelProto, _: crate::engine::import::Unsupported) -> Result<TypedModel> {
    use tract_onnx::prelude::InferenceModelExt;
    // tract's ONNX operator registry (a map of ~200 builders) is built once per process.
    static ONNX: std::sync::OnceLock<tract_onnx::Onnx> = std::sync::OnceLock::new();
    let theirs = crate::format::onnx::to_tract(proto).map_err(|e| Error::NotOnnx { reason: e.to_string() })?;
    let model = ONNX
        .get_or_init(tract_onnx::onnx)
        .model_for_proto_model(&theirs)
        .map_err(|e| Error::NotOnnx { reason: format!("{e:#}") })?;
    model.into_typed().map_err(Error::runtime)
}

/// Without the `onnx-fallback` feature a graph outside dram's operator set is refused, with
/// what the direct import could not read.
#[cfg(not(feature = "onnx-fallback"))]
fn through_tract_onnx(_: &ModelProto, unsupported: crate::engine::import::Unsupported) -> Result<TypedModel> {
    Err(outside_the_operator_set(unsupported))
}

/// The error of a build without the `onnx-fallback` feature for a graph the direct import
/// cannot read: what it found, and the feature that would load it. (Compiled in every build so
/// the default build's tests check its words.)
#[cfg_attr(feature = "onnx-fallback", allow(dead_code))]
fn outside_the_operator_set(unsupported: crate::engine::import::Unsupported) -> Error {
    Error::NotOnnx { reason: format!("{unsupported}; this build of dram-core reads only dram's own operator set (build it with the `onnx-fallback` feature to load any ONNX graph tract reads)") }
}

/// The row count every input leads with (bucketed graphs lead every input with `N`).
fn common_rows(infos: &[IoInfo], tensors: &[DramTensor]) -> Result<usize> {
    let first = tensors.first().and_then(|t| t.shape().first().copied()).unwrap_or(0);
    for (info, tensor) in infos.iter().zip(tensors) {
        let rows = tensor.shape().first().copied().unwrap_or(0);
        if rows != first {
            return Err(Error::InputMismatch {
                input: info.name.clone(),
                expected: format!("{first} rows, like the first input"),
                found: format!("{rows} rows"),
            });
        }
    }
    Ok(first)
}

fn io_infos(model: &TypedModel, outlets: &[OutletId]) -> Result<Vec<IoInfo>> {
    outlets
        .iter()
        .map(|&outlet| {
            let fact = model.outlet_fact(outlet).map_err(Error::runtime)?;
            let name = model
                .outlet_label(outlet)
                .map(str::to_string)
                .unwrap_or_else(|| model.node(outlet.node).name.clone());
            let shape = fact.shape.iter().map(|d| d.to_i64().ok().map(|v| v as usize)).collect();
            Ok(IoInfo { name, dtype: dtype_name(fact.datum_type), shape })
        })
        .collect()
}

fn dtype_name(dt: DatumType) -> String {
    match dt {
        DatumType::F32 => "f32".into(),
        DatumType::I64 => "i64".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn check_input(info: &IoInfo, tensor: &DramTensor) -> Result<()> {
    let mismatch = |expected: String, found: String| Error::InputMismatch {
        input: info.name.clone(),
        expected,
        found,
    };
    if info.dtype != tensor.dtype_name() {
        return Err(mismatch(format!("element type {}", info.dtype), format!("element type {}", tensor.dtype_name())));
    }
    let fits = info.shape.len() == tensor.shape().len()
        && info.shape.iter().zip(tensor.shape()).all(|(want, &got)| want.is_none_or(|w| w == got));
    if !fits {
        let declared: Vec<String> =
            info.shape.iter().map(|d| d.map_or("?".into(), |v| v.to_string())).collect();
        return Err(mismatch(format!("shape [{}]", declared.join(", ")), format!("shape {:?}", tensor.shape())));
    }
    Ok(())
}

fn to_tract(tensor: DramTensor) -> Result<Tensor> {
    let (shape, data) = tensor.into_parts();
    let array = |e: tract_ndarray::ShapeError| Error::InvalidTensor { reason: e.to_string() };
    Ok(match data {
        TensorData::F32(v) => tract_ndarray::ArrayD::from_shape_vec(shape, v).map_err(array)?.into_tensor(),
        TensorData::I64(v) => tract_ndarray::ArrayD::from_shape_vec(shape, v).map_err(array)?.into_tensor(),
    })
}

fn from_tract(value: &Tensor) -> Result<DramTensor> {
    let shape = value.shape().to_vec();
    let view = value.try_as_plain_ram().map_err(Error::runtime)?;
    match value.datum_type() {
        DatumType::F32 => DramTensor::f32(shape, view.as_slice::<f32>().map_err(Error::runtime)?.to_vec()),
        DatumType::I64 => DramTensor::i64(shape, view.as_slice::<i64>().map_err(Error::runtime)?.to_vec()),
        _ => {
            let cast = value.cast_to::<f32>().map_err(Error::runtime)?;
            let view = cast.try_as_plain_ram().map_err(Error::runtime)?;
            DramTensor::f32(shape, view.as_slice::<f32>().map_err(Error::runtime)?.to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::import::tests::{model, node, x};
    use crate::format::onnx::tests::{dram_files, outside_the_set};

    #[test]
    fn a_graph_outside_the_operator_set_without_the_fallback_says_what_and_what_to_do() {
        let err = outside_the_operator_set(crate::engine::import::Unsupported::new("an `Erf` node (`erf_3`)"));
        let message = err.to_string();
        assert!(matches!(err, Error::NotOnnx { .. }), "{err:?}");
        assert!(message.contains("an `Erf` node (`erf_3`)"), "{message}");
        assert!(message.contains("`onnx-fallback` feature"), "{message}");
    }

    #[test]
    fn every_dram_file_takes_the_direct_path() {
        let files = dram_files();
        assert!(files.iter().filter(|f| f.to_string_lossy().contains("tests/vectors")).count() >= 4);
        for path in files.iter().filter(|p| !outside_the_set(p)) {
            let bytes = std::fs::read(path).unwrap();
            let proto = crate::format::container::decode(&bytes).unwrap();
            if let Err(e) = crate::engine::import::translate(&proto) {
                panic!("{}: {e}", path.display());
            }
            let session = crate::Session::from_proto(&proto).unwrap();
            assert!(session.imported_directly(), "{}", path.display());
        }
    }

    #[test]
    #[cfg(feature = "onnx-fallback")]
    fn a_graph_outside_the_set_loads_through_tract_onnx() {
        use crate::tensor::Tensor as DramTensor;
        let erf = model(x(&["N", "3"]), vec![], vec![node("Erf", &["x"], vec![])], 17);
        let session = crate::Session::from_proto(&erf).unwrap();
        assert!(!session.imported_directly());
        let feed = DramTensor::f32(vec![1, 3], vec![0.0, 1.0, -1.0]).unwrap();
        let out = session.run(vec![("x".into(), feed)]).unwrap();
        let crate::TensorData::F32(values) = out[0].1.data() else { panic!("{:?}", out[0]) };
        for (got, want) in values.iter().zip([0.0f32, 0.842_700_8, -0.842_700_8]) {
            assert!((got - want).abs() < 1e-5, "{values:?}");
        }
    }

    #[test]
    #[cfg(not(feature = "onnx-fallback"))]
    fn without_the_fallback_a_graph_outside_the_set_is_refused_with_the_reason() {
        let erf = model(x(&["N", "3"]), vec![], vec![node("Erf", &["x"], vec![])], 17);
        let err = crate::Session::from_proto(&erf).unwrap_err().to_string();
        assert!(err.contains("Erf"), "{err}");
    }
}
