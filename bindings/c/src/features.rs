//! The C representation of feature values and candidates, and their conversion to `dram-core`'s.

use std::collections::btree_map::Entry;
use std::ffi::c_char;

use dram_core::{Candidate, Features, Value};

use crate::args;
use crate::error::FfiError;

/// The type of a `dram_value`. Starts at 1 so that a zero-initialised value is rejected.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum dram_value_kind {
    /// `int_value` holds the value (ids, counts).
    DRAM_VALUE_INT = 1,
    /// `float_value` holds the value; NaN and infinities are rejected by the model.
    DRAM_VALUE_FLOAT = 2,
    /// `string_value` holds the value (categories, SKUs, text).
    DRAM_VALUE_STRING = 3,
}

/// One raw feature value: set `kind` and the one matching field; the others are ignored.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dram_value {
    /// A `dram_value_kind` (`DRAM_VALUE_INT`, `DRAM_VALUE_FLOAT` or `DRAM_VALUE_STRING`).
    pub kind: i32,
    /// The value when `kind` is `DRAM_VALUE_INT`.
    pub int_value: i64,
    /// The value when `kind` is `DRAM_VALUE_FLOAT`.
    pub float_value: f64,
    /// The value when `kind` is `DRAM_VALUE_STRING`: NUL-terminated UTF-8, borrowed for the
    /// duration of the call that reads it.
    pub string_value: *const c_char,
}

/// A named feature value, as in a candidate's features or the ranker's context.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dram_feature {
    /// The feature's name in the model's manifest: NUL-terminated UTF-8, borrowed.
    pub name: *const c_char,
    /// Its value.
    pub value: dram_value,
}

/// An item to rank: its key plus the candidate features the model reads.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct dram_candidate {
    /// The item key (fills the model's item-key feature and matches recorded events):
    /// NUL-terminated UTF-8, borrowed.
    pub item: *const c_char,
    /// `feature_count` features with distinct names; may be NULL when `feature_count` is 0.
    pub features: *const dram_feature,
    /// Number of entries in `features`.
    pub feature_count: usize,
}

/// Converts a C value; `what` names it in error messages.
///
/// # Safety
/// A string value's pointer is NULL or a NUL-terminated string (see [`args::string`]).
unsafe fn value(v: &dram_value, what: &dyn Fn() -> String) -> Result<Value, FfiError> {
    Ok(match v.kind {
        k if k == dram_value_kind::DRAM_VALUE_INT as i32 => Value::Int(v.int_value),
        // Not checked for NaN here: dram-core rejects non-finite numbers with its own error.
        k if k == dram_value_kind::DRAM_VALUE_FLOAT as i32 => Value::Float(v.float_value),
        k if k == dram_value_kind::DRAM_VALUE_STRING as i32 => {
            // SAFETY: forwarded from this function's contract.
            Value::Str(unsafe { args::string(v.string_value, || format!("{}.string_value", what())) }?.to_owned())
        }
        other => {
            return Err(FfiError::InvalidArgument(format!(
                "`{}.kind` is {other}; expected DRAM_VALUE_INT (1), DRAM_VALUE_FLOAT (2) or DRAM_VALUE_STRING (3)",
                what()
            )))
        }
    })
}

/// Converts `count` features at `ptr` into a map; `what` names the array in error messages.
///
/// # Safety
/// `ptr` is NULL or points to `count` features whose strings are NULL or NUL-terminated.
pub(crate) unsafe fn features(ptr: *const dram_feature, count: usize, what: &str) -> Result<Features, FfiError> {
    // SAFETY: forwarded from this function's contract.
    let array = unsafe { args::slice(ptr, count, what) }?;
    let mut map = Features::new();
    for (i, feature) in array.iter().enumerate() {
        let name_of = || format!("{what}[{i}].name");
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { args::string(feature.name, name_of) }?;
        // SAFETY: forwarded from this function's contract.
        let value = unsafe { value(&feature.value, &|| format!("{what}[{i}].value")) }?;
        match map.entry(name.to_owned()) {
            Entry::Vacant(slot) => {
                slot.insert(value);
            }
            Entry::Occupied(_) => {
                return Err(FfiError::InvalidArgument(format!(
                    "`{what}` names the feature `{name}` twice (again at index {i}); names must be distinct"
                )))
            }
        }
    }
    Ok(map)
}

/// Converts `count` candidates at `ptr`.
///
/// # Safety
/// `ptr` is NULL or points to `count` candidates whose pointers satisfy [`features`]'s contract.
pub(crate) unsafe fn candidates(ptr: *const dram_candidate, count: usize) -> Result<Vec<Candidate>, FfiError> {
    // SAFETY: forwarded from this function's contract.
    let array = unsafe { args::slice(ptr, count, "candidates") }?;
    array
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // SAFETY: forwarded from this function's contract.
            let item = unsafe { args::string(c.item, || format!("candidates[{i}].item")) }?;
            // SAFETY: forwarded from this function's contract.
            let features = unsafe { features(c.features, c.feature_count, &format!("candidates[{i}].features")) }?;
            Ok(Candidate { item: item.to_owned(), features })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{float, string};

    #[test]
    fn duplicate_names_and_unknown_kinds_are_rejected() {
        let price = c"price";
        let twice = [
            dram_feature { name: price.as_ptr(), value: float(1.0) },
            dram_feature { name: price.as_ptr(), value: float(2.0) },
        ];
        // SAFETY: a live array of valid features.
        let err = unsafe { features(twice.as_ptr(), 2, "context") }.unwrap_err();
        assert!(err.to_string().contains("`price` twice"), "{err}");

        let zeroed = dram_feature { name: price.as_ptr(), value: dram_value { kind: 0, ..float(0.0) } };
        // SAFETY: as above.
        let err = unsafe { features(&zeroed, 1, "context") }.unwrap_err();
        assert!(err.to_string().contains("`context[0].value.kind` is 0"), "{err}");
    }

    #[test]
    fn candidates_convert_with_their_features() {
        let features = [dram_feature { name: c"category".as_ptr(), value: string(c"shoes") }];
        let c = dram_candidate { item: c"3".as_ptr(), features: features.as_ptr(), feature_count: 1 };
        // SAFETY: a live candidate with valid strings.
        let converted = unsafe { candidates(&c, 1) }.unwrap();
        assert_eq!(converted, vec![Candidate::new("3").with("category", "shoes")]);

        let bad = dram_candidate { item: c"\xff".as_ptr(), features: std::ptr::null(), feature_count: 0 };
        // SAFETY: as above.
        let err = unsafe { candidates(&bad, 1) }.unwrap_err();
        assert!(err.to_string().starts_with("`candidates[0].item` is not valid UTF-8"), "{err}");
    }
}
