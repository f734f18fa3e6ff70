//! `events.jsonl`: reading it back, writing it (as the run goes, then whole), and the final
//! redaction pass that keeps every secret out of it and so out of every report.
//!
//! The file holds one JSON record per line: a `header`, one `case` per case in suite order,
//! and a `footer` with the totals. While a run is going, `EventLog` appends cases in the order
//! they complete, so a cut run still leaves a readable stream (without a footer); at the end the
//! whole file is rewritten in suite order.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::event::{CaseEvent, Record, RunFooter, RunHeader, EVENTS_FORMAT_VERSION};
use crate::redact::Redactor;
use crate::report::terminal::Totals;

/// The name of the event stream inside a report directory.
pub(crate) const EVENTS_FILE: &str = "events.jsonl";

/// A whole run, as read from or written to `events.jsonl`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    pub header: RunHeader,
    pub cases: Vec<CaseEvent>,
    /// The totals record; recomputed when the file has none (then `complete` is false).
    pub footer: RunFooter,
    /// Whether the file ended with a footer, i.e. the run was not cut short.
    pub complete: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The stream's header declares a format version newer than this harness reads: its records
    /// may mean something this harness does not know, so it is refused rather than misread.
    #[error(
        "{path}: the stream is in events format version {found}, and this harness \
         (messenger-conformance {harness}) reads versions up to {supported}: a newer harness \
         wrote it, and its records may mean what this one cannot tell; read it with a harness \
         that reads version {found} (docs/events.md)"
    )]
    NewerVersion {
        path: PathBuf,
        found: u64,
        supported: u32,
        harness: &'static str,
    },
}

impl StreamError {
    /// Whether the file is simply not there (a directory that holds no run).
    pub fn is_missing(&self) -> bool {
        matches!(self, StreamError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// The totals record of `cases`.
pub fn footer_for(cases: &[CaseEvent], duration_ms: f64) -> RunFooter {
    let totals = Totals::of(cases);
    RunFooter {
        passed: totals.passed,
        failed: totals.failed,
        skipped: totals.skipped,
        duration_ms,
    }
}

impl Stream {
    /// A complete stream: the footer is computed from the cases.
    pub fn new(header: RunHeader, cases: Vec<CaseEvent>, duration_ms: f64) -> Stream {
        let footer = footer_for(&cases, duration_ms);
        Stream {
            header,
            cases,
            footer,
            complete: true,
        }
    }

    /// Parse the text of an `events.jsonl`; `path` only names the file in errors.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Stream, StreamError> {
        let invalid = |line: usize, message: String| StreamError::Invalid {
            path: path.to_path_buf(),
            line,
            message,
        };
        check_version(text, path)?;
        let mut header = None;
        let mut cases = Vec::new();
        let mut footer = None;
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(line)
                .map_err(|e| invalid(number, format!("not an event record: {e}")))?;
            match record {
                Record::Header(h) if header.is_none() && cases.is_empty() => header = Some(h),
                Record::Header(_) => return Err(invalid(number, "a second header record".into())),
                _ if header.is_none() => {
                    return Err(invalid(
                        number,
                        "the first record must be the header".into(),
                    ))
                }
                _ if footer.is_some() => {
                    return Err(invalid(number, "a record after the footer".into()))
                }
                Record::Case(case) => cases.push(case),
                Record::Footer(f) => footer = Some(f),
            }
        }
        let header = header
            .ok_or_else(|| invalid(1, "no header record: this is not an event stream".into()))?;
        let last = text.lines().count().max(1);
        check_consistent(&header, &cases, footer.as_ref())
            .map_err(|contradiction| invalid(last, contradiction.to_string()))?;
        let complete = footer.is_some();
        let footer =
            footer.unwrap_or_else(|| footer_for(&cases, cases.iter().map(|c| c.duration_ms).sum()));
        Ok(Stream {
            header,
            cases,
            footer,
            complete,
        })
    }

    pub(crate) fn read(path: &Path) -> Result<Stream, StreamError> {
        let text = crate::input::read_text(path, crate::input::EVENTS_LIMIT).map_err(|source| {
            StreamError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Stream::parse(&text, path)
    }

    /// Read `DIR/events.jsonl`.
    pub fn read_dir(dir: &Path) -> Result<Stream, StreamError> {
        Stream::read(&dir.join(EVENTS_FILE))
    }

    /// The file's text: header, cases, footer, one JSON object per line, in the format this
    /// harness writes (whatever version it was read from).
    pub(crate) fn to_jsonl(&self) -> String {
        let mut out = String::new();
        let header = RunHeader {
            format_version: EVENTS_FORMAT_VERSION,
            ..self.header.clone()
        };
        push_record(&mut out, &Record::Header(header));
        for case in &self.cases {
            push_record(&mut out, &Record::Case(case.clone()));
        }
        push_record(&mut out, &Record::Footer(self.footer.clone()));
        out
    }

    /// The safety pass: replace every occurrence of any secret in every string of every
    /// record (header options and target included) by `[redacted]`.
    pub fn redact(&mut self, redactor: &Redactor) {
        self.header = redactor.redacted(&self.header);
        for case in &mut self.cases {
            *case = redactor.redacted(case);
        }
    }

    /// Whether the run left out part of the suite (see [`crate::selection::Selection::is_partial`]).
    pub(crate) fn is_partial(&self) -> bool {
        self.header.options.selection.is_partial()
    }
}

/// Refuse a stream whose header declares a format version this harness does not read, before
/// its records are read as this version's: the first record, when it is a header, is read for
/// its `format_version` alone. No version is version 1 (streams written before headers recorded
/// it); a version that is not a whole number from 1 up is malformed.
fn check_version(text: &str, path: &Path) -> Result<(), StreamError> {
    #[derive(serde::Deserialize)]
    struct Versioned {
        record: Option<String>,
        format_version: Option<serde_json::Value>,
    }
    let Some((index, line)) = text
        .lines()
        .enumerate()
        .find(|(_, line)| !line.trim().is_empty())
    else {
        return Ok(());
    };
    // A first line that is not a record is reported as such by the parse that follows.
    let Ok(first) = serde_json::from_str::<Versioned>(line) else {
        return Ok(());
    };
    let (Some("header"), Some(version)) = (first.record.as_deref(), first.format_version) else {
        return Ok(());
    };
    match version.as_u64() {
        Some(found) if found > u64::from(EVENTS_FORMAT_VERSION) => Err(StreamError::NewerVersion {
            path: path.to_path_buf(),
            found,
            supported: EVENTS_FORMAT_VERSION,
            harness: env!("CARGO_PKG_VERSION"),
        }),
        Some(found) if found >= 1 => Ok(()),
        _ => Err(StreamError::Invalid {
            path: path.to_path_buf(),
            line: index + 1,
            message: format!(
                "the header's format_version is {version}: a version is a whole number from 1 \
                 up (docs/events.md)"
            ),
        }),
    }
}

/// A stream that contradicts itself is refused: each case once, a footer whose totals are the
/// records', and a run of the whole suite (no narrowing flag) that holds a record for every case
/// its header says the suite has. Without these, a hand-made or tampered stream could claim 450
/// passes over 3 records and be rendered and gated as a full passing run.
fn check_consistent(
    header: &RunHeader,
    cases: &[CaseEvent],
    footer: Option<&RunFooter>,
) -> Result<(), Contradiction> {
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = cases
        .iter()
        .find(|c| !seen.insert((c.kind == crate::event::Kind::Property, c.id.as_str())))
    {
        return Err(Contradiction::Twice {
            kind: if twice.kind == crate::event::Kind::Property {
                "property"
            } else {
                "case"
            },
            id: twice.id.clone(),
        });
    }
    let Some(footer) = footer else {
        // A run cut short holds what ran, and its totals are computed from it.
        return Ok(());
    };
    let totals = Totals::of(cases);
    if (footer.passed, footer.failed, footer.skipped)
        != (totals.passed, totals.failed, totals.skipped)
    {
        return Err(Contradiction::Totals {
            claimed: (footer.passed, footer.failed, footer.skipped),
            held: (totals.passed, totals.failed, totals.skipped),
        });
    }
    if let (false, Some(suite)) = (header.options.selection.is_partial(), &header.suite) {
        let expected = suite.cases + suite.extra.iter().map(|e| e.cases).sum::<usize>();
        let found = cases
            .iter()
            .filter(|c| c.kind == crate::event::Kind::Case)
            .count();
        if found != expected {
            return Err(Contradiction::CasesMissing { expected, found });
        }
    }
    Ok(())
}

/// How a stream contradicts itself ([`check_consistent`]).
#[derive(Debug, thiserror::Error)]
enum Contradiction {
    #[error(
        "{kind} {id} has more than one record: each case runs once in a run; this stream was \
         edited or concatenated (`merge` combines runs)"
    )]
    Twice { kind: &'static str, id: String },
    #[error(
        "the footer claims {} passed, {} failed, {} skipped, and the records hold {} passed, \
         {} failed, {} skipped: the stream contradicts itself; report the run from the \
         events.jsonl it wrote, or run it again",
        claimed.0, claimed.1, claimed.2, held.0, held.1, held.2
    )]
    Totals {
        /// Passed, failed, skipped, as the footer says.
        claimed: (usize, usize, usize),
        /// Passed, failed, skipped, as the records hold.
        held: (usize, usize, usize),
    },
    #[error(
        "the header records a run of the whole suite ({expected} cases, no --filter, \
         --skip, --role, --only or --partition), and the stream holds {found} case \
         records: it is not the run it claims to be; report the run from the \
         events.jsonl it wrote, or run it again"
    )]
    CasesMissing { expected: usize, found: usize },
}

fn push_record(out: &mut String, record: &Record) {
    // Serialising these types cannot fail (string keys, finite numbers or null).
    out.push_str(&serde_json::to_string(record).unwrap_or_default());
    out.push('\n');
}

/// Write `text` to `path` through a temporary file of unpredictable name and a rename, so
/// readers never see half; only a regular file is replaced ([`crate::output`]).
pub(crate) fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    crate::output::write_atomically(path, text.as_bytes())
}

/// `events.jsonl` while the run is going: the header first, then each case as it completes,
/// redacted and flushed, so a crash or a cancelled CI job still leaves what ran.
pub(crate) struct EventLog {
    file: fs::File,
    redactor: Redactor,
}

impl EventLog {
    /// The log of a new run: created under an unpredictable name with the header in it, then
    /// renamed to `events.jsonl` (a symbolic link, FIFO or folder of that name is refused, never
    /// followed or opened), and kept open for the cases.
    pub fn create(dir: &Path, header: &RunHeader, redactor: &Redactor) -> io::Result<EventLog> {
        fs::create_dir_all(dir)?;
        let mut pending = crate::output::Pending::create(&dir.join(EVENTS_FILE))?;
        let header = RunHeader {
            format_version: EVENTS_FORMAT_VERSION,
            ..redactor.redacted(header)
        };
        let line = serde_json::to_string(&Record::Header(header)).map_err(io::Error::other)?;
        writeln!(pending.file(), "{line}")?;
        pending.file().flush()?;
        Ok(EventLog {
            file: pending.persist()?,
            redactor: redactor.clone(),
        })
    }

    pub(crate) fn append(&mut self, case: &CaseEvent) -> io::Result<()> {
        let case = self.redactor.redacted(case);
        self.write(&Record::Case(case))
    }

    fn write(&mut self, record: &Record) -> io::Result<()> {
        let line = serde_json::to_string(record).map_err(io::Error::other)?;
        writeln!(self.file, "{line}")?;
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::OutcomeClass;
    use crate::report::fixtures::{case, header};

    #[test]
    fn a_contradiction_says_what_to_do() {
        let twice = Contradiction::Twice {
            kind: "case",
            id: "JWT-1".into(),
        };
        assert_eq!(twice.to_string(), "case JWT-1 has more than one record: each case runs once in a run; this stream was edited or concatenated (`merge` combines runs)");
        let totals = Contradiction::Totals {
            claimed: (450, 0, 1),
            held: (2, 1, 0),
        };
        assert_eq!(totals.to_string(), "the footer claims 450 passed, 0 failed, 1 skipped, and the records hold 2 passed, 1 failed, 0 skipped: the stream contradicts itself; report the run from the events.jsonl it wrote, or run it again");
        let missing = Contradiction::CasesMissing {
            expected: 450,
            found: 3,
        };
        assert_eq!(missing.to_string(), "the header records a run of the whole suite (450 cases, no --filter, --skip, --role, --only or --partition), and the stream holds 3 case records: it is not the run it claims to be; report the run from the events.jsonl it wrote, or run it again");
    }

    #[test]
    fn round_trips_through_jsonl() {
        let stream = Stream::new(
            header(),
            vec![
                case("A-1", "jwt", OutcomeClass::Pass),
                case("A-2", "idv", OutcomeClass::WrongVerdict),
                // The header's suite has 3 cases, and this is a run of the whole suite.
                case("A-3", "idv", OutcomeClass::Pass),
            ],
            12.5,
        );
        let text = stream.to_jsonl();
        assert_eq!(text.lines().count(), 5);
        let back = Stream::parse(&text, Path::new("events.jsonl")).unwrap();
        assert_eq!(back, stream);
        assert_eq!(back.footer.failed, 1);
    }

    /// `text` with the header's `format_version` set to `version`, or removed when `None`.
    fn with_version(text: &str, version: Option<serde_json::Value>) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        let fields = header.as_object_mut().unwrap();
        match version {
            Some(version) => fields.insert("format_version".into(), version),
            None => fields.remove("format_version"),
        };
        lines[0] = header.to_string();
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    #[test]
    fn the_header_records_the_format_version_and_a_stream_without_one_reads_as_version_1() {
        // The header's suite has 3 cases, and this is a run of the whole suite.
        let cases = ["A-1", "A-2", "A-3"].map(|id| case(id, "jwt", OutcomeClass::Pass));
        let stream = Stream::new(header(), cases.to_vec(), 1.0);
        let text = stream.to_jsonl();
        assert!(
            text.starts_with("{\"record\":\"header\",\"format_version\":1,"),
            "{text}"
        );
        let unversioned = with_version(&text, None);
        assert!(!unversioned.contains("format_version"));
        let back = Stream::parse(&unversioned, Path::new("e")).unwrap();
        assert_eq!(back.header.format_version, 1);
        assert_eq!(back, stream);
        // Written again, it says its version.
        assert!(back.to_jsonl().contains("\"format_version\":1,"));
    }

    #[test]
    fn a_newer_format_version_is_refused_by_name_and_a_malformed_one_is_invalid() {
        let mut text =
            Stream::new(header(), vec![case("A-1", "jwt", OutcomeClass::Pass)], 1.0).to_jsonl();
        // A version 2 stream may hold records this version cannot read at all: it is refused
        // for its version, not for the first field it does not know.
        text.push_str("{\"record\":\"annotation\",\"text\":\"new in 2\"}\n");
        let newer = with_version(&text, Some(serde_json::json!(2)));
        let err = Stream::parse(&newer, Path::new("e.jsonl")).unwrap_err();
        assert!(
            matches!(
                err,
                StreamError::NewerVersion {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message
                .starts_with("e.jsonl: the stream is in events format version 2, and this harness")
                && message.contains("reads versions up to 1"),
            "{message}"
        );
        for bad in [
            serde_json::json!(0),
            serde_json::json!("1"),
            serde_json::json!(1.5),
        ] {
            let err =
                Stream::parse(&with_version(&text, Some(bad.clone())), Path::new("e")).unwrap_err();
            assert!(
                matches!(&err, StreamError::Invalid { line: 1, message, .. } if message.contains("format_version")),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_cut_stream_reads_without_its_footer() {
        let stream = Stream::new(header(), vec![case("A-1", "jwt", OutcomeClass::Pass)], 1.0);
        let text = stream.to_jsonl();
        let cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
        let back = Stream::parse(&cut, Path::new("e")).unwrap();
        assert!(!back.complete);
        assert_eq!(back.footer.passed, 1);
    }

    #[test]
    fn malformed_streams_say_where() {
        let err = Stream::parse(
            "{\"record\":\"footer\",\"passed\":0,\"failed\":0,\"skipped\":0,\"duration_ms\":0}\n",
            Path::new("e.jsonl"),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("e.jsonl:1: the first record must be the header"),
            "{err}"
        );
        let err = Stream::parse("not json\n", Path::new("e.jsonl")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("e.jsonl:1: not an event record"),
            "{err}"
        );
        assert!(Stream::read_dir(Path::new("/nonexistent/dir"))
            .unwrap_err()
            .is_missing());
    }

    #[test]
    fn redaction_reaches_every_string() {
        let mut first = case("A-1", "jwt", OutcomeClass::WrongVerdict);
        first.message = Some("the key was s3cr3t-value".into());
        first.stderr = "debug: s3cr3t-value".into();
        let mut h = header();
        h.options.baseline = Some("/ci/s3cr3t-value/baseline.yaml".into());
        h.target = "exec:adapter --key s3cr3t-value".into();
        let mut stream = Stream::new(h, vec![first], 0.0);
        stream.redact(&Redactor::new(["s3cr3t-value"]));
        let text = stream.to_jsonl();
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn partial_runs_are_read_back_from_old_and_new_headers() {
        let read = |options: serde_json::Value| {
            serde_json::from_value::<crate::event::RunOptions>(options)
                .unwrap()
                .selection
                .is_partial()
        };
        assert!(!read(
            serde_json::json!({"filter": [], "skip": [], "partition": null, "strict": true})
        ));
        assert!(read(serde_json::json!({"filter": ["jwt"]})));
        assert!(read(serde_json::json!({"partition": "1/3"})));
        assert!(read(serde_json::json!({"role": "verifier"})));
        assert!(!read(
            serde_json::json!({"role": "all", "filter": [], "only": null})
        ));
        assert!(read(serde_json::json!({"only": "cases"})));
    }

    #[test]
    fn the_event_log_writes_as_it_goes() {
        let dir = std::env::temp_dir().join(format!("mc-eventlog-{}", std::process::id()));
        let mut log = EventLog::create(&dir, &header(), &Redactor::new(["hidden"])).unwrap();
        let mut event = case("A-1", "jwt", OutcomeClass::Pass);
        event.title = "a hidden title".into();
        log.append(&event).unwrap();
        let back = Stream::read_dir(&dir).unwrap();
        assert!(!back.complete);
        assert_eq!(back.cases[0].title, "a [redacted] title");
        let _ = fs::remove_dir_all(&dir);
    }
}
