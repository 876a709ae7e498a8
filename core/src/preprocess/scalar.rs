//! Encoding of single values: ids for categorical and hashed features, standardised floats
//! for numeric ones.

use crate::format::hash::bucket;
use crate::format::manifest::{FeatureKind, FeatureSpec};
use crate::value::Value;
use crate::{Error, Result};

/// The embedding row of a categorical or hashed value: `1 + id` for a known id,
/// `1 + bucket` for a hashed one, and 0 for an out-of-vocabulary categorical id.
///
/// ```
/// use dram_core::manifest::*;
/// use dram_core::preprocess::encode_id;
/// let f = FeatureSpec::new("genre", Scope::Candidate, FeatureKind::Categorical { vocab_size: 19 });
/// assert_eq!(encode_id(&f, &4.into(), None).unwrap(), 5);
/// assert_eq!(encode_id(&f, &19.into(), None).unwrap(), 0);
/// assert!(encode_id(&f, &2.5.into(), None).is_err());
/// ```
pub fn encode_id(feature: &FeatureSpec, value: &Value, row: Option<usize>) -> Result<i64> {
    let wrong = |expected: &'static str| Error::WrongFeatureType {
        feature: feature.name.clone(),
        expected,
        found: value.describe(),
        row,
    };
    match (&feature.kind, value) {
        (FeatureKind::Categorical { vocab_size }, Value::Int(id)) => Ok(categorical(*id, *vocab_size)),
        (FeatureKind::Categorical { vocab_size }, Value::Str(s)) => s
            .trim()
            .parse::<i64>()
            .map(|id| categorical(id, *vocab_size))
            .map_err(|_| wrong("an integer id (or its decimal text)")),
        (FeatureKind::Categorical { .. }, Value::Float(_)) => Err(wrong("an integer id (or its decimal text)")),
        (FeatureKind::Hashed { buckets, salt }, Value::Str(s)) => Ok(hashed(s, *salt, *buckets)),
        (FeatureKind::Hashed { buckets, salt }, Value::Int(v)) => Ok(hashed(&v.to_string(), *salt, *buckets)),
        (FeatureKind::Hashed { .. }, Value::Float(_)) => Err(wrong("a string or an integer")),
        (kind, _) => Err(Error::WrongFeatureType {
            feature: feature.name.clone(),
            expected: "a categorical or hashed feature",
            found: format!("a {} feature", kind.name()),
            row,
        }),
    }
}

/// The embedding row of an item key found in the history: like [`encode_id`], except that a
/// key a categorical feature cannot parse is "unknown" (row 0) rather than an error, since
/// old events must never make ranking fail.
pub fn encode_item_key(feature: &FeatureSpec, key: &str) -> i64 {
    match &feature.kind {
        FeatureKind::Categorical { vocab_size } => {
            key.trim().parse::<i64>().map(|id| categorical(id, *vocab_size)).unwrap_or(0)
        }
        FeatureKind::Hashed { buckets, salt } => hashed(key, *salt, *buckets),
        _ => 0,
    }
}

fn categorical(id: i64, vocab_size: u64) -> i64 {
    if id >= 0 && (id as u64) < vocab_size {
        id + 1
    } else {
        0
    }
}

fn hashed(s: &str, salt: u64, buckets: u64) -> i64 {
    // buckets <= MAX_TABLE_ROWS (validated), so the cast is lossless.
    bucket(salt, s, buckets) as i64 + 1
}

/// The standardised value of a numeric feature: `((log1p ? ln(1 + x) : x) - mean) / std`.
/// NaN and infinities, before or after the transform, are errors.
///
/// ```
/// use dram_core::manifest::*;
/// use dram_core::preprocess::encode_numeric;
/// let f = FeatureSpec::new("price", Scope::Candidate, FeatureKind::Numeric { mean: 10.0, std: 2.0, log1p: false });
/// assert_eq!(encode_numeric(&f, &14.0.into(), None).unwrap(), 2.0);
/// assert!(encode_numeric(&f, &f64::NAN.into(), None).is_err());
/// ```
pub fn encode_numeric(feature: &FeatureSpec, value: &Value, row: Option<usize>) -> Result<f32> {
    let FeatureKind::Numeric { mean, std, log1p } = &feature.kind else {
        return Err(Error::WrongFeatureType {
            feature: feature.name.clone(),
            expected: "a numeric feature",
            found: format!("a {} feature", feature.kind.name()),
            row,
        });
    };
    let x = match value {
        Value::Int(v) => *v as f64,
        Value::Float(v) => *v,
        Value::Str(_) => {
            return Err(Error::WrongFeatureType {
                feature: feature.name.clone(),
                expected: "a number",
                found: value.describe(),
                row,
            })
        }
    };
    let non_finite = |v: f64| Error::NonFiniteFeature { feature: feature.name.clone(), value: v.to_string(), row };
    if !x.is_finite() {
        return Err(non_finite(x));
    }
    let t = if *log1p { x.ln_1p() } else { x };
    let z = ((t - f64::from(*mean)) / f64::from(*std)) as f32;
    if !z.is_finite() {
        return Err(non_finite(x));
    }
    Ok(z)
}
