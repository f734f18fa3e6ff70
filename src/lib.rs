//! messenger-conformance: checks any implementation of Messenger Identity Verification
//! (`user_hash`) and Messenger Security with JWTs against one executable spec.
//!
//! Data flows one way: case files ([`scenario`]) become protocol messages ([`contract`]) sent
//! through an [`adapter`]; the [`judge`] compares each answer with the case's expectation; the
//! [`report`] module renders the resulting events. [`reference`] is the spec as code, and
//! [`spec`] the requirements it implements.
//!
//! The layers, which module may import which, and where each kind of change goes:
//! [`docs/architecture.md`](https://github.com/messenger-conformance/messenger-conformance/blob/main/docs/architecture.md)
//! (in the repository, beside this crate).

pub mod adapter;
pub mod broken;
pub mod clock;
pub mod compare;
pub mod contract;
pub mod debug;
pub mod event;
pub(crate) mod exchange;
pub mod exit;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod harness;
pub mod input;
pub mod judge;
pub mod output;
pub mod properties;
pub mod redact;
pub mod reference;
pub mod report;
pub mod run;
pub mod scenario;
pub mod selection;
pub mod serve;
pub mod service;
pub mod session;
pub(crate) mod shorten;
pub mod smoke;
pub mod spec;
pub mod suite;
pub mod visible;
