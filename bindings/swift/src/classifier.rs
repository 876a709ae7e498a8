//! `Classifier`: class probabilities for texts.

use std::sync::Arc;

use crate::{DramError, DramModel, LabelProbability};

/// A text classifier. Thread-safe.
///
/// Swift: `let classes = try Classifier(model: model).classify(text: "Lovely dress")`.
#[derive(Debug, uniffi::Object)]
pub struct Classifier {
    inner: dram_core::Classifier,
}

#[uniffi::export]
impl Classifier {
    /// A classifier over a classifier model; `InvalidModel` for a model of another task.
    #[uniffi::constructor]
    pub fn new(model: Arc<DramModel>) -> Result<Arc<Classifier>, DramError> {
        Ok(Arc::new(Classifier { inner: dram_core::Classifier::new(model.core())? }))
    }

    /// The class labels, in the model's output order.
    pub fn labels(&self) -> Vec<String> {
        self.inner.labels().to_vec()
    }

    /// Every class with its probability for one text, most probable first.
    pub fn classify(&self, text: String) -> Result<Vec<LabelProbability>, DramError> {
        let pairs = self.inner.classify_text(&text)?;
        Ok(pairs.into_iter().map(LabelProbability::from).collect())
    }

    /// `classify` for each of `texts`, in one model run, in input order.
    pub fn classify_batch(&self, texts: Vec<String>) -> Result<Vec<Vec<LabelProbability>>, DramError> {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let batch = self.inner.classify_texts(&texts)?;
        Ok(batch.into_iter().map(|pairs| pairs.into_iter().map(LabelProbability::from).collect()).collect())
    }
}
