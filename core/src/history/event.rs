//! One user action on one item, as the app reports it.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Longest item key accepted, in UTF-8 bytes.
pub const MAX_ITEM_BYTES: usize = 256;

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

/// One event of the user's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The item's key, as the app and the training data name it (a SKU, or an id as text).
    pub item: String,
    /// What happened.
    pub kind: EventKind,
    /// When, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

impl Event {
    /// A new event.
    pub fn new(item: impl Into<String>, kind: EventKind, timestamp_ms: i64) -> Event {
        Event { item: item.into(), kind, timestamp_ms }
    }

    /// Checks the item key is non-empty and at most [`MAX_ITEM_BYTES`] bytes.
    pub fn validate(&self) -> Result<()> {
        if self.item.is_empty() {
            return Err(Error::InvalidEvent { reason: "the item key is empty".into() });
        }
        if self.item.len() > MAX_ITEM_BYTES {
            return Err(Error::InvalidEvent {
                reason: format!(
                    "the item key is {} bytes, over the limit of {MAX_ITEM_BYTES}",
                    self.item.len()
                ),
            });
        }
        Ok(())
    }
}
