// Signed models (tests/vectors/signature.json) and the size and text limits, through the Kotlin
// API: each refusal is a DramException with the right code and a message saying why.
package dev.dram

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.function.Executable

class IntegrityTest {
    private val vectors = Vectors.json("signature.json")

    private fun file(field: String): ByteArray = File(Vectors.dir, vectors.getString(field)).readBytes()

    private fun key(field: String): ByteArray =
        vectors.getString(field).chunked(2).map { it.toInt(16).toByte() }.toByteArray()

    private inline fun <reified E : DramException> fails(code: ErrorCode, vararg words: String, noinline call: () -> Unit) {
        val e = assertThrows(E::class.java, Executable(call))
        assertEquals(code, e.code)
        for (w in words) assertTrue(e.message!!.contains(w), "`${e.message}` should mention `$w`")
    }

    @Test
    fun `a signed model loads with the trusted key and nothing else does`() {
        DramModel.fromBytesVerified(file("signed"), key("public_key")).use { model ->
            Ranker(model, 5).use { r ->
                r.setContext(mapOf("age" to 31.0, "device" to "android"))
                assertEquals(1, r.rank(listOf(Candidate("3", mapOf("category" to "shoes", "price" to 1.0)))).size)
            }
        }
        fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL, "not signed") {
            DramModel.fromBytesVerified(file("unsigned"), key("public_key"))
        }
        fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL, "modified after signing") {
            DramModel.fromBytesVerified(file("tampered"), key("public_key"))
        }
        fails<DramException.InvalidModel>(ErrorCode.INVALID_MODEL, "signed by public key") {
            DramModel.fromBytesVerified(file("signed"), key("other_public_key"))
        }
        fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "32 bytes") {
            DramModel.fromBytesVerified(file("signed"), ByteArray(0))
        }
        // Unverified loading still takes the signed file: the signature is only metadata.
        DramModel.fromBytes(file("signed")).close()
    }

    @Test
    fun `huge candidate lists, empty strings and lone surrogates`() {
        DramModel.fromFile(File(Vectors.dir, "models/ranker.onnx")).use { model ->
            Ranker(model, 5).use { r ->
                r.setContext(mapOf("age" to 31.0, "device" to "android"))
                val features = mapOf("category" to "shoes", "price" to 1.0)
                fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "65537", "65536") {
                    r.rank(List(65_537) { Candidate("3", features) })
                }
                assertEquals(65_536, r.score(List(65_536) { Candidate("3", features) }).size)
                // An empty category is a string like any other; an empty key is no integer id.
                assertEquals(1, r.rank(listOf(Candidate("3", mapOf("category" to "", "price" to 1.0)))).size)
                fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "item") { r.rank(listOf(Candidate("", features))) }
                fails<DramException.InvalidInput>(ErrorCode.INVALID_INPUT, "category") {
                    r.rank(listOf(Candidate("3", mapOf("" to "shoes", "price" to 1.0))))
                }
                // A lone UTF-16 surrogate (malformed UTF-16) becomes U+FFFD, as the binding documents.
                assertEquals(1, r.rank(listOf(Candidate("3", mapOf("category" to "\uDC00", "price" to 1.0)))).size)
                r.record("sku\uD800", EventKind.CLICK, 1)
            }
        }
    }
}
