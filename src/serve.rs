//! Serving an in-process implementation over the protocol, so the exec and http transports can
//! be tested end to end against a known answer (the reference), and so adapter authors have a
//! working peer to compare with.
//!
//! - [`serve_stdio`]: JSON lines on stdin and stdout, exactly as the exec transport.
//! - [`HttpServer`]: each message POSTed as a JSON body; the answer is the body of the 200.

use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::adapter::builtin::InProcess;
use crate::contract::{FromAdapter, ToAdapter, Unsupported};

/// Makes one fresh implementation (one per connection thread, so stateful bugs stay apart).
pub(crate) type MakeImplementation = Arc<dyn Fn() -> Box<dyn InProcess> + Send + Sync>;

/// The largest message the servers read: 16 MiB.
pub(crate) const REQUEST_LIMIT: usize = 16 << 20;

/// Why there is nothing to serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// `--broken` names no bundled broken implementation; `known` lists those there are.
    #[error("unknown broken implementation `{name}`; the bundled ones are: {known}")]
    UnknownBroken { name: String, known: String },
    /// The address cannot be listened on.
    #[error("could not listen on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
}

/// The reference, or with `broken` a bundled broken implementation.
pub fn implementation(broken: Option<&str>) -> Result<MakeImplementation, ServeError> {
    match broken {
        None => Ok(Arc::new(|| {
            Box::new(crate::reference::Reference) as Box<dyn InProcess>
        })),
        Some(name) => broken_implementation(name),
    }
}

/// A bundled broken implementation ([`crate::broken`]), by name.
fn broken_implementation(name: &str) -> Result<MakeImplementation, ServeError> {
    if crate::broken::by_name(name).is_none() {
        return Err(ServeError::UnknownBroken {
            name: name.to_string(),
            known: crate::broken::names().join(", "),
        });
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

/// How long the HTTP server waits for a client. A client that announces a body and stops (or
/// trickles its headers) is answered 408 and closed when its time is up, so a few stalled
/// clients cannot hold the server: the next request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpTimeouts {
    /// From the first byte of a request to the last byte of its body.
    pub request: Duration,
    /// How long a kept-alive connection may wait, idle, for its next request.
    pub idle: Duration,
}

impl Default for HttpTimeouts {
    fn default() -> Self {
        HttpTimeouts {
            request: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }
}

/// The most bytes of request line and headers the server reads: 64 KiB.
const HEAD_LIMIT: usize = 64 << 10;

/// A parsed request, handed from its connection to a worker with the channel for the reply.
struct Job {
    body: Vec<u8>,
    reply: mpsc::Sender<(u16, String)>,
}

/// The protocol over HTTP: any path, POST only. Each connection is read on a thread of its own,
/// under [`HttpTimeouts`]; the messages go to `threads` workers, each with its own
/// implementation (so a stalled client never occupies a worker).
pub struct HttpServer {
    listener: TcpListener,
    address: SocketAddr,
    timeouts: HttpTimeouts,
    stopped: Arc<AtomicBool>,
}

impl HttpServer {
    /// Binds `address` (`127.0.0.1:0` picks a free port).
    pub fn bind(address: &str) -> Result<HttpServer, ServeError> {
        let not_listening = |source| ServeError::Listen {
            address: address.to_string(),
            source,
        };
        let listener = TcpListener::bind(address).map_err(not_listening)?;
        let address = listener.local_addr().map_err(not_listening)?;
        Ok(HttpServer {
            listener,
            address,
            timeouts: HttpTimeouts::default(),
            stopped: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The same server with other timeouts.
    pub fn with_timeouts(mut self, timeouts: HttpTimeouts) -> HttpServer {
        self.timeouts = timeouts;
        self
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
        let stopped = Arc::clone(&self.stopped);
        let address = self.address;
        move || {
            stopped.store(true, Ordering::SeqCst);
            // Wake the accepting thread.
            let _ = TcpStream::connect_timeout(&address, Duration::from_secs(1));
        }
    }

    /// Serves on `threads` workers, each with its own implementation, until stopped.
    pub fn serve(&self, make: &MakeImplementation, threads: usize) {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        std::thread::scope(|scope| {
            for _ in 0..threads.max(1) {
                let queue = Arc::clone(&queue);
                let stopped = &self.stopped;
                scope.spawn(move || {
                    let mut implementation = make();
                    while !stopped.load(Ordering::SeqCst) {
                        // The lock is held only while waiting for the next job; the wait is
                        // short so that a stop is seen while connections are still open.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv_timeout(Duration::from_millis(100)),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => {
                                let _ = job.reply.send(respond(implementation.as_mut(), &job.body));
                            }
                            Err(mpsc::RecvTimeoutError::Timeout) => {}
                            Err(mpsc::RecvTimeoutError::Disconnected) => return,
                        }
                    }
                });
            }
            for stream in self.listener.incoming() {
                if self.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let jobs = jobs.clone();
                let timeouts = self.timeouts;
                // Connection threads are detached: one stalled until its timeout ends alone.
                std::thread::spawn(move || connection(stream, &jobs, timeouts));
            }
            drop(jobs);
        });
    }
}

/// Serve one connection: requests one after another (keep-alive) until the client closes, asks
/// to close, errs or runs out of time.
fn connection(mut stream: TcpStream, jobs: &mpsc::Sender<Job>, timeouts: HttpTimeouts) {
    let _ = stream.set_nodelay(true);
    let mut buffer: Vec<u8> = Vec::new();
    loop {
        let request = read_request(&mut stream, &mut buffer, timeouts);
        let (status, body, keep_alive) = match request {
            Ok(None) => return,
            Ok(Some((body, keep_alive))) => {
                let (reply, answer) = mpsc::channel();
                if jobs.send(Job { body, reply }).is_err() {
                    return;
                }
                let Ok((status, body)) = answer.recv() else {
                    return;
                };
                (status, body, keep_alive)
            }
            Err(Refusal { status, message }) => (status, message, false),
        };
        if write_response(&mut stream, status, &body, keep_alive).is_err() || !keep_alive {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

/// A request the server answers itself, then closes the connection.
struct Refusal {
    status: u16,
    message: String,
}

fn refusal(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

/// Read one request: `Ok(None)` when the client closed (or idled out) between requests, else
/// its body and whether the connection stays open. `buffer` carries bytes already read past
/// the previous request.
fn read_request(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    timeouts: HttpTimeouts,
) -> Result<Option<(Vec<u8>, bool)>, Refusal> {
    let mut chunk = [0u8; 8192];
    // Idle until the first byte, then the whole request within its time.
    if buffer.is_empty() {
        match read_within(stream, &mut chunk, Instant::now() + timeouts.idle) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let deadline = Instant::now() + timeouts.request;
    let too_slow = || {
        refusal(
            408,
            format!(
                "the request did not arrive whole within {} ms\n",
                timeouts.request.as_millis()
            ),
        )
    };
    let (head_len, method_is_post, content_length, keep_alive) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(buffer) {
            Ok(httparse::Status::Complete(len)) => {
                let header = |name: &str| {
                    request
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
                };
                if header("transfer-encoding").is_some() {
                    return Err(refusal(
                        411,
                        "send the message with a Content-Length, not chunked\n",
                    ));
                }
                let length = match header("content-length") {
                    None => 0,
                    Some(value) => value
                        .parse::<usize>()
                        .map_err(|_| refusal(400, "the Content-Length is not a number\n"))?,
                };
                let keep_alive = match header("connection").as_deref() {
                    Some("close") => false,
                    Some("keep-alive") => true,
                    _ => request.version == Some(1),
                };
                break (len, request.method == Some("POST"), length, keep_alive);
            }
            Ok(httparse::Status::Partial) if buffer.len() <= HEAD_LIMIT => {
                match read_within(stream, &mut chunk, deadline) {
                    Ok(0) => return Ok(None),
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                    Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {
                        return Err(too_slow())
                    }
                    Err(_) => return Ok(None),
                }
            }
            Ok(httparse::Status::Partial) => {
                return Err(refusal(431, "the request's headers are too large\n"))
            }
            Err(error) => return Err(refusal(400, format!("not an HTTP request: {error}\n"))),
        }
    };
    if !method_is_post {
        return Err(refusal(405, "POST one protocol message as a JSON body\n"));
    }
    if content_length > REQUEST_LIMIT {
        return Err(refusal(
            413,
            format!("a message is at most {REQUEST_LIMIT} bytes\n"),
        ));
    }
    buffer.drain(..head_len);
    while buffer.len() < content_length {
        match read_within(stream, &mut chunk, deadline) {
            Ok(0) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => return Err(too_slow()),
            Err(_) => return Ok(None),
        }
    }
    let body: Vec<u8> = buffer.drain(..content_length).collect();
    Ok(Some((body, keep_alive)))
}

/// One read that gives up at `deadline` (a `TimedOut` error).
fn read_within(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> std::io::Result<usize> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(std::io::ErrorKind::TimedOut.into());
    }
    stream.set_read_timeout(Some(left))?;
    stream.read(buf).map_err(|error| match error.kind() {
        std::io::ErrorKind::WouldBlock => std::io::ErrorKind::TimedOut.into(),
        _ => error,
    })
}

fn write_response(
    stream: &mut TcpStream,
    status: u16,
    body: &str,
    keep_alive: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };
    let content_type = if status == 200 {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// The status and body answering one POSTed message.
fn respond(implementation: &mut dyn InProcess, body: &[u8]) -> (u16, String) {
    let raw = String::from_utf8_lossy(body);
    match serde_json::from_str::<ToAdapter>(&raw) {
        Ok(message) => match answer(implementation, &message) {
            Some(reply) => (
                200,
                serde_json::to_string(&reply)
                    .unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string()),
            ),
            None => (204, String::new()),
        },
        Err(error) => {
            let (_, reason) = unreadable(&raw, &error);
            (400, format!("{reason}\n"))
        }
    }
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

    #[test]
    fn nothing_to_serve_says_why() {
        let Err(error) = implementation(Some("no-such-mutant")) else {
            panic!("an unknown broken implementation is served");
        };
        let first = crate::broken::names()[0];
        assert!(
            error.to_string().starts_with(&format!(
                "unknown broken implementation `no-such-mutant`; the bundled ones are: {first}, "
            )),
            "{error}"
        );
        assert!(implementation(Some(first)).is_ok());
        let Err(error) = HttpServer::bind("not an address") else {
            panic!("bound to no address");
        };
        assert!(
            error
                .to_string()
                .starts_with("could not listen on not an address: "),
            "{error}"
        );
    }
}
