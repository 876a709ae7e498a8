//! What the fuzz targets share: quieting panics the runtime catches by design, and building
//! plausible inputs for whatever model or manifest the fuzzer produced, so that a parsed file
//! is also run and not only parsed.

use std::sync::Once;

use dram_core::manifest::{FeatureKind, Manifest, Scope};
use dram_core::{Candidate, Features, Session, Tensor, Value};

/// libFuzzer's hook aborts on every panic, even one that is caught. dram-core catches panics
/// inside tract on purpose (`Session`'s guard turns them into `Error::Runtime`), so the hook
/// here stays silent; a panic nobody catches still reaches `fuzz_target!`, which aborts.
pub fn quiet_caught_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

/// A value of the type each feature kind accepts.
pub fn value_for(kind: &FeatureKind) -> Option<Value> {
    match kind {
        FeatureKind::Categorical { .. } => Some(Value::Int(1)),
        FeatureKind::Hashed { .. } => Some(Value::Str("sku-1".into())),
        FeatureKind::Numeric { .. } => Some(Value::Float(1.5)),
        FeatureKind::Text { .. } | FeatureKind::WordPieces { .. } => Some(Value::Str("Très bien, 很好 👍".into())),
        FeatureKind::Sequence { .. } => None,
    }
}

/// Two candidates and a context filling every feature of `manifest`.
pub fn inputs_for(manifest: &Manifest) -> (Vec<Candidate>, Features) {
    let mut candidate = Candidate::new("1");
    let mut context = Features::new();
    for feature in &manifest.features {
        if let Some(value) = value_for(&feature.kind) {
            match feature.scope {
                Scope::Candidate => {
                    candidate.features.insert(feature.name.clone(), value);
                }
                Scope::Context => {
                    context.insert(feature.name.clone(), value);
                }
                Scope::History => {}
            }
        }
    }
    let mut other = candidate.clone();
    other.item = "sku-2".into();
    (vec![candidate, other], context)
}

/// Runs a raw session once on zero tensors of the declared shapes (symbolic dims as 1).
pub fn run_session_on_zeros(session: &Session) {
    let mut inputs = Vec::new();
    for info in session.inputs() {
        let shape: Vec<usize> = info.shape.iter().map(|d| d.unwrap_or(1)).collect();
        let Some(len) = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) else { return };
        if len > 1 << 16 {
            return;
        }
        let tensor = match info.dtype.as_str() {
            "f32" => Tensor::f32(shape, vec![0.0; len]),
            "i64" => Tensor::i64(shape, vec![0; len]),
            _ => return,
        };
        let Ok(tensor) = tensor else { return };
        inputs.push((info.name.clone(), tensor));
    }
    let _ = session.run(inputs);
}
