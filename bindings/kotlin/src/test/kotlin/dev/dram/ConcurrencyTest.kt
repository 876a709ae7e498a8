// Many threads on one ranker, and close() racing calls in flight: answers stay right and
// nothing crashes.
package dev.dram

import java.io.File
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ConcurrencyTest {
    private val vectors = Vectors.json("ranker.json")
    private val case = Vectors.cases(vectors).first { it.getString("name") == "three_events" }
    private val candidates = Vectors.candidates(case.getJSONArray("candidates"))
    private val expected = case.getJSONObject("expected").getJSONArray("ranking").let { a ->
        (0 until a.length()).map { a.getString(it) }
    }

    @Test
    fun `threads rank and score while one replaces the context`() {
        DramModel.fromFile(Vectors.model(vectors)).use { model ->
            Vectors.ranker(model, case).use { ranker ->
                val pool = Executors.newFixedThreadPool(8)
                val failures = AtomicInteger()
                val tasks = (0 until 8).map { t ->
                    pool.submit {
                        repeat(50) {
                            try {
                                if (t == 0) {
                                    // One thread keeps replacing the context (with the same values).
                                    ranker.setContext(Vectors.features(case.getJSONObject("context")))
                                } else {
                                    assertEquals(expected, ranker.rank(candidates).map { it.item })
                                    assertEquals(candidates.size, ranker.score(candidates).size)
                                }
                            } catch (e: Throwable) {
                                failures.incrementAndGet()
                                throw e
                            }
                        }
                    }
                }
                tasks.forEach { it.get(60, TimeUnit.SECONDS) }
                pool.shutdown()
                assertEquals(0, failures.get())
            }
        }
    }

    @Test
    fun `recording while ranking is safe`() {
        DramModel.fromFile(Vectors.model(vectors)).use { model ->
            Ranker(model, 20).use { ranker ->
                ranker.setContext(Vectors.features(case.getJSONObject("context")))
                val pool = Executors.newFixedThreadPool(4)
                val tasks = (0 until 4).map { t ->
                    pool.submit {
                        repeat(100) { i ->
                            if (t % 2 == 0) ranker.record("${i % 40}", EventKind.entries[i % 5], i.toLong())
                            else assertEquals(candidates.size, ranker.rank(candidates).size)
                        }
                    }
                }
                tasks.forEach { it.get(60, TimeUnit.SECONDS) }
                pool.shutdown()
                ranker.saveHistory(File.createTempFile("dram", ".bin").also { it.deleteOnExit() })
            }
        }
    }

    @Test
    fun `close while other threads rank never crashes`() {
        DramModel.fromFile(Vectors.model(vectors)).use { model ->
            repeat(20) {
                val ranker = Vectors.ranker(model, case)
                val start = CountDownLatch(1)
                val ranked = AtomicInteger()
                val closedSeen = AtomicInteger()
                val threads = (0 until 4).map {
                    Thread {
                        start.await()
                        while (true) {
                            try {
                                assertEquals(expected, ranker.rank(candidates).map { s -> s.item })
                                ranked.incrementAndGet()
                            } catch (e: DramException.Closed) {
                                closedSeen.incrementAndGet()
                                break
                            }
                        }
                    }.apply { start() }
                }
                start.countDown()
                Thread.sleep(5)
                ranker.close()
                threads.forEach { it.join(30_000) }
                assertEquals(4, closedSeen.get(), "every thread stopped on DramException.Closed")
                assertTrue(threads.none { it.isAlive })
            }
        }
    }
}
