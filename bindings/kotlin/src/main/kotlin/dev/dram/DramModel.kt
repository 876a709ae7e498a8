// dram's Kotlin API: a loaded model.
package dev.dram

import java.io.File

/**
 * A loaded, validated dram model (an ONNX file with its manifest), shared by any number of
 * [Ranker]s and [Classifier]s and by threads. Each of them keeps the native model alive, so
 * closing this object only drops this reference; the memory goes with the last user.
 *
 * ```kotlin
 * DramModel.fromFile("/data/user/0/com.shop/files/ranker.onnx").use { model ->
 *     Ranker(model, historyCapacity = 50).use { ranker -> /* ... */ }
 * }
 * ```
 */
class DramModel private constructor(raw: Long) : AutoCloseable {
    internal val handle = NativeHandle(raw, "DramModel", DramNative::modelRelease)

    /** Drops this reference to the native model; idempotent. */
    override fun close() = handle.close()

    companion object {
        /** Loads the model file at [path]; throws [DramException.Io] or [DramException.InvalidModel]. */
        @JvmStatic
        fun fromFile(path: String): DramModel = DramModel(DramNative.modelFromFile(path))

        /** Loads the model file [file]. */
        @JvmStatic
        fun fromFile(file: File): DramModel = fromFile(file.path)

        /** Loads a model from its bytes (e.g. `context.assets.open(name).readBytes()`). */
        @JvmStatic
        fun fromBytes(bytes: ByteArray): DramModel = DramModel(DramNative.modelFromBytes(bytes))

        /**
         * Loads a model from its bytes only if it carries a valid Ed25519 signature by [publicKey]
         * (the 32 raw bytes `dram keygen` writes to its `.pub` file, hex-decoded). Use it for
         * models downloaded at run time. Throws [DramException.InvalidModel] for an unsigned
         * file, a file signed by another key or modified after signing, and
         * [DramException.InvalidInput] for a malformed key.
         */
        @JvmStatic
        fun fromBytesVerified(bytes: ByteArray, publicKey: ByteArray): DramModel =
            DramModel(DramNative.modelFromBytesVerified(bytes, publicKey))

        /**
         * Loads a model from [length] bytes of the open file descriptor [fd] starting at [offset]
         * ([length] -1: to the end of the file), without moving the descriptor's file position or
         * closing it. Made for Android's uncompressed assets:
         * `assets.openFd(name)` gives `parcelFileDescriptor.fd`, `startOffset` and `length`.
         * The caller keeps [fd] open until this returns.
         */
        @JvmStatic
        @JvmOverloads
        fun fromFileDescriptor(fd: Int, offset: Long = 0, length: Long = -1): DramModel =
            DramModel(DramNative.modelFromFd(fd, offset, length))
    }
}
