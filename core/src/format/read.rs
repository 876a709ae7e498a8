//! Reading a model or history file from a path without trusting it: the path must name a
//! regular file no larger than the caller's limit, checked before a byte is read, so a huge
//! file, a device such as `/dev/zero` or a pipe costs an error, not the app's memory.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::{Error, Result};

/// The bytes of the regular file at `path`, refused before reading when it is not a regular
/// file or holds more than `limit` bytes (`what` names the file in the error).
pub(crate) fn regular_file(path: &Path, limit: usize, what: &'static str) -> Result<Vec<u8>> {
    // `stat` first: opening a pipe for reading would block until a writer came.
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    check(path, &meta, limit, what)?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    // Again on the open file, which is what is read, whatever the path names by now.
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    check(path, &meta, limit, what)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() > limit {
        return Err(Error::TooLarge { what, size: bytes.len(), limit });
    }
    Ok(bytes)
}

fn check(path: &Path, meta: &std::fs::Metadata, limit: usize, what: &'static str) -> Result<()> {
    if !meta.is_file() {
        let reason = format!("{} is not a regular file (a directory, device or pipe); expected a {what}", path.display());
        return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, reason)));
    }
    if meta.len() > limit as u64 {
        return Err(Error::TooLarge { what, size: usize::try_from(meta.len()).unwrap_or(usize::MAX), limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dram-read-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file");
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_file_within_the_limit_is_read_whole() {
        let path = temp("within", b"12345");
        assert_eq!(regular_file(&path, 5, "model file").unwrap(), b"12345");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_reading() {
        let path = temp("over", b"123456");
        let err = regular_file(&path, 5, "model file").unwrap_err();
        assert!(matches!(err, Error::TooLarge { what: "model file", size: 6, limit: 5 }), "{err:?}");
    }

    #[test]
    fn a_directory_and_a_device_are_refused_with_the_reason() {
        let dir = temp("dir", b"").parent().unwrap().to_path_buf();
        let err = regular_file(&dir, 1 << 20, "history file").unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        if Path::new("/dev/zero").exists() {
            let err = regular_file(Path::new("/dev/zero"), 1 << 20, "model file").unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let err = regular_file(Path::new("/nonexistent/dram/model.onnx"), 10, "model file").unwrap_err();
        assert!(matches!(err, Error::FileNotFound { .. }), "{err:?}");
    }
}
