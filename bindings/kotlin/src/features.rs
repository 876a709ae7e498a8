//! Strings and feature maps as the Kotlin side flattens them (`dev.dram.TextTable` and
//! `dev.dram.FeatureTable`), turned back into Rust values without interpreting any of them.
//!
//! **Text table.** Every string of a call travels in one `char[]` (UTF-16, the strings end to
//! end) with an `int[]` of end offsets: two JNI calls however many strings there are.
//!
//! **Feature table.** `rows` feature maps with `entries` entries in all. Row `r` owns the
//! entries `row_ends[r - 1]..row_ends[r]` (from 0 for the first row). Entry `e` is named by the
//! distinct name `name_index[e]` and holds, by `tags[e]`: [`TAG_INT`] `longs[e]`, [`TAG_FLOAT`]
//! `doubles[e]`, or [`TAG_STRING`] the next string value. Its text table holds the item keys
//! (when the call has items), then the distinct names, then the string values in entry order.

use dram_core::{Candidate, Features, Value};
use jni::objects::{JByteArray, JCharArray, JDoubleArray, JIntArray, JLongArray};
use jni::Env;

use crate::exception::{Failure, Result};

/// Tag of an integer entry (Kotlin `Long` or `Int`).
pub const TAG_INT: i8 = 0;
/// Tag of a floating-point entry (Kotlin `Double` or `Float`).
pub const TAG_FLOAT: i8 = 1;
/// Tag of a string entry.
pub const TAG_STRING: i8 = 2;

/// The arrays of a text table, as a native method receives them.
pub struct TextTable<'l> {
    pub chars: JCharArray<'l>,
    pub ends: JIntArray<'l>,
}

impl TextTable<'_> {
    /// Every string, in order. Unpaired surrogates (malformed UTF-16, which Kotlin strings may
    /// hold) become U+FFFD rather than failing the call.
    pub fn strings(&self, env: &Env<'_>) -> Result<Vec<String>> {
        let mut chars = vec![0; self.chars.len(env)?];
        self.chars.get_region(env, 0, &mut chars)?;
        let ends = int_array(env, &self.ends)?;
        let mut start = 0;
        ends.iter()
            .map(|&end| {
                let end = usize::try_from(end)
                    .ok()
                    .filter(|&end| start <= end && end <= chars.len());
                let end = end.ok_or_else(|| {
                    malformed(format!("text ends {ends:?} for {} chars", chars.len()))
                })?;
                let text = String::from_utf16_lossy(&chars[start..end]);
                start = end;
                Ok(text)
            })
            .collect()
    }
}

/// The arrays of one feature table, as a native method receives them.
pub struct FeatureTable<'l> {
    pub text: TextTable<'l>,
    pub row_ends: JIntArray<'l>,
    pub name_index: JIntArray<'l>,
    pub tags: JByteArray<'l>,
    pub longs: JLongArray<'l>,
    pub doubles: JDoubleArray<'l>,
}

impl FeatureTable<'_> {
    /// The first `items` strings (item keys) and one `Features` map per row.
    pub fn decode(&self, env: &Env<'_>, items: usize) -> Result<(Vec<String>, Vec<Features>)> {
        let mut strings = self.text.strings(env)?;
        let row_ends = int_array(env, &self.row_ends)?;
        let name_index = int_array(env, &self.name_index)?;
        let mut tags = vec![0; self.tags.len(env)?];
        self.tags.get_region(env, 0, &mut tags)?;
        let mut longs = vec![0; self.longs.len(env)?];
        self.longs.get_region(env, 0, &mut longs)?;
        let mut doubles = vec![0.0; self.doubles.len(env)?];
        self.doubles.get_region(env, 0, &mut doubles)?;

        let entries = tags.len();
        if [name_index.len(), longs.len(), doubles.len()]
            .iter()
            .any(|&len| len != entries)
        {
            return Err(malformed(format!(
                "{entries} tags but {} names, {} longs, {} doubles",
                name_index.len(),
                longs.len(),
                doubles.len()
            )));
        }
        let string_values = tags.iter().filter(|&&tag| tag == TAG_STRING).count();
        let names = strings
            .len()
            .checked_sub(items + string_values)
            .ok_or_else(|| {
                malformed(format!(
                    "{} strings for {items} items and {string_values} string values",
                    strings.len()
                ))
            })?;
        let mut values = strings.split_off(items + names).into_iter();
        let names = strings.split_off(items);

        let mut rows = Vec::with_capacity(row_ends.len());
        let mut start = 0;
        for &end in &row_ends {
            let end = usize::try_from(end)
                .ok()
                .filter(|&end| start <= end && end <= entries);
            let end = end
                .ok_or_else(|| malformed(format!("row ends {row_ends:?} for {entries} entries")))?;
            let mut row = Features::new();
            for e in start..end {
                let name = usize::try_from(name_index[e])
                    .ok()
                    .and_then(|i| names.get(i));
                let name = name
                    .ok_or_else(|| malformed(format!("entry {e} names no. {}", name_index[e])))?;
                let value = match tags[e] {
                    TAG_INT => Value::Int(longs[e]),
                    TAG_FLOAT => Value::Float(doubles[e]),
                    TAG_STRING => {
                        Value::Str(values.next().expect("one string value per string tag"))
                    }
                    tag => return Err(malformed(format!("entry {e} has the unknown tag {tag}"))),
                };
                row.insert(name.clone(), value);
            }
            rows.push(row);
            start = end;
        }
        if start != entries {
            return Err(malformed(format!(
                "row ends {row_ends:?} leave entries after {start} of {entries}"
            )));
        }
        Ok((strings, rows))
    }

    /// The candidates of a table whose rows are candidates' features.
    pub fn candidates(&self, env: &Env<'_>) -> Result<Vec<Candidate>> {
        let (items, rows) = self.decode(env, self.row_ends.len(env)?)?;
        Ok(items
            .into_iter()
            .zip(rows)
            .map(|(item, features)| Candidate { item, features })
            .collect())
    }
}

fn malformed(what: String) -> Failure {
    Failure::Binding(format!("malformed table: {what}"))
}

/// The contents of an `int[]`.
fn int_array(env: &Env<'_>, array: &JIntArray<'_>) -> Result<Vec<i32>> {
    let mut values = vec![0; array.len(env)?];
    array.get_region(env, 0, &mut values)?;
    Ok(values)
}
