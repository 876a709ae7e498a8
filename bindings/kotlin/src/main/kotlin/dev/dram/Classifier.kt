// dram's Kotlin API: text classification.
package dev.dram

/**
 * Class probabilities for texts, with a classifier model whose one feature is a text.
 * Thread-safe.
 *
 * ```kotlin
 * Classifier(model).use { c -> c.classify("Lovely dress, fits well").first().label }
 * ```
 */
class Classifier(model: DramModel) : AutoCloseable {
    private val handle = NativeHandle(
        model.handle.call { DramNative.classifierNew(it) }, "Classifier", DramNative::classifierRelease,
    )

    /** The class labels, in the model's output order. */
    val labels: List<String> = handle.call { DramNative.classifierLabels(it) }.asList()

    /** Every label of [text] with its probability, most probable first. */
    fun classify(text: String): List<LabelProbability> = classifyBatch(listOf(text))[0]

    /** [classify] for each of [texts], in one model run. */
    fun classifyBatch(texts: List<String>): List<List<LabelProbability>> {
        val width = labels.size
        val probabilities = FloatArray(texts.size * width)
        val ranked = handle.call { DramNative.classifierClassify(it, texts.toTypedArray(), probabilities) }
        return List(texts.size) { t ->
            List(width) { k -> LabelProbability(ranked[t * width + k], probabilities[t * width + k]) }
        }
    }

    /** Releases the native classifier once calls in flight are done; idempotent. */
    override fun close() = handle.close()
}
