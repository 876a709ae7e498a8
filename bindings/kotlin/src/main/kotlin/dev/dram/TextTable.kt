// dram's Kotlin API: the strings of one native call, end to end in one char array.
package dev.dram

/**
 * Strings as one UTF-16 [chars] array and the end offset of each in [ends]: the native side
 * reads them with two JNI calls however many there are (bindings/kotlin/src/features.rs).
 */
internal class TextTable private constructor(
    @JvmField val chars: CharArray,
    @JvmField val ends: IntArray,
) {
    companion object {
        /** The table of every string of [groups], group after group. */
        fun of(vararg groups: Collection<String>): TextTable {
            var count = 0
            var length = 0
            for (group in groups) {
                count += group.size
                for (s in group) length += s.length
            }
            val chars = CharArray(length)
            val ends = IntArray(count)
            var at = 0
            var i = 0
            for (group in groups) {
                for (s in group) {
                    s.toCharArray(chars, at)
                    at += s.length
                    ends[i++] = at
                }
            }
            return TextTable(chars, ends)
        }
    }
}
