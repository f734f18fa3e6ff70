//! The exec transport: an implementation as a subprocess speaking JSON lines.
//!
//! One process per worker, one request in flight. The caller's thread writes each request and
//! reads its answer itself, on non-blocking pipes with `poll(2)`, so a request costs no thread
//! hop: a request larger than the pipe buffer is written as the adapter takes it while stdout is
//! read, lines are capped at `MESSAGE_LIMIT` (the rest of an oversized
//! line discarded as it streams by), and every wait is bounded by the request's timeout. One
//! thread per process drains stderr (the last `STDERR_LIMIT` bytes kept), so an adapter that
//! logs a lot between requests never blocks on it.
//!
//! Any adapter error kills the process (its whole process group, so `sh -c` or `npx` wrappers do
//! not leave a hung child behind) and the next call starts a fresh one, replaying the handshake.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::{
    decode_answer, decode_hello, Adapter, AdapterError, AdapterErrorKind, AdapterFactory, Channel,
    StartError, MESSAGE_LIMIT, SEEN_LIMIT,
};
use crate::contract::{FromAdapter, HelloReply, HelloRequest, ToAdapter, PROTOCOL_VERSION};

/// How much of an adapter's stderr is kept between two [`Adapter::take_stderr`] calls: the last
/// 64 KiB.
pub(crate) const STDERR_LIMIT: usize = 64 * 1024;

/// How long an adapter may take to exit after `bye` and the end of its stdin.
pub(crate) const BYE_GRACE: Duration = Duration::from_millis(500);

/// How often a reader blocked on an adapter's pipe wakes up to see whether its process was
/// ended, and how often a wait for an answer checks that the process is still alive.
const POLL_SLICE: Duration = Duration::from_millis(100);

/// How long the harness waits for the rest of a second line that arrived with an answer.
const EXTRA_LINE_GRACE: Duration = Duration::from_millis(500);

/// The least time an adapter gets to answer its first `hello` (interpreters and JVMs start
/// slowly; a request timeout of 300 ms should not make them unstartable).
pub(crate) const MIN_START_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts `command` once per worker and speaks the exec transport with it.
#[derive(Debug, Clone)]
pub struct ExecFactory {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// How long one request may take.
    pub timeout: Duration,
    /// How long the process may take to answer `hello` (at start and after each restart).
    pub start_timeout: Duration,
    /// Check every answer against the protocol's JSON Schema (`--validate-protocol`).
    pub validate_protocol: bool,
    /// The longest stdout line read.
    pub line_limit: usize,
}

impl ExecFactory {
    /// Run `command` with `timeout` per request, at least `MIN_START_TIMEOUT` to start, and
    /// no schema check.
    pub fn new(command: Vec<String>, timeout: Duration) -> Self {
        ExecFactory {
            command,
            timeout,
            start_timeout: timeout.max(MIN_START_TIMEOUT),
            validate_protocol: false,
            line_limit: MESSAGE_LIMIT,
        }
    }

    /// Validate every answer against the protocol's JSON Schema.
    pub fn validate_protocol(mut self, on: bool) -> Self {
        self.validate_protocol = on;
        self
    }
}

impl AdapterFactory for ExecFactory {
    fn start(&self) -> Result<Box<dyn Adapter>, StartError> {
        Ok(Box::new(ExecAdapter::start(self.clone())?))
    }

    fn describe(&self) -> String {
        format!("exec:{}", display_command(&self.command))
    }
}

/// The command as a person would type it (arguments with spaces quoted).
#[doc(hidden)]
pub fn display_command(command: &[String]) -> String {
    command
        .iter()
        .map(|arg| {
            if arg.is_empty()
                || arg
                    .chars()
                    .any(|c| c.is_whitespace() || "'\"\\$`".contains(c))
            {
                format!("'{}'", arg.replace('\'', r"'\''"))
            } else {
                arg.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A subprocess implementation that has answered `hello`; restarts itself after an error.
pub struct ExecAdapter {
    config: ExecFactory,
    hello: HelloReply,
    process: Option<ExecProcess>,
    /// Shared by every process this adapter starts, so what a killed one wrote is not lost.
    stderr: StderrSink,
    restarts: usize,
}

impl ExecAdapter {
    /// Starts the process and checks its `hello`.
    pub fn start(config: ExecFactory) -> Result<ExecAdapter, StartError> {
        let stderr = StderrSink::default();
        let (process, hello) = launch(&config, &stderr)?;
        Ok(ExecAdapter {
            config,
            hello,
            process: Some(process),
            stderr,
            restarts: 0,
        })
    }

    /// How many times the process was started again after an adapter error.
    pub fn restarts(&self) -> usize {
        self.restarts
    }

    /// The running process's id, if one is running.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.id())
    }

    fn running(&mut self) -> Result<&mut ExecProcess, AdapterError> {
        if self.process.is_none() {
            let (process, _hello) = launch(&self.config, &self.stderr).map_err(|error| {
                AdapterError::new(
                    AdapterErrorKind::Exited,
                    format!("the adapter could not be restarted: {}", error.0),
                )
            })?;
            self.restarts += 1;
            self.process = Some(process);
        }
        self.process.as_mut().ok_or_else(|| {
            AdapterError::new(AdapterErrorKind::Exited, "the adapter is not running")
        })
    }

    /// Kills the process; the next call starts a new one.
    fn discard(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill();
        }
    }
}

impl Adapter for ExecAdapter {
    fn hello(&self) -> &HelloReply {
        &self.hello
    }

    fn call(&mut self, message: &ToAdapter) -> Result<FromAdapter, AdapterError> {
        if matches!(message, ToAdapter::Bye) {
            return Err(AdapterError::new(
                AdapterErrorKind::WrongAnswer,
                "`bye` has no answer",
            ));
        }
        let timeout = self.config.timeout;
        let validate = self.config.validate_protocol;
        let result = self
            .running()
            .and_then(|process| process.exchange(message, timeout))
            .and_then(|raw| decode_answer(message, &raw, validate, Channel::Stdout));
        if result.is_err() {
            self.discard();
        }
        result
    }

    fn take_stderr(&mut self) -> String {
        self.stderr.take()
    }

    fn shutdown(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.say_bye(BYE_GRACE);
        }
    }
}

impl Drop for ExecAdapter {
    fn drop(&mut self) {
        self.discard();
    }
}

/// Spawns the command and runs the handshake; on failure the process is killed and the error
/// carries the tail of what it wrote to stderr.
fn launch(
    config: &ExecFactory,
    stderr: &StderrSink,
) -> Result<(ExecProcess, HelloReply), StartError> {
    let mut process = ExecProcess::spawn(&config.command, stderr.clone(), config.line_limit)?;
    match handshake(&mut process, config) {
        Ok(hello) => Ok((process, hello)),
        Err(StartError(message)) => {
            process.kill();
            Err(StartError(with_stderr_tail(
                message,
                &stderr.peek_tail(1024),
            )))
        }
    }
}

fn handshake(process: &mut ExecProcess, config: &ExecFactory) -> Result<HelloReply, StartError> {
    process.send(&ToAdapter::Hello(HelloRequest {
        protocol: PROTOCOL_VERSION,
    }));
    match process.receive(config.start_timeout) {
        Ok(line) => decode_hello(&line, config.validate_protocol, Channel::Stdout),
        Err(error) => Err(StartError(match error.kind {
            AdapterErrorKind::Timeout => format!(
                "the adapter did not answer hello within {} ms: an adapter reads one JSON object per line on stdin, answers on stdout and flushes after each line{}",
                config.start_timeout.as_millis(),
                error.seen.map(|s| format!(" (saw: {})", crate::visible::visible(&s))).unwrap_or_default()
            ),
            AdapterErrorKind::Oversized => {
                format!("the adapter printed a line over {} bytes before its hello", config.line_limit)
            }
            _ => format!(
                "the adapter did not answer hello: {}{}",
                error.detail,
                error.seen.map(|s| format!(" (saw: {})", crate::visible::visible(&s))).unwrap_or_default()
            ),
        })),
    }
}

fn with_stderr_tail(message: String, tail: &str) -> String {
    let tail = tail.trim_end();
    if tail.is_empty() {
        message
    } else {
        // The adapter's own lines, each made visible: they reach the terminal and the CI log.
        let tail = crate::visible::visible_lines(tail);
        format!("{message}\n--- the adapter's stderr (last lines) ---\n{tail}")
    }
}

// ---------------------------------------------------------------------------------------------
// One process
// ---------------------------------------------------------------------------------------------

/// What the stdout reader reports.
#[derive(Debug)]
pub(crate) enum StdoutEvent {
    /// One complete line, without its `\n`; `more` when more bytes had already arrived after
    /// it (an adapter that answers twice writes both lines at once).
    Line {
        text: String,
        more: bool,
    },
    /// A complete line that is not UTF-8 (shown lossily).
    NotUtf8(String),
    /// A line longer than the limit: its first bytes. The rest is being discarded.
    Oversized(String),
    /// End of stdout; `partial` is an unterminated last line, if any.
    Closed {
        partial: Option<String>,
    },
    ReadFailed(String),
}

/// Why no line came.
enum NoLine {
    /// The time was up.
    Timeout,
    /// Stdout had already ended.
    Gone,
}

/// A running adapter process: the raw exec transport. [`ExecAdapter`] builds on it; `smoke`
/// uses it directly to see every line.
///
/// The caller's thread writes the requests and reads the answers itself, with non-blocking
/// pipes and `poll(2)`: no thread hop on the way there or back. A request larger than the pipe
/// buffer is written as the adapter reads it, while its stdout is read, so a caller never
/// blocks on either pipe, and every wait is bounded by the request's timeout.
pub(crate) struct ExecProcess {
    child: Child,
    /// Its stdin, non-blocking; `None` once closed or broken.
    stdin: Option<File>,
    /// What was sent and the pipe has not taken yet.
    outbox: Vec<u8>,
    /// Why writing to stdin failed, until a receive reports it.
    write_failed: Option<String>,
    /// Its stdout, non-blocking, read only when the caller asks for a line.
    stdout: Polled,
    lines: LineReader,
    stderr: StderrSink,
    /// This process's stderr pipe, read by the drain thread and, to attribute what was written
    /// before an answer to that answer's request, by the caller.
    stderr_pipe: Arc<Polled>,
    /// Tells the drain thread to stop: it ends within [`POLL_SLICE`] of a kill, even when a
    /// process the adapter started keeps the pipe open.
    stop: Arc<AtomicBool>,
    line_limit: usize,
    /// A sentence about how the process ended, once known.
    ended: Option<String>,
    /// Killed and reaped: never signal its pid again.
    killed: bool,
}

impl ExecProcess {
    /// Starts `command` with piped stdio, in its own process group.
    pub(crate) fn spawn(
        command: &[String],
        stderr: StderrSink,
        line_limit: usize,
    ) -> Result<ExecProcess, StartError> {
        if ENDING.load(Ordering::SeqCst) {
            return Err(StartError(
                "the run is being interrupted: no adapter is started".into(),
            ));
        }
        let (program, args) = command
            .split_first()
            .ok_or_else(|| StartError("no adapter command was given (put it after `--`)".into()))?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own group, so a kill reaches the children of wrapper commands too.
            cmd.process_group(0);
        }
        let mut child = cmd
            .spawn()
            .map_err(|error| StartError(spawn_failure(program, &error)))?;
        let (Some(stdin), Some(stdout), Some(child_stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(StartError(
                "could not open the adapter's stdin, stdout and stderr pipes".into(),
            ));
        };
        live_groups().insert(child.id());
        let stop = Arc::new(AtomicBool::new(false));
        let pipes = nonblocking(stdin.into())
            .and_then(|stdin| Ok((stdin, Polled::new(stdout, &stop)?)))
            .and_then(|(stdin, stdout)| {
                let stderr_pipe = Arc::new(Polled::new(child_stderr, &stop)?);
                stderr.drain(Arc::clone(&stderr_pipe))?;
                Ok((stdin, stdout, stderr_pipe))
            });
        match pipes {
            Ok((stdin, stdout, stderr_pipe)) => Ok(ExecProcess {
                child,
                stdin: Some(stdin),
                outbox: Vec::new(),
                write_failed: None,
                stdout,
                lines: LineReader::new(line_limit),
                stderr,
                stderr_pipe,
                stop,
                line_limit,
                ended: None,
                killed: false,
            }),
            Err(error) => {
                stop.store(true, Ordering::Relaxed);
                kill_group(&mut child);
                Err(StartError(format!(
                    "could not set up the adapter's pipes and the thread that reads its stderr: {error}"
                )))
            }
        }
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends one message as a line on stdin: what the pipe takes now is written at once, the
    /// rest while the next receive waits. A write that fails shows up in
    /// [`receive`](Self::receive).
    pub(crate) fn send(&mut self, message: &ToAdapter) {
        if self.stdin.is_none() {
            return;
        }
        let start = self.outbox.len();
        if serde_json::to_writer(&mut self.outbox, message).is_err() {
            self.outbox.truncate(start);
        }
        self.outbox.push(b'\n');
        self.write_now();
    }

    /// Writes as much of the outbox as the pipe takes now, without waiting.
    fn write_now(&mut self) {
        let Some(stdin) = &self.stdin else { return };
        let mut written = 0;
        let failed = loop {
            if written == self.outbox.len() {
                break None;
            }
            match (&*stdin).write(&self.outbox[written..]) {
                Ok(0) => break Some("the pipe took no bytes".to_string()),
                Ok(n) => written += n,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) if error.kind() == ErrorKind::WouldBlock => break None,
                Err(error) => break Some(error.to_string()),
            }
        };
        self.outbox.drain(..written);
        if let Some(reason) = failed {
            self.outbox.clear();
            self.stdin = None;
            self.write_failed = Some(reason);
        }
    }

    /// Closes stdin once what was sent is written (waiting up to [`POLL_SLICE`] for an adapter
    /// that does not read it): the adapter sees end of input.
    pub(crate) fn close_stdin(&mut self) {
        let deadline = Instant::now() + POLL_SLICE;
        while !self.outbox.is_empty() && self.stdin.is_some() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.wait_io(left, false, true);
            self.write_now();
        }
        self.outbox.clear();
        self.stdin = None;
    }

    /// Waits up to `within` until stdout has something to read or has ended (with `read`), or
    /// stdin takes bytes when some are waiting to be written (with `write`). Says whether either
    /// happened.
    fn wait_io(&self, within: Duration, read: bool, write: bool) -> bool {
        let writing = match &self.stdin {
            Some(stdin) if write && !self.outbox.is_empty() => stdin.as_raw_fd(),
            _ => -1,
        };
        let reading = if read {
            self.stdout.file.as_raw_fd()
        } else {
            -1
        };
        // poll(2) skips a negative descriptor.
        let mut fds = [
            libc::pollfd {
                fd: reading,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: writing,
                events: libc::POLLOUT,
                revents: 0,
            },
        ];
        // Rounded up, so that a wait of less than a millisecond does not spin.
        let millis = libc::c_int::try_from(within.as_micros().div_ceil(1000)).unwrap_or(i32::MAX);
        // SAFETY: poll(2) on an array of two valid pollfd that lives for the call.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) };
        ready > 0
    }

    /// Lines that arrived without being asked for, taken without waiting.
    pub(crate) fn unsolicited(&mut self) -> Option<Result<String, AdapterError>> {
        let event = self.lines.next(&mut self.stdout)?;
        Some(self.interpret(event))
    }

    /// Waits up to `timeout` for the next stdout line.
    pub(crate) fn receive(&mut self, timeout: Duration) -> Result<String, AdapterError> {
        self.receive_line(timeout).map(|(line, _more)| line)
    }

    /// Waits up to `timeout` for the next stdout line; says whether more bytes had already
    /// arrived after it. A process that exits without answering is an exit at once, not a
    /// timeout, even when a process it started keeps its stdout open.
    fn receive_line(&mut self, timeout: Duration) -> Result<(String, bool), AdapterError> {
        let deadline = Instant::now() + timeout;
        loop {
            self.write_now();
            match self.lines.next(&mut self.stdout) {
                Some(StdoutEvent::Line { text, more }) => return Ok((text, more)),
                Some(event) => return self.interpret(event).map(|line| (line, false)),
                None if self.lines.ended() => return Err(self.no_line(NoLine::Gone, timeout)),
                None => {}
            }
            if let Some(reason) = self.write_failed.take() {
                return Err(AdapterError::new(
                    AdapterErrorKind::Exited,
                    format!(
                        "could not write the request to its stdin ({reason}): {}",
                        self.ending()
                    ),
                ));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.no_line(NoLine::Timeout, timeout));
            }
            if !self.wait_io(left.min(POLL_SLICE), true, true) && left > POLL_SLICE {
                if let Ok(Some(status)) = self.child.try_wait() {
                    // An answer may still be on its way through the pipe.
                    if let Some(event) = self.next_within(POLL_SLICE) {
                        return self.interpret(event).map(|line| (line, false));
                    }
                    self.ended = Some(describe_status(status));
                    return Err(AdapterError::new(
                        AdapterErrorKind::Exited,
                        format!(
                            "the adapter ended without answering ({}), though a process it started still holds its stdout open",
                            describe_status(status)
                        ),
                    ));
                }
            }
        }
    }

    /// The next stdout event within `within`, if any.
    fn next_within(&mut self, within: Duration) -> Option<StdoutEvent> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(event) = self.lines.next(&mut self.stdout) {
                return Some(event);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if self.lines.ended() || left.is_zero() {
                return None;
            }
            self.wait_io(left, true, false);
        }
    }

    /// Why no line came: the timeout (with what arrived without a newline), or the end of stdout.
    fn no_line(&mut self, why: NoLine, timeout: Duration) -> AdapterError {
        match why {
            NoLine::Timeout => {
                let mut error = AdapterError::new(
                    AdapterErrorKind::Timeout,
                    format!("no answer within {} ms", timeout.as_millis()),
                );
                let pending = &self.lines.pending;
                if pending.len > 0 {
                    let head = String::from_utf8_lossy(&pending.head).into_owned();
                    error.detail.push_str(&format!(
                        "; {} bytes arrived without a newline: end each message with \\n and flush",
                        pending.len
                    ));
                    error = error.with_seen(&head);
                }
                error
            }
            NoLine::Gone => AdapterError::new(
                AdapterErrorKind::Exited,
                format!("stdout is gone: {}", self.ending()),
            ),
        }
    }

    fn interpret(&mut self, event: StdoutEvent) -> Result<String, AdapterError> {
        match event {
            StdoutEvent::Line { text, .. } => Ok(text),
            StdoutEvent::NotUtf8(lossy) => Err(AdapterError::new(
                AdapterErrorKind::InvalidMessage,
                "the line is not UTF-8; the protocol is UTF-8 JSON",
            )
            .with_seen(&lossy)),
            StdoutEvent::Oversized(head) => Err(AdapterError::new(
                AdapterErrorKind::Oversized,
                format!(
                    "a line longer than {} bytes (the limit); a message must fit on one line",
                    self.line_limit
                ),
            )
            .with_seen(&head)),
            StdoutEvent::Closed { partial } => {
                let mut error = AdapterError::new(
                    AdapterErrorKind::Exited,
                    format!("the adapter closed stdout: {}", self.ending()),
                );
                if let Some(partial) = partial {
                    error.detail.push_str("; its last line had no \\n");
                    error = error.with_seen(&partial);
                }
                Err(error)
            }
            StdoutEvent::ReadFailed(reason) => Err(AdapterError::new(
                AdapterErrorKind::Exited,
                format!("could not read stdout ({reason}): {}", self.ending()),
            )),
        }
    }

    /// Sends one request and waits for one line. A line already waiting before the request is
    /// an error for this request: an extra answer to an earlier one, or a log line on stdout.
    pub(crate) fn exchange(
        &mut self,
        message: &ToAdapter,
        timeout: Duration,
    ) -> Result<String, AdapterError> {
        if let Some(early) = self.unsolicited() {
            return Err(match early {
                Ok(line) => AdapterError::new(
                    AdapterErrorKind::InvalidMessage,
                    "the adapter printed a line before this request was sent (one answer per request; logs go to stderr)",
                )
                .with_seen(&line),
                Err(mut error) => {
                    error.detail = format!("before this request was sent, {}", error.detail);
                    error
                }
            });
        }
        self.send(message);
        let answer = self.receive_line(timeout);
        // What the adapter wrote to stderr before it answered is this request's.
        self.catch_up_stderr();
        let (line, more) = answer?;
        if !more {
            return Ok(line);
        }
        // A second line came with the answer: it belongs to this request, not to the next.
        let extra = match self.next_within(EXTRA_LINE_GRACE) {
            Some(StdoutEvent::Line { text, .. }) => text,
            _ => String::from_utf8_lossy(&self.lines.pending.head).into_owned(),
        };
        Err(AdapterError::new(
            AdapterErrorKind::InvalidMessage,
            "the adapter answered this request with more than one line (one answer per request; logs go to stderr)",
        )
        .with_seen(&extra))
    }

    /// Read what is already in the stderr pipe into the sink, now.
    fn catch_up_stderr(&mut self) {
        self.stderr.read_available(&self.stderr_pipe);
    }

    /// How the process ended, in words (waits up to 250 ms for it to be reaped).
    fn ending(&mut self) -> String {
        if self.ended.is_none() {
            if let Some(status) = self.wait_exit(Duration::from_millis(250)) {
                self.ended = Some(describe_status(status));
            }
        }
        self.ended
            .clone()
            .unwrap_or_else(|| "it is still running".into())
    }

    /// Waits up to `within` for the process to exit, checking often at first (an adapter
    /// that was told `bye` is usually gone within a millisecond), then every 5 ms.
    pub(crate) fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        let mut pause = Duration::from_micros(200);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                    pause = (pause * 2).min(Duration::from_millis(5));
                }
                _ => return None,
            }
        }
    }

    /// `bye`, end of stdin, up to `grace` to exit, then kill. Returns how it ended.
    pub(crate) fn say_bye(&mut self, grace: Duration) -> Option<ExitStatus> {
        self.send(&ToAdapter::Bye);
        self.close_stdin();
        let status = self.wait_exit(grace);
        self.kill();
        status
    }

    /// Kills the process group and reaps the process; waits briefly for stderr to be drained.
    pub(crate) fn kill(&mut self) {
        if !self.killed {
            kill_group(&mut self.child);
            self.killed = true;
        }
        self.stdin = None;
        self.outbox.clear();
        self.stderr.wait_drained(Duration::from_millis(200));
        // The pipes may be held open by a process that left the group: stop reading them.
        self.stop.store(true, Ordering::Relaxed);
    }

    /// What the process wrote to stderr since the last take.
    pub(crate) fn take_stderr(&mut self) -> String {
        self.stderr.take()
    }
}

impl Drop for ExecProcess {
    fn drop(&mut self) {
        if !self.killed {
            kill_group(&mut self.child);
        }
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_failure(program: &str, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => format!("`{program}` was not found ({error}): is it installed and on PATH, or is the path right?"),
        std::io::ErrorKind::PermissionDenied => format!("`{program}` cannot be run ({error}): is it executable?"),
        _ => format!("`{program}` could not be started: {error}"),
    }
}

fn kill_group(child: &mut Child) {
    live_groups().remove(&child.id());
    #[cfg(unix)]
    {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group we created for this
            // child (process_group(0) makes its pid the group id); it touches no memory.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Set once [`end_every_adapter`] was called: no adapter is started after that.
static ENDING: AtomicBool = AtomicBool::new(false);

/// The process groups of the adapters running now (each adapter leads its own group).
fn live_groups() -> MutexGuard<'static, BTreeSet<u32>> {
    static LIVE: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());
    lock(&LIVE)
}

/// End every adapter this process started and has not ended yet: SIGTERM to each process
/// group, up to `grace` for them to go, then SIGKILL. For an interrupted run (Ctrl-C, a CI
/// timeout), so that no adapter is left running.
pub fn end_every_adapter(grace: Duration) {
    ENDING.store(true, Ordering::SeqCst);
    let groups: Vec<u32> = live_groups().iter().copied().collect();
    let signal_all = |signal| {
        for group in &groups {
            if let Ok(pid) = libc::pid_t::try_from(*group) {
                // SAFETY: kill(2) on a process group this harness created; no memory is touched.
                unsafe {
                    libc::kill(-pid, signal);
                }
            }
        }
    };
    signal_all(libc::SIGTERM);
    let deadline = Instant::now() + grace;
    let alive = |group: &u32| {
        libc::pid_t::try_from(*group)
            // SAFETY: signal 0 only checks that the group still exists.
            .is_ok_and(|pid| unsafe { libc::kill(-pid, 0) } == 0)
    };
    while Instant::now() < deadline && groups.iter().any(alive) {
        thread::sleep(Duration::from_millis(20));
    }
    signal_all(libc::SIGKILL);
    live_groups().clear();
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("it exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("it was killed by signal {signal}");
        }
    }
    format!("it ended ({status})")
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Puts a pipe in non-blocking mode.
fn nonblocking(pipe: OwnedFd) -> std::io::Result<File> {
    let file = File::from(pipe);
    let fd = file.as_raw_fd();
    // SAFETY: fcntl(2) on a descriptor this function owns; no memory is touched.
    let set = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) >= 0
    };
    if set {
        Ok(file)
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// How much of an adapter's stdout one read takes.
const READ_BUFFER: usize = 64 * 1024;

/// The start of a line the reader has not seen the end of yet, for "no answer" errors.
#[derive(Debug, Default)]
struct Pending {
    head: Vec<u8>,
    len: usize,
}

/// Where a [`LineReader`] reads from.
pub(crate) trait LineSource {
    /// Reads what is there now: `Ok(None)` when nothing is yet, `Ok(Some(0))` at the end.
    fn read_now(&mut self, buffer: &mut [u8]) -> std::io::Result<Option<usize>>;
    /// Whether more bytes are waiting beyond what was read.
    fn waiting(&self) -> bool;
}

impl LineSource for Polled {
    fn read_now(&mut self, buffer: &mut [u8]) -> std::io::Result<Option<usize>> {
        Polled::read_now(self, buffer)
    }

    fn waiting(&self) -> bool {
        self.has_bytes_waiting()
    }
}

/// Splits what an adapter prints into `\n`-terminated lines of at most `limit` bytes, reading
/// only when asked for the next one. Memory stays bounded by `limit` plus the read buffer,
/// whatever the process prints: the rest of an oversized line is discarded as it streams by.
pub(crate) struct LineReader {
    buffer: Box<[u8]>,
    /// The bytes read and not split yet: `buffer[start..end]`.
    start: usize,
    end: usize,
    line: Vec<u8>,
    /// Bytes of the current line seen so far, kept or not.
    line_len: usize,
    discarding: bool,
    limit: usize,
    pending: Pending,
    /// The stream ended (or failed): nothing more comes.
    ended: bool,
}

impl LineReader {
    pub(crate) fn new(limit: usize) -> LineReader {
        LineReader {
            buffer: vec![0; READ_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            line: Vec::new(),
            line_len: 0,
            discarding: false,
            limit,
            pending: Pending::default(),
            ended: false,
        }
    }

    /// Whether the stream has ended (its last event was reported).
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    /// The next event in what has arrived, reading `source` as needed; `None` when nothing
    /// more has arrived, or after the end of the stream.
    pub(crate) fn next(&mut self, source: &mut impl LineSource) -> Option<StdoutEvent> {
        while !self.ended {
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
                match source.read_now(&mut self.buffer) {
                    Ok(None) => return None,
                    Ok(Some(0)) => {
                        self.ended = true;
                        let partial = (!self.discarding && !self.line.is_empty())
                            .then(|| String::from_utf8_lossy(&self.line).into_owned());
                        return Some(StdoutEvent::Closed { partial });
                    }
                    Ok(Some(n)) => self.end = n,
                    Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                    Err(error) => {
                        self.ended = true;
                        return Some(StdoutEvent::ReadFailed(error.to_string()));
                    }
                }
            }
            if let Some(event) = self.split(source) {
                return Some(event);
            }
        }
        None
    }

    /// Takes the buffered bytes up to and with the next `\n` (or all of them), and says what
    /// they complete, if anything.
    fn split(&mut self, source: &impl LineSource) -> Option<StdoutEvent> {
        let chunk = &self.buffer[self.start..self.end];
        let (taken, complete) = match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => (at, true),
            None => (chunk.len(), false),
        };
        let mut event = None;
        if !self.discarding {
            if self.line.len() + taken > self.limit {
                let room = self.limit.saturating_sub(self.line.len());
                self.line.extend_from_slice(&chunk[..room.min(taken)]);
                let head = String::from_utf8_lossy(&self.line[..self.line.len().min(SEEN_LIMIT)])
                    .into_owned();
                self.line = Vec::new();
                self.discarding = true;
                event = Some(StdoutEvent::Oversized(head));
            } else {
                self.line.extend_from_slice(&chunk[..taken]);
            }
        }
        self.line_len += taken;
        self.start += if complete { taken + 1 } else { taken };
        if complete {
            if !self.discarding {
                let bytes = std::mem::take(&mut self.line);
                event = Some(match String::from_utf8(bytes) {
                    Ok(text) => StdoutEvent::Line {
                        text: text.strip_suffix('\r').map(str::to_string).unwrap_or(text),
                        more: self.start < self.end || source.waiting(),
                    },
                    Err(error) => {
                        StdoutEvent::NotUtf8(String::from_utf8_lossy(error.as_bytes()).into_owned())
                    }
                });
            }
            self.discarding = false;
            self.line_len = 0;
            self.pending = Pending::default();
        } else if !self.discarding {
            self.pending.len = self.line_len;
            if self.pending.head.len() < SEEN_LIMIT {
                self.pending.head = self.line[..self.line.len().min(SEEN_LIMIT)].to_vec();
            }
        }
        event
    }
}

/// Every event of a [`LineReader`] over a blocking `stdout`, to its end. `crate::fuzzing` drives
/// it with any bytes, cut into any reads.
#[cfg(any(test, feature = "internals"))]
pub(crate) fn read_lines<R: Read>(stdout: R, limit: usize) -> Vec<StdoutEvent> {
    struct Blocking<R>(R);
    impl<R: Read> LineSource for Blocking<R> {
        fn read_now(&mut self, buffer: &mut [u8]) -> std::io::Result<Option<usize>> {
            self.0.read(buffer).map(Some)
        }
        fn waiting(&self) -> bool {
            false
        }
    }
    let mut source = Blocking(stdout);
    let mut reader = LineReader::new(limit);
    std::iter::from_fn(|| reader.next(&mut source)).collect()
}

// ---------------------------------------------------------------------------------------------
// A pipe that can be given up
// ---------------------------------------------------------------------------------------------

/// One end of a pipe from the adapter, non-blocking, read with `poll(2)` in slices of
/// [`POLL_SLICE`], so a reader wakes up to see the stop flag and no thread outlives its process.
struct Polled {
    file: File,
    stop: Arc<AtomicBool>,
}

impl Polled {
    fn new(pipe: impl Into<OwnedFd>, stop: &Arc<AtomicBool>) -> std::io::Result<Polled> {
        Ok(Polled {
            file: nonblocking(pipe.into())?,
            stop: Arc::clone(stop),
        })
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Waits up to one slice for something to read (or the writer's end).
    fn wait(&self) {
        let mut poll = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll(2) on one valid pollfd that lives for the call.
        unsafe {
            libc::poll(&mut poll, 1, POLL_SLICE.as_millis() as libc::c_int);
        }
    }

    /// Whether bytes are waiting in the pipe (FIONREAD).
    fn has_bytes_waiting(&self) -> bool {
        let mut waiting: libc::c_int = 0;
        // SAFETY: ioctl(2) FIONREAD writes one c_int through the pointer given.
        let ok = unsafe { libc::ioctl(self.file.as_raw_fd(), libc::FIONREAD, &mut waiting) } == 0;
        ok && waiting > 0
    }

    /// Reads what is there now, without waiting: `Ok(None)` when nothing is.
    fn read_now(&self, buffer: &mut [u8]) -> std::io::Result<Option<usize>> {
        loop {
            match (&self.file).read(buffer) {
                Ok(n) => return Ok(Some(n)),
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// stderr
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct StderrState {
    bytes: Vec<u8>,
    /// Bytes dropped from the front since the last take.
    dropped: usize,
    /// Drain threads still reading.
    open: usize,
}

/// The last [`STDERR_LIMIT`] bytes an adapter wrote to stderr, across restarts.
#[derive(Debug, Clone, Default)]
pub(crate) struct StderrSink(Arc<(Mutex<StderrState>, Condvar)>);

impl StderrSink {
    /// Reads `pipe` to its end (or until it is stopped) on a thread of its own, keeping the tail.
    fn drain(&self, pipe: Arc<Polled>) -> std::io::Result<()> {
        lock(&self.0 .0).open += 1;
        let sink = self.clone();
        let spawned = thread::Builder::new()
            .name("adapter-stderr".into())
            .spawn(move || {
                while !pipe.stopped() && sink.read_available(&pipe) {
                    pipe.wait();
                }
                let (state, done) = &*sink.0;
                lock(state).open -= 1;
                done.notify_all();
            });
        if spawned.is_err() {
            lock(&self.0 .0).open -= 1;
        }
        spawned.map(|_| ())
    }

    /// Reads what `pipe` holds now into the sink, under the sink's lock (so the drain thread and
    /// a caller catching up never interleave). Returns false at the end of the stream.
    fn read_available(&self, pipe: &Polled) -> bool {
        let mut state = lock(&self.0 .0);
        let mut buffer = [0u8; 8192];
        loop {
            match pipe.read_now(&mut buffer) {
                Ok(Some(0)) | Err(_) => return false,
                Ok(Some(n)) => Self::push_locked(&mut state, &buffer[..n]),
                Ok(None) => return true,
            }
        }
    }

    #[cfg(test)]
    fn push(&self, bytes: &[u8]) {
        Self::push_locked(&mut lock(&self.0 .0), bytes);
    }

    fn push_locked(state: &mut StderrState, bytes: &[u8]) {
        state.bytes.extend_from_slice(bytes);
        // Trim in batches so a chatty adapter costs amortised O(1) per byte.
        if state.bytes.len() > 2 * STDERR_LIMIT {
            let excess = state.bytes.len() - STDERR_LIMIT;
            state.bytes.drain(..excess);
            state.dropped += excess;
        }
    }

    /// Everything kept since the last take (the last [`STDERR_LIMIT`] bytes), and clears it.
    pub(crate) fn take(&self) -> String {
        let mut state = lock(&self.0 .0);
        if state.bytes.len() > STDERR_LIMIT {
            let excess = state.bytes.len() - STDERR_LIMIT;
            state.bytes.drain(..excess);
            state.dropped += excess;
        }
        let text = String::from_utf8_lossy(&state.bytes).into_owned();
        let dropped = std::mem::take(&mut state.dropped);
        state.bytes.clear();
        if dropped > 0 {
            format!("[{dropped} earlier bytes of stderr left out]\n{text}")
        } else {
            text
        }
    }

    /// The last `limit` bytes, without clearing.
    pub(crate) fn peek_tail(&self, limit: usize) -> String {
        let state = lock(&self.0 .0);
        let start = state.bytes.len().saturating_sub(limit);
        String::from_utf8_lossy(&state.bytes[start..]).into_owned()
    }

    /// Waits up to `within` until every drain thread has reached the end of its stream.
    fn wait_drained(&self, within: Duration) {
        let (state, done) = &*self.0;
        let guard = lock(state);
        let _ = done.wait_timeout_while(guard, within, |s| s.open > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(input: &[u8], limit: usize) -> Vec<StdoutEvent> {
        read_lines(input, limit)
    }

    #[test]
    fn splits_lines_and_reports_the_unterminated_tail() {
        let events = lines_of(b"{\"a\":1}\r\n{\"b\":2}\nrest", 100);
        assert!(matches!(&events[0], StdoutEvent::Line { text: l, .. } if l == "{\"a\":1}"));
        assert!(matches!(&events[1], StdoutEvent::Line { text: l, .. } if l == "{\"b\":2}"));
        assert!(matches!(&events[2], StdoutEvent::Closed { partial: Some(p) } if p == "rest"));
    }

    #[test]
    fn an_oversized_line_is_reported_once_and_skipped() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nok\n");
        let events = lines_of(&input, 100);
        assert!(matches!(&events[0], StdoutEvent::Oversized(head) if head.len() == 100));
        assert!(matches!(&events[1], StdoutEvent::Line { text: l, .. } if l == "ok"));
        assert!(matches!(&events[2], StdoutEvent::Closed { partial: None }));
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read() {
        let mut input = vec![b'y'; 100];
        input.push(b'\n');
        let events = lines_of(&input, 100);
        assert!(matches!(&events[0], StdoutEvent::Line { text: l, .. } if l.len() == 100));
    }

    #[test]
    fn stderr_keeps_the_tail() {
        let sink = StderrSink::default();
        sink.push(&vec![b'a'; STDERR_LIMIT]);
        sink.push(&vec![b'b'; STDERR_LIMIT * 2]);
        let text = sink.take();
        let (note, kept) = text.split_once('\n').unwrap_or_default();
        assert_eq!(
            note,
            format!("[{} earlier bytes of stderr left out]", 2 * STDERR_LIMIT)
        );
        assert_eq!(kept, "b".repeat(STDERR_LIMIT));
        assert_eq!(sink.take(), "");
    }

    /// A source that has nothing at times: `None` in `reads` is "nothing yet".
    struct Trickle(std::collections::VecDeque<Option<Vec<u8>>>);

    impl LineSource for Trickle {
        fn read_now(&mut self, buffer: &mut [u8]) -> std::io::Result<Option<usize>> {
            match self.0.pop_front() {
                None => Ok(Some(0)),
                Some(None) => Ok(None),
                Some(Some(bytes)) => {
                    buffer[..bytes.len()].copy_from_slice(&bytes);
                    Ok(Some(bytes.len()))
                }
            }
        }

        fn waiting(&self) -> bool {
            matches!(self.0.front(), Some(Some(_)))
        }
    }

    #[test]
    fn a_line_cut_by_pauses_is_read_whole_once_it_ends() {
        let mut source = Trickle(
            [
                Some(b"{\"a\"".to_vec()),
                None,
                Some(b":1}\n{\"b\":".to_vec()),
                None,
                Some(b"2}\n".to_vec()),
            ]
            .into(),
        );
        let mut reader = LineReader::new(100);
        assert!(reader.next(&mut source).is_none(), "half a line is no line");
        assert_eq!(reader.pending.len, 4);
        assert!(matches!(
            reader.next(&mut source),
            Some(StdoutEvent::Line { text, more: true }) if text == "{\"a\":1}"
        ));
        assert!(reader.next(&mut source).is_none());
        assert!(matches!(
            reader.next(&mut source),
            Some(StdoutEvent::Line { text, .. }) if text == "{\"b\":2}"
        ));
        assert!(!reader.ended());
        assert!(matches!(
            reader.next(&mut source),
            Some(StdoutEvent::Closed { partial: None })
        ));
        assert!(reader.ended());
        assert!(reader.next(&mut source).is_none());
    }

    fn shell(script: &str) -> ExecProcess {
        let command = ["sh", "-c", script].map(String::from);
        ExecProcess::spawn(&command, StderrSink::default(), MESSAGE_LIMIT)
            .unwrap_or_else(|error| panic!("{}", error.0))
    }

    /// Queues a raw line, as `send` does with a message.
    fn send_raw(process: &mut ExecProcess, line: &[u8]) {
        process.outbox.extend_from_slice(line);
        process.outbox.push(b'\n');
        process.write_now();
    }

    #[test]
    fn a_request_larger_than_the_pipe_is_written_while_the_answer_is_read() {
        // `cat` answers with the request itself, as it reads it: neither side may wait for the
        // other to finish.
        let mut process = shell("exec cat");
        let line = vec![b'x'; 600 * 1024];
        send_raw(&mut process, &line);
        assert!(!process.outbox.is_empty(), "the pipe took it all at once");
        let answer = process.receive(Duration::from_secs(20)).expect("the echo");
        assert_eq!(answer.len(), line.len());
        assert!(process.outbox.is_empty());
        process.kill();
    }

    #[test]
    fn an_adapter_that_never_reads_a_large_request_times_out() {
        let mut process = shell("exec sleep 30");
        send_raw(&mut process, &vec![b'x'; 600 * 1024]);
        let error = process
            .receive(Duration::from_millis(300))
            .expect_err("no answer");
        assert_eq!(error.kind, AdapterErrorKind::Timeout, "{error}");
        // Closing stdin gives up what the pipe would not take, within a poll slice.
        process.close_stdin();
        assert!(process.outbox.is_empty());
        process.kill();
    }

    #[test]
    fn a_request_to_a_closed_stdin_is_an_exit_that_says_so() {
        let mut process = shell("exec 0<&-; echo closed >&2; exec sleep 30");
        // Wait until it has closed its stdin.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !process.stderr.peek_tail(100).contains("closed") && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        process.send(&ToAdapter::Bye);
        let error = process
            .receive(Duration::from_secs(5))
            .expect_err("nothing was written");
        assert_eq!(error.kind, AdapterErrorKind::Exited, "{error}");
        assert!(
            error
                .detail
                .contains("could not write the request to its stdin"),
            "{error}"
        );
        process.kill();
    }

    #[test]
    fn commands_display_as_typed() {
        let command = vec!["python3".to_string(), "my adapter.py".to_string()];
        assert_eq!(display_command(&command), "python3 'my adapter.py'");
    }
}
