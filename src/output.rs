//! Writing the files the harness writes: the report directory (`events.jsonl` and what is
//! rendered from it) and an exported suite. Every one is written here, and only here, under two
//! rules:
//!
//! - **Only regular files are replaced.** A symbolic link, a FIFO, a device or a directory where
//!   a file is to be written is refused with [`NotRegularFile`] (an `events.jsonl` link would
//!   overwrite a file elsewhere; a FIFO would block the run). Nothing is ever opened through an
//!   existing name: each file is created under a fresh name nobody can predict (`O_EXCL`, so a
//!   planted link or FIFO is never opened) and renamed over the old one, and a rename replaces a
//!   name without following it.
//! - **Whole or not at all.** Readers see the old file or the new one, never half of one.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// A name the harness would write to holds something other than a regular file.
#[derive(Debug, thiserror::Error)]
#[error(
    "{} is {kind}, not a regular file: the harness replaces only regular files, never through a \
     symbolic link (it would write somewhere else) or into a FIFO or device (it could block \
     forever); remove it or choose another directory",
    path.display()
)]
pub struct NotRegularFile {
    /// The name refused.
    pub path: PathBuf,
    /// What it is: `a symbolic link`, `a FIFO (named pipe)`, `a directory`...
    pub kind: &'static str,
}

/// Refuse `path` if something other than a regular file is there (a missing name is fine). A
/// symbolic link is refused as itself, whatever it points at.
pub(crate) fn check_replaceable(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_file() => Ok(()),
        Ok(metadata) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NotRegularFile {
                path: path.to_path_buf(),
                kind: kind_of(&metadata),
            },
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Refuse `dir` if it is a symbolic link or not a directory (a missing name is fine): for the
/// folders the harness creates inside a directory it writes.
pub fn check_own_dir(dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(metadata) if metadata.file_type().is_dir() => Ok(()),
        Ok(metadata) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            NotRegularFile {
                path: dir.to_path_buf(),
                kind: kind_of(&metadata),
            },
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// A new file beside `path`, under a random name, created exclusively (no existing name is
/// followed or opened). [`Pending::persist`] renames it to `path`.
pub(crate) struct Pending {
    file: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Pending {
    pub(crate) fn create(path: &Path) -> io::Result<Pending> {
        check_replaceable(path)?;
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(Pending {
            file,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn file(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// Rename the file to its name (refused if the name became something other than a regular
    /// file meanwhile), and return the open file.
    pub(crate) fn persist(self) -> io::Result<File> {
        check_replaceable(&self.path)?;
        self.file.persist(&self.path).map_err(|error| error.error)
    }
}

/// Write `text` to `path` whole: through a temporary file of unpredictable name and a rename.
/// A failed write (a full disk) leaves the old file, or none, and no temporary file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut pending = Pending::create(path)?;
    pending.file().write_all(bytes)?;
    pending.file().flush()?;
    pending.persist().map(drop)
}

/// What a file system entry is, in words.
pub(crate) fn kind_of(metadata: &fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return "a symbolic link";
    }
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mc-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn replaces_a_file_whole_and_leaves_no_temporary() {
        let dir = temp_dir("replace");
        let path = dir.join("a.txt");
        fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_and_a_fifo_by_name() {
        let dir = temp_dir("refuse");
        let outside = dir.join("outside.txt");
        fs::write(&outside, "keep").unwrap();
        let link = dir.join("link.txt");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let error = write_atomically(&link, b"x").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is a symbolic link, not a regular file"),
            "{error}"
        );
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep");
        let fifo = dir.join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let error = write_atomically(&fifo, b"x").unwrap_err();
        assert!(
            error.to_string().contains("is a FIFO (named pipe)"),
            "{error}"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
