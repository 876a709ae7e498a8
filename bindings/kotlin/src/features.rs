//! Feature maps as the Kotlin side flattens them (`dev.dram.FeatureTable`), turned back into
//! `dram-core`'s [`Features`] without interpreting any value, plus the array helpers this needs.
//!
//! A table of `rows` maps has `entries` entries in all. Row `r` owns the entries
//! `row_ends[r - 1]..row_ends[r]` (from 0 for the first row). Entry `e` is named
//! `names[name_index[e]]` (each distinct name is sent once) and holds, by `tags[e]`:
//! [`TAG_INT`] `longs[e]`, [`TAG_FLOAT`] `doubles[e]` or [`TAG_STRING`] `strings[e]`.

use dram_core::{Candidate, Features, Value};
use jni::objects::{
    IntoAuto as _, JByteArray, JDoubleArray, JIntArray, JLongArray, JObjectArray, JString,
};
use jni::Env;

use crate::exception::{Failure, Result};

/// Tag of an integer entry (Kotlin `Long` or `Int`).
pub const TAG_INT: i8 = 0;
/// Tag of a floating-point entry (Kotlin `Double` or `Float`).
pub const TAG_FLOAT: i8 = 1;
/// Tag of a string entry.
pub const TAG_STRING: i8 = 2;

/// The arrays of one flattened table, as a native method receives them.
pub struct FeatureTable<'l> {
    pub row_ends: JIntArray<'l>,
    pub names: JObjectArray<'l, JString<'l>>,
    pub name_index: JIntArray<'l>,
    pub tags: JByteArray<'l>,
    pub longs: JLongArray<'l>,
    pub doubles: JDoubleArray<'l>,
    pub strings: JObjectArray<'l, JString<'l>>,
}

impl FeatureTable<'_> {
    /// One `Features` map per row.
    pub fn rows(&self, env: &mut Env<'_>) -> Result<Vec<Features>> {
        let row_ends = int_array(env, &self.row_ends)?;
        let names = strings(env, &self.names)?;
        let name_index = int_array(env, &self.name_index)?;
        let tags = byte_array(env, &self.tags)?;
        let entries = tags.len();
        let mut longs = vec![0; self.longs.len(env)?];
        self.longs.get_region(env, 0, &mut longs)?;
        let mut doubles = vec![0.0; self.doubles.len(env)?];
        self.doubles.get_region(env, 0, &mut doubles)?;
        let lengths = [name_index.len(), longs.len(), doubles.len(), self.strings.len(env)?];
        if lengths.iter().any(|&len| len != entries) {
            return Err(malformed(format!("entry arrays of lengths {entries} and {lengths:?}")));
        }
        let mut rows = Vec::with_capacity(row_ends.len());
        let mut start = 0;
        for &end in &row_ends {
            let end = usize::try_from(end).ok().filter(|&end| start <= end && end <= entries);
            let end = end.ok_or_else(|| malformed(format!("row ends {row_ends:?} for {entries} entries")))?;
            let mut row = Features::new();
            for e in start..end {
                let name = usize::try_from(name_index[e]).ok().and_then(|i| names.get(i));
                let name = name.ok_or_else(|| malformed(format!("entry {e} names no. {}", name_index[e])))?;
                let value = match tags[e] {
                    TAG_INT => Value::Int(longs[e]),
                    TAG_FLOAT => Value::Float(doubles[e]),
                    TAG_STRING => Value::Str(string_at(env, &self.strings, e)?),
                    tag => return Err(malformed(format!("entry {e} has the unknown tag {tag}"))),
                };
                row.insert(name.clone(), value);
            }
            rows.push(row);
            start = end;
        }
        if start != entries {
            return Err(malformed(format!("row ends {row_ends:?} leave entries after {start} of {entries}")));
        }
        Ok(rows)
    }

    /// The candidates whose item keys are `items` and whose features are this table's rows.
    pub fn candidates(&self, env: &mut Env<'_>, items: &JObjectArray<'_, JString<'_>>) -> Result<Vec<Candidate>> {
        let items = strings(env, items)?;
        let rows = self.rows(env)?;
        if items.len() != rows.len() {
            return Err(malformed(format!("{} items for {} feature rows", items.len(), rows.len())));
        }
        Ok(items.into_iter().zip(rows).map(|(item, features)| Candidate { item, features }).collect())
    }
}

fn malformed(what: String) -> Failure {
    Failure::Binding(format!("malformed feature table: {what}"))
}

/// The contents of an `int[]`.
pub fn int_array(env: &Env<'_>, array: &JIntArray<'_>) -> Result<Vec<i32>> {
    let mut values = vec![0; array.len(env)?];
    array.get_region(env, 0, &mut values)?;
    Ok(values)
}

fn byte_array(env: &Env<'_>, array: &JByteArray<'_>) -> Result<Vec<i8>> {
    let mut values = vec![0; array.len(env)?];
    array.get_region(env, 0, &mut values)?;
    Ok(values)
}

/// Element `index` of a `String[]`; its local reference is deleted before returning, so long
/// arrays do not fill the JNI local reference table.
pub fn string_at(env: &mut Env<'_>, array: &JObjectArray<'_, JString<'_>>, index: usize) -> Result<String> {
    let element = array.get_element(env, index)?.auto();
    if element.is_null() {
        return Err(Failure::Binding(format!("element {index} of a string array is null")));
    }
    Ok(element.try_to_string(env)?)
}

/// Every element of a `String[]` (none may be null).
pub fn strings(env: &mut Env<'_>, array: &JObjectArray<'_, JString<'_>>) -> Result<Vec<String>> {
    (0..array.len(env)?).map(|i| string_at(env, array, i)).collect()
}

/// A new `String[]` holding `values`.
pub fn new_string_array<'l>(env: &mut Env<'l>, values: &[&str]) -> Result<JObjectArray<'l, JString<'l>>> {
    let array = JObjectArray::<JString>::new(env, values.len(), JString::null())?;
    for (i, value) in values.iter().enumerate() {
        let element = JString::from_str(env, value)?.auto();
        array.set_element(env, i, &*element)?;
    }
    Ok(array)
}
