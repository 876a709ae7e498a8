//! What a user can do to an item: the event kinds that history files store, manifests'
//! sequence features select and the bindings pass, with codes that never change.

use serde::{Deserialize, Serialize};

/// What the user did. The numeric values are the on-disk and FFI encoding and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum EventKind {
    /// The item was shown and looked at (detail page).
    View = 0,
    /// The item was clicked in a list.
    Click = 1,
    /// The item was added to the cart.
    AddToCart = 2,
    /// The item was bought.
    Purchase = 3,
    /// The item was added to a wish list.
    Wishlist = 4,
}

impl EventKind {
    /// Every kind, in code order.
    pub const ALL: [EventKind; 5] = [
        EventKind::View,
        EventKind::Click,
        EventKind::AddToCart,
        EventKind::Purchase,
        EventKind::Wishlist,
    ];

    /// The kind with this code, if any.
    ///
    /// ```
    /// use dram_core::EventKind;
    /// assert_eq!(EventKind::from_code(3), Some(EventKind::Purchase));
    /// assert_eq!(EventKind::from_code(9), None);
    /// ```
    pub fn from_code(code: u8) -> Option<EventKind> {
        EventKind::ALL.get(usize::from(code)).copied()
    }

    /// The kind's stable code.
    pub fn code(self) -> u8 {
        self as u8
    }
}
