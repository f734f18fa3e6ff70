//! The suite the harness carries, and what names a suite.
//!
//! - The **embedded suite**: every file under `cases/` is compiled into the crate by `build.rs`
//!   (the case files, `fixtures.yaml`, anything else beside them), so the binary runs its suite
//!   from any directory, with no checkout. [`crate::scenario::Suite::embedded`] loads it;
//!   [`export`] writes it out as a cases directory (`suite export DIR`).
//! - A suite's **identity** ([`SuiteIdentity`]): its version and a digest of its content. Every
//!   report header, summary and baseline records it, so that a baseline written against another
//!   suite says so when used.
//!
//! The digest is SHA-256 over the files the loader reads (`fixtures.yaml` and every `*.yaml` and
//! `*.yml` under the directory, hidden ones left out), in order of their relative path written
//! with `/`: for each file, the path's length (8 bytes, little-endian), the path, the content's
//! length (8 bytes, little-endian) and the content. Any other file in the directory (a README)
//! is not part of it. The embedded suite and the same files exported and loaded with `--cases`
//! have the same digest; extra cases (`--extra-cases`) are identified on their own
//! ([`ExtraCases`]), so the suite's digest stays comparable between teams that add their own.
#![warn(missing_docs)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded_cases.rs"));
}

/// The version of the embedded suite: the harness's own (the suite ships with it).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every file of the embedded suite: its path relative to the cases directory (with `/`) and its
/// content, in path order.
pub fn embedded_files() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    generated::FILES.iter().copied()
}

/// The content of one embedded file, by its relative path (`fixtures.yaml`, `jwt/alg.yaml`).
pub fn embedded_file(path: &str) -> Option<&'static [u8]> {
    generated::FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

/// Whether the loader reads a file of this name (a YAML file; the others are carried along).
pub(crate) fn is_suite_file(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// The digest of a set of suite files, `sha256:` and 64 hex digits (see the module's words for
/// what is hashed). The order the files come in does not matter.
pub fn digest<'a>(files: impl IntoIterator<Item = (String, &'a [u8])>) -> String {
    let mut files: Vec<(String, &[u8])> = files.into_iter().collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// The digest of the embedded suite.
pub fn embedded_digest() -> &'static str {
    static DIGEST: OnceLock<String> = OnceLock::new();
    DIGEST.get_or_init(|| {
        digest(
            embedded_files()
                .filter(|(path, _)| is_suite_file(path))
                .map(|(path, bytes)| (path.to_string(), bytes)),
        )
    })
}

/// What a run's suite was: recorded in the report header (`events.jsonl`), `summary.json`,
/// `summary.md`, `junit.xml`, `report.html` and baselines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuiteIdentity {
    /// The suite's version: the harness version it ships with. `None` for a cases directory
    /// (`--cases`) whose content is not the embedded suite's: a suite of one's own, or another
    /// version's.
    pub version: Option<String>,
    /// The digest of its files, `sha256:<hex>`.
    pub digest: String,
    /// How many cases it holds.
    pub cases: usize,
    /// Where it was read from: `embedded`, or the `--cases` directory as given.
    pub source: String,
    /// Case files run beside it (`--extra-cases`), one entry per directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<ExtraCases>,
}

/// One directory of extra cases, run beside the suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraCases {
    /// The directory as given.
    pub dir: String,
    /// The digest of its case files (as for a suite).
    pub digest: String,
    /// How many cases it holds.
    pub cases: usize,
}

impl SuiteIdentity {
    /// The identity of a suite read from `source` whose files have `digest`: the embedded
    /// suite's version when the content is the embedded suite's.
    pub fn new(source: String, digest: String, cases: usize) -> SuiteIdentity {
        let version = (digest == embedded_digest()).then(|| VERSION.to_string());
        SuiteIdentity {
            version,
            digest,
            cases,
            source,
            extra: Vec::new(),
        }
    }

    /// Whether two identities name the same cases: the same version, digest and extra cases.
    pub fn same_as(&self, other: &SuiteIdentity) -> bool {
        self.version == other.version
            && self.digest == other.digest
            && self.extra.len() == other.extra.len()
            && self
                .extra
                .iter()
                .zip(&other.extra)
                .all(|(a, b)| a.digest == b.digest)
    }

    /// The properties' seed when a run is given none: the first 8 hex digits of the digest, so
    /// one suite sends the same generated requests on every machine and every run (a release
    /// gate that passes or fails by luck is no gate). `--seed random` explores instead. At most
    /// 2^32 - 1, so the number survives any JSON reader.
    pub fn default_seed(&self) -> u64 {
        seed_of_digest(&self.digest)
    }

    /// The version as shown: `0.1.0`, or `custom` for a suite of one's own.
    pub fn version_label(&self) -> &str {
        self.version.as_deref().unwrap_or("custom")
    }
}

/// The seed a digest stands for ([`SuiteIdentity::default_seed`]): its first 8 hex digits as a
/// number (0 for a digest without them).
pub fn seed_of_digest(digest: &str) -> u64 {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.get(..8)
        .and_then(|head| u64::from_str_radix(head, 16).ok())
        .unwrap_or(0)
}

/// The first 12 hex digits of a digest, as shown in one line of text.
pub fn short_digest(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let end = hex.char_indices().nth(12).map_or(hex.len(), |(i, _)| i);
    &hex[..end]
}

/// `suite 0.1.0 (sha256:0123456789ab, 95 cases, embedded) + 3 extra cases from team/ (sha256:…)`.
impl fmt::Display for SuiteIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "suite {} (sha256:{}, {} cases, {})",
            self.version_label(),
            short_digest(&self.digest),
            self.cases,
            self.source
        )?;
        for extra in &self.extra {
            write!(
                f,
                " + {} extra cases from {} (sha256:{})",
                extra.cases,
                extra.dir,
                short_digest(&extra.digest)
            )?;
        }
        Ok(())
    }
}

/// Why the embedded suite could not be written out.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The directory holds files, and `--force` was not given.
    #[error(
        "{} is not empty: the exported suite would mix with what is there, and every YAML file \
         in it would be loaded as part of the suite by `--cases`. Choose an empty or new \
         directory, or pass --force to write over it.",
        dir.display()
    )]
    NotEmpty {
        /// The directory.
        dir: PathBuf,
    },
    /// A file or folder could not be written.
    #[error("cannot write {}: {error}", path.display())]
    Io {
        /// What was being written.
        path: PathBuf,
        /// Why not.
        error: std::io::Error,
    },
}

/// What [`export`] wrote.
#[derive(Debug)]
pub struct Exported {
    /// Every file written, relative to the directory.
    pub files: Vec<PathBuf>,
    /// YAML files already in the directory that are not part of the suite (only with `force`):
    /// `--cases DIR` would load them too.
    pub foreign: Vec<PathBuf>,
}

/// Write the embedded suite into `dir` (created if missing), as a cases directory that
/// `--cases DIR` loads with the same digest. A directory with anything in it is refused unless
/// `force`; then files of the suite are written over and other files are left (and listed).
pub fn export(dir: &Path, force: bool) -> Result<Exported, ExportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| ExportError::Io { path, error }
    };
    let non_empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => return Err(io(dir)(error)),
    };
    if non_empty && !force {
        return Err(ExportError::NotEmpty {
            dir: dir.to_path_buf(),
        });
    }
    let mut files = Vec::new();
    for (relative, bytes) in embedded_files() {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            // The folders inside `dir` are the suite's own: a symbolic link there would send the
            // files elsewhere.
            for folder in Path::new(relative).ancestors().skip(1) {
                if !folder.as_os_str().is_empty() {
                    crate::output::check_own_dir(&dir.join(folder))
                        .map_err(io(&dir.join(folder)))?;
                }
            }
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        crate::output::write_atomically(&path, bytes).map_err(io(&path))?;
        files.push(PathBuf::from(relative));
    }
    let mut foreign = Vec::new();
    if non_empty {
        collect_foreign(dir, dir, &mut foreign);
        foreign.sort();
    }
    Ok(Exported { files, foreign })
}

/// YAML files under `dir` that the embedded suite does not hold.
fn collect_foreign(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_foreign(root, &path, out);
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if is_suite_file(&name) && embedded_file(&name).is_none() {
            out.push(relative.to_path_buf());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_suite_holds_the_fixtures_and_case_files() {
        assert!(embedded_file("fixtures.yaml").is_some());
        let yaml = embedded_files()
            .filter(|(p, _)| is_suite_file(p) && *p != "fixtures.yaml")
            .count();
        assert!(yaml > 10, "{yaml} case files embedded");
        // Every embedded file is the file in the checkout, byte for byte.
        let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        for (relative, bytes) in embedded_files() {
            assert_eq!(
                std::fs::read(cases.join(relative)).unwrap(),
                bytes,
                "{relative}"
            );
        }
    }

    #[test]
    fn the_default_seed_is_the_digest_s_first_eight_hex_digits() {
        let identity = SuiteIdentity::new("embedded".into(), embedded_digest().into(), 0);
        let hex = embedded_digest().strip_prefix("sha256:").unwrap();
        assert_eq!(
            identity.default_seed(),
            u64::from_str_radix(&hex[..8], 16).unwrap()
        );
        assert_eq!(seed_of_digest("sha256:00000001ffff"), 1);
        assert_eq!(seed_of_digest("sha256:ffffffffffff"), 0xffff_ffff);
        assert_eq!(seed_of_digest("sha256:xyz"), 0);
        let other = digest([("a.yaml".to_string(), &b"other"[..])]);
        assert_ne!(seed_of_digest(&other), identity.default_seed());
    }

    #[test]
    fn the_digest_covers_paths_and_contents_in_any_order() {
        let a = digest([("a/x.yaml".to_string(), &b"1"[..]), ("b.yaml".into(), b"2")]);
        let b = digest([("b.yaml".to_string(), &b"2"[..]), ("a/x.yaml".into(), b"1")]);
        assert_eq!(a, b);
        assert!(a.starts_with("sha256:") && a.len() == 7 + 64, "{a}");
        let renamed = digest([("a/y.yaml".to_string(), &b"1"[..]), ("b.yaml".into(), b"2")]);
        let edited = digest([
            ("a/x.yaml".to_string(), &b"1 "[..]),
            ("b.yaml".into(), b"2"),
        ]);
        // Moving bytes across the boundary of two files changes it too.
        let shifted = digest([("a/x.yaml".to_string(), &b""[..]), ("b.yaml".into(), b"12")]);
        assert_ne!(a, renamed);
        assert_ne!(a, edited);
        assert_ne!(a, shifted);
    }

    #[test]
    fn only_the_embedded_content_has_the_version() {
        let embedded = SuiteIdentity::new("embedded".into(), embedded_digest().into(), 3);
        assert_eq!(embedded.version.as_deref(), Some(VERSION));
        let other = SuiteIdentity::new("mine".into(), digest([]), 3);
        assert_eq!(other.version, None);
        assert_eq!(other.version_label(), "custom");
        assert!(!embedded.same_as(&other));
        assert!(embedded.to_string().starts_with(&format!(
            "suite {VERSION} (sha256:{}, 3 cases, embedded)",
            &embedded_digest()[7..19]
        )));
    }
}
