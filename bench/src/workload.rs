//! The measured workloads, built from the real data sets: a MovieLens-100K user (context and
//! 20-movie history from the test split) ranking N real movies, and Women's E-Commerce
//! Clothing Reviews texts for the classifier. Each workload yields the exact tensors
//! dram-core's encoder produces, which both runtimes then run.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use dram_core::preprocess::Row;
use dram_core::{Candidate, Event, EventKind, Features, History, Model, Ranker, Tensor, Value};

/// A MovieLens user and a pool of real movies to rank.
pub struct RankerWorkload {
    /// The ranker holding the user's context and history.
    pub ranker: Ranker,
    /// Movies, in order of first appearance in the test split.
    pub pool: Vec<Candidate>,
    /// The user's context features (also set on the ranker).
    context: Features,
}

impl RankerWorkload {
    /// The first user of `test_csv` (columns `user_id,movie_id,age,gender,occupation,genres,recent,liked`)
    /// with a pool of up to `pool` distinct movies.
    pub fn movielens(model: Arc<Model>, test_csv: &Path, pool: usize) -> Result<RankerWorkload> {
        let text = std::fs::read_to_string(test_csv)
            .with_context(|| format!("reading {} (run scripts/movielens.sh first)", test_csv.display()))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().context("empty test split")?.split(',').collect();
        let col = |name: &str| {
            header.iter().position(|h| *h == name).with_context(|| format!("{} has no `{name}` column", test_csv.display()))
        };
        let (user, movie, age, gender, occupation, genres, recent) =
            (col("user_id")?, col("movie_id")?, col("age")?, col("gender")?, col("occupation")?, col("genres")?, col("recent")?);
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).filter(|r: &Vec<&str>| r.len() == header.len()).collect();
        let first = rows.first().context("the test split has no complete row")?;
        let ranker = Ranker::new(model, History::new(50)?)?;
        let context = Features::from([
            ("user_id".into(), Value::Str(first[user].into())),
            ("age".into(), Value::Float(first[age].parse().context("age is not a number")?)),
            ("gender".into(), Value::Str(first[gender].into())),
            ("occupation".into(), Value::Str(first[occupation].into())),
        ]);
        ranker.set_context(context.clone());
        for (t, id) in first[recent].split_whitespace().enumerate() {
            ranker.record(Event::new(id, EventKind::View, t as i64))?;
        }
        let mut seen = std::collections::HashSet::new();
        let pool: Vec<Candidate> = rows
            .iter()
            .filter(|r| seen.insert(r[movie]))
            .take(pool)
            .map(|r| Candidate::new(r[movie]).with("genres", r[genres]))
            .collect();
        if pool.is_empty() {
            bail!("{} holds no movie", test_csv.display());
        }
        Ok(RankerWorkload { ranker, pool, context })
    }

    /// The first `n` movies of the pool, cycling when the pool is shorter.
    pub fn candidates(&self, n: usize) -> Vec<Candidate> {
        self.pool.iter().cycle().take(n).cloned().collect()
    }

    /// The graph inputs for `n` candidates, named, as dram-core encodes them.
    pub fn tensors(&self, n: usize) -> Result<Vec<(String, Tensor)>> {
        let model = self.ranker.model();
        let history = self.ranker.history();
        let tensors = model.encoder().encode_candidates(&self.candidates(n), &self.context, &history)?;
        Ok(named(model, tensors))
    }
}

/// Review texts and the encoded classifier inputs for a batch of them.
pub struct TextWorkload {
    /// The classifier model.
    pub model: Arc<Model>,
    /// Review texts.
    pub texts: Vec<String>,
}

impl TextWorkload {
    /// Texts from `path` (one per line; `bench.sh` extracts them from the reviews data set),
    /// or the fixed sentences of the golden vectors when the file is absent.
    pub fn reviews(model: Arc<Model>, path: &Path) -> Result<TextWorkload> {
        let texts: Vec<String> = match std::fs::read_to_string(path) {
            Ok(text) => text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect(),
            Err(_) => FALLBACK_TEXTS.iter().map(|s| s.to_string()).collect(),
        };
        if texts.is_empty() {
            bail!("{} holds no text", path.display());
        }
        Ok(TextWorkload { model, texts })
    }

    /// The graph inputs for `n` texts (cycling), named, as dram-core encodes them.
    pub fn tensors(&self, n: usize) -> Result<Vec<(String, Tensor)>> {
        let feature = self.model.manifest().features.first().context("the classifier has no feature")?.name.clone();
        let rows: Vec<Features> =
            self.texts.iter().cycle().take(n).map(|t| Features::from([(feature.clone(), Value::Str(t.clone()))])).collect();
        let (empty, no_events) = (Features::new(), Vec::<Event>::new());
        let rows: Vec<Row<'_>> =
            rows.iter().map(|f| Row { item: "", candidate: f, context: &empty, history: &no_events }).collect();
        Ok(named(&self.model, self.model.encoder().encode_rows(&rows)?))
    }
}

const FALLBACK_TEXTS: &[&str] = &[
    "Love this dress, fits perfectly!",
    "Terrible quality. Returned it.",
    "The fabric is soft but the sizing runs small, order one size up.",
];

fn named(model: &Model, tensors: Vec<Tensor>) -> Vec<(String, Tensor)> {
    model.encoder().inputs().iter().map(|i| i.name.clone()).zip(tensors).collect()
}
