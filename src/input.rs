//! Reading the files users give (scenarios, traces, folders to merge or resume): regular files
//! only, and reads bounded by the bytes actually read.
//!
//! A FIFO named as a trace would block `open` forever, and `/dev/zero` reports a size of 0 while
//! it never ends, so a size read from the metadata bounds nothing. Every reader here refuses what
//! is not a regular file before opening it (and checks the opened file again), and counts the
//! bytes it reads: [`read_bounded`] for files read whole, [`Budget`] for files read as a stream,
//! whose budget may be renewed after each record so that it bounds a record rather than the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path names something other than a regular file.
    #[error("is {kind}, not a regular file; give the path of a file")]
    NotRegular {
        /// What it is, e.g. "a FIFO (named pipe)".
        kind: &'static str,
    },
    /// More than the limit was read.
    #[error("holds more than {} (read so far); the limit is {}", bytes(*limit), bytes(*limit))]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl From<InputError> for io::Error {
    fn from(e: InputError) -> io::Error {
        match e {
            InputError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        }
    }
}

/// `n` bytes for messages: `16 MiB`, `1 GiB`, `512 bytes`.
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
    }
    format!("{n} bytes")
}

/// What a file type is, for messages.
fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Whether `path` is a directory (following symbolic links), for callers that word that case
/// their own way.
pub fn is_dir(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Opens `path` for reading if it is a regular file (following symbolic links): a FIFO, a device
/// or a socket is refused before `open`, which could block on it.
pub fn open_regular(path: &Path) -> Result<File, InputError> {
    let meta = std::fs::metadata(path)?;
    if let Some(kind) = kind_of(&meta) {
        return Err(InputError::NotRegular { kind });
    }
    let file = File::open(path)?;
    // The path may have been replaced between the check and the open.
    if let Some(kind) = kind_of(&file.metadata()?) {
        return Err(InputError::NotRegular { kind });
    }
    Ok(file)
}

/// Reads the regular file `path` whole, refusing it once more than `limit` bytes have been read.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { limit });
    }
    Ok(bytes)
}

/// A reader that fails once more than its budget has been read since the last
/// [`Budget::renew`]: a stream reader renews it after each record, so that the budget bounds a
/// record (a line with no end in a 1 GB file fails after the budget, not at the end of the file);
/// one that never renews it bounds the whole file.
#[derive(Debug)]
pub struct Budget<R> {
    inner: R,
    limit: u64,
    used: u64,
    exceeded: bool,
}

impl<R: Read> Budget<R> {
    /// `inner`, of which at most `limit` bytes may be read between renewals.
    pub fn new(inner: R, limit: u64) -> Budget<R> {
        Budget { inner, limit, used: 0, exceeded: false }
    }

    /// Starts counting again from 0.
    #[inline]
    pub fn renew(&mut self) {
        self.used = 0;
    }

    /// Whether a read failed because the budget was spent.
    pub fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// Bytes read since the last renewal.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// The reader inside.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.used > self.limit {
            self.exceeded = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("more than {} read (the limit)", bytes(self.limit)),
            ));
        }
        let n = self.inner.read(buf)?;
        self.used += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(16 << 20), "16 MiB");
        assert_eq!(bytes(1 << 30), "1 GiB");
        assert_eq!(bytes(1000), "1000 bytes");
    }

    #[test]
    fn a_budget_bounds_what_is_read_between_renewals() {
        let data = [b'x'; 100];
        let mut r = Budget::new(&data[..], 10);
        let mut buf = [0u8; 8];
        // Reads go on while at most 10 bytes were read; the read after that fails.
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        assert!(r.read(&mut buf).is_err());
        assert!(r.exceeded());
        r.renew();
        assert_eq!(r.read(&mut buf).unwrap(), 8);
    }

    #[test]
    fn files_are_read_whole_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10).unwrap().len(), 10);
        assert!(matches!(read_bounded(&path, 9), Err(InputError::TooLarge { limit: 9 })));
        assert!(matches!(read_bounded(dir.path(), 9), Err(InputError::NotRegular { kind: "a directory" })));
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Opening a FIFO with no writer would block this test forever.
            assert!(matches!(open_regular(&fifo), Err(InputError::NotRegular { kind: "a FIFO (named pipe)" })));
        }
        if Path::new("/dev/zero").exists() {
            let err = read_bounded(Path::new("/dev/zero"), 1 << 20).unwrap_err();
            assert!(matches!(err, InputError::NotRegular { kind: "a character device" }), "{err}");
        }
    }
}
