// What a careless or hostile caller can do to the Kotlin API: each misuse is a DramException
// with the right code and a message that says what was expected, and the JVM carries on.
package dev.dram

import java.io.File
import java.io.FileDescriptor
import java.io.RandomAccessFile
import java.nio.file.Files
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.function.Executable

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {
    private val rankerFile = File(Vectors.dir, "models/ranker.onnx")
    private val classifierFile = File(Vectors.dir, "models/classifier.onnx")
    private val model = DramModel.fromFile(rankerFile)
    private val context = mapOf("age" to 31.0, "device" to "android")
    private val good = listOf(
        Candidate("3", mapOf("category" to "shoes", "price" to 49.0)),
        Candidate("17", mapOf("category" to "dresses", "price" to 89.5)),
    )
    private val tmp: File = Files.createTempDirectory("dram-kotlin-test").toFile()

    @AfterAll
    fun cleanUp() {
        model.close()
        tmp.deleteRecursively()
    }

    private fun ranker() = Ranker(model, 10).also { it.setContext(context) }

    private inline fun <reified E : DramException> fails(code: ErrorCode, vararg words: String, noinline call: () -> Unit): E {
        val e = assertThrows(E::class.java, Executable(call))
        assertEquals(code, e.code)
        for (w in words) assertTrue(e.message!!.contains(w), "`${e.message}` should mention `$w`")
        return e
    }

    @Test
    fun `closed objects refuse every call, and closing twice is fine`() {
        val r = ranker()
        r.close()
        r.close()
        fails<DramException.Closed>(ErrorCode.CLOSED, "Ranker", "closed") { r.rank(good) }
        fails<DramException.Closed>(ErrorCode.CLOSED) { r.score(good) }
        fails<DramException.Closed>(ErrorCode.CLOSED) { r.record("3", EventKind.VIEW, 1) }
        fails<DramException.Closed>(ErrorCode.CLOSED) { r.setContext(context) }
        fails<DramException.Closed>(ErrorCode.CLOSED) { r.clearHistory() }
        fails<DramException.Closed>(ErrorCode.CLOSED) { r.saveHistory(File(tmp, "h.bin")) }

        val m = DramModel.fromFile(classifierFile)
        val c = Classifier(m)
        c.close()
        fails<DramException.Closed>(ErrorCode.CLOSED, "Classifier") { c.classify("hi") }
        m.close()
        fails<DramException.Closed>(ErrorCode.CLOSED, "DramModel") { Ranker(m, 5) }
        fails<DramException.Closed>(ErrorCode.CLOSED, "DramModel") { Classifier(m) }
    }

    @Test
    fun `a ranker outlives the model object it was made from`() {
        val m = DramModel.fromFile(rankerFile)
        val r = Ranker(m, 5)
        m.close()
        r.setContext(context)
        assertEquals(2, r.rank(good).size)
        r.close()
    }

    @Test
    fun `empty candidate list`() {
        ranker().use { r ->
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "empty") { r.rank(emptyList()) }
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "empty") { r.score(emptyList()) }
        }
    }

    @Test
    fun `wrong feature types`() {
        ranker().use { r ->
            val stringPrice = listOf(Candidate("3", mapOf("category" to "shoes", "price" to "cheap")))
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "price", "cheap") { r.rank(stringPrice) }
            val floatCategory = listOf(Candidate("3", mapOf("category" to 2.5f, "price" to 1.0)))
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "category", "2.5") { r.rank(floatCategory) }
            // Types the API has no value for are refused before the call, naming the candidate.
            val boolean = listOf(good[0], Candidate("17", mapOf("category" to "bags", "price" to true)))
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "price", "Boolean", "candidate 1") { r.rank(boolean) }
            @Suppress("UNCHECKED_CAST")
            val withNull = listOf(Candidate("3", mapOf("category" to null, "price" to 1.0) as Map<String, Any>))
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "category", "null") { r.rank(withNull) }
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "device", "List") {
                r.setContext(mapOf("age" to 1.0, "device" to listOf("a")))
            }
            // Missing features are dram-core's call.
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "missing feature") { r.rank(listOf(Candidate("3"))) }
            // After all that the ranker still works.
            assertEquals(2, r.rank(good).size)
        }
    }

    @Test
    fun `non-finite numbers`() {
        ranker().use { r ->
            for (bad in listOf(Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)) {
                val candidates = listOf(Candidate("3", mapOf("category" to "shoes", "price" to bad)))
                fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "price", "finite") { r.rank(candidates) }
            }
            r.setContext(mapOf("age" to Double.NaN, "device" to "android"))
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "age") { r.rank(good) }
        }
    }

    @Test
    fun `bad events`() {
        ranker().use { r ->
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "empty") { r.record("", EventKind.CLICK, 1) }
            fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "256") { r.record("x".repeat(300), EventKind.CLICK, 1) }
        }
        fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "capacity", "-1") { Ranker(model, -1) }
        fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "capacity", "0") { Ranker(model, 0) }
    }

    @Test
    fun `truncated, garbage and missing models`() {
        val bytes = rankerFile.readBytes()
        for (len in listOf(0, 1, 16, bytes.size / 2, bytes.size - 1)) {
            fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL) { DramModel.fromBytes(bytes.copyOf(len)) }
        }
        fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL) { DramModel.fromBytes(ByteArray(4096) { (it * 31).toByte() }) }
        fails<DramException.Io>(ErrorCode.IO, "not found", "absent.onnx") { DramModel.fromFile(File(tmp, "absent.onnx")) }
        fails<DramException.Io>(ErrorCode.IO) { DramModel.fromFile(tmp) }
        // A ranker model is not a classifier, and the other way round.
        fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL, "classifier") { Classifier(model) }
        DramModel.fromFile(classifierFile).use { m ->
            fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL, "ranker") { Ranker(m, 5) }
        }
    }

    @Test
    fun `history survives a save and load, corrupt files are reported`() {
        val path = File(tmp, "history.bin")
        val cold = ranker().use { it.score(good) }
        val warm = ranker().use { r ->
            r.record("3", EventKind.PURCHASE, 1_700_000_000_000)
            r.record("17", EventKind.ADD_TO_CART, 1_700_000_000_001)
            r.saveHistory(path)
            val warm = r.score(good)
            r.clearHistory()
            assertArrayEquals(cold, r.score(good), "a cleared history scores like no history")
            warm
        }
        Ranker.loadOrNew(model, path, 10).use { r ->
            r.setContext(context)
            assertArrayEquals(warm, r.score(good), "the loaded history is the saved one")
        }
        Ranker.loadOrNew(model, File(tmp, "never-saved.bin"), 10).use { r ->
            r.setContext(context)
            assertArrayEquals(cold, r.score(good), "a missing file starts an empty history")
        }
        val bytes = path.readBytes()
        path.writeBytes(bytes.copyOf(bytes.size - 3))
        fails<DramException.CorruptHistory>(ErrorCode.CORRUPT_HISTORY, "corrupt") { Ranker.loadOrNew(model, path, 10) }
        ranker().use { r ->
            fails<DramException.Io>(ErrorCode.IO) { r.saveHistory(File(tmp, "no-such-dir/history.bin")) }
        }
    }

    @Test
    fun `models load from a file descriptor range, as Android assets do`() {
        val bytes = classifierFile.readBytes()
        val padded = File(tmp, "padded.bin")
        padded.writeBytes(ByteArray(100) { 7 } + bytes + ByteArray(50) { 9 })
        RandomAccessFile(padded, "r").use { file ->
            val fd = rawFd(file.fd)
            DramModel.fromFileDescriptor(fd, 100, bytes.size.toLong()).use { m ->
                Classifier(m).use { assertEquals(3, it.classify("ok").size) }
            }
            assertEquals(0L, file.filePointer, "the descriptor's position is left alone")
            fails<DramException.Io>(ErrorCode.IO, "range") { DramModel.fromFileDescriptor(fd, 100, bytes.size + 51L) }
            fails<DramException.Io>(ErrorCode.IO, "offset") { DramModel.fromFileDescriptor(fd, -1, 10) }
            fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL) { DramModel.fromFileDescriptor(fd, 0, -1) }
        }
        RandomAccessFile(classifierFile, "r").use { file ->
            DramModel.fromFileDescriptor(rawFd(file.fd)).close()
        }
        fails<DramException.Io>(ErrorCode.IO, "descriptor") { DramModel.fromFileDescriptor(-5) }
    }

    /** The descriptor number behind a JVM FileDescriptor (what Android's ParcelFileDescriptor.getFd() returns). */
    private fun rawFd(fd: FileDescriptor): Int =
        FileDescriptor::class.java.getDeclaredField("fd").apply { isAccessible = true }.getInt(fd)

    @Test
    fun `classifier edge cases`() {
        DramModel.fromFile(classifierFile).use { m ->
            Classifier(m).use { c ->
                val long = "très long ".repeat(20_000)
                assertEquals(c.labels.size, c.classify(long).size)
                assertEquals(c.labels.size, c.classify("\u0000 nul and \uD83D\uDC4D emoji").size)
                // An unpaired surrogate is malformed UTF-16; it reads as U+FFFD.
                assertEquals(c.classify("a \uFFFD b"), c.classify("a \uD800 b"))
                fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT) { c.classifyBatch(emptyList()) }
            }
        }
    }
}
