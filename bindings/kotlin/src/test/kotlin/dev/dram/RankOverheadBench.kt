// The cost of the Kotlin -> Rust path: `Ranker.rank` timed from Kotlin, to set beside the
// same call timed in Rust (bindings/kotlin/examples/rank_direct.rs). Not part of the test run:
// `bindings/kotlin/bench.sh` runs both against a release build.
package dev.dram

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Tag
import org.junit.jupiter.api.Test

@Tag("bench")
class RankOverheadBench {
    @Test
    fun `rank from Kotlin`() {
        DramModel.fromFile(File(Vectors.dir, "models/ranker.onnx")).use { model ->
            Ranker(model, 50).use { ranker ->
                ranker.setContext(mapOf("age" to 31.0, "device" to "android"))
                ranker.record("3", EventKind.VIEW, 1)
                ranker.record("17", EventKind.CLICK, 2)
                ranker.record("25", EventKind.PURCHASE, 3)
                for (n in listOf(6, 100)) {
                    val candidates = candidates(n)
                    // The timed call ranks every candidate, as the Rust side's does.
                    assertEquals(n, ranker.rank(candidates).size)
                    val micros = time { ranker.rank(candidates) }
                    println("BENCH kotlin rank $n candidates: %.2f us/call".format(micros))
                    val flatten = time { FeatureTable.of(candidates) }
                    println("BENCH kotlin flattening only $n candidates: %.2f us/call".format(flatten))
                    assertTrue(flatten > 0 && flatten < micros, "flattening is part of the call: $flatten vs $micros us")
                }
            }
        }
    }

    /** The bench's candidates; rank_direct.rs builds the same list. */
    private fun candidates(n: Int): List<Candidate> {
        val base = listOf("3" to ("shoes" to 49.0), "17" to ("dresses" to 89.5), "25" to ("bags" to 120.0),
            "8" to ("shoes" to 15.0), "39" to ("hats" to 9.99), "1000" to ("unknown-category" to 0.0))
        return List(n) { i ->
            val (item, f) = if (i < base.size) base[i] else "${i * 7}" to (listOf("shoes", "bags", "hats")[i % 3] to i * 1.5)
            Candidate(item, mapOf("category" to f.first, "price" to f.second))
        }
    }

    /**
     * Microseconds per call: the fastest of 10 rounds of 0.3 s (after 1 s of warm-up), so that
     * other processes on the machine disturb the figure less. rank_direct.rs times the same way.
     */
    private inline fun time(call: () -> Unit): Double {
        var best = Double.MAX_VALUE
        for (round in 0..10) {
            val budget = if (round == 0) 1_000_000_000L else 300_000_000L
            val start = System.nanoTime()
            var calls = 0L
            while (System.nanoTime() - start < budget) {
                call()
                calls++
            }
            if (round > 0) best = minOf(best, (System.nanoTime() - start) / 1000.0 / calls)
        }
        return best
    }
}
