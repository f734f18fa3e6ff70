//! The http transport: each message is POSTed as a JSON body to one URL; the answer is the
//! body of a 200 response.
//!
//! One keep-alive agent per worker, a global deadline per call (connect, send and read
//! together), status codes read rather than turned into errors, and answer bodies capped at
//! `MESSAGE_LIMIT`.

use std::io::Read;
use std::time::Duration;

use super::{
    decode_answer, decode_hello, Adapter, AdapterError, AdapterErrorKind, AdapterFactory, Channel,
    StartError, MESSAGE_LIMIT, SEEN_LIMIT,
};
use crate::contract::{FromAdapter, HelloReply, HelloRequest, ToAdapter, PROTOCOL_VERSION};

/// Talks to the implementation at `url`.
#[derive(Debug, Clone)]
pub struct HttpFactory {
    /// Where every message is POSTed.
    pub url: String,
    /// How long one request may take, connection included.
    pub timeout: Duration,
    /// Check every answer against the protocol's JSON Schema (`--validate-protocol`).
    pub validate_protocol: bool,
    /// The largest answer body read.
    pub body_limit: usize,
}

impl HttpFactory {
    /// POST to `url` with `timeout` per request and no schema check.
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        HttpFactory {
            url: url.into(),
            timeout,
            validate_protocol: false,
            body_limit: MESSAGE_LIMIT,
        }
    }

    /// Validate every answer against the protocol's JSON Schema.
    pub fn validate_protocol(mut self, on: bool) -> Self {
        self.validate_protocol = on;
        self
    }
}

impl AdapterFactory for HttpFactory {
    fn start(&self) -> Result<Box<dyn Adapter>, StartError> {
        Ok(Box::new(HttpAdapter::start(self.clone())?))
    }

    fn describe(&self) -> String {
        format!("http:{}", self.url)
    }
}

/// An HTTP implementation that has answered `hello`.
pub(crate) struct HttpAdapter {
    config: HttpFactory,
    client: HttpClient,
    hello: HelloReply,
    /// After an adapter error the next call says `hello` again first, as a restarted process
    /// would (the server may have restarted too).
    needs_hello: bool,
}

impl HttpAdapter {
    pub(crate) fn start(config: HttpFactory) -> Result<HttpAdapter, StartError> {
        let client = HttpClient::new(&config.url, config.timeout, config.body_limit);
        let hello = handshake(&client, &config)?;
        Ok(HttpAdapter {
            config,
            client,
            hello,
            needs_hello: false,
        })
    }
}

fn handshake(client: &HttpClient, config: &HttpFactory) -> Result<HelloReply, StartError> {
    let url = &config.url;
    let hello = ToAdapter::Hello(HelloRequest {
        protocol: PROTOCOL_VERSION,
    });
    let raw = client.exchange(&hello).map_err(|error| {
        StartError(match error.kind {
            AdapterErrorKind::Timeout => format!(
                "{url} did not answer hello within {} ms: is the server up, and does it answer a POST to this exact URL?",
                config.timeout.as_millis()
            ),
            AdapterErrorKind::Transport if error.detail.starts_with("HTTP ") => format!(
                "{url} answered hello with {}: the harness POSTs every message to exactly this URL; check the path{}",
                crate::visible::visible(&error.detail),
                error.seen.map(|s| format!(" (body: {})", crate::visible::visible(&s))).unwrap_or_default()
            ),
            AdapterErrorKind::InvalidMessage | AdapterErrorKind::Oversized => format!(
                "{url} answered hello, but {}{}",
                crate::visible::visible(&error.detail),
                error.seen.map(|s| format!(" (body: {})", crate::visible::visible(&s))).unwrap_or_default()
            ),
            _ => format!(
                "could not reach {url}: {}. Check that the server is running and listening there (scheme, host, port and path); `messenger-conformance serve --http 127.0.0.1:8080` serves the reference for comparison",
                error.detail
            ),
        })
    })?;
    decode_hello(&raw, config.validate_protocol, Channel::HttpBody)
        .map_err(|StartError(message)| StartError(format!("{url}: {message}")))
}

impl Adapter for HttpAdapter {
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
        if self.needs_hello {
            handshake(&self.client, &self.config).map_err(|error| {
                AdapterError::new(
                    AdapterErrorKind::Transport,
                    format!("the hello before this request failed: {}", error.0),
                )
            })?;
            self.needs_hello = false;
        }
        let result = self.client.exchange(message).and_then(|raw| {
            decode_answer(
                message,
                &raw,
                self.config.validate_protocol,
                Channel::HttpBody,
            )
        });
        if result.is_err() {
            self.needs_hello = true;
        }
        result
    }

    fn shutdown(&mut self) {
        // A courtesy: servers may ignore it, and whatever they answer changes nothing.
        let _ = self
            .client
            .post(&serde_json::to_string(&ToAdapter::Bye).unwrap_or_default());
    }
}

/// The raw http transport: POST one body, read one body. [`HttpAdapter`] builds on it; `smoke`
/// uses it directly.
pub(crate) struct HttpClient {
    agent: ureq::Agent,
    url: String,
    body_limit: usize,
}

impl HttpClient {
    pub(crate) fn new(url: &str, timeout: Duration, body_limit: usize) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Never follow a redirect: the answer is the one URL's, or an adapter error. (With
            // 0, ureq returns the 3xx response itself.)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .build()
            .into();
        HttpClient {
            agent,
            url: url.to_string(),
            body_limit,
        }
    }

    /// POSTs `body` and returns the status and the body read (capped).
    pub(crate) fn post(&self, body: &str) -> Result<(u16, String), AdapterError> {
        let mut response = self
            .agent
            .post(&self.url)
            .content_type("application/json")
            .send(body)
            .map_err(|error| transport_error(&error))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(redirect_error(status, header(&response, "location")));
        }
        let content_type = header(&response, "content-type");
        // Read one byte past the limit to tell a body that fits from one that does not; a
        // failed answer's body is only shown, so it is cut short instead.
        let limit = if status == 200 {
            self.body_limit
        } else {
            SEEN_LIMIT * 4
        };
        let mut bytes = Vec::new();
        let read = response
            .body_mut()
            .as_reader()
            .take(limit as u64 + 1)
            .read_to_end(&mut bytes);
        if let Err(error) = read {
            if status == 200 {
                let kind = if error.kind() == std::io::ErrorKind::TimedOut {
                    AdapterErrorKind::Timeout
                } else {
                    AdapterErrorKind::Transport
                };
                return Err(AdapterError::new(
                    kind,
                    format!("could not read the body: {error}"),
                ));
            }
        }
        let oversized = bytes.len() > limit;
        bytes.truncate(limit);
        if status != 200 {
            return Ok((status, String::from_utf8_lossy(&bytes).into_owned()));
        }
        if oversized {
            return Err(AdapterError::new(
                AdapterErrorKind::Oversized,
                format!("the response body is longer than {limit} bytes (the limit)"),
            )
            .with_seen(&String::from_utf8_lossy(
                &bytes[..bytes.len().min(SEEN_LIMIT)],
            )));
        }
        if !is_json(content_type.as_deref()) {
            return Err(AdapterError::new(
                AdapterErrorKind::InvalidMessage,
                format!(
                    "the response's Content-Type is {}, not application/json: answer with the header `Content-Type: application/json` and the JSON message as the body",
                    content_type.map_or("missing".to_string(), |t| format!("`{}`", crate::shorten::truncate(&t, 100)))
                ),
            )
            .with_seen(&String::from_utf8_lossy(&bytes)));
        }
        String::from_utf8(bytes)
            .map(|text| (status, text))
            .map_err(|error| {
                AdapterError::new(
                    AdapterErrorKind::InvalidMessage,
                    "the body is not UTF-8; the protocol is UTF-8 JSON",
                )
                .with_seen(&String::from_utf8_lossy(error.as_bytes()))
            })
    }

    /// POSTs one message; anything but a 200 is a transport error carrying the body.
    pub(crate) fn exchange(&self, message: &ToAdapter) -> Result<String, AdapterError> {
        let request = serde_json::to_string(message).unwrap_or_default();
        let (status, body) = self.post(&request)?;
        if status != 200 {
            return Err(AdapterError::new(
                AdapterErrorKind::Transport,
                format!("HTTP {status}, not 200"),
            )
            .with_seen(&body));
        }
        Ok(body)
    }
}

/// A response header as text, if present and readable.
fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// Whether a `Content-Type` names JSON: `application/json`, in any case, with or without
/// parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        let media_type = value.split(';').next().unwrap_or("").trim();
        media_type.eq_ignore_ascii_case("application/json")
    })
}

/// A 3xx answer: never followed, since the verdict would then come from another server.
fn redirect_error(status: u16, location: Option<String>) -> AdapterError {
    let to = location.map_or(String::new(), |l| {
        format!(" to `{}`", crate::shorten::truncate(&l, SEEN_LIMIT))
    });
    AdapterError::new(
        AdapterErrorKind::Transport,
        format!(
            "HTTP {status}, a redirect{to}, not 200: the harness never follows redirects (the answer must come from the URL under test, not from wherever it points); give the final URL with --url, or answer at this one"
        ),
    )
}

fn transport_error(error: &ureq::Error) -> AdapterError {
    match error {
        ureq::Error::Timeout(which) => AdapterError::new(
            AdapterErrorKind::Timeout,
            format!("no answer in time ({which} timeout)"),
        ),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => AdapterError::new(
            AdapterErrorKind::Timeout,
            format!("no answer in time ({io})"),
        ),
        ureq::Error::BodyExceedsLimit(limit) => AdapterError::new(
            AdapterErrorKind::Oversized,
            format!("the response body is longer than {limit} bytes (the limit)"),
        ),
        other => AdapterError::new(AdapterErrorKind::Transport, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_application_json_with_any_parameters_in_any_case() {
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            " application/json ",
        ] {
            assert!(is_json(Some(yes)), "{yes}");
        }
        for no in [
            "text/plain; charset=UTF-8",
            "text/json",
            "application/problem+json",
            "application/jsonp",
            "",
        ] {
            assert!(!is_json(Some(no)), "{no}");
        }
        assert!(!is_json(None));
    }

    #[test]
    fn a_redirect_says_where_it_pointed_and_what_to_do() {
        let error = redirect_error(307, Some("http://elsewhere:9/".into()));
        assert_eq!(error.kind, AdapterErrorKind::Transport);
        assert!(
            error
                .detail
                .starts_with("HTTP 307, a redirect to `http://elsewhere:9/`, not 200"),
            "{error}"
        );
        assert!(
            error.detail.contains("give the final URL with --url"),
            "{error}"
        );
        assert!(redirect_error(301, None)
            .detail
            .starts_with("HTTP 301, a redirect, not 200"));
    }
}
