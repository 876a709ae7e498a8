// A panic in the native library becomes DramException.Internal; the JVM and every object
// carry on.
package dev.dram

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Bound to `Java_dev_dram_PanicProbe_panic`, dram-jni's self-test of its panic handling. */
object PanicProbe {
    init {
        Class.forName("dev.dram.DramNative") // its initialiser loads the library
    }

    @JvmStatic external fun panic(message: String)
}

class PanicTest {
    @Test
    fun `a Rust panic is a DramException and the JVM survives`() {
        DramModel.fromFile(File(Vectors.dir, "models/ranker.onnx")).use { model ->
            Ranker(model, 5).use { ranker ->
                ranker.setContext(mapOf("age" to 31.0, "device" to "android"))
                repeat(3) {
                    val e = assertThrows(DramException.Internal::class.java) { PanicProbe.panic("boom $it") }
                    assertEquals(ErrorCode.INTERNAL, e.code)
                    assertTrue(e.message!!.contains("panicked") && e.message!!.contains("boom $it"), e.message)
                }
                assertEquals(1, ranker.rank(listOf(Candidate("3", mapOf("category" to "shoes", "price" to 1.0)))).size)
            }
        }
    }
}
