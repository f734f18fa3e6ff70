//! Reports, all rendered from the event stream ([`crate::event`], read and written by [`stream`]).
//!
//! A report directory holds `events.jsonl` and what is derived from it alone (plus, for the
//! gate, the baseline): `junit.xml` (`junit`), `summary.md` (`markdown`), `summary.json`
//! and `badge.json` (`summary`), `report.html` (`html`). [`gate`] decides whether the run
//! passes, with an optional [`baseline`] of known failures; [`diff`] compares two runs;
//! [`merge`] partitions a run into shards and merges them back; `snapshots` writes the
//! implementations' messages for `cargo insta review`. Every renderer is a pure function of
//! the records, and every one leads with the critical findings.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub mod baseline;
pub mod diff;
pub(crate) mod escape;
pub mod gate;
pub(crate) mod html;
pub(crate) mod junit;
pub(crate) mod markdown;
pub mod merge;
pub(crate) mod snapshots;
pub mod stream;
pub(crate) mod summary;
pub mod terminal;

#[cfg(test)]
pub(crate) mod fixtures;

pub use crate::event::{CaseEvent, Exchange, Record, RunFooter, RunHeader};
pub(crate) use gate::GateDecision;
pub use stream::Stream;

/// The files of a report directory, in the order they are written.
pub(crate) const FILES: [&str; 6] = [
    "events.jsonl",
    "junit.xml",
    "summary.md",
    "summary.json",
    "badge.json",
    "report.html",
];

/// Choices that change how reports render (not what they say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// `summary.md` leaves passing cases out of its table.
    pub failures_only: bool,
}

/// Every artefact but the event stream itself, as (file name, text). Pure.
pub(crate) fn render_all(
    stream: &Stream,
    gate: &GateDecision,
    options: &RenderOptions,
) -> Vec<(&'static str, String)> {
    let markdown_options = markdown::MarkdownOptions {
        failures_only: options.failures_only,
        ..Default::default()
    };
    vec![
        ("junit.xml", junit::render(stream, gate)),
        (
            "summary.md",
            markdown::render(stream, gate, &markdown_options),
        ),
        ("summary.json", summary::render_summary(stream, gate)),
        ("badge.json", summary::render_badge(stream, gate)),
        ("report.html", html::render(stream, gate)),
    ]
}

/// Write `events.jsonl` and every artefact into `dir` (created if needed). Each file is
/// written whole through a rename. Returns the paths written.
pub fn write_report(
    dir: &Path,
    stream: &Stream,
    gate: &GateDecision,
    options: &RenderOptions,
) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let events = dir.join(stream::EVENTS_FILE);
    stream::write_atomically(&events, &stream.to_jsonl())?;
    let mut written = vec![events];
    written.extend(render_artefacts(dir, stream, gate, options)?);
    Ok(written)
}

/// Remove the files rendered from `events.jsonl` in `dir` (after the stream turned out
/// unreadable: a report must never stand beside an error as if it were current). Returns the
/// names removed.
pub fn remove_rendered(dir: &Path) -> Vec<&'static str> {
    FILES
        .iter()
        .filter(|name| **name != stream::EVENTS_FILE)
        .filter(|name| fs::remove_file(dir.join(name)).is_ok())
        .copied()
        .collect()
}

/// Write every artefact but `events.jsonl` (what `messenger-conformance report DIR` does).
pub fn render_artefacts(
    dir: &Path,
    stream: &Stream,
    gate: &GateDecision,
    options: &RenderOptions,
) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in render_all(stream, gate, options) {
        let path = dir.join(name);
        stream::write_atomically(&path, &text)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::OutcomeClass;
    use crate::report::fixtures::{case, header};

    #[test]
    fn writes_every_file_and_reads_back_the_same_stream() {
        let dir = std::env::temp_dir().join(format!("mc-report-all-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let stream = Stream::new(
            header(),
            vec![
                case("A-1", "jwt", OutcomeClass::Pass),
                case("A-2", "idv", OutcomeClass::WrongVerdict),
                // The header's suite has 3 cases, and this is a run of the whole suite.
                case("A-3", "idv", OutcomeClass::Pass),
            ],
            3.0,
        );
        let gate = fixtures::gate(&stream);
        let written = write_report(&dir, &stream, &gate, &RenderOptions::default()).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, FILES);
        assert_eq!(Stream::read_dir(&dir).unwrap(), stream);
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let _ = fs::remove_dir_all(&dir);
    }
}
