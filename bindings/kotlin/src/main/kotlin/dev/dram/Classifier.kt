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
        val text = TextTable.of(texts)
        val label = IntArray(texts.size * width)
        val probability = FloatArray(texts.size * width)
        handle.call { DramNative.classifierClassify(it, text.chars, text.ends, label, probability) }
        return List(texts.size) { t ->
            List(width) { k -> LabelProbability(labels[label[t * width + k]], probability[t * width + k]) }
        }
    }

    /** Releases the native classifier once calls in flight are done; idempotent. */
    override fun close() = handle.close()
}
