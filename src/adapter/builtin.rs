//! Implementations that live in this process: the reference, and the bundled broken ones.
#![warn(missing_docs)]

use std::sync::Arc;

use super::{check_answer, Adapter, AdapterError, AdapterErrorKind, AdapterFactory, StartError};
use crate::contract::{FromAdapter, HelloReply, SignRequest, ToAdapter, Verdict, VerifyRequest};
use crate::reference::{self, Reference};

/// An implementation called directly, without a transport.
pub trait InProcess: Send {
    /// Answers `hello`: the name, version, roles and clock the implementation declares.
    fn hello(&self) -> HelloReply;
    /// Decides one request as the implementation's server would: accepted or rejected.
    fn verify(&mut self, request: &VerifyRequest) -> Verdict;
    /// Answers `signed`, `refused` or `unsupported`.
    fn sign(&mut self, request: &SignRequest) -> FromAdapter;
}

/// Runs an [`InProcess`] implementation as an adapter.
pub(crate) struct Builtin {
    hello: HelloReply,
    implementation: Box<dyn InProcess>,
}

impl Builtin {
    pub(crate) fn new(implementation: Box<dyn InProcess>) -> Self {
        Builtin {
            hello: implementation.hello(),
            implementation,
        }
    }
}

impl Adapter for Builtin {
    fn hello(&self) -> &HelloReply {
        &self.hello
    }

    fn call(&mut self, message: &ToAdapter) -> Result<FromAdapter, AdapterError> {
        let answer = match message {
            ToAdapter::Hello(_) => FromAdapter::Hello(self.hello.clone()),
            ToAdapter::Verify(request) => FromAdapter::Verdict(self.implementation.verify(request)),
            ToAdapter::Sign(request) => self.implementation.sign(request),
            ToAdapter::Bye => {
                return Err(AdapterError::new(
                    AdapterErrorKind::WrongAnswer,
                    "`bye` has no answer",
                ))
            }
        };
        check_answer(message, answer)
    }
}

/// Makes a fresh in-process implementation per worker (stateful bugs stay per worker).
pub struct BuiltinFactory {
    name: String,
    make: Arc<dyn Fn() -> Box<dyn InProcess> + Send + Sync>,
}

impl BuiltinFactory {
    /// A factory named `builtin:NAME` in reports that calls `make` once per worker.
    pub fn new(
        name: impl Into<String>,
        make: impl Fn() -> Box<dyn InProcess> + Send + Sync + 'static,
    ) -> Self {
        BuiltinFactory {
            name: name.into(),
            make: Arc::new(make),
        }
    }

    /// The reference implementation.
    pub fn reference() -> Self {
        BuiltinFactory::new("reference", || Box::new(Reference))
    }
}

impl AdapterFactory for BuiltinFactory {
    fn start(&self) -> Result<Box<dyn Adapter>, StartError> {
        Ok(Box::new(Builtin::new((self.make)())))
    }

    fn describe(&self) -> String {
        format!("builtin:{}", self.name)
    }
}

impl InProcess for Reference {
    fn hello(&self) -> HelloReply {
        Reference::hello()
    }

    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        reference::verify(request)
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        reference::sign(request)
    }
}
