//! Entry points for the fuzz targets of `fuzz/` (and `tests/fuzz_seeds.rs`, which replays their
//! seeds), compiled only with the `internals` feature, hidden from the documentation like the
//! other internal modules.
//!
//! Two parsers the targets drive are private to their modules: the strict JSON parser
//! ([`parse_json`]) and the exec adapter's stdout line reader ([`read_lines`]). Each is reached
//! here through one thin function rather than made public. The JWS codec
//! ([`crate::reference::jws`]) and the case loader ([`crate::scenario::load_suite`]) are internal
//! modules `internals` makes public: the targets call them directly.

use std::io::{ErrorKind, Read};

use crate::adapter::exec::{self, StdoutEvent};
use crate::reference::json;

pub use crate::reference::json::{JsonError, Parsed};

/// How deep the JSON parser lets arrays and objects nest.
pub const MAX_DEPTH: usize = json::MAX_DEPTH;

/// How many bytes of a line an error shows (an oversized line's head).
pub const SEEN_LIMIT: usize = crate::adapter::SEEN_LIMIT;

/// The strict JSON parser behind the JWS codec (duplicate members rejected, overflowing
/// numbers recorded by pointer).
pub fn parse_json(text: &str) -> Result<Parsed, JsonError> {
    json::parse(text)
}

/// What the exec adapter's stdout reader reports, one per line (its private event, mirrored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    /// A complete UTF-8 line without its `\n` (and one `\r` before it); `more` when bytes had
    /// already arrived after it.
    Line { text: String, more: bool },
    /// A complete line that is not UTF-8, shown lossily.
    NotUtf8(String),
    /// A line longer than the limit: its first bytes, shown lossily.
    Oversized(String),
    /// The end of the stream, with an unterminated last line if any.
    Closed { partial: Option<String> },
    /// A read that failed.
    ReadFailed(String),
}

/// Run the exec adapter's line reader over `reads`, one `read` call returning each (an empty
/// one is an `Interrupted` error, which the reader retries), then the end of the stream.
pub fn read_lines(reads: &[&[u8]], limit: usize) -> Vec<LineEvent> {
    let reader = Reads {
        reads: reads.iter(),
        current: &[],
    };
    exec::read_lines(reader, limit)
        .into_iter()
        .map(|event| match event {
            StdoutEvent::Line { text, more } => LineEvent::Line { text, more },
            StdoutEvent::NotUtf8(lossy) => LineEvent::NotUtf8(lossy),
            StdoutEvent::Oversized(head) => LineEvent::Oversized(head),
            StdoutEvent::Closed { partial } => LineEvent::Closed { partial },
            StdoutEvent::ReadFailed(reason) => LineEvent::ReadFailed(reason),
        })
        .collect()
}

/// A stream that returns given reads, each cut to the caller's buffer.
struct Reads<'a> {
    reads: std::slice::Iter<'a, &'a [u8]>,
    current: &'a [u8],
}

impl Read for Reads<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        if self.current.is_empty() {
            match self.reads.next() {
                None => return Ok(0),
                Some([]) => return Err(std::io::Error::from(ErrorKind::Interrupted)),
                Some(read) => self.current = read,
            }
        }
        let n = self.current.len().min(buffer.len());
        buffer[..n].copy_from_slice(&self.current[..n]);
        self.current = &self.current[n..];
        Ok(n)
    }
}
