//! Classification: class probabilities for rows of features, most often a single text.

use std::sync::Arc;

use crate::format::manifest::{FeatureKind, OutputMeaning, Task};
use crate::model::Model;
use crate::preprocess::Row;
use crate::value::{Features, Value};
use crate::{Error, Result};

/// A classifier model. Thread-safe.
///
/// ```no_run
/// use std::sync::Arc;
/// let classifier = dram_core::Classifier::new(Arc::new(dram_core::Model::load("reviews.onnx")?))?;
/// for (label, p) in classifier.classify_text("Lovely dress, fits well")? {
///     println!("{label}: {p:.3}");
/// }
/// # Ok::<(), dram_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Classifier {
    model: Arc<Model>,
    labels: Vec<String>,
}

impl Classifier {
    /// A classifier over a classifier model; fails for other tasks.
    pub fn new(model: Arc<Model>) -> Result<Classifier> {
        model.require_task(Task::Classifier)?;
        let OutputMeaning::ClassLogits { labels } = &model.manifest().outputs[0].meaning else {
            unreachable!("validated classifier manifests have class logits first")
        };
        let labels = labels.clone();
        Ok(Classifier { model, labels })
    }

    /// Class labels, in output order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Class probabilities (softmax of the logits) for each row of features, in label order.
    pub fn predict(&self, rows: &[Features]) -> Result<Vec<Vec<f32>>> {
        let empty = Features::new();
        let no_events: Vec<crate::Event> = Vec::new();
        let rows: Vec<Row<'_>> = rows
            .iter()
            .map(|features| Row { item: "", candidate: features, context: &empty, history: &no_events })
            .collect();
        let logits = self.model.predict_rows(&rows)?;
        Ok(logits.chunks(self.labels.len()).map(softmax).collect())
    }

    /// `(label, probability)` pairs for one text, most probable first. The model must have
    /// exactly one feature, of kind text.
    pub fn classify_text(&self, text: &str) -> Result<Vec<(String, f32)>> {
        Ok(self.classify_texts(&[text])?.remove(0))
    }

    /// [`Classifier::classify_text`] for a batch of texts.
    pub fn classify_texts(&self, texts: &[&str]) -> Result<Vec<Vec<(String, f32)>>> {
        let name = self.text_feature()?;
        let rows: Vec<Features> =
            texts.iter().map(|t| Features::from([(name.clone(), Value::Str((*t).to_string()))])).collect();
        Ok(self
            .predict(&rows)?
            .into_iter()
            .map(|probs| {
                let mut pairs: Vec<(String, f32)> = self.labels.iter().cloned().zip(probs).collect();
                pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
                pairs
            })
            .collect())
    }

    fn text_feature(&self) -> Result<String> {
        match self.model.manifest().features.as_slice() {
            [f] if matches!(f.kind, FeatureKind::Text { .. } | FeatureKind::WordPieces { .. }) => Ok(f.name.clone()),
            features => Err(Error::WrongFeatureType {
                feature: features.first().map(|f| f.name.clone()).unwrap_or_default(),
                expected: "a model with exactly one text feature",
                found: format!("{} features", features.len()),
                row: None,
            }),
        }
    }
}

/// Numerically stable softmax.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}
