//! Model bytes read from a range of an open file descriptor: how Android hands out an
//! uncompressed asset (`AssetFileDescriptor`: the APK's descriptor, a start offset, a length).
//!
//! `dram-core` forbids `unsafe`, and borrowing a raw descriptor needs it, so this one piece of
//! I/O lives in the binding. It reads with `pread`, so the descriptor's file position (shared
//! with whoever else uses it) is left alone, and it never closes the caller's descriptor.

use std::path::PathBuf;

use dram_core::{Error, Result};

/// The `length` meaning "to the end of the file".
pub const TO_END: i64 = -1;

/// `length` bytes (or all of them to the end, for [`TO_END`]) of `fd` from `offset`.
///
/// The caller keeps `fd` open for the duration of the call (`DramModel.fromFileDescriptor`
/// documents this).
#[cfg(unix)]
pub fn read_range(fd: i32, offset: i64, length: i64) -> Result<Vec<u8>> {
    use std::os::fd::BorrowedFd;
    use std::os::unix::fs::FileExt;

    let name = PathBuf::from(format!("file descriptor {fd}"));
    let io = |source: std::io::Error| Error::Io {
        path: name.clone(),
        source,
    };
    let invalid = |what: String| io(std::io::Error::new(std::io::ErrorKind::InvalidInput, what));
    if fd < 0 {
        return Err(invalid(format!("expected a descriptor >= 0, found {fd}")));
    }
    if offset < 0 || length < TO_END {
        return Err(invalid(format!(
            "expected offset >= 0 and length >= 0 (or {TO_END} for the rest of the file), found offset {offset} length {length}"
        )));
    }
    // SAFETY: `fd` is a non-negative descriptor that the caller keeps open during this call
    // (the documented contract of `DramModel.fromFileDescriptor`); it is only borrowed to be
    // duplicated, and the duplicate is ours to use and close.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let file = std::fs::File::from(borrowed.try_clone_to_owned().map_err(io)?);
    let size = file.metadata().map_err(io)?.len();
    let start = offset as u64;
    let end = if length == TO_END {
        size
    } else {
        start.saturating_add(length as u64)
    };
    if start > end || end > size {
        return Err(invalid(format!(
            "expected the range {start}..{end} to lie within the file's {size} bytes"
        )));
    }
    let len = usize::try_from(end - start).map_err(|_| {
        invalid(format!(
            "a range of {} bytes does not fit in memory",
            end - start
        ))
    })?;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, start).map_err(io)?;
    Ok(bytes)
}

/// File descriptors are a Unix (Android, Linux, macOS) notion.
#[cfg(not(unix))]
pub fn read_range(fd: i32, _offset: i64, _length: i64) -> Result<Vec<u8>> {
    Err(Error::Io {
        path: PathBuf::from(format!("file descriptor {fd}")),
        source: std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "file descriptors need a Unix platform",
        ),
    })
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{Seek, SeekFrom, Write};
    use std::os::fd::AsRawFd;

    use super::*;

    fn padded_file() -> std::fs::File {
        // Tests run in parallel threads of one process: each call needs its own path.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dram-jni-fd-test-{}-{n}", std::process::id()));
        let mut file = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file.write_all(b"...model bytes!!").unwrap();
        file.seek(SeekFrom::Start(2)).unwrap();
        file
    }

    #[test]
    fn reads_a_range_and_leaves_the_position_alone() {
        let mut file = padded_file();
        let fd = file.as_raw_fd();
        assert_eq!(read_range(fd, 3, 5).unwrap(), b"model");
        assert_eq!(read_range(fd, 9, TO_END).unwrap(), b"bytes!!");
        assert_eq!(read_range(fd, 16, 0).unwrap(), b"");
        assert_eq!(file.stream_position().unwrap(), 2);
    }

    #[test]
    fn bad_ranges_are_io_errors_that_say_why() {
        let file = padded_file();
        let fd = file.as_raw_fd();
        for (offset, length, words) in [
            (10, 7, "10..17"),
            (17, TO_END, "17..16"),
            (-1, 1, "offset -1"),
            (0, -2, "length -2"),
        ] {
            let err = read_range(fd, offset, length).unwrap_err();
            assert_eq!(err.code(), dram_core::ErrorCode::Io);
            assert!(err.to_string().contains(words), "{err}");
        }
        assert!(read_range(-3, 0, TO_END)
            .unwrap_err()
            .to_string()
            .contains("-3"));
    }
}
