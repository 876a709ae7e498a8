// The shared test vectors (tests/vectors, packaged as this test APK's assets) through the
// Android library on a device or emulator: the phone build of libdram_jni.so, loaded by
// System.loadLibrary, and models read from assets as apps read them. The same truth the Rust,
// C, desktop Kotlin and Swift suites check.
package dev.dram.android

import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import dev.dram.Candidate
import dev.dram.Classifier
import dev.dram.DramException
import dev.dram.DramModel
import dev.dram.EventKind
import dev.dram.Ranker
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith

@RunWith(AndroidJUnit4::class)
class VectorsInstrumentedTest {
    private val assets = InstrumentationRegistry.getInstrumentation().context.assets

    private fun json(name: String) = JSONObject(assets.open(name).bufferedReader().use { it.readText() })

    private fun cases(vectors: JSONObject) = vectors.getJSONArray("cases").let { a -> (0 until a.length()).map { a.getJSONObject(it) } }

    private fun value(v: JSONObject): Any = when {
        v.has("int") -> v.getLong("int")
        v.has("str") -> v.getString("str")
        else -> when (val f = v.get("float")) {
            is String -> f.lowercase().let { if (it == "nan") Double.NaN else it.toDouble() }
            else -> (f as Number).toDouble()
        }
    }

    private fun features(o: JSONObject): Map<String, Any> = o.keys().asSequence().associateWith { value(o.getJSONObject(it)) }

    @Test
    fun rankerVectorsMeanPooling() = rankingVectors("ranker.json")

    @Test
    fun rankerVectorsTargetAttention() = rankingVectors("ranker_din.json")

    private fun rankingVectors(file: String) {
        val vectors = json(file)
        val tolerance = vectors.getDouble("tolerance").toFloat()
        DramModel.fromAsset(assets, vectors.getString("model")).use { model ->
            for (case in cases(vectors)) {
                val name = case.getString("name")
                val candidates = case.getJSONArray("candidates").let { a ->
                    (0 until a.length()).map { a.getJSONObject(it) }
                        .map { Candidate(it.getString("item"), features(it.getJSONObject("features"))) }
                }
                Ranker(model, case.getInt("history_capacity")).use { ranker ->
                    ranker.setContext(features(case.getJSONObject("context")))
                    val events = case.getJSONArray("events")
                    for (i in 0 until events.length()) {
                        val e = events.getJSONObject(i)
                        ranker.record(e.getString("item"), EventKind.valueOf(e.getString("kind").uppercase()), e.getLong("timestamp_ms"))
                    }
                    if (case.has("expected_error")) {
                        assertEquals(name, "invalid_input", case.getString("expected_error"))
                        assertThrows(name, DramException.InvalidInput::class.java) { ranker.rank(candidates) }
                    } else {
                        val expected = case.getJSONObject("expected")
                        val ranking = expected.getJSONArray("ranking")
                        val scores = expected.getJSONArray("scores")
                        val ranked = ranker.rank(candidates)
                        assertEquals(name, (0 until ranking.length()).map { ranking.getString(it) }, ranked.map { it.item })
                        for (s in ranked) {
                            assertEquals("$name: candidate ${s.index}", scores.getDouble(s.index).toFloat(), s.score, tolerance)
                        }
                    }
                }
            }
        }
    }

    @Test
    fun classifierVectors() = classifierVectors("classifier.json")

    @Test
    fun wordPieceClassifierVectors() = classifierVectors("classifier_word_pieces.json")

    private fun classifierVectors(file: String) {
        val vectors = json(file)
        val tolerance = vectors.getDouble("tolerance").toFloat()
        val labels = vectors.getJSONArray("labels").let { a -> (0 until a.length()).map { a.getString(it) } }
        DramModel.fromAsset(assets, vectors.getString("model")).use { model ->
            Classifier(model).use { classifier ->
                assertEquals(labels, classifier.labels)
                val cases = cases(vectors)
                assertTrue("$file has cases", cases.isNotEmpty())
                for (case in cases) {
                    val text = case.getString("text")
                    val want = case.getJSONArray("probabilities")
                    for (p in classifier.classify(text)) {
                        assertEquals("$text: ${p.label}", want.getDouble(labels.indexOf(p.label)).toFloat(), p.probability, tolerance)
                    }
                }
            }
        }
    }
}
