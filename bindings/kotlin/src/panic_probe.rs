//! The library's self-test of its panic handling: a native method that panics, so that the JVM
//! suite can check that a panic becomes `DramException.Internal` and the JVM carries on.
//!
//! It is bound to `dev.dram.PanicProbe`, a class of the test sources only: no class of the
//! library declares it, so an app cannot reach it. It is always built because a feature would
//! give the test build another `libdram_jni.so` at the same path as the normal one, which
//! Cargo's other builds of the workspace then overwrite.

use jni::objects::{JClass, JString};
use jni::EnvUnowned;

use crate::exception::{Result, ThrowDramException};

/// `dev.dram.PanicProbe.panic(message: String)` (a class of the test sources): panics.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_PanicProbe_panic<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    message: JString<'l>,
) {
    env.with_env(|env| -> Result<()> {
        let message = message.try_to_string(env)?;
        panic!("{message}");
    })
    .resolve::<ThrowDramException>()
}
