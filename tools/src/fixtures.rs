//! The shared test vectors in `tests/vectors/`: small fixture models with seeded weights, and
//! JSON cases whose expected scores come from [`crate::model::reference`], not from the runtime.
//! Rust, C, Kotlin and Swift suites all read them. Regenerate with
//! `cargo run -p dram-tools --bin dram -- fixtures --out tests/vectors`; a test fails when the
//! committed files differ from what this code generates.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use dram_core::manifest::*;
use dram_core::preprocess::text::tokens;
use dram_core::{Candidate, Event, EventKind, Features, History, Value};
use serde_json::{json, Value as Json};

use crate::model::arch::{NetSpec, Param, Params, Pooling};
use crate::rng::Rng;

/// Every file the generator writes, relative to the vectors directory, with its bytes.
pub fn generate() -> Result<BTreeMap<String, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for (name, pooling, seed) in [("ranker", Pooling::Mean, 1), ("ranker_din", Pooling::Attention, 2)] {
        let spec = ranker_spec(pooling);
        let params = random_params(&spec, seed);
        let mut manifest = spec.manifest.clone();
        manifest.provenance.tool = format!("dram {} fixtures", dram_core::VERSION);
        manifest.provenance.dataset = Some("seeded random weights".into());
        let bytes = crate::export::fp32_model(&spec, &params, &manifest)?;
        files.insert(format!("models/{name}.onnx"), bytes);
        files.insert(format!("{name}.json"), pretty(&ranking_cases(&spec, &params, name)?));
    }
    let spec = classifier_spec();
    let params = random_params(&spec, 3);
    files.insert("models/classifier.onnx".into(), crate::export::fp32_model(&spec, &params, &spec.manifest)?);
    files.insert("classifier.json".into(), pretty(&classifier_cases(&spec, &params, "classifier")?));
    let pieces = word_piece_classifier_spec();
    let pieces_params = random_params(&pieces, 4);
    files.insert("models/classifier_word_pieces.onnx".into(), crate::export::fp32_model(&pieces, &pieces_params, &pieces.manifest)?);
    files.insert("classifier_word_pieces.json".into(), pretty(&classifier_cases(&pieces, &pieces_params, "classifier_word_pieces")?));
    files.insert("word_pieces.json".into(), pretty(&word_piece_cases(&pieces)));
    files.insert("hash.json".into(), pretty(&hash_cases()));
    files.insert("tokenizer.json".into(), pretty(&tokenizer_cases(&spec)));
    Ok(files)
}

/// Writes the vectors into `dir`.
pub fn write(dir: &Path) -> Result<()> {
    for (name, bytes) in generate()? {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("relative path has a parent"))?;
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn pretty(value: &Json) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(value).expect("JSON values serialise");
    s.push('\n');
    s.into_bytes()
}

/// The fixture ranker: every feature kind a ranker can have.
pub fn ranker_spec(pooling: Pooling) -> NetSpec {
    let features = vec![
        FeatureSpec::new("item", Scope::Candidate, FeatureKind::Categorical { vocab_size: 40 }).item_key(),
        FeatureSpec::new("category", Scope::Candidate, FeatureKind::Hashed { buckets: 16, salt: 7 }),
        FeatureSpec::new("price", Scope::Candidate, FeatureKind::Numeric { mean: 3.0, std: 1.0, log1p: true }),
        FeatureSpec::new("age", Scope::Context, FeatureKind::Numeric { mean: 35.0, std: 12.0, log1p: false }),
        FeatureSpec::new("device", Scope::Context, FeatureKind::Hashed { buckets: 8, salt: 9 }),
        FeatureSpec::new(
            "recent",
            Scope::History,
            FeatureKind::Sequence { max_len: 6, item_feature: "item".into(), event_kinds: vec![] },
        ),
        FeatureSpec::new(
            "carted",
            Scope::History,
            FeatureKind::Sequence {
                max_len: 4,
                item_feature: "item".into(),
                event_kinds: vec![EventKind::AddToCart, EventKind::Purchase],
            },
        ),
    ];
    let manifest = Manifest::new(
        Task::Ranker,
        features,
        vec![OutputSpec { name: "score".into(), meaning: OutputMeaning::Logit }],
    );
    NetSpec {
        manifest,
        embedding_dims: [("item", 4), ("category", 3), ("device", 2)].map(|(k, v)| (k.to_string(), v)).into(),
        pooling: [("recent".to_string(), pooling)].into(),
        channels: BTreeMap::new(),
        hidden: vec![8, 4],
    }
}

/// The fixture text classifier.
pub fn classifier_spec() -> NetSpec {
    let tokenizer = TokenizerSpec {
        lowercase: true,
        strip_accents: true,
        word_ngrams: vec![1, 2],
        char_ngrams: vec![3],
        buckets: 64,
        salt: 3,
        max_tokens: 32,
    };
    let labels = ["negative", "neutral", "positive"].map(String::from).to_vec();
    let manifest = Manifest::new(
        Task::Classifier,
        vec![FeatureSpec::new("text", Scope::Candidate, FeatureKind::Text { tokenizer })],
        vec![OutputSpec { name: "logits".into(), meaning: OutputMeaning::ClassLogits { labels } }],
    );
    NetSpec {
        manifest,
        embedding_dims: [("text".to_string(), 6)].into(),
        pooling: BTreeMap::new(),
        channels: BTreeMap::new(),
        hidden: vec![5],
    }
}

/// The fixture word-piece classifier: a width-3 convolution over a small vocabulary with
/// continuations, accents (normalised away), CJK characters and punctuation.
pub fn word_piece_classifier_spec() -> NetSpec {
    let vocab = [
        "love", "this", "dress", ",", "fit", "##s", "perfect", "##ly", "!", "terrible", "quality", ".", "return", "##ed",
        "it", "tres", "jo", "##lie", "robe", "un", "peu", "grande", "很", "好", "ok", "a", "b", "c", "-",
    ];
    let tokenizer = WordPieceSpec::new(vocab.map(String::from).to_vec(), 16, 3);
    let labels = ["negative", "neutral", "positive"].map(String::from).to_vec();
    let manifest = Manifest::new(
        Task::Classifier,
        vec![FeatureSpec::new("text", Scope::Candidate, FeatureKind::WordPieces { tokenizer })],
        vec![OutputSpec { name: "logits".into(), meaning: OutputMeaning::ClassLogits { labels } }],
    );
    NetSpec {
        manifest,
        embedding_dims: [("text".to_string(), 6)].into(),
        pooling: BTreeMap::new(),
        channels: [("text".to_string(), 5)].into(),
        hidden: vec![5],
    }
}

/// Seeded parameters for `spec`: N(0, 0.5) tables, N(0, 1/fan_in) weights, small biases.
pub fn random_params(spec: &NetSpec, seed: u64) -> Params {
    let mut rng = Rng::new(seed);
    let mut params = Params::new();
    for t in spec.tables() {
        let data = rng.normals(t.rows * t.dim, 0.5);
        params.insert(t.param, Param { shape: vec![t.rows, t.dim], data });
    }
    for (name, shape) in spec.dense_shapes() {
        let std = match shape.len() {
            2 => 1.0 / (shape[1] as f64).sqrt(),
            3 => 1.0 / ((shape[0] * shape[1]) as f64).sqrt(),
            _ => 0.1,
        };
        let data = rng.normals(shape.iter().product(), std);
        params.insert(name, Param { shape, data });
    }
    params
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!({ "int": i }),
        Value::Float(f) if f.is_nan() => json!({ "float": "nan" }),
        Value::Float(f) if f.is_infinite() => json!({ "float": if *f > 0.0 { "inf" } else { "-inf" } }),
        Value::Float(f) => json!({ "float": f }),
        Value::Str(s) => json!({ "str": s }),
    }
}

fn features_json(f: &Features) -> Json {
    Json::Object(f.iter().map(|(k, v)| (k.clone(), value_json(v))).collect())
}

struct RankingCase {
    name: &'static str,
    context: Features,
    events: Vec<Event>,
    candidates: Vec<Candidate>,
    error: Option<&'static str>,
}

fn candidate(item: &str, category: &str, price: f64) -> Candidate {
    Candidate::new(item).with("category", category).with("price", price)
}

fn ranking_case_list() -> Vec<RankingCase> {
    let context: Features = [("age".to_string(), Value::Float(31.0)), ("device".into(), Value::from("android"))].into();
    let shelf = vec![
        candidate("3", "shoes", 49.0),
        candidate("17", "dresses", 89.5),
        candidate("25", "bags", 120.0),
        candidate("8", "shoes", 15.0),
        candidate("39", "hats", 9.99),
        candidate("1000", "unknown-category", 0.0),
    ];
    let kinds = [EventKind::View, EventKind::Click, EventKind::AddToCart, EventKind::Purchase, EventKind::Wishlist];
    let long_history: Vec<Event> = (0..9)
        .map(|i| Event::new(((i * 7) % 40).to_string(), kinds[i % kinds.len()], 1_700_000_000_000 + i as i64))
        .collect();
    let base = |name, events: Vec<Event>| RankingCase {
        name,
        context: context.clone(),
        events,
        candidates: shelf.clone(),
        error: None,
    };
    let mut with_nan = base("nan_price_is_rejected", vec![]);
    with_nan.candidates[1] = candidate("17", "dresses", f64::NAN);
    let mut with_string_price = base("string_price_is_rejected", vec![]);
    with_string_price.candidates[0].features.insert("price".into(), Value::from("cheap"));
    let mut missing_age = base("missing_context_feature_is_rejected", vec![]);
    missing_age.context.remove("age");
    let mut no_candidates = base("empty_candidate_list_is_rejected", vec![]);
    no_candidates.candidates.clear();
    let mut bad_key = base("non_numeric_item_key_is_rejected", vec![]);
    bad_key.candidates[2].item = "sku-abc".into();
    vec![
        base("cold_start_no_history", vec![]),
        base("three_events", vec![
            Event::new("3", EventKind::View, 1),
            Event::new("17", EventKind::Click, 2),
            Event::new("25", EventKind::Purchase, 3),
        ]),
        base("history_longer_than_sequences", long_history),
        base("unknown_items_in_history", vec![
            Event::new("not-a-number", EventKind::Click, 1),
            Event::new("4000", EventKind::AddToCart, 2),
        ]),
        RankingCase { candidates: vec![candidate("8", "shoes", 15.0)], ..base("single_candidate", vec![]) },
        with_nan,
        with_string_price,
        missing_age,
        no_candidates,
        bad_key,
    ]
    .into_iter()
    .map(|mut c| {
        c.error = c.name.ends_with("rejected").then_some("invalid_input");
        c
    })
    .collect()
}

fn ranking_cases(spec: &NetSpec, params: &Params, name: &str) -> Result<Json> {
    let encoder = dram_core::preprocess::Encoder::new(&spec.manifest);
    let mut cases = Vec::new();
    for case in ranking_case_list() {
        let mut history = History::new(50)?;
        for e in &case.events {
            history.record(e.clone())?;
        }
        let mut j = json!({
            "name": case.name,
            "history_capacity": 50,
            "context": features_json(&case.context),
            "events": case.events.iter().map(|e| json!({
                "item": e.item, "kind": e.kind, "timestamp_ms": e.timestamp_ms
            })).collect::<Vec<_>>(),
            "candidates": case.candidates.iter().map(|c| json!({
                "item": c.item, "features": features_json(&c.features)
            })).collect::<Vec<_>>(),
        });
        let encoded = encoder.encode_candidates(&case.candidates, &case.context, &history);
        match (case.error, encoded) {
            (Some(code), Err(_)) => j["expected_error"] = json!(code),
            (None, Ok(inputs)) => {
                let scores: Vec<f32> = crate::model::reference::forward(spec, params, &inputs)?.into_iter().map(|r| r[0]).collect();
                let mut order: Vec<usize> = (0..scores.len()).collect();
                order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
                j["expected"] = json!({
                    "scores": scores,
                    "ranking": order.iter().map(|&i| case.candidates[i].item.clone()).collect::<Vec<_>>(),
                });
            }
            (expected, got) => anyhow::bail!("case {} expected error {expected:?}, encoding gave {:?}", case.name, got.err()),
        }
        cases.push(j);
    }
    Ok(json!({ "model": format!("models/{name}.onnx"), "tolerance": 1e-4, "cases": cases }))
}

fn classifier_cases(spec: &NetSpec, params: &Params, name: &str) -> Result<Json> {
    let encoder = dram_core::preprocess::Encoder::new(&spec.manifest);
    let texts = [
        "Love this dress, fits perfectly!",
        "Terrible quality. Returned it.",
        "Très jolie robe, un peu grande",
        "很好 👍",
        "",
        "ok",
    ];
    let mut cases = Vec::new();
    for text in texts {
        let row: Features = [("text".to_string(), Value::from(text))].into();
        let empty = Features::new();
        let no_events: Vec<Event> = vec![];
        let inputs = encoder.encode_rows(&[dram_core::preprocess::Row { item: "", candidate: &row, context: &empty, history: &no_events }])?;
        let logits = &crate::model::reference::forward(spec, params, &inputs)?[0];
        cases.push(json!({ "text": text, "probabilities": dram_core::softmax(logits) }));
    }
    Ok(json!({
        "model": format!("models/{name}.onnx"),
        "labels": ["negative", "neutral", "positive"],
        "tolerance": 1e-4,
        "cases": cases,
    }))
}

fn hash_cases() -> Json {
    let inputs = [(0u64, ""), (0, "a"), (42, "Robe d'été rouge"), (7, "shoes"), (7, "🛍️ sale"), (u64::MAX, "很好")];
    let cases: Vec<Json> = inputs
        .iter()
        .map(|&(salt, text)| {
            json!({
                "salt": salt.to_string(),
                "text": text,
                "hash64": format!("{:016x}", dram_core::hash::hash64(salt, text.as_bytes())),
                "bucket_1000": dram_core::hash::bucket(salt, text, 1000),
            })
        })
        .collect();
    json!({ "algorithm": "splitmix64_finalize(fnv1a64(salt as 8 LE bytes ++ utf8(text)))", "cases": cases })
}

/// Word pieces (table rows: `1 +` vocabulary index, 0 for an unknown word) of texts covering
/// ASCII, accents, emoji, CJK, the empty string and 100 KB of text (cut at `max_tokens`).
fn word_piece_cases(spec: &NetSpec) -> Json {
    let FeatureKind::WordPieces { tokenizer } = &spec.manifest.features[0].kind else { unreachable!() };
    let vocab = dram_core::preprocess::wordpiece::Vocab::from(&tokenizer.vocab);
    let long = "Love this dress, ".repeat(6_000);
    let texts = ["Love this dress, fits perfectly!", "Très JOLIE robe", "很好 👍", "", "a-b c", "returned-it.", long.as_str()];
    let cases: Vec<Json> = texts
        .iter()
        .map(|t| {
            let rows: Vec<i64> =
                vocab.pieces(t, tokenizer.max_tokens as usize).into_iter().map(|p| p.map_or(0, |id| i64::from(id) + 1)).collect();
            let text = if t.len() > 1000 { json!({ "repeat": "Love this dress, ", "times": 6_000 }) } else { json!(t) };
            json!({ "text": text, "rows": rows })
        })
        .collect();
    json!({ "tokenizer": tokenizer, "cases": cases })
}

fn tokenizer_cases(spec: &NetSpec) -> Json {
    let FeatureKind::Text { tokenizer } = &spec.manifest.features[0].kind else { unreachable!() };
    let texts = ["Hello World", "Très BIEN, l'été!", "很好 👍", "", "   ", "a-b c"];
    let cases: Vec<Json> = texts.iter().map(|t| json!({ "text": t, "tokens": tokens(tokenizer, t) })).collect();
    json!({ "tokenizer": tokenizer, "cases": cases })
}
