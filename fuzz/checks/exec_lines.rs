//! The exec adapter's stdout line reader (src/adapter/exec.rs, `read_lines`) on any bytes, cut
//! into any reads, with any line limit.
//!
//! What it reports must not depend on how the bytes arrive: the events equal those of a plain
//! model that splits the whole stream at `\n` (below), whatever the cuts and interrupted reads.
//! Memory stays bounded: no line longer than the limit is kept, an oversized line's head is at
//! most [`SEEN_LIMIT`] bytes. `more` on a line is only set when bytes follow it.

use arbitrary::Arbitrary;
use messenger_conformance::fuzzing::{read_lines, LineEvent, SEEN_LIMIT};

#[derive(Debug, Arbitrary)]
pub struct Input {
    /// The line limit, 1 to 1024 bytes (the real one is 1 MiB; small ones reach the same code).
    limit: u16,
    /// The reads, in order; an empty one is an interrupted read.
    reads: Vec<Vec<u8>>,
}

pub fn check(input: Input) {
    let limit = usize::from(input.limit % 1024) + 1;
    let reads: Vec<&[u8]> = input.reads.iter().map(Vec::as_slice).collect();
    let events = read_lines(&reads, limit);
    let stream: Vec<u8> = input.reads.concat();
    let expected = model(&stream, limit);

    let without_more: Vec<LineEvent> = events
        .iter()
        .cloned()
        .map(|event| match event {
            LineEvent::Line { text, .. } => LineEvent::Line { text, more: false },
            other => other,
        })
        .collect();
    assert_eq!(without_more, expected, "limit {limit}, reads {reads:?}");

    // `more` only when bytes follow the line in the stream.
    let mut offset = 0;
    for (event, line) in events.iter().zip(stream.split(|&b| b == b'\n')) {
        offset += line.len() + 1;
        if let LineEvent::Line { more: true, .. } = event {
            assert!(offset < stream.len(), "`more` on the last line");
        }
    }
    for event in &events {
        match event {
            LineEvent::Line { text, .. } => assert!(text.len() <= limit),
            LineEvent::Oversized(head) => {
                // Lossy decoding may widen a cut character to U+FFFD (3 bytes for 1).
                assert!(head.len() <= 3 * limit.min(SEEN_LIMIT))
            }
            _ => {}
        }
    }
}

/// What the reader must report for `stream`, read whole.
fn model(stream: &[u8], limit: usize) -> Vec<LineEvent> {
    let mut events = Vec::new();
    let mut lines: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
    let last = lines.pop().unwrap_or_default();
    for line in lines {
        events.push(if line.len() > limit {
            oversized(line, limit)
        } else {
            match std::str::from_utf8(line) {
                Ok(text) => LineEvent::Line {
                    text: text.strip_suffix('\r').unwrap_or(text).to_string(),
                    more: false,
                },
                Err(_) => LineEvent::NotUtf8(String::from_utf8_lossy(line).into_owned()),
            }
        });
    }
    let partial = if last.len() > limit {
        events.push(oversized(last, limit));
        None
    } else {
        (!last.is_empty()).then(|| String::from_utf8_lossy(last).into_owned())
    };
    events.push(LineEvent::Closed { partial });
    events
}

fn oversized(line: &[u8], limit: usize) -> LineEvent {
    LineEvent::Oversized(String::from_utf8_lossy(&line[..limit.min(SEEN_LIMIT)]).into_owned())
}
