//! `Classifier`'s native methods: class probabilities for texts.

use std::sync::Arc;

use dram_core::{Classifier, Model};
use jni::objects::{JClass, JFloatArray, JObjectArray, JString};
use jni::sys::jlong;
use jni::EnvUnowned;

use crate::exception::{Failure, Result, ThrowDramException};
use crate::features::{new_string_array, strings};
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
        let labels: Vec<&str> = classifier.labels().iter().map(String::as_str).collect();
        new_string_array(env, &labels)
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.classifierClassify(handle: Long, texts: Array<String>, outProbabilities:
/// FloatArray): Array<String>`: for each text in turn, its labels most probable first (the
/// returned array) and their probabilities (`outProbabilities`), `labels.size` per text.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_classifierClassify<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    texts: JObjectArray<'l, JString<'l>>,
    out_probabilities: JFloatArray<'l>,
) -> JObjectArray<'l, JString<'l>> {
    env.with_env(|env| -> Result<_> {
        let texts = strings(env, &texts)?;
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let results = classifier(handle)?.classify_texts(&texts)?;
        let pairs: Vec<&(String, f32)> = results.iter().flatten().collect();
        let expected = out_probabilities.len(env)?;
        if pairs.len() != expected {
            return Err(Failure::Binding(format!("{} probabilities for an array of {expected}", pairs.len())));
        }
        let probabilities: Vec<f32> = pairs.iter().map(|(_, p)| *p).collect();
        out_probabilities.set_region(env, 0, &probabilities)?;
        let labels: Vec<&str> = pairs.iter().map(|(label, _)| label.as_str()).collect();
        new_string_array(env, &labels)
    })
    .resolve::<ThrowDramException>()
}
