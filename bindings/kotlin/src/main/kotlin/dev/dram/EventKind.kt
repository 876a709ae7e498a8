// dram's Kotlin API: what the user did with an item.
package dev.dram

/**
 * What the user did, as recorded in the history. [code] is dram-core's stable encoding
 * (`dram_core::EventKind`), shared with the history file format and the C API.
 */
enum class EventKind(val code: Int) {
    /** The item was shown and looked at (detail page). */
    VIEW(0),
    /** The item was clicked in a list. */
    CLICK(1),
    /** The item was added to the cart. */
    ADD_TO_CART(2),
    /** The item was bought. */
    PURCHASE(3),
    /** The item was added to a wish list. */
    WISHLIST(4),
}
