//! The history file format (version 1) and its atomic write.
//!
//! Layout, all integers little-endian:
//! `b"DRAMHIST"` magic, `u16` version, `u16` flags (0), `u32` capacity, `u32` count, then
//! `count` events of `u8` kind, `i64` timestamp (ms), `u16` item length, item UTF-8 bytes,
//! and finally a `u32` CRC-32 (IEEE) of every preceding byte.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Event, EventKind, History, MAX_CAPACITY, MAX_ITEM_BYTES};
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"DRAMHIST";
/// The newest history file version this build reads and writes.
pub const VERSION: u16 = 1;
const HEADER_BYTES: usize = 8 + 2 + 2 + 4 + 4;

/// Largest valid history file: a full history of the longest item keys, and its checksum.
pub(crate) const MAX_FILE_BYTES: usize = HEADER_BYTES + MAX_CAPACITY * (1 + 8 + 2 + MAX_ITEM_BYTES) + 4;

pub(super) fn encode(history: &History) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_BYTES + history.len() * 32 + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(history.capacity as u32).to_le_bytes());
    out.extend_from_slice(&(history.len() as u32).to_le_bytes());
    for event in history.oldest_first() {
        out.push(event.kind.code());
        out.extend_from_slice(&event.timestamp_ms.to_le_bytes());
        out.extend_from_slice(&(event.item.len() as u16).to_le_bytes());
        out.extend_from_slice(event.item.as_bytes());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptHistory { reason: reason.into() }
}

/// A cursor that fails with a "truncated" error instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len()).ok_or_else(|| {
            corrupt(format!("truncated: needed {n} bytes at offset {}, file has {}", self.at, self.bytes.len()))
        })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<History> {
    if bytes.len() < HEADER_BYTES + 4 {
        return Err(corrupt(format!(
            "truncated: {} bytes is shorter than the {} byte header and checksum",
            bytes.len(),
            HEADER_BYTES + 4
        )));
    }
    if &bytes[..8] != MAGIC {
        return Err(corrupt("expected the magic bytes `DRAMHIST` at the start"));
    }
    let mut r = Reader { bytes, at: 8 };
    let version = u16::from_le_bytes(r.array()?);
    if version == 0 || version > VERSION {
        return Err(Error::UnsupportedHistoryVersion { found: version, supported: VERSION });
    }
    let (body, crc_bytes) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes(crc_bytes.try_into().expect("split leaves 4 bytes"));
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(corrupt(format!(
            "checksum mismatch: file says {stored:#010x}, content hashes to {computed:#010x}"
        )));
    }
    let mut r = Reader { bytes: body, at: 10 };
    let flags = u16::from_le_bytes(r.array()?);
    if flags != 0 {
        return Err(corrupt(format!("expected flags 0, found {flags:#06x}")));
    }
    let capacity = u32::from_le_bytes(r.array()?) as usize;
    let count = u32::from_le_bytes(r.array()?) as usize;
    if capacity == 0 || capacity > MAX_CAPACITY || count > capacity {
        return Err(corrupt(format!(
            "expected 0 < capacity <= {MAX_CAPACITY} and count <= capacity, found capacity {capacity} count {count}"
        )));
    }
    let mut history = History::new(capacity)?;
    for index in 0..count {
        let code = r.array::<1>()?[0];
        let kind = EventKind::from_code(code)
            .ok_or_else(|| corrupt(format!("event {index}: unknown event kind {code}")))?;
        let timestamp_ms = i64::from_le_bytes(r.array()?);
        let len = usize::from(u16::from_le_bytes(r.array()?));
        if len == 0 || len > MAX_ITEM_BYTES {
            return Err(corrupt(format!("event {index}: item length {len} outside 1..={MAX_ITEM_BYTES}")));
        }
        let item = std::str::from_utf8(r.take(len)?)
            .map_err(|e| corrupt(format!("event {index}: item is not UTF-8: {e}")))?;
        history.record(Event::new(item, kind, timestamp_ms))?;
    }
    if r.at != body.len() {
        return Err(corrupt(format!(
            "{} unexpected bytes after the last event",
            body.len() - r.at
        )));
    }
    Ok(history)
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::io(path, std::io::Error::other("path has no file name")))?;
    // One temporary file per call: threads saving at once must not write into each other's
    // file (one would rename the other's half-written bytes into place).
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = format!(".{}.", file_name.to_string_lossy());
    let pid = std::process::id();
    let tmp = dir.join(format!("{prefix}{pid}.{}.tmp", NEXT.fetch_add(1, Ordering::Relaxed)));
    remove_stale_temporaries(dir, &prefix, pid);
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Persist the rename itself; directories cannot be opened for sync on Windows.
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Deletes the temporary files that processes killed while saving left beside the history
/// (other process ids), so repeated crashes cannot fill the disk. This process's own files
/// belong to saves in progress on other threads and stay.
fn remove_stale_temporaries(dir: &Path, prefix: &str, pid: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let own = format!("{prefix}{pid}.");
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(".tmp") && !name.starts_with(&own) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> History {
        let mut h = History::new(4).unwrap();
        h.record(Event::new("42", EventKind::Click, 1)).unwrap();
        h.record(Event::new("sku-é", EventKind::Purchase, 2)).unwrap();
        h
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&sample());
        for len in 0..bytes.len() {
            let err = decode(&bytes[..len]).unwrap_err();
            assert!(matches!(err, Error::CorruptHistory { .. }), "len {len}: {err}");
        }
        assert_eq!(decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn every_single_bit_flip_is_an_error() {
        let bytes = encode(&sample());
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                assert!(decode(&flipped).is_err(), "byte {i} bit {bit} went unnoticed");
            }
        }
    }

    #[test]
    fn newer_version_is_reported_as_such() {
        let mut bytes = encode(&sample());
        bytes[8] = 2;
        let err = decode(&bytes).unwrap_err();
        assert!(matches!(err, Error::UnsupportedHistoryVersion { found: 2, supported: 1 }), "{err}");
    }

    #[test]
    fn huge_counts_cannot_make_it_allocate() {
        let mut body = encode(&History::new(1).unwrap());
        body.truncate(body.len() - 4);
        body[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        body[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        let crc = crc32fast::hash(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        assert!(decode(&body).unwrap_err().to_string().contains("capacity"));
    }

    #[test]
    fn the_layout_is_pinned() {
        let mut h = History::new(2).unwrap();
        h.record(Event::new("a", EventKind::Click, 258)).unwrap();
        let bytes = encode(&h);
        assert_eq!(&bytes[..8], b"DRAMHIST");
        assert_eq!(&bytes[8..20], &[1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(&bytes[20..32], &[1, 2, 1, 0, 0, 0, 0, 0, 0, 1, 0, b'a']);
        assert_eq!(bytes.len(), 36);
    }
}
