// dram's Kotlin API: feature maps flattened into arrays for one native call.
package dev.dram

/**
 * Rows of feature maps as parallel primitive arrays plus a [TextTable] of their strings, the
 * shape the native side decodes (bindings/kotlin/src/features.rs documents the layout). This
 * only sorts each value into the array of its type; whether the model accepts it is decided
 * by dram-core.
 */
internal class FeatureTable private constructor(
    @JvmField val text: TextTable,
    @JvmField val rowEnds: IntArray,
    @JvmField val nameIndex: IntArray,
    @JvmField val tags: ByteArray,
    @JvmField val longs: LongArray,
    @JvmField val doubles: DoubleArray,
) {
    companion object {
        private const val TAG_INT: Byte = 0
        private const val TAG_FLOAT: Byte = 1
        private const val TAG_STRING: Byte = 2

        /** Candidates: their item keys lead the text table, their features are the rows. */
        fun of(candidates: List<Candidate>): FeatureTable =
            of(candidates.map { it.item }, candidates.map { it.features }) { "candidate $it" }

        /** One map (the context), with no items. */
        fun of(features: Map<String, Any>): FeatureTable = of(emptyList(), listOf(features), null)

        /** [rowName] names a row in errors ("candidate 3"), null for a single map. */
        private fun of(items: List<String>, rows: List<Map<String, Any>>, rowName: ((Int) -> String)?): FeatureTable {
            var entries = 0
            for (row in rows) entries += row.size
            val rowEnds = IntArray(rows.size)
            val names = LinkedHashMap<String, Int>()
            val nameIndex = IntArray(entries)
            val tags = ByteArray(entries)
            val longs = LongArray(entries)
            val doubles = DoubleArray(entries)
            val strings = ArrayList<String>()
            var e = 0
            for ((r, row) in rows.withIndex()) {
                for ((name, value) in row) {
                    nameIndex[e] = names.getOrPut(name) { names.size }
                    // A Java caller can put null in a Map<String, Any>.
                    when (val v: Any? = value) {
                        is Long -> { tags[e] = TAG_INT; longs[e] = v }
                        is Int -> { tags[e] = TAG_INT; longs[e] = v.toLong() }
                        is Double -> { tags[e] = TAG_FLOAT; doubles[e] = v }
                        is Float -> { tags[e] = TAG_FLOAT; doubles[e] = v.toDouble() }
                        is String -> { tags[e] = TAG_STRING; strings.add(v) }
                        else -> {
                            val where = rowName?.let { " (${it(r)})" } ?: ""
                            val found = if (v == null) "null" else "a ${v.javaClass.name}"
                            throw DramException.InvalidInput(
                                "feature `$name` is $found$where; feature values must be Long, Int, Double, Float or String",
                            )
                        }
                    }
                    e++
                }
                rowEnds[r] = e
            }
            val text = TextTable.of(items, names.keys, strings)
            return FeatureTable(text, rowEnds, nameIndex, tags, longs, doubles)
        }
    }
}
