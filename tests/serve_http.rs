//! `serve --http` cannot be stalled (issue 18, item 7): clients that announce a body and send
//! none are answered 408 when their request time is up, and never occupy the workers, so the
//! next request is answered.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

/// `serve --http` on a free port, with a short request timeout; killed on drop.
struct Server {
    child: std::process::Child,
    address: String,
}

impl Server {
    fn start() -> Server {
        let mut child = common::bin(&[
            "serve",
            "--http",
            "127.0.0.1:0",
            "--threads",
            "4",
            "--request-timeout-ms",
            "300",
        ])
        .stdout(Stdio::null())
        .spawn();
        let mut stderr = child.stderr.take().unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while stderr.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let line = String::from_utf8(line).unwrap();
        let address = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{line}"))
            .to_string();
        Server { child, address }
    }

    /// A connection whose reads fail (the test fails, rather than hangs) after a minute.
    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_all(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    match stream.read_to_end(&mut text) {
        Ok(_) => {}
        Err(error) => panic!(
            "no answer ({error}); so far: {:?}",
            String::from_utf8_lossy(&text)
        ),
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn clients_that_stall_their_body_are_timed_out_and_the_next_request_is_answered() {
    let server = Server::start();
    // More stalled clients than workers: each announces 100000 bytes and sends one.
    let mut stalled: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
                .unwrap();
            stream
        })
        .collect();
    // And one that stops in the middle of its headers.
    let mut slow_headers = server.connect();
    slow_headers
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();

    let hello = br#"{"type":"hello","protocol":1}"#;
    let mut client = server.connect();
    write!(
        client,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        hello.len()
    )
    .unwrap();
    client.write_all(hello).unwrap();
    let answer = read_all(&mut client);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"type\":\"hello\""), "{answer}");

    for stream in stalled.iter_mut().chain(std::iter::once(&mut slow_headers)) {
        let answer = read_all(stream);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.contains("did not arrive whole within 300 ms"),
            "{answer}"
        );
    }
}

#[test]
fn a_kept_alive_connection_answers_one_request_after_another() {
    let server = Server::start();
    let mut client = server.connect();
    let hello = br#"{"type":"hello","protocol":1}"#;
    for _ in 0..3 {
        write!(
            client,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            hello.len()
        )
        .unwrap();
        client.write_all(hello).unwrap();
        // Read the head, then exactly the body it announces.
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(client.read(&mut byte).unwrap(), 1, "closed early");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        let mut body = vec![0u8; length];
        client.read_exact(&mut body).unwrap();
        assert!(String::from_utf8_lossy(&body).contains("\"hello\""));
    }
}
