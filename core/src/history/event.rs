//! One user action on one item, as the app reports it.

use serde::{Deserialize, Serialize};

use crate::format::event_kind::EventKind;
use crate::{Error, Result};

/// Longest item key accepted, in UTF-8 bytes.
pub const MAX_ITEM_BYTES: usize = 256;

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
