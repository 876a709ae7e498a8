//! The history file format across versions. `tests/vectors/history/v1.bin` was written by an
//! encoder independent of dram-core (Python, from the layout in `core/src/history/file.rs`);
//! every later dram-core must keep loading it: that is the migration guarantee. A file from a
//! newer format is refused with its own error and is never overwritten by loading it.

use dram_core::{Error, ErrorCode, Event, EventKind, History};

fn v1_file() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/history/v1.bin")).unwrap()
}

#[test]
fn version_1_files_load_with_every_field() {
    let history = History::from_bytes(&v1_file()).unwrap();
    assert_eq!(history.capacity(), 4);
    let events: Vec<Event> = history.oldest_first().cloned().collect();
    assert_eq!(
        events,
        [
            Event::new("a", EventKind::Click, 258),
            Event::new("sku-é", EventKind::Purchase, 1_700_000_000_000),
            Event::new("很好", EventKind::Wishlist, -5),
        ]
    );
    // This build writes the same version, byte for byte.
    assert_eq!(history.to_bytes(), v1_file());
    assert_eq!(dram_core::history::FILE_VERSION, 1);
}

#[test]
fn a_newer_version_is_refused_and_left_in_place() {
    let dir = std::env::temp_dir().join(format!("dram-history-format-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("history.bin");
    let mut newer = v1_file();
    newer[8] = 2;
    std::fs::write(&path, &newer).unwrap();
    let err = History::load_or_new(&path, 10).unwrap_err();
    assert!(matches!(err, Error::UnsupportedHistoryVersion { found: 2, supported: 1 }), "{err}");
    assert_eq!(err.code(), ErrorCode::CorruptHistory);
    assert_eq!(std::fs::read(&path).unwrap(), newer, "loading must not touch the file");
    std::fs::remove_dir_all(&dir).unwrap();
}
