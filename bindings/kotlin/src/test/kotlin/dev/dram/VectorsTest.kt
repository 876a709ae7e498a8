// The shared test vectors through the Kotlin API: the same truth the Rust, C and Swift suites check.
package dev.dram

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class VectorsTest {
    @Test
    fun `ranker vectors, mean pooling`() = rankingVectors("ranker.json")

    @Test
    fun `ranker vectors, target attention`() = rankingVectors("ranker_din.json")

    private fun rankingVectors(file: String) {
        val vectors = Vectors.json(file)
        val tolerance = vectors.getDouble("tolerance").toFloat()
        var checked = 0
        DramModel.fromFile(Vectors.model(vectors)).use { model ->
            for (case in Vectors.cases(vectors)) {
                val name = case.getString("name")
                val candidates = Vectors.candidates(case.getJSONArray("candidates"))
                Vectors.ranker(model, case).use { ranker ->
                    if (case.has("expected_error")) {
                        assertEquals("invalid_input", case.getString("expected_error"), name)
                        val e = assertThrows(DramException.InvalidInput::class.java, { ranker.rank(candidates) }, name)
                        assertEquals(ErrorCode.INVALID_INPUT, e.code, name)
                        assertTrue(e.message!!.isNotBlank(), name)
                        assertThrows(DramException.InvalidInput::class.java, { ranker.score(candidates) }, name)
                    } else {
                        val expected = case.getJSONObject("expected")
                        val ranked = ranker.rank(candidates)
                        val want = expected.getJSONArray("ranking").let { a -> (0 until a.length()).map { a.getString(it) } }
                        assertEquals(want, ranked.map { it.item }, name)
                        val scores = expected.getJSONArray("scores")
                        for (s in ranked) {
                            assertEquals(candidates[s.index].item, s.item, name)
                            assertEquals(scores.getDouble(s.index).toFloat(), s.score, tolerance, "$name: candidate ${s.index}")
                        }
                        val inOrder = ranker.score(candidates)
                        for (i in candidates.indices) {
                            assertEquals(scores.getDouble(i).toFloat(), inOrder[i], tolerance, "$name: score $i")
                        }
                    }
                }
                checked++
            }
        }
        assertEquals(Vectors.cases(vectors).size, checked)
        assertTrue(checked >= 10, "$file has $checked cases")
    }

    @Test
    fun `classifier vectors`() = classifierVectors("classifier.json")

    @Test
    fun `word-piece classifier vectors`() = classifierVectors("classifier_word_pieces.json")

    private fun classifierVectors(file: String) {
        val vectors = Vectors.json(file)
        val tolerance = vectors.getDouble("tolerance").toFloat()
        val labels = vectors.getJSONArray("labels").let { a -> (0 until a.length()).map { a.getString(it) } }
        val bytes = Vectors.model(vectors).readBytes()
        DramModel.fromBytes(bytes).use { model ->
            Classifier(model).use { classifier ->
                assertEquals(labels, classifier.labels)
                val cases = Vectors.cases(vectors)
                val texts = cases.map { it.getString("text") }
                val batch = classifier.classifyBatch(texts)
                assertEquals(cases.size, batch.size)
                for ((case, result) in cases.zip(batch)) {
                    val text = case.getString("text")
                    val probabilities = case.getJSONArray("probabilities")
                    assertEquals(labels.size, result.size, text)
                    assertEquals(labels.toSet(), result.map { it.label }.toSet(), text)
                    for (p in result) {
                        val want = probabilities.getDouble(labels.indexOf(p.label)).toFloat()
                        assertEquals(want, p.probability, tolerance, "$text: ${p.label}")
                    }
                    val sorted = result.map { it.probability }
                    assertEquals(sorted.sortedDescending(), sorted, "$text: most probable first")
                    assertEquals(result, classifier.classify(text), text)
                }
                assertEquals(1.0f, classifier.classify(texts[0]).sumOf { it.probability.toDouble() }.toFloat(), 1e-5f)
            }
        }
    }
}
