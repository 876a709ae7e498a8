// dram's Kotlin API: the native methods, implemented by the Rust crate dram-jni.
package dev.dram

/**
 * The JNI surface of `libdram_jni`: one static native method per Rust entry point
 * (`Java_dev_dram_DramNative_*` in bindings/kotlin/src). Only the public classes call it, each
 * with its own handle under its [NativeHandle] lock.
 *
 * Strings cross as a [TextTable] (text, textEnds) and feature maps as a [FeatureTable] (its
 * text table, then rowEnds, nameIndex, tags, longs, doubles); results come back in arrays the
 * caller allocated.
 *
 * The library is `System.loadLibrary("dram_jni")` (an app's `jniLibs`), unless the system
 * property `dram.library.path` names the file to `System.load` (desktop tests).
 */
internal object DramNative {
    init {
        val path = System.getProperty("dram.library.path")
        if (path.isNullOrEmpty()) System.loadLibrary("dram_jni") else System.load(path)
    }

    @JvmStatic external fun modelFromFile(path: String): Long
    @JvmStatic external fun modelFromBytes(bytes: ByteArray): Long
    @JvmStatic external fun modelFromBytesVerified(bytes: ByteArray, publicKey: ByteArray): Long
    @JvmStatic external fun modelFromFd(fd: Int, offset: Long, length: Long): Long
    @JvmStatic external fun modelRelease(handle: Long)

    @JvmStatic external fun rankerNew(model: Long, historyCapacity: Int): Long
    @JvmStatic external fun rankerLoadOrNew(model: Long, historyPath: String, historyCapacity: Int): Long
    @JvmStatic external fun rankerRelease(handle: Long)
    @JvmStatic external fun rankerRecord(handle: Long, item: String, kind: Int, timestampMs: Long)
    @JvmStatic external fun rankerSetContext(
        handle: Long, text: CharArray, textEnds: IntArray,
        rowEnds: IntArray, nameIndex: IntArray, tags: ByteArray, longs: LongArray, doubles: DoubleArray,
    )
    @JvmStatic external fun rankerRank(
        handle: Long, text: CharArray, textEnds: IntArray,
        rowEnds: IntArray, nameIndex: IntArray, tags: ByteArray, longs: LongArray, doubles: DoubleArray,
        outIndex: IntArray, outScore: FloatArray,
    )
    @JvmStatic external fun rankerScore(
        handle: Long, text: CharArray, textEnds: IntArray,
        rowEnds: IntArray, nameIndex: IntArray, tags: ByteArray, longs: LongArray, doubles: DoubleArray,
        outScore: FloatArray,
    )
    @JvmStatic external fun rankerSaveHistory(handle: Long, path: String)
    @JvmStatic external fun rankerClearHistory(handle: Long)

    @JvmStatic external fun classifierNew(model: Long): Long
    @JvmStatic external fun classifierRelease(handle: Long)
    @JvmStatic external fun classifierLabels(handle: Long): Array<String>
    @JvmStatic external fun classifierClassify(
        handle: Long, text: CharArray, textEnds: IntArray, outLabel: IntArray, outProbability: FloatArray,
    )
}
