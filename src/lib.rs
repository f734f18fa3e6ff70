//! messenger-conformance: checks any implementation of Messenger Identity Verification
//! (`user_hash` = HMAC-SHA256 of the user's identifier) and Messenger Security with JWTs (HS256)
//! against one executable spec.
//!
//! # What it is
//!
//! A conformance suite and the harness that runs it. The suite is a set of YAML cases (hash
//! precedence, wrong-platform secrets, expired tokens, `alg: none`, key rotation, locked
//! attributes, ...) built into this crate, and generated properties beside them. The harness
//! sends each case to an implementation of either side, the *verifier* (the server that decides
//! whether a Messenger request is accepted, who the user is and which attributes apply) or the
//! *signer* (the backend that makes hashes and tokens), and judges every answer: a failure says
//! what was expected, what came back, which requirement it breaks and why that matters.
//!
//! An implementation is plugged in through an adapter: in this process (a Rust service, below),
//! a subprocess speaking JSON lines, or an HTTP endpoint (any language, through the
//! `messenger-conformance` command).
//!
//! # Quick start: a Rust service, as cargo tests
//!
//! Add the crate as a dev-dependency and a test target that brings its own `main`:
//!
//! ```toml
//! [dev-dependencies]
//! messenger-conformance = "0.1"
//!
//! [[test]]
//! name = "conformance"
//! harness = false
//! ```
//!
//! Implement the typed [`Verifier`](service::Verifier) and/or [`Signer`](service::Signer) of
//! [`service`] over your own code, declare them as a [`Service`](service::Service), and hand it to
//! [`harness::run`] in `tests/conformance.rs`:
//!
//! ```no_run
//! use messenger_conformance::harness;
//! use messenger_conformance::service::{
//!     Attributes, ErrorCode, Identity, Request, Service, Verdict, Verifier, Workspace,
//! };
//!
//! /// Lets visitors in and nobody else: it fails most of the suite, and says why.
//! struct VisitorsOnly;
//!
//! impl Verifier for VisitorsOnly {
//!     fn verify(&mut self, _: &Workspace, request: &Request, _now: i64) -> Verdict {
//!         match Identity::new(request.user_id.clone(), request.email.clone()) {
//!             None => Verdict::visitor(Attributes::default()),
//!             Some(_user) => Verdict::rejected(ErrorCode::UserHashRequired),
//!         }
//!     }
//! }
//!
//! fn main() {
//!     let service = Service::new("visitors-only", env!("CARGO_PKG_VERSION")).verifier(|| VisitorsOnly);
//!     harness::run(service);
//! }
//! ```
//!
//! `cargo test --test conformance` then runs one trial per case, named `area::ID`, and one per
//! property, named `properties::NAME`; a filter, `-- --exact jwt::JWT-EXP-001`, `-- --list` and
//! `cargo nextest run` work as for any test. The types rule out answers the protocol forbids (a
//! verified user without an identity, an error code outside the contract's list); a role the
//! service does not declare is an ignored trial that says why, and
//! [`Service::baseline`](service::Service::baseline) lists the failures it knows of.
//! `examples/rust-service` in the repository is a complete service on the `jsonwebtoken` crate.
//!
//! An implementation that speaks the protocol's JSON types instead
//! ([`InProcess`](adapter::builtin::InProcess), from [`contract`]) runs with [`harness::main`],
//! against the built-in suite ([`SuiteSource::Embedded`](harness::SuiteSource::Embedded)) or a
//! cases directory.
//!
//! # Other languages: the exec and HTTP adapters
//!
//! Anything else is tested over the adapter protocol
//! ([docs/protocol.md](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/protocol.md),
//! every message in `schema/protocol.schema.json`) by the command this crate installs
//! (`cargo install messenger-conformance`):
//!
//! ```sh
//! # a subprocess that reads one JSON request per line on stdin and answers on stdout
//! messenger-conformance run -- node my-adapter.js
//! # an endpoint that takes each message as a POST body
//! messenger-conformance run --url http://127.0.0.1:8080/conformance
//! # first, the plumbing of a new adapter
//! messenger-conformance smoke -- python3 my-adapter.py
//! ```
//!
//! The repository's `adapters/` holds adapters to copy (Node, Python, Rust). From Rust code,
//! the same transports are [`ExecFactory`](adapter::exec::ExecFactory) and
//! [`HttpFactory`](adapter::http::HttpFactory): like a [`Service`](service::Service), each is an
//! [`AdapterFactory`](adapter::AdapterFactory), which starts one [`Adapter`](adapter::Adapter)
//! per worker.
//!
//! # Where the reports go
//!
//! - Under [`harness`], to the test output: each failed trial's message is the failure report
//!   (expected, got, the requirement, what to do next), and libtest's exit code is the verdict.
//! - Under `messenger-conformance run`, to `reports/latest/` in the directory it runs from:
//!   `events.jsonl` (one record per case and property, transcripts with secrets redacted; its
//!   format is versioned:
//!   [docs/events.md](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/events.md)),
//!   `junit.xml`, `summary.md`, `summary.json`, `badge.json` and `report.html`; the process ends
//!   with an [`Exit`](exit::Exit) code. CI recipes, baselines and shards:
//!   [docs/ci.md](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/ci.md).
//!
//! # The API
//!
//! - [`service`]: the typed `Verifier` and `Signer` traits of a Rust service, and `Service`;
//! - [`harness`]: the suite as cargo tests ([`harness::run`], [`harness::main`]);
//! - [`adapter`]: the `Adapter` and `AdapterFactory` traits, the in-process `InProcess` trait,
//!   and the three transports;
//! - [`contract`]: the protocol's wire types and its JSON Schema;
//! - [`exit`]: the process's [`Exit`](exit::Exit) codes.
//!
//! The modules below them (the runner, the judge, the case loader, the reports, ...) are
//! internal. With the
//! default feature `internals` they are public for the command line and this crate's own tests,
//! and hidden from this documentation: nothing in them is a stable API. A dependent that wants
//! exactly the API above depends with `default-features = false`.
//!
//! # Further reading
//!
//! In the repository, beside this crate:
//! [the spec](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/spec.md),
//! [troubleshooting a failing integration](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/troubleshooting.md),
//! [the wrong readings each case catches](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/wrong-readings.md),
//! and how the code is laid out, which module may import which, and where each kind of change goes:
//! [docs/architecture.md](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/architecture.md).

// Without `internals`, the code only the command line calls (the runner's parallel runs, the
// report renderers, diff and merge, the token debugger's words, the case lint, the suite's
// export) is unreachable from the API above, and the lints would call it dead though the binary
// uses it (303 warnings: `cargo rustc --lib --no-default-features --profile=check --
// --force-warn dead_code --force-warn unused_imports 2>&1 | grep -c ^warning`).
// The allowance is for that build only; the default build is linted as before.
#![cfg_attr(not(feature = "internals"), allow(dead_code, unused_imports))]

// The API.
pub mod adapter;
pub mod contract;
pub mod exit;
pub mod harness;
pub mod service;

#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod fuzzing;

/// Declares the modules the API above is built on: public but hidden from the documentation
/// with the `internals` feature (the command line, the integration tests, the fuzz targets and
/// the benches use them), private to the crate without it.
macro_rules! internal {
    ($(mod $name:ident;)*) => {$(
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
        #[cfg(not(feature = "internals"))]
        pub(crate) mod $name;
    )*};
}

internal! {
    mod clock;
    mod compare;
    mod debug;
    mod event;
    mod input;
    mod judge;
    mod output;
    mod properties;
    mod redact;
    mod reference;
    mod report;
    mod run;
    mod scenario;
    mod selection;
    mod spec;
    mod suite;
    mod visible;
}

/// Declares the modules only the command line and the tests use (the bundled broken
/// implementations, `serve`, the report session, `smoke`): compiled with `internals` alone.
macro_rules! command_line {
    ($(mod $name:ident;)*) => {$(
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
    )*};
}

command_line! {
    mod broken;
    mod serve;
    mod session;
    mod smoke;
}

pub(crate) mod exchange;
pub(crate) mod shorten;
