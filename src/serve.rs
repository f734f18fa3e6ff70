//! Serving an in-process implementation over the protocol, so the exec and http transports can
//! be tested end to end against a known answer (the reference), and so adapter authors have a
//! working peer to compare with.
//!
//! - [`serve_stdio`]: JSON lines on stdin and stdout, exactly as the exec transport.
//! - [`HttpServer`]: each message POSTed as a JSON body; the answer is the body of the 200.

use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::adapter::builtin::InProcess;
use crate::contract::{FromAdapter, ToAdapter, Unsupported};

/// Makes one fresh implementation (one per connection thread, so stateful bugs stay apart).
pub(crate) type MakeImplementation = Arc<dyn Fn() -> Box<dyn InProcess> + Send + Sync>;

/// The largest message the servers read: 16 MiB.
pub(crate) const REQUEST_LIMIT: usize = 16 << 20;

/// The reference, or with `broken` a bundled broken implementation.
pub fn implementation(broken: Option<&str>) -> Result<MakeImplementation, String> {
    match broken {
        None => Ok(Arc::new(|| {
            Box::new(crate::reference::Reference) as Box<dyn InProcess>
        })),
        Some(name) => broken_implementation(name),
    }
}

/// A bundled broken implementation ([`crate::broken`]), by name.
fn broken_implementation(name: &str) -> Result<MakeImplementation, String> {
    if crate::broken::by_name(name).is_none() {
        return Err(format!(
            "unknown broken implementation `{name}`; the bundled ones are: {}",
            crate::broken::names().join(", ")
        ));
    }
    let name = name.to_string();
    Ok(Arc::new(move || {
        // Checked above; the reference is only a fallback that cannot be reached.
        crate::broken::by_name(&name).unwrap_or_else(|| Box::new(crate::reference::Reference))
    }))
}

/// The answer to one message; `None` for `bye`, which has none.
pub fn answer(implementation: &mut dyn InProcess, message: &ToAdapter) -> Option<FromAdapter> {
    match message {
        ToAdapter::Hello(_) => Some(FromAdapter::Hello(implementation.hello())),
        ToAdapter::Verify(request) => Some(FromAdapter::Verdict(implementation.verify(request))),
        ToAdapter::Sign(request) => Some(implementation.sign(request)),
        ToAdapter::Bye => None,
    }
}

/// What a line or body that is not a message gets: an `unsupported` answer when it carries an
/// `id` (so the sender is not left waiting for a timeout), else nothing. `Err` is the reason, for
/// stderr or the HTTP status line.
fn unreadable(raw: &str, error: &serde_json::Error) -> (Option<FromAdapter>, String) {
    let reason = format!("could not read this message: {error}");
    let id = serde_json::from_str::<Value>(raw)
        .ok()
        .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string));
    let answer = id.map(|id| {
        FromAdapter::Unsupported(Unsupported {
            id,
            message: reason.clone(),
        })
    });
    (answer, reason)
}

/// Serves JSON lines from `input` on `output` until `bye` or the end of input. A line that is not
/// a message is reported on `log` (and answered `unsupported` if it has an `id`); serving goes on.
pub fn serve_stdio(
    implementation: &mut dyn InProcess,
    input: impl BufRead,
    mut output: impl Write,
    mut log: impl Write,
) -> std::io::Result<()> {
    let mut input = input.take(u64::MAX);
    let mut line = Vec::new();
    loop {
        line.clear();
        // Cap each line; what does not fit is read through and reported.
        input.set_limit(REQUEST_LIMIT as u64 + 1);
        let read = input.read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(());
        }
        if line.len() > REQUEST_LIMIT && line.last() != Some(&b'\n') {
            input.set_limit(u64::MAX);
            skip_line(&mut input)?;
            writeln!(
                log,
                "messenger-conformance serve: skipped a line over {REQUEST_LIMIT} bytes"
            )?;
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<ToAdapter>(text) {
            Ok(ToAdapter::Bye) => return Ok(()),
            Ok(message) => answer(implementation, &message),
            Err(error) => {
                let (reply, reason) = unreadable(text, &error);
                writeln!(log, "messenger-conformance serve: {reason}")?;
                reply
            }
        };
        if let Some(reply) = reply {
            let mut encoded = serde_json::to_vec(&reply).map_err(std::io::Error::other)?;
            encoded.push(b'\n');
            output.write_all(&encoded)?;
            output.flush()?;
        }
    }
}

fn skip_line(input: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        if let Some(at) = buffer.iter().position(|&b| b == b'\n') {
            input.consume(at + 1);
            return Ok(());
        }
        let n = buffer.len();
        input.consume(n);
    }
}

/// The protocol over HTTP: any path, POST only.
pub struct HttpServer {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
}

impl HttpServer {
    /// Binds `address` (`127.0.0.1:0` picks a free port).
    pub fn bind(address: &str) -> Result<HttpServer, String> {
        let server = tiny_http::Server::http(address)
            .map_err(|error| format!("could not listen on {address}: {error}"))?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| format!("{address} is not an IP address and port"))?;
        Ok(HttpServer {
            server: Arc::new(server),
            address,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The URL to give `run --url`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// A handle that stops [`serve`](Self::serve) from another thread.
    pub fn stopper(&self) -> impl Fn() + Send + Sync + 'static {
        let server = Arc::clone(&self.server);
        move || server.unblock()
    }

    /// Serves on `threads` threads, each with its own implementation, until stopped.
    pub fn serve(&self, make: &MakeImplementation, threads: usize) {
        std::thread::scope(|scope| {
            for _ in 0..threads.max(1) {
                let server = Arc::clone(&self.server);
                scope.spawn(move || {
                    let mut implementation = make();
                    while let Ok(request) = server.recv() {
                        respond(implementation.as_mut(), request);
                    }
                });
            }
        });
    }
}

fn respond(implementation: &mut dyn InProcess, mut request: tiny_http::Request) {
    let text =
        |status: u16, body: String| tiny_http::Response::from_string(body).with_status_code(status);
    if *request.method() != tiny_http::Method::Post {
        let _ = request.respond(text(
            405,
            "POST one protocol message as a JSON body\n".into(),
        ));
        return;
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(REQUEST_LIMIT as u64 + 1)
        .read_to_end(&mut body);
    if let Err(error) = read {
        let _ = request.respond(text(400, format!("could not read the body: {error}\n")));
        return;
    }
    if body.len() > REQUEST_LIMIT {
        let _ = request.respond(text(
            413,
            format!("a message is at most {REQUEST_LIMIT} bytes\n"),
        ));
        return;
    }
    let raw = String::from_utf8_lossy(&body);
    let reply = match serde_json::from_str::<ToAdapter>(&raw) {
        Ok(message) => answer(implementation, &message),
        Err(error) => {
            let (_, reason) = unreadable(&raw, &error);
            let _ = request.respond(text(400, format!("{reason}\n")));
            return;
        }
    };
    let response = match reply {
        Some(reply) => {
            let encoded = serde_json::to_string(&reply)
                .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string());
            let response = tiny_http::Response::from_string(encoded).with_status_code(200);
            match tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..]) {
                Ok(header) => response.with_header(header),
                Err(()) => response,
            }
        }
        None => tiny_http::Response::from_string(String::new()).with_status_code(204),
    };
    let _ = request.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(input: &str) -> (String, String) {
        let mut output = Vec::new();
        let mut log = Vec::new();
        let mut reference = crate::reference::Reference;
        serve_stdio(&mut reference, input.as_bytes(), &mut output, &mut log).unwrap();
        (
            String::from_utf8(output).unwrap(),
            String::from_utf8(log).unwrap(),
        )
    }

    #[test]
    fn answers_hello_and_stops_at_bye() {
        let (out, log) = serve("{\"type\":\"hello\",\"protocol\":1}\n{\"type\":\"bye\"}\n{\"type\":\"hello\",\"protocol\":1}\n");
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with("{\"type\":\"hello\""), "{out}");
        assert_eq!(log, "");
    }

    #[test]
    fn a_bad_line_is_logged_and_answered_unsupported_when_it_has_an_id() {
        let (out, log) = serve("not json\n{\"type\":\"verify\",\"id\":\"x\"}\n");
        assert!(log.contains("could not read this message"), "{log}");
        let answer: Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(answer["type"], "unsupported");
        assert_eq!(answer["id"], "x");
    }
}
