//! The user's recent behaviour, kept on the device: a bounded ring buffer of events that feeds
//! the model's sequence features, and its crash-safe file format.

mod event;
mod file;

use std::collections::VecDeque;
use std::path::Path;

pub use crate::format::event_kind::EventKind;
pub use event::{Event, MAX_ITEM_BYTES};
pub use file::VERSION as FILE_VERSION;
pub(crate) use file::write_atomically as write_file_atomically;

use crate::{Error, Result};

/// Largest capacity a history may have (events).
pub const MAX_CAPACITY: usize = 100_000;

/// A bounded, ordered log of the user's events; the oldest falls out when it is full.
///
/// ```
/// use dram_core::{Event, EventKind, History};
/// let mut history = History::new(2).unwrap();
/// for item in ["a", "b", "c"] {
///     history.record(Event::new(item, EventKind::Click, 0)).unwrap();
/// }
/// let newest_first: Vec<_> = history.newest_first().map(|e| e.item.as_str()).collect();
/// assert_eq!(newest_first, ["c", "b"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    capacity: usize,
    events: VecDeque<Event>,
}

impl History {
    /// An empty history holding at most `capacity` events (1..=[`MAX_CAPACITY`]).
    pub fn new(capacity: usize) -> Result<History> {
        if capacity == 0 || capacity > MAX_CAPACITY {
            return Err(Error::InvalidEvent {
                reason: format!("history capacity must be in 1..={MAX_CAPACITY}, found {capacity}"),
            });
        }
        Ok(History { capacity, events: VecDeque::with_capacity(capacity.min(1024)) })
    }

    /// Appends an event, dropping the oldest one when full.
    pub fn record(&mut self, event: Event) -> Result<()> {
        event.validate()?;
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
        Ok(())
    }

    /// Events from newest to oldest.
    pub fn newest_first(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().rev()
    }

    /// Events from oldest to newest.
    pub fn oldest_first(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// Number of events held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Maximum number of events held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets every event (for "clear my data").
    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Serialises to the versioned, checksummed file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        file::encode(self)
    }

    /// Parses the file format; a truncated, corrupted or unknown-version file is an error.
    pub fn from_bytes(bytes: &[u8]) -> Result<History> {
        file::decode(bytes)
    }

    /// Writes the history atomically: a temporary file beside `path`, fsync, rename, fsync of
    /// the directory. A crash at any point leaves either the old or the new file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        file::write_atomically(path.as_ref(), &self.to_bytes())
    }

    /// Reads a history saved by [`History::save`]. The path must name a regular file no larger
    /// than the largest valid history, checked before it is read.
    pub fn load(path: impl AsRef<Path>) -> Result<History> {
        let path = path.as_ref();
        let bytes = crate::format::read::regular_file(path, file::MAX_FILE_BYTES, "history file")?;
        History::from_bytes(&bytes)
    }

    /// Reads a saved history, or starts an empty one of `capacity` if the file does not exist.
    /// A corrupt file is still an error: the app decides whether to discard it.
    pub fn load_or_new(path: impl AsRef<Path>, capacity: usize) -> Result<History> {
        match History::load(path) {
            Err(Error::FileNotFound { .. }) => History::new(capacity),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(item: &str, ts: i64) -> Event {
        Event::new(item, EventKind::View, ts)
    }

    #[test]
    fn ring_buffer_drops_the_oldest() {
        let mut h = History::new(3).unwrap();
        for i in 0..5 {
            h.record(event(&i.to_string(), i)).unwrap();
        }
        let items: Vec<_> = h.oldest_first().map(|e| e.item.clone()).collect();
        assert_eq!(items, ["2", "3", "4"]);
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn capacity_bounds_are_enforced() {
        assert!(History::new(0).is_err());
        assert!(History::new(MAX_CAPACITY + 1).is_err());
        assert!(History::new(MAX_CAPACITY).is_ok());
    }

    #[test]
    fn bad_events_are_rejected_and_not_recorded() {
        let mut h = History::new(3).unwrap();
        assert!(h.record(event("", 0)).unwrap_err().to_string().contains("empty"));
        let long = "x".repeat(MAX_ITEM_BYTES + 1);
        assert!(h.record(event(&long, 0)).is_err());
        assert!(h.is_empty());
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = tempdir();
        let path = dir.join("history.bin");
        let mut h = History::new(10).unwrap();
        h.record(Event::new("sku-1", EventKind::Purchase, 1_700_000_000_000)).unwrap();
        h.record(Event::new("jupe été", EventKind::AddToCart, -5)).unwrap();
        h.save(&path).unwrap();
        assert_eq!(History::load(&path).unwrap(), h);
        // Saving again replaces the file in place.
        h.record(event("3", 3)).unwrap();
        h.save(&path).unwrap();
        assert_eq!(History::load(&path).unwrap(), h);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn missing_file_is_file_not_found_and_load_or_new_starts_empty() {
        let dir = tempdir();
        let path = dir.join("absent.bin");
        assert!(matches!(History::load(&path), Err(Error::FileNotFound { .. })));
        assert!(History::load_or_new(&path, 5).unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    pub(crate) fn tempdir() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "dram-core-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
