//! Reading the files the harness is given: case files, `fixtures.yaml`, a baseline,
//! `events.jsonl`, a workspace file for `debug`, review snapshots. Every one is read here, and
//! only here, so every one is held to the same two rules:
//!
//! - **Only regular files.** A path is followed through its symlinks and must end at a regular
//!   file: a FIFO would block the run forever, and a device such as `/dev/zero` never ends. The
//!   file is opened without blocking (so a FIFO swapped in after the check cannot block the open)
//!   and checked again through the open handle.
//! - **A size cap.** A file over its cap is refused before it is read, and the read stops one
//!   byte past the cap whatever the file claims, so memory stays bounded by the cap.
//!
//! Failures are [`io::Error`]s whose message says what the file is and what to do; callers name
//! the file. A missing file stays [`io::ErrorKind::NotFound`].

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

/// The cap for a case file, `fixtures.yaml`, a baseline, a workspace file or a snapshot: 16 MiB.
/// The whole suite's case files together are well under 1 MiB.
pub(crate) const FILE_LIMIT: u64 = 16 << 20;

/// The cap for an `events.jsonl`: 64 MiB. A run of the whole suite writes under 1 MiB (about
/// 2 KiB a case), so this holds a suite many times its size.
pub(crate) const EVENTS_LIMIT: u64 = 64 << 20;

/// The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.
pub(crate) fn read_bytes(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // Checked before opening: opening a device can have effects of its own.
    regular(&std::fs::metadata(path)?)?;
    let file = open_nonblocking(path)?;
    let metadata = file.metadata()?;
    regular(&metadata)?;
    if metadata.len() > limit {
        return Err(too_large(metadata.len(), limit));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        // It grew while being read.
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// The text of the regular file at `path`, at most `limit` bytes; not UTF-8 is an
/// [`io::ErrorKind::InvalidData`] error giving the line and column of the first bad byte.
pub(crate) fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_bytes(path, limit)?).map_err(|error| {
        let bytes = error.as_bytes();
        let (line, column) = utf8_error_position(bytes, &error.utf8_error());
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it is not UTF-8: byte 0x{:02x} at line {line}, column {column} cannot start a character; save the file as UTF-8",
                bytes[error.utf8_error().valid_up_to()]
            ),
        )
    })
}

/// At most `limit` bytes of `reader` (standard input, say); more is an error, and the rest is
/// left unread.
pub fn read_limited(reader: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is longer than {}, the limit", human(limit)),
        ));
    }
    Ok(bytes)
}

/// Where the first invalid byte of `bytes` is: 1-based line, and 1-based column counted in
/// characters (the text before it on its line is valid UTF-8).
pub(crate) fn utf8_error_position(bytes: &[u8], error: &std::str::Utf8Error) -> (usize, usize) {
    let valid = &bytes[..error.valid_up_to()];
    let line_start = valid
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
    let before = std::str::from_utf8(&valid[line_start..]).map_or(0, |text| text.chars().count());
    (line, before + 1)
}

fn regular(metadata: &Metadata) -> io::Result<()> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is {}, not a regular file: the harness reads only regular files (reading a FIFO \
             or a device could block forever or never end); pass the file itself",
            crate::output::kind_of(metadata)
        ),
    ))
}

fn too_large(size: u64, limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "it is {}, over the {} limit for a file the harness reads: is it the right file?",
            human(size),
            human(limit)
        ),
    )
}

/// A byte count in words: `16 MiB`, `300.5 MiB`, `12 bytes`.
fn human(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        let mib = bytes as f64 / MIB as f64;
        if bytes.is_multiple_of(MIB) {
            format!("{} MiB", bytes / MIB)
        } else {
            format!("{mib:.1} MiB ({bytes} bytes)")
        }
    } else {
        format!("{bytes} bytes")
    }
}

/// Opens for reading without blocking on a FIFO (which would wait for a writer).
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("mc-input-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_regular_file_and_one_behind_a_symlink() {
        let dir = temp_dir("regular");
        let file = dir.join("a.yaml");
        std::fs::write(&file, "cases: []\n").unwrap();
        assert_eq!(read_text(&file, FILE_LIMIT).unwrap(), "cases: []\n");
        #[cfg(unix)]
        {
            let link = dir.join("link.yaml");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert_eq!(read_text(&link, FILE_LIMIT).unwrap(), "cases: []\n");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_a_file_over_the_limit_without_reading_it() {
        let dir = temp_dir("large");
        let file = dir.join("big.yaml");
        std::fs::write(&file, vec![b'#'; 101]).unwrap();
        let error = read_bytes(&file, 100).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error
                .to_string()
                .contains("101 bytes, over the 100 bytes limit"),
            "{error}"
        );
        assert_eq!(read_bytes(&file, 101).unwrap().len(), 101);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_a_directory() {
        let dir = temp_dir("dir");
        let error = read_bytes(&dir, FILE_LIMIT).unwrap_err();
        assert!(error.to_string().contains("it is a directory"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_fifos_without_blocking() {
        let error = read_bytes(Path::new("/dev/zero"), FILE_LIMIT).unwrap_err();
        assert!(error.to_string().contains("a character device"), "{error}");
        let dir = temp_dir("fifo");
        let fifo = dir.join("fifo.yaml");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let error = read_bytes(&fifo, FILE_LIMIT).unwrap_err();
        assert!(error.to_string().contains("a FIFO"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_file_stays_not_found() {
        let error = read_bytes(Path::new("/nonexistent/x.yaml"), FILE_LIMIT).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn places_the_first_bad_byte() {
        let bytes = b"a: 1\nb: \xc3\xa9\xff\n".to_vec();
        let error = std::str::from_utf8(&bytes).unwrap_err();
        assert_eq!(utf8_error_position(&bytes, &error), (2, 5));
        let bytes = b"\xfe".to_vec();
        let error = std::str::from_utf8(&bytes).unwrap_err();
        assert_eq!(utf8_error_position(&bytes, &error), (1, 1));
    }

    #[test]
    fn reads_a_stream_up_to_its_limit() {
        assert_eq!(read_limited(&b"abc"[..], 3).unwrap(), b"abc");
        assert!(read_limited(&b"abcd"[..], 3).is_err());
        assert!(read_limited(io::repeat(0), 1000).is_err());
    }
}
