//! The schema's rules beyond what serde's types express, checked on every manifest read.

use std::collections::HashSet;

use super::{FeatureKind, Manifest, OutputMeaning, Scope, Task};
use crate::{Error, Result};

/// Longest behaviour sequence or token list a manifest may declare.
pub const MAX_SEQUENCE_LEN: u32 = 4096;
/// Largest embedding table (rows) a manifest may declare.
pub const MAX_TABLE_ROWS: u64 = 1 << 31;
/// Most features a manifest may declare.
pub const MAX_FEATURES: usize = 1024;
/// Most class labels a classifier may declare.
pub const MAX_CLASSES: usize = 10_000;

/// Widest convolution window of a word-piece feature.
pub const MAX_WINDOW: u32 = 16;

fn invalid(reason: String) -> Error {
    Error::InvalidManifest { reason }
}

impl Manifest {
    /// Checks every rule of the schema; [`Manifest::from_json`] calls it.
    ///
    /// ```
    /// use dram_core::manifest::*;
    /// let empty = Manifest::new(Task::Ranker, vec![], vec![]);
    /// assert!(empty.validate().unwrap_err().to_string().contains("at least one feature"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.features.is_empty() {
            return Err(invalid("expected at least one feature, found none".into()));
        }
        if self.features.len() > MAX_FEATURES {
            return Err(invalid(format!(
                "expected at most {MAX_FEATURES} features, found {}",
                self.features.len()
            )));
        }
        let needed = super::required_schema_version(&self.features);
        if self.schema_version < needed {
            return Err(invalid(format!(
                "schema_version {} cannot describe these features: word_pieces features need schema {needed}",
                self.schema_version
            )));
        }
        let mut names = HashSet::new();
        let mut inputs = HashSet::new();
        for feature in &self.features {
            if feature.name.is_empty() {
                return Err(invalid("a feature has an empty name".into()));
            }
            if !names.insert(feature.name.as_str()) {
                return Err(invalid(format!("feature `{}` is declared twice", feature.name)));
            }
            for input in feature.graph_inputs() {
                if !inputs.insert(input.name.clone()) {
                    return Err(invalid(format!(
                        "graph input `{}` is fed by two features",
                        input.name
                    )));
                }
            }
            self.validate_kind(feature)?;
        }
        let item_keys: Vec<_> = self.features.iter().filter(|f| f.item_key).collect();
        if item_keys.len() > 1 {
            return Err(invalid(format!(
                "expected at most one item_key feature, found {}",
                item_keys.len()
            )));
        }
        if let Some(key) = item_keys.first() {
            if key.scope != Scope::Candidate
                || !matches!(key.kind, FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. })
            {
                return Err(invalid(format!(
                    "item_key feature `{}` must be a categorical or hashed candidate feature",
                    key.name
                )));
            }
        }
        self.validate_outputs()
    }

    fn validate_kind(&self, feature: &super::FeatureSpec) -> Result<()> {
        let name = &feature.name;
        let is_history = matches!(feature.kind, FeatureKind::Sequence { .. });
        if is_history != (feature.scope == Scope::History) {
            return Err(invalid(format!(
                "feature `{name}`: sequence features and only they have scope `history`, found a {} feature with scope {:?}",
                feature.kind.name(),
                feature.scope
            )));
        }
        match &feature.kind {
            FeatureKind::Categorical { vocab_size: 0 } => {
                return Err(invalid(format!("feature `{name}`: vocab_size must be positive")))
            }
            FeatureKind::Hashed { buckets: 0, .. } => {
                return Err(invalid(format!("feature `{name}`: buckets must be positive")))
            }
            FeatureKind::Numeric { mean, std, .. } => {
                if !mean.is_finite() || !std.is_finite() || *std <= 0.0 {
                    return Err(invalid(format!(
                        "feature `{name}`: expected finite mean and positive finite std, found mean {mean} std {std}"
                    )));
                }
            }
            FeatureKind::Sequence { max_len, item_feature, .. } => {
                check_len(name, *max_len)?;
                let target = self.feature(item_feature).ok_or_else(|| {
                    invalid(format!("feature `{name}`: item_feature `{item_feature}` is not declared"))
                })?;
                if target.scope != Scope::Candidate
                    || !matches!(
                        target.kind,
                        FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. }
                    )
                {
                    return Err(invalid(format!(
                        "feature `{name}`: item_feature `{item_feature}` must be a categorical or hashed candidate feature"
                    )));
                }
            }
            FeatureKind::Text { tokenizer } => {
                check_len(name, tokenizer.max_tokens)?;
                if tokenizer.buckets == 0 {
                    return Err(invalid(format!("feature `{name}`: tokenizer buckets must be positive")));
                }
                if tokenizer.word_ngrams.is_empty() && tokenizer.char_ngrams.is_empty() {
                    return Err(invalid(format!("feature `{name}`: tokenizer emits no n-grams")));
                }
                if tokenizer.word_ngrams.iter().chain(&tokenizer.char_ngrams).any(|&n| n == 0 || n > 8) {
                    return Err(invalid(format!("feature `{name}`: n-gram orders must be in 1..=8")));
                }
                for orders in [&tokenizer.word_ngrams, &tokenizer.char_ngrams] {
                    if orders.iter().collect::<HashSet<_>>().len() != orders.len() {
                        return Err(invalid(format!(
                            "feature `{name}`: n-gram orders must not repeat, found {orders:?}"
                        )));
                    }
                }
            }
            FeatureKind::WordPieces { tokenizer } => {
                check_len(name, tokenizer.max_tokens)?;
                if tokenizer.window == 0 || tokenizer.window > MAX_WINDOW {
                    return Err(invalid(format!(
                        "feature `{name}`: window must be in 1..={MAX_WINDOW}, found {}",
                        tokenizer.window
                    )));
                }
                if tokenizer.vocab.is_empty() {
                    return Err(invalid(format!("feature `{name}`: the word-piece vocabulary is empty")));
                }
                // Repeats are found through the vocabulary's own index, which the tokeniser
                // then looks pieces up in: one hash table per load.
                let malformed = tokenizer.vocab.iter().find(|p| p.is_empty() || *p == "##");
                if let Some(bad) = malformed.or_else(|| tokenizer.vocab.first_duplicate()) {
                    return Err(invalid(format!(
                        "feature `{name}`: word piece `{bad}` is empty or repeated; pieces must be unique and non-empty"
                    )));
                }
            }
            _ => {}
        }
        match feature.kind.table_rows() {
            Some(rows) if rows > MAX_TABLE_ROWS => Err(invalid(format!(
                "feature `{name}`: {rows} table rows exceeds the limit of {MAX_TABLE_ROWS}"
            ))),
            _ => Ok(()),
        }
    }

    fn validate_outputs(&self) -> Result<()> {
        let Some(first) = self.outputs.first() else {
            return Err(invalid("expected at least one output, found none".into()));
        };
        if let OutputMeaning::ClassLogits { labels } = &first.meaning {
            if labels.len() > MAX_CLASSES {
                return Err(invalid(format!(
                    "expected at most {MAX_CLASSES} class labels, found {}",
                    labels.len()
                )));
            }
            let mut seen = HashSet::new();
            if let Some(dup) = labels.iter().find(|l| !seen.insert(l.as_str())) {
                return Err(invalid(format!("class label `{dup}` appears twice; labels must be unique")));
            }
        }
        match (self.task, &first.meaning) {
            (Task::Ranker, OutputMeaning::Logit | OutputMeaning::Probability) => Ok(()),
            (Task::Classifier, OutputMeaning::ClassLogits { labels }) if labels.len() >= 2 => {
                Ok(())
            }
            (task, meaning) => Err(invalid(format!(
                "a {} needs its first output to be {}, found {meaning:?}",
                task.as_str(),
                match task {
                    Task::Ranker => "a logit or probability",
                    Task::Classifier => "class logits with at least two labels",
                }
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn duplicate_class_labels_are_rejected() {
        let tokenizer = TokenizerSpec {
            lowercase: true,
            strip_accents: false,
            word_ngrams: vec![1],
            char_ngrams: vec![],
            buckets: 8,
            salt: 0,
            max_tokens: 4,
        };
        let labels = vec!["good".to_string(), "bad".into(), "good".into()];
        let manifest = Manifest::new(
            Task::Classifier,
            vec![FeatureSpec::new("text", Scope::Candidate, FeatureKind::Text { tokenizer })],
            vec![OutputSpec { name: "logits".into(), meaning: OutputMeaning::ClassLogits { labels } }],
        );
        let msg = manifest.validate().unwrap_err().to_string();
        assert!(msg.contains("class label `good` appears twice"), "{msg}");
    }

    #[test]
    fn word_piece_specs_are_checked_with_what_was_found() {
        let check = |vocab: &[&str], max_tokens: u32, window: u32| {
            let tokenizer = WordPieceSpec::new(vocab.iter().map(|p| p.to_string()).collect(), max_tokens, window);
            let labels = vec!["no".to_string(), "yes".into()];
            Manifest::new(
                Task::Classifier,
                vec![FeatureSpec::new("text", Scope::Candidate, FeatureKind::WordPieces { tokenizer })],
                vec![OutputSpec { name: "logits".into(), meaning: OutputMeaning::ClassLogits { labels } }],
            )
            .validate()
            .map_err(|e| e.to_string())
        };
        assert!(check(&["good", "##s"], 8, 3).is_ok());
        let err = |vocab: &[&str], max_tokens: u32, window: u32| check(vocab, max_tokens, window).unwrap_err();
        assert!(err(&["good"], 8, 0).contains("window must be in 1..=16, found 0"));
        assert!(err(&["good"], 8, 17).contains("window must be in 1..=16, found 17"));
        assert!(err(&["good"], 0, 3).contains("length must be in 1..=4096, found 0"));
        assert!(err(&[], 8, 3).contains("the word-piece vocabulary is empty"));
        assert!(err(&["good", "fit", "good"], 8, 3).contains("word piece `good` is empty or repeated"));
        assert!(err(&["good", "##"], 8, 3).contains("word piece `##` is empty or repeated"));
    }
}

fn check_len(name: &str, len: u32) -> Result<()> {
    if len == 0 || len > MAX_SEQUENCE_LEN {
        return Err(invalid(format!(
            "feature `{name}`: length must be in 1..={MAX_SEQUENCE_LEN}, found {len}"
        )));
    }
    Ok(())
}
