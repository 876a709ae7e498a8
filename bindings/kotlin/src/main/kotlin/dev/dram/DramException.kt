// dram's Kotlin API: the exceptions every call may throw.
package dev.dram

/**
 * What kind of failure a [DramException] reports.
 *
 * The first five mirror `dram_core::ErrorCode` and carry its numbers, which are also the C
 * API's `DRAM_STATUS_*` values. [CLOSED] and [INTERNAL] come from this binding.
 */
enum class ErrorCode(val status: Int) {
    /** A file could not be found, read or written. */
    IO(2),
    /** The bytes are not a usable dram model (not ONNX, no or bad manifest, wrong task). */
    INVALID_MODEL(3),
    /** Input data is wrong: a missing, mistyped or non-finite feature, an empty list, a bad event. */
    INVALID_INPUT(4),
    /** A saved history file is corrupt, truncated or of an unknown version. */
    CORRUPT_HISTORY(5),
    /** The inference engine failed. */
    RUNTIME(6),
    /** The object was used after `close()` (C's `DRAM_STATUS_INVALID_ARGUMENT`). */
    CLOSED(1),
    /** A bug in dram (a Rust panic, C's `DRAM_STATUS_PANIC`); the objects stay usable. */
    INTERNAL(8),
}

/**
 * The one exception type of dram: [code] classifies the failure and the message, written by
 * dram-core, says what was expected and what was found. Catch a subclass to handle one kind.
 *
 * ```kotlin
 * try {
 *     ranker.rank(candidates)
 * } catch (e: DramException.InvalidInput) {
 *     log("bad candidates: ${e.message}")
 * }
 * ```
 */
sealed class DramException(val code: ErrorCode, message: String) : RuntimeException(message) {
    /** See [ErrorCode.IO]. */
    class Io(message: String) : DramException(ErrorCode.IO, message)

    /** See [ErrorCode.INVALID_MODEL]. */
    class InvalidModel(message: String) : DramException(ErrorCode.INVALID_MODEL, message)

    /** See [ErrorCode.INVALID_INPUT]. */
    class InvalidInput(message: String) : DramException(ErrorCode.INVALID_INPUT, message)

    /** See [ErrorCode.CORRUPT_HISTORY]. */
    class CorruptHistory(message: String) : DramException(ErrorCode.CORRUPT_HISTORY, message)

    /** See [ErrorCode.RUNTIME]. */
    class Runtime(message: String) : DramException(ErrorCode.RUNTIME, message)

    /** See [ErrorCode.CLOSED]; the `IllegalStateException` of dram's objects. */
    class Closed(message: String) : DramException(ErrorCode.CLOSED, message)

    /** See [ErrorCode.INTERNAL]. */
    class Internal(message: String) : DramException(ErrorCode.INTERNAL, message)
}
