// dram's Kotlin API: the lifetime of one native object.
package dev.dram

import java.util.concurrent.locks.ReentrantReadWriteLock

/**
 * Owns one native handle (an `Arc` on the Rust side) and makes closing it safe under
 * concurrency: every call holds the read lock, so calls run in parallel; [close] takes the
 * write lock, so it waits for the calls in flight and no call can start on a released handle.
 */
internal class NativeHandle(
    raw: Long,
    @PublishedApi internal val owner: String,
    private val release: (Long) -> Unit,
) : AutoCloseable {
    @PublishedApi internal val lock = ReentrantReadWriteLock()

    /** The handle, or 0 once closed; read under the read lock, written under the write lock. */
    @PublishedApi internal var raw: Long = raw

    /** Runs [block] with the live handle; throws [DramException.Closed] after [close]. */
    inline fun <T> call(block: (Long) -> T): T {
        val read = lock.readLock()
        read.lock()
        try {
            val handle = raw
            if (handle == 0L) throw DramException.Closed("this $owner is closed")
            return block(handle)
        } finally {
            read.unlock()
        }
    }

    /** Releases the handle once calls in flight are done; later calls throw, a second close does nothing. */
    override fun close() {
        val write = lock.writeLock()
        write.lock()
        try {
            val handle = raw
            if (handle != 0L) {
                raw = 0L
                release(handle)
            }
        } finally {
            write.unlock()
        }
    }
}
