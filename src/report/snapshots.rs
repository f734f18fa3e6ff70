//! `run --snapshots DIR`: the implementation's own `message` per case, as insta snapshot files,
//! so a team reviews how its messages change with `cargo insta review --workspace-root DIR`.
//!
//! Each case that answered with a message has `DIR/<area>__<id>.snap` in insta 1.x's format
//! (a YAML metadata block between `---` lines, then the contents). A case seen for the first
//! time gets its `.snap` written directly. When a `.snap` exists and the message differs (after
//! insta's own normalisation: trailing whitespace, CRLF), the new message goes to
//! `<area>__<id>.snap.new`, which `cargo insta review` offers to accept (it then replaces the
//! `.snap`) or reject; a matching message removes any leftover `.snap.new`. Messages are never
//! compared by the gate: this is for people.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::event::CaseEvent;

/// What writing the snapshots did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct SnapshotOutcome {
    /// New `.snap` files (cases seen for the first time).
    pub created: Vec<PathBuf>,
    /// `.snap.new` files written for messages that changed: review them.
    pub changed: Vec<PathBuf>,
    pub unchanged: usize,
}

impl SnapshotOutcome {
    pub(crate) fn summary_line(&self, dir: &Path) -> String {
        let mut line = format!(
            "snapshots in {}: {} new, {} changed, {} unchanged",
            dir.display(),
            self.created.len(),
            self.changed.len(),
            self.unchanged
        );
        if !self.changed.is_empty() {
            line.push_str(&format!(
                "; review the changed messages with `cargo insta review --workspace-root {}`",
                dir.display()
            ));
        }
        line
    }
}

/// The file stem of a case's snapshot: `<area>__<id>`, with anything but `A-Z a-z 0-9 . _ -`
/// replaced by `_`.
pub(crate) fn snapshot_name(event: &CaseEvent) -> String {
    format!("{}__{}", file_safe(&event.area), file_safe(&event.id))
}

fn file_safe(text: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // `__` separates module and name in insta's file names.
    safe.replace("__", "_")
}

/// The text of a snapshot file holding `message`.
pub(crate) fn render_snapshot(message: &str) -> String {
    format!("---\nsource: messenger-conformance\nexpression: message\n---\n{message}\n")
}

/// The contents of a snapshot file (what follows the metadata), if it has the expected shape.
fn contents_of(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        offset += line.len();
        if line.trim_end() == "---" {
            return Some(&rest[offset..]);
        }
    }
    None
}

/// insta's comparison: trailing whitespace trimmed, CRLF as LF.
fn normalize(text: &str) -> String {
    text.trim_end().replace("\r\n", "\n")
}

pub(crate) fn write_snapshots(dir: &Path, cases: &[CaseEvent]) -> io::Result<SnapshotOutcome> {
    fs::create_dir_all(dir)?;
    let mut outcome = SnapshotOutcome::default();
    for case in cases {
        let Some(message) = &case.message else {
            continue;
        };
        let name = snapshot_name(case);
        let path = dir.join(format!("{name}.snap"));
        let pending = dir.join(format!("{name}.snap.new"));
        let text = render_snapshot(message);
        match crate::input::read_text(&path, crate::input::FILE_LIMIT) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::write(&path, text)?;
                outcome.created.push(path);
            }
            Err(e) => return Err(e),
            Ok(existing) => {
                if contents_of(&existing).map(normalize) == Some(normalize(message)) {
                    outcome.unchanged += 1;
                    if pending.exists() {
                        fs::remove_file(&pending)?;
                    }
                } else {
                    fs::write(&pending, text)?;
                    outcome.changed.push(pending);
                }
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::OutcomeClass;
    use crate::report::fixtures::case;

    #[test]
    fn names_are_file_safe() {
        let mut event = case("JWT-ALG/003 x", "jwt", OutcomeClass::Pass);
        assert_eq!(snapshot_name(&event), "jwt__JWT-ALG_003_x");
        event.id = "a__b".into();
        assert_eq!(snapshot_name(&event), "jwt__a_b");
    }

    #[test]
    fn insta_reads_our_files() {
        let dir = std::env::temp_dir().join(format!("mc-snap-format-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("jwt__JWT-ALG-001.snap");
        fs::write(
            &path,
            render_snapshot("rejected: alg \"none\" is not allowed\nsecond line"),
        )
        .unwrap();
        let snapshot = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(snapshot.metadata().source(), Some("messenger-conformance"));
        assert_eq!(snapshot.metadata().expression(), Some("message"));
        assert_eq!(
            snapshot.as_text().unwrap().to_string(),
            "rejected: alg \"none\" is not allowed\nsecond line"
        );
        assert_eq!(snapshot.snapshot_name(), Some("JWT-ALG-001"));
        assert_eq!(snapshot.module_name(), "jwt");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn first_run_creates_then_changes_go_pending() {
        let dir = std::env::temp_dir().join(format!("mc-snap-flow-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let mut first = case("A-1", "jwt", OutcomeClass::Pass);
        let mut silent = case("A-2", "jwt", OutcomeClass::Pass);
        silent.message = None;
        let outcome = write_snapshots(&dir, &[first.clone(), silent.clone()]).unwrap();
        assert_eq!(outcome.created, vec![dir.join("jwt__A-1.snap")]);
        assert_eq!(
            fs::read_to_string(dir.join("jwt__A-1.snap")).unwrap(),
            "---\nsource: messenger-conformance\nexpression: message\n---\nmessage of A-1\n"
        );

        first.message = Some("message of A-1  \r\n".into());
        let outcome = write_snapshots(&dir, std::slice::from_ref(&first)).unwrap();
        assert_eq!(outcome.unchanged, 1, "insta ignores trailing whitespace");

        first.message = Some("a new wording".into());
        let outcome = write_snapshots(&dir, std::slice::from_ref(&first)).unwrap();
        assert_eq!(outcome.changed, vec![dir.join("jwt__A-1.snap.new")]);
        assert!(outcome
            .summary_line(&dir)
            .contains("cargo insta review --workspace-root"));
        let pending = insta::Snapshot::from_file(&dir.join("jwt__A-1.snap.new")).unwrap();
        assert_eq!(pending.as_text().unwrap().to_string(), "a new wording");

        first.message = Some("message of A-1".into());
        write_snapshots(&dir, &[first]).unwrap();
        assert!(
            !dir.join("jwt__A-1.snap.new").exists(),
            "a message back to normal clears its pending change"
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
