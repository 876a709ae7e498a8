//! `Classifier`'s native methods: class probabilities for texts.

use std::collections::HashMap;
use std::sync::Arc;

use dram_core::{Classifier, Model};
use jni::objects::{
    IntoAuto as _, JCharArray, JClass, JFloatArray, JIntArray, JObjectArray, JString,
};
use jni::sys::jlong;
use jni::EnvUnowned;

use crate::exception::{Failure, Result, ThrowDramException};
use crate::features::TextTable;
use crate::handle;

/// `DramNative.classifierNew(model: Long): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_classifierNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    model: jlong,
) -> jlong {
    env.with_env(|_env| -> Result<jlong> {
        // SAFETY: `Classifier`'s constructor passes the handle of a `DramModel` under its read lock.
        let model: Arc<Model> = unsafe { handle::borrow(model) }?;
        Ok(handle::into_handle(Classifier::new(model)?))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.classifierRelease(handle: Long)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_classifierRelease<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    classifier: jlong,
) {
    env.with_env(|_env| -> Result<()> {
        // SAFETY: `Classifier.close()` passes its own handle, once, under its write lock.
        unsafe { handle::release::<Classifier>(classifier) }
    })
    .resolve::<ThrowDramException>()
}

/// The classifier behind a handle, for one call.
fn classifier(handle: jlong) -> Result<Arc<Classifier>> {
    // SAFETY: every `Classifier` method passes its own live handle under its read lock.
    unsafe { handle::borrow(handle) }
}

/// `DramNative.classifierLabels(handle: Long): Array<String>`, in output order.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_classifierLabels<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JObjectArray<'l, JString<'l>> {
    env.with_env(|env| -> Result<_> {
        let classifier = classifier(handle)?;
        let labels = JObjectArray::<JString>::new(env, classifier.labels().len(), JString::null())?;
        for (i, label) in classifier.labels().iter().enumerate() {
            // Deleted at once, so any number of labels fits the local reference table.
            let label = JString::from_str(env, label)?.auto();
            labels.set_element(env, i, &*label)?;
        }
        Ok(labels)
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.classifierClassify(handle: Long, <text table of the texts>, outLabel: IntArray,
/// outProbability: FloatArray)`: for each text in turn, `labels.size` slots of its labels
/// (as indices into `classifierLabels`), most probable first, and their probabilities.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_classifierClassify<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    text: JCharArray<'l>,
    text_ends: JIntArray<'l>,
    out_label: JIntArray<'l>,
    out_probability: JFloatArray<'l>,
) {
    env.with_env(|env| -> Result<()> {
        let texts = TextTable {
            chars: text,
            ends: text_ends,
        }
        .strings(env)?;
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let classifier = classifier(handle)?;
        let results = classifier.classify_texts(&texts)?;
        // Labels cross as their index in `labels()`, which Kotlin holds as strings already.
        let index: HashMap<&str, i32> = classifier
            .labels()
            .iter()
            .enumerate()
            .map(|(i, label)| (label.as_str(), i as i32))
            .collect();
        let pairs: Vec<&(String, f32)> = results.iter().flatten().collect();
        let labels: Vec<i32> = pairs
            .iter()
            .map(|(label, _)| index[label.as_str()])
            .collect();
        let probabilities: Vec<f32> = pairs.iter().map(|(_, p)| *p).collect();
        let slots = out_probability.len(env)?;
        if pairs.len() != slots || out_label.len(env)? != slots {
            return Err(Failure::Binding(format!(
                "{} results for arrays of {slots}",
                pairs.len()
            )));
        }
        out_label.set_region(env, 0, &labels)?;
        out_probability.set_region(env, 0, &probabilities)?;
        Ok(())
    })
    .resolve::<ThrowDramException>()
}
