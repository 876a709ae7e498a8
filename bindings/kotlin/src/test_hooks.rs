//! Entry points that exist only for the JVM test suite (feature `test-hooks`): a native method
//! that panics, to check that a panic becomes `DramException.Internal` and the JVM carries on.

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
