//! messenger-conformance: checks any implementation of Messenger Identity Verification
//! (`user_hash`) and Messenger Security with JWTs against one executable spec.
//!
//! Data flows one way: case files ([`scenario`]) become protocol messages ([`contract`]) sent
//! through an [`adapter`]; the [`judge`] compares each answer with the case's expectation; the
//! [`report`] module renders the resulting events. [`reference`] is the spec as code, and
//! [`spec`] the requirements it implements.

pub mod adapter;
pub mod cli;
pub mod contract;
pub mod diagnose;
pub mod judge;
pub mod mutants;
pub mod properties;
pub mod reference;
pub mod report;
pub mod run;
pub mod scenario;
pub mod serve;
pub mod spec;
