//! `Ranker`'s native methods: a ranker over a model, its history and context, and ranking.

use std::sync::Arc;

use dram_core::{Event, EventKind, History, Model, Ranker};
use jni::objects::{
    JByteArray, JCharArray, JClass, JDoubleArray, JFloatArray, JIntArray, JLongArray, JString,
};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;

use crate::exception::{Failure, Result, ThrowDramException};
use crate::features::{FeatureTable, TextTable};
use crate::handle;

fn capacity(capacity: jint) -> Result<usize> {
    usize::try_from(capacity).map_err(|_| {
        Failure::Dram(dram_core::Error::InvalidEvent {
            reason: format!("history capacity must be positive, found {capacity}"),
        })
    })
}

fn new_ranker(model: jlong, history: impl FnOnce() -> dram_core::Result<History>) -> Result<jlong> {
    // SAFETY: `Ranker`'s constructor passes the handle of a `DramModel` under its read lock.
    let model: Arc<Model> = unsafe { handle::borrow(model) }?;
    Ok(handle::into_handle(Ranker::new(model, history()?)?))
}

/// `DramNative.rankerNew(model: Long, historyCapacity: Int): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    model: jlong,
    history_capacity: jint,
) -> jlong {
    env.with_env(|_env| -> Result<jlong> {
        let history_capacity = capacity(history_capacity)?;
        new_ranker(model, || History::new(history_capacity))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerLoadOrNew(model: Long, historyPath: String, historyCapacity: Int): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerLoadOrNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    model: jlong,
    history_path: JString<'l>,
    history_capacity: jint,
) -> jlong {
    env.with_env(|env| -> Result<jlong> {
        let path = history_path.try_to_string(env)?;
        let history_capacity = capacity(history_capacity)?;
        new_ranker(model, || History::load_or_new(path, history_capacity))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerRelease(handle: Long)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerRelease<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    ranker: jlong,
) {
    env.with_env(|_env| -> Result<()> {
        // SAFETY: `Ranker.close()` passes its own handle, once, under its write lock.
        unsafe { handle::release::<Ranker>(ranker) }
    })
    .resolve::<ThrowDramException>()
}

/// The ranker behind a handle, for one call.
fn ranker(handle: jlong) -> Result<Arc<Ranker>> {
    // SAFETY: every `Ranker` method passes its own live handle under its read lock.
    unsafe { handle::borrow(handle) }
}

/// `DramNative.rankerRecord(handle: Long, item: String, kind: Int, timestampMs: Long)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerRecord<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    item: JString<'l>,
    kind: jint,
    timestamp_ms: jlong,
) {
    env.with_env(|env| -> Result<()> {
        let kind = u8::try_from(kind)
            .ok()
            .and_then(EventKind::from_code)
            .ok_or_else(|| Failure::Binding(format!("unknown event kind code {kind}")))?;
        let event = Event::new(item.try_to_string(env)?, kind, timestamp_ms);
        Ok(ranker(handle)?.record(event)?)
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerSetContext(handle: Long, <feature table of one row>)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerSetContext<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    text: JCharArray<'l>,
    text_ends: JIntArray<'l>,
    row_ends: JIntArray<'l>,
    name_index: JIntArray<'l>,
    tags: JByteArray<'l>,
    longs: JLongArray<'l>,
    doubles: JDoubleArray<'l>,
) {
    env.with_env(|env| -> Result<()> {
        let text = TextTable {
            chars: text,
            ends: text_ends,
        };
        let table = FeatureTable {
            text,
            row_ends,
            name_index,
            tags,
            longs,
            doubles,
        };
        let (_, mut rows) = table.decode(env, 0)?;
        let context = rows.pop().filter(|_| rows.is_empty());
        let context =
            context.ok_or_else(|| Failure::Binding("a context table must have one row".into()))?;
        ranker(handle)?.set_context(context);
        Ok(())
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerRank(handle: Long, <feature table with item keys>, outIndex: IntArray,
/// outScore: FloatArray)`: fills `outIndex` with the candidates' input positions,
/// best first, and `outScore` with their scores.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerRank<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    text: JCharArray<'l>,
    text_ends: JIntArray<'l>,
    row_ends: JIntArray<'l>,
    name_index: JIntArray<'l>,
    tags: JByteArray<'l>,
    longs: JLongArray<'l>,
    doubles: JDoubleArray<'l>,
    out_index: JIntArray<'l>,
    out_score: JFloatArray<'l>,
) {
    env.with_env(|env| -> Result<()> {
        let text = TextTable {
            chars: text,
            ends: text_ends,
        };
        let table = FeatureTable {
            text,
            row_ends,
            name_index,
            tags,
            longs,
            doubles,
        };
        let candidates = table.candidates(env)?;
        let ranked = ranker(handle)?.rank(&candidates)?;
        let index: Vec<i32> = ranked.iter().map(|s| s.index as i32).collect();
        let score: Vec<f32> = ranked.iter().map(|s| s.score).collect();
        out_index.set_region(env, 0, &index)?;
        out_score.set_region(env, 0, &score)?;
        Ok(())
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerScore(handle: Long, <feature table with item keys>, outScore: FloatArray)`:
/// fills `outScore` with the scores in input order.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerScore<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    text: JCharArray<'l>,
    text_ends: JIntArray<'l>,
    row_ends: JIntArray<'l>,
    name_index: JIntArray<'l>,
    tags: JByteArray<'l>,
    longs: JLongArray<'l>,
    doubles: JDoubleArray<'l>,
    out_score: JFloatArray<'l>,
) {
    env.with_env(|env| -> Result<()> {
        let text = TextTable {
            chars: text,
            ends: text_ends,
        };
        let table = FeatureTable {
            text,
            row_ends,
            name_index,
            tags,
            longs,
            doubles,
        };
        let candidates = table.candidates(env)?;
        let scores = ranker(handle)?.score(&candidates)?;
        out_score.set_region(env, 0, &scores)?;
        Ok(())
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerSaveHistory(handle: Long, path: String)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerSaveHistory<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    path: JString<'l>,
) {
    env.with_env(|env| -> Result<()> {
        let path = path.try_to_string(env)?;
        Ok(ranker(handle)?.save_history(path)?)
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.rankerClearHistory(handle: Long)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_rankerClearHistory<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    env.with_env(|_env| -> Result<()> {
        ranker(handle)?.clear_history();
        Ok(())
    })
    .resolve::<ThrowDramException>()
}
