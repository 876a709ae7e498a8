// dram on Android: loading a model shipped in the app's assets.
package dev.dram.android

import android.content.res.AssetManager
import dev.dram.DramModel
import java.io.FileNotFoundException

/**
 * Loads the model asset [name] (e.g. `"ranker.onnx"`).
 *
 * An uncompressed asset (add `androidResources { noCompress += "onnx" }` to the app's build)
 * is read by the native library straight from the APK through its file descriptor range, with
 * no copy on the Java heap. A compressed asset cannot be opened as a descriptor, so it is read
 * into a byte array instead. Throws [java.io.IOException] if there is no such asset, and
 * [dev.dram.DramException] if it is not a usable model.
 *
 * ```kotlin
 * val model = DramModel.fromAsset(context.assets, "ranker.onnx")
 * ```
 */
fun DramModel.Companion.fromAsset(assets: AssetManager, name: String): DramModel {
    val descriptor = try {
        assets.openFd(name)
    } catch (compressed: FileNotFoundException) {
        return fromBytes(assets.open(name).use { it.readBytes() })
    }
    return descriptor.use { fromFileDescriptor(it.parcelFileDescriptor.fd, it.startOffset, it.length) }
}
