// dram's Kotlin API: personalised ranking.
package dev.dram

import java.io.File

/**
 * Ranks candidates for one user with a ranker model, the user's on-device history of events
 * and the current context. Thread-safe: events can be recorded while other threads rank, and
 * [close] waits for calls in flight.
 *
 * ```kotlin
 * val ranker = Ranker.loadOrNew(model, File(filesDir, "history.bin"), historyCapacity = 50)
 * ranker.record("sku-7", EventKind.CLICK)
 * ranker.setContext(mapOf("device" to "android"))
 * val best = ranker.rank(listOf(Candidate("sku-1"), Candidate("sku-2"))).first().item
 * ranker.saveHistory(File(filesDir, "history.bin"))
 * ```
 */
class Ranker private constructor(raw: Long) : AutoCloseable {
    private val handle = NativeHandle(raw, "Ranker", DramNative::rankerRelease)

    /** A ranker over [model] with an empty history keeping the latest [historyCapacity] events. */
    constructor(model: DramModel, historyCapacity: Int) :
        this(model.handle.call { DramNative.rankerNew(it, historyCapacity) })

    companion object {
        /**
         * A ranker whose history is read from [historyPath] (saved by [saveHistory]), or empty
         * with [historyCapacity] if that file does not exist. A corrupt file throws
         * [DramException.CorruptHistory]: delete it to start afresh.
         */
        @JvmStatic
        fun loadOrNew(model: DramModel, historyPath: String, historyCapacity: Int): Ranker =
            Ranker(model.handle.call { DramNative.rankerLoadOrNew(it, historyPath, historyCapacity) })

        /** [loadOrNew] with a [File]. */
        @JvmStatic
        fun loadOrNew(model: DramModel, historyPath: File, historyCapacity: Int): Ranker =
            loadOrNew(model, historyPath.path, historyCapacity)
    }

    /** Records that the user did [kind] on [item] at [timestampMs] (ms since the Unix epoch). */
    @JvmOverloads
    fun record(item: String, kind: EventKind, timestampMs: Long = System.currentTimeMillis()) =
        handle.call { DramNative.rankerRecord(it, item, kind.code, timestampMs) }

    /** Sets the context features (user or request attributes) used by later calls. */
    fun setContext(context: Map<String, Any>) {
        val t = FeatureTable.of(context)
        handle.call {
            DramNative.rankerSetContext(it, t.text.chars, t.text.ends, t.rowEnds, t.nameIndex, t.tags, t.longs, t.doubles)
        }
    }

    /** [candidates] sorted by descending score (ties keep input order). */
    fun rank(candidates: List<Candidate>): List<ScoredItem> {
        val t = FeatureTable.of(candidates)
        val order = IntArray(candidates.size)
        val scores = FloatArray(candidates.size)
        handle.call {
            DramNative.rankerRank(
                it, t.text.chars, t.text.ends, t.rowEnds, t.nameIndex, t.tags, t.longs, t.doubles, order, scores,
            )
        }
        return List(order.size) { i -> ScoredItem(candidates[order[i]].item, order[i], scores[i]) }
    }

    /** The model's score of each candidate, in input order. */
    fun score(candidates: List<Candidate>): FloatArray {
        val t = FeatureTable.of(candidates)
        val scores = FloatArray(candidates.size)
        handle.call {
            DramNative.rankerScore(it, t.text.chars, t.text.ends, t.rowEnds, t.nameIndex, t.tags, t.longs, t.doubles, scores)
        }
        return scores
    }

    /** Saves the history atomically to [path] (a crash leaves the old or the new file). */
    fun saveHistory(path: String) = handle.call { DramNative.rankerSaveHistory(it, path) }

    /** [saveHistory] to a [File]. */
    fun saveHistory(path: File) = saveHistory(path.path)

    /** Forgets every event (for "clear my data"); save afterwards to clear the file too. */
    fun clearHistory() = handle.call { DramNative.rankerClearHistory(it) }

    /** Releases the native ranker once calls in flight are done; idempotent. */
    override fun close() = handle.close()
}
