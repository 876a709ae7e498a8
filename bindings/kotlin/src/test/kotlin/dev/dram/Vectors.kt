// Test support: the shared test vectors of tests/vectors, read into the Kotlin API's types.
package dev.dram

import java.io.File
import org.json.JSONArray
import org.json.JSONObject

/** The shared vectors directory (system property `dram.vectors.dir`, set by the pom). */
object Vectors {
    val dir: File = File(System.getProperty("dram.vectors.dir") ?: error("set -Ddram.vectors.dir"))

    fun json(name: String): JSONObject = JSONObject(File(dir, name).readText())

    fun model(vectors: JSONObject): File = File(dir, vectors.getString("model"))

    /** A feature value as the vectors spell it: {"int": n}, {"float": x or "nan"}, {"str": s}. */
    fun value(json: JSONObject): Any = when {
        json.has("int") -> json.getLong("int")
        json.has("str") -> json.getString("str")
        else -> when (val f = json.get("float")) {
            // Rust's spellings of the values JSON has no number for.
            is String -> when (f.lowercase()) {
                "nan" -> Double.NaN
                "inf", "+inf", "infinity" -> Double.POSITIVE_INFINITY
                "-inf", "-infinity" -> Double.NEGATIVE_INFINITY
                else -> f.toDouble()
            }
            is Number -> f.toDouble()
            else -> error("bad float $f")
        }
    }

    fun features(json: JSONObject): Map<String, Any> = json.keySet().associateWith { value(json.getJSONObject(it)) }

    fun candidates(json: JSONArray): List<Candidate> = (0 until json.length()).map {
        val c = json.getJSONObject(it)
        Candidate(c.getString("item"), features(c.getJSONObject("features")))
    }

    fun record(ranker: Ranker, events: JSONArray) {
        for (i in 0 until events.length()) {
            val e = events.getJSONObject(i)
            ranker.record(e.getString("item"), EventKind.valueOf(e.getString("kind").uppercase()), e.getLong("timestamp_ms"))
        }
    }

    fun cases(vectors: JSONObject): List<JSONObject> =
        vectors.getJSONArray("cases").let { a -> (0 until a.length()).map { a.getJSONObject(it) } }

    /** The ranker of one case: its history capacity, context and events applied. */
    fun ranker(model: DramModel, case: JSONObject): Ranker {
        val ranker = Ranker(model, case.getInt("history_capacity"))
        ranker.setContext(features(case.getJSONObject("context")))
        record(ranker, case.getJSONArray("events"))
        return ranker
    }
}
