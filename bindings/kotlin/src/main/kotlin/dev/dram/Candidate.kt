// dram's Kotlin API: the values ranking takes and returns.
package dev.dram

/**
 * An item to rank: its key (a SKU or an id as text, as the training data names it) plus the
 * candidate features the model reads. Values are `Long`, `Int`, `Double`, `Float` or `String`.
 *
 * ```kotlin
 * Candidate("sku-7", mapOf("price" to 19.9, "category" to "shoes"))
 * ```
 */
data class Candidate @JvmOverloads constructor(
    val item: String,
    val features: Map<String, Any> = emptyMap(),
)

/** A candidate with its score, as [Ranker.rank] returns it; higher scores rank first. */
data class ScoredItem(
    /** The candidate's item key. */
    val item: String,
    /** Its position in the list passed to [Ranker.rank]. */
    val index: Int,
    /** The model's score (a logit or a probability, as the model's manifest says). */
    val score: Float,
)

/** One class of a [Classifier] with its probability. */
data class LabelProbability(val label: String, val probability: Float)
