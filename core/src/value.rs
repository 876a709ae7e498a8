//! Raw feature values as the app (or the training data) supplies them, before encoding.

use std::collections::BTreeMap;
use std::fmt;

/// One raw feature value.
///
/// ```
/// use dram_core::Value;
/// assert_eq!(Value::from(3), Value::Int(3));
/// assert_eq!(Value::from("red"), Value::Str("red".into()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer (ids, counts).
    Int(i64),
    /// A number.
    Float(f64),
    /// Text: a categorical label, a SKU, or free text for text features.
    Str(String),
}

impl Value {
    /// The value's type and content, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Int(v) => format!("integer {v}"),
            Value::Float(v) => format!("number {v}"),
            Value::Str(s) if s.len() > 40 => format!("string {:?}...", &s[..s.floor_char_boundary(40)]),
            Value::Str(s) => format!("string {s:?}"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v}"),
            Value::Str(s) => f.write_str(s),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Value {
        Value::Float(v.into())
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

/// Named raw values: a candidate's attributes or the request context.
pub type Features = BTreeMap<String, Value>;

/// An item to be ranked: its key plus any other candidate features the model reads.
///
/// ```
/// use dram_core::Candidate;
/// let c = Candidate::new("sku-1").with("price", 19.9).with("category", "shoes");
/// assert_eq!(c.features.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The item key: fills the manifest's `item_key` feature and matches history events.
    pub item: String,
    /// Other candidate features by name.
    pub features: Features,
}

impl Candidate {
    /// A candidate with only its item key.
    pub fn new(item: impl Into<String>) -> Candidate {
        Candidate { item: item.into(), features: Features::new() }
    }

    /// Adds a feature value.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Candidate {
        self.features.insert(name.into(), value.into());
        self
    }
}
