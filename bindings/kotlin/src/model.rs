//! `DramModel`'s native methods: loading a model from a path, bytes (optionally verified
//! against a signing key) or a descriptor range.

use dram_core::Model;
use jni::objects::{JByteArray, JClass, JString};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;

use crate::exception::{Result, ThrowDramException};
use crate::{fd, handle};

/// `DramNative.modelFromFile(path: String): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_modelFromFile<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    path: JString<'l>,
) -> jlong {
    env.with_env(|env| -> Result<jlong> {
        let path = path.try_to_string(env)?;
        Ok(handle::into_handle(Model::load(path)?))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.modelFromBytes(bytes: ByteArray): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_modelFromBytes<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    bytes: JByteArray<'l>,
) -> jlong {
    env.with_env(|env| -> Result<jlong> {
        let bytes = env.convert_byte_array(&bytes)?;
        Ok(handle::into_handle(Model::from_bytes(&bytes)?))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.modelFromBytesVerified(bytes: ByteArray, publicKey: ByteArray): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_modelFromBytesVerified<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    bytes: JByteArray<'l>,
    public_key: JByteArray<'l>,
) -> jlong {
    env.with_env(|env| -> Result<jlong> {
        let bytes = env.convert_byte_array(&bytes)?;
        let public_key = env.convert_byte_array(&public_key)?;
        Ok(handle::into_handle(Model::load_verified(&bytes, &public_key)?))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.modelFromFd(fd: Int, offset: Long, length: Long): Long`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_modelFromFd<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    fd: jint,
    offset: jlong,
    length: jlong,
) -> jlong {
    env.with_env(|_env| -> Result<jlong> {
        let bytes = fd::read_range(fd, offset, length)?;
        Ok(handle::into_handle(Model::from_bytes(&bytes)?))
    })
    .resolve::<ThrowDramException>()
}

/// `DramNative.modelRelease(handle: Long)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_dram_DramNative_modelRelease<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    model: jlong,
) {
    env.with_env(|_env| -> Result<()> {
        // SAFETY: `DramModel.close()` passes its own handle, once, under its write lock.
        unsafe { handle::release::<Model>(model) }
    })
    .resolve::<ThrowDramException>()
}
