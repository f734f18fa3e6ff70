//! A Rust service under test, in this process: typed traits for its verifier and signer, and
//! [`Service`], which declares them and runs them as an adapter.
//!
//! The wire protocol is JSON, and JSON lets an implementation say things the contract forbids:
//! `accepted` with no identity, `verified: true` for a visitor, a rejection that still applies
//! attributes, an error code spelt `jwt_expried`, an `unsupported` answer to dodge a hard case.
//! The types here rule those out:
//!
//! - a [`Verifier`] answers a [`Verdict`], made only by [`Verdict::verified`],
//!   [`Verdict::unverified`], [`Verdict::visitor`] or [`Verdict::rejected`]: a verified or
//!   unverified user always carries an [`Identity`], which cannot be built without a `user_id`
//!   or an `email`; a visitor carries none and is never verified; a rejection carries exactly one
//!   [`ErrorCode`] of the contract's closed list, and nothing else;
//! - a [`Signer`] answers a [`SignedHash`] or a [`SignedJwt`], each from its own method, or a
//!   [`Refusal`] that says why;
//! - nothing can answer "unsupported": a service that declares a role decides every request of
//!   it. A role it does not declare (a verifier without a signer) is skipped, with the reason;
//!   so is a request its types cannot carry, which its `hello` declares it lacks
//!   (`lacks: ["ill_typed_requests"]`, below).
//!
//! Every verdict, hash and token still goes through the judge exactly as an exec or HTTP answer
//! does: the types make the answer well-formed, the suite checks that it is right.
//!
//! # Running the suite as cargo tests
//!
//! A `harness = false` test target of the service (`[[test]] name = "conformance"`,
//! `harness = false` in its Cargo.toml, `messenger-conformance` as a dev-dependency):
//!
//! ```no_run
//! use messenger_conformance::service::{Attributes, Identity, Request, Service, Verdict, Verifier, Workspace};
//!
//! /// A verifier that lets visitors in and nobody else (it fails most of the suite).
//! struct VisitorsOnly;
//!
//! impl Verifier for VisitorsOnly {
//!     fn verify(&mut self, _: &Workspace, request: &Request, _now: i64) -> Verdict {
//!         match Identity::new(request.user_id.clone(), request.email.clone()) {
//!             None => Verdict::visitor(Attributes::default()),
//!             Some(_user) => Verdict::rejected(messenger_conformance::service::ErrorCode::UserHashRequired),
//!         }
//!     }
//! }
//!
//! fn main() {
//!     let service = Service::new("visitors-only", "0.1.0").verifier(|| VisitorsOnly);
//!     messenger_conformance::harness::run(service);
//! }
//! ```
//!
//! One trial per case, named `area::ID`, and one per property, named `properties::NAME`;
//! `cargo test --test conformance -- JWT-EXP`, `--exact`, `--list` and `cargo nextest run`
//! work as for any test.
//!
//! # What the typed request cannot carry
//!
//! Some cases send a field of the wrong JSON type (`"user_id": 42`), an unknown platform or
//! action, or attributes that are not an object, to test how a service reads its input (rule
//! 1). A typed [`Request`] cannot hold them, so those requests never reach the verifier: the
//! service's `hello` declares it lacks them (`ill_typed_requests`), and their cases are skipped
//! with that reason rather than passed on the service's behalf. What decides them in a real
//! service is its own deserialisation; run the suite over exec or HTTP to test it. An empty `user_id` or `email` and an attribute named like a request
//! field do reach the verifier: rejecting them (`invalid_request`) is its job.
#![warn(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::adapter::StartError;
use crate::adapter::{check_answer, Adapter, AdapterError, AdapterErrorKind, AdapterFactory};
use crate::contract::{
    self, FromAdapter, HelloReply, Outcome, Refused, Role, SignMode, SignRequest, Signed,
    ToAdapter, Unsupported, VerifyRequest, PROTOCOL_VERSION,
};

pub use crate::contract::{
    Attributes, Clock, DropReason, ErrorCode, IdentityVerification, JwtKey, JwtSettings, Platform,
    PlatformSettings, User, Workspace,
};

/// Attribute values are JSON values: whatever the Messenger or a JWT claim carries.
pub type AttributeMap = Map<String, Value>;

// ---------------------------------------------------------------------------------------------
// The verifier
// ---------------------------------------------------------------------------------------------

/// The server side: decides one Messenger request against a workspace's settings.
///
/// A fresh instance is made for every trial (see [`Service::verifier`]), so state kept in
/// `self` lives for one case or one property at most; the suite checks that nothing carries over
/// from one request to the next within it.
pub trait Verifier: Send {
    /// Decides `request` in `workspace` at the instant `now` (Unix seconds). With the default
    /// clock ([`Clock::Injected`]) every time check uses `now`, never the system clock.
    fn verify(&mut self, workspace: &Workspace, request: &Request, now: i64) -> Verdict;
}

/// `boot` (the Messenger starts) or `update` (a later call in the same session); both follow
/// the same rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The Messenger boots.
    Boot,
    /// A later call in the same session.
    Update,
}

/// One Messenger request, every field of its contract type. A field sent as JSON `null` is
/// `None`, as if it were absent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Request {
    /// `boot` or `update`.
    pub action: Action,
    /// The platform the Messenger runs on.
    pub platform: Platform,
    /// The user's id, as sent: possibly empty (rule 1 rejects an empty one).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The user's email, as sent: possibly empty (rule 1 rejects an empty one).
    #[serde(default)]
    pub email: Option<String>,
    /// The identity verification hash, as sent (any text).
    #[serde(default)]
    pub user_hash: Option<String>,
    /// The user JWT, as sent (any text).
    #[serde(default)]
    pub intercom_user_jwt: Option<String>,
    /// The attributes the request sets, in the order sent. Possibly named like a request field
    /// (rule 1 rejects those).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub attributes: AttributeMap,
}

/// `"attributes": null` means no attributes, like every other null field.
fn null_is_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<AttributeMap, D::Error> {
    Ok(Option::<AttributeMap>::deserialize(d)?.unwrap_or_default())
}

impl Request {
    /// A `boot` on `platform` with no field set: a visitor's. Set the fields a test needs.
    pub fn boot(platform: Platform) -> Request {
        Request {
            action: Action::Boot,
            platform,
            user_id: None,
            email: None,
            user_hash: None,
            intercom_user_jwt: None,
            attributes: AttributeMap::new(),
        }
    }

    /// The typed form of a raw Messenger request, or why it has none (a field of the wrong JSON
    /// type, an unknown platform or action, a missing `action` or `platform`).
    fn from_json(raw: &Value) -> Result<Request, serde_json::Error> {
        Request::deserialize(raw)
    }
}

/// Who the user is: a `user_id`, an `email`, or both. Never neither: a request without either is
/// a visitor ([`Verdict::visitor`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    user_id: Option<String>,
    email: Option<String>,
}

impl Identity {
    /// The identity of a user known by `user_id`, with an `email` when there is one (a JWT's
    /// claims, rule 2.9).
    pub fn user(user_id: impl Into<String>, email: Option<String>) -> Identity {
        Identity {
            user_id: Some(user_id.into()),
            email,
        }
    }

    /// The identity made of what a request sent, or `None` when it sent neither: then the
    /// request is a visitor's. Strings are kept exactly as given, empty ones included.
    #[must_use]
    pub fn new(user_id: Option<String>, email: Option<String>) -> Option<Identity> {
        (user_id.is_some() || email.is_some()).then_some(Identity { user_id, email })
    }

    /// The same identity without its email (rule 3: a locked email beside a `user_id` is left
    /// out). Keeps the email when it is the only identifier.
    pub fn without_email(self) -> Identity {
        match self.user_id {
            Some(_) => Identity {
                email: None,
                ..self
            },
            None => self,
        }
    }

    /// The user's id, if the identity has one.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The user's email, if the identity has one.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }
}

/// A verifier's decision on one request. Built only by its four constructors, each of which
/// fits one of the contract's shapes; there is no default.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a verdict is the verifier's answer: return it"]
pub struct Verdict {
    decision: Decision,
    message: Option<String>,
}

/// What a [`Verdict`] decides, to match on in a service's own tests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// Accepted, the identity proven by a user_hash or a JWT (`verified: true`).
    Verified {
        /// Who the user is.
        identity: Identity,
        /// The attributes applied and dropped.
        attributes: Attributes,
    },
    /// Accepted, the identity as sent but not proven (identity verification not enforced).
    Unverified {
        /// Who the user says they are.
        identity: Identity,
        /// The attributes applied and dropped.
        attributes: Attributes,
    },
    /// Accepted, no identity: a visitor or lead (rule 5).
    Visitor {
        /// The attributes applied and dropped.
        attributes: Attributes,
    },
    /// Rejected with one code of the closed list; nothing is applied.
    Rejected(ErrorCode),
}

impl Verdict {
    /// Accepted, `verified: true`: a valid user_hash (rule 3.4) or a valid JWT (rule 2.9).
    pub fn verified(identity: Identity, attributes: Attributes) -> Verdict {
        Verdict::of(Decision::Verified {
            identity,
            attributes,
        })
    }

    /// Accepted, `verified: false`, with the identity as sent: identity verification is not
    /// enforced and the hash is missing or wrong (rules 3.2 and 3.3).
    pub fn unverified(identity: Identity, attributes: Attributes) -> Verdict {
        Verdict::of(Decision::Unverified {
            identity,
            attributes,
        })
    }

    /// Accepted, no identity, not verified: a visitor or lead (rule 5).
    pub fn visitor(attributes: Attributes) -> Verdict {
        Verdict::of(Decision::Visitor { attributes })
    }

    /// Rejected with `error`: not verified, no identity, no attributes.
    pub fn rejected(error: ErrorCode) -> Verdict {
        Verdict::of(Decision::Rejected(error))
    }

    /// The same verdict with a message for people: why, in the service's own words. The suite
    /// never compares it; failure reports show it.
    pub fn because(self, message: impl Into<String>) -> Verdict {
        Verdict {
            message: Some(message.into()),
            ..self
        }
    }

    /// What the verdict decides.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The message given with [`Verdict::because`].
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    fn of(decision: Decision) -> Verdict {
        Verdict {
            decision,
            message: None,
        }
    }

    /// The wire form of the verdict that answers request `id`.
    fn into_wire(self, id: &str) -> contract::Verdict {
        let accepted = |verified: bool, identity: Option<Identity>, attributes: Attributes| {
            contract::Verdict {
                id: id.to_string(),
                outcome: Outcome::Accepted,
                verified,
                identity: identity.map(|i| contract::Identity {
                    user_id: i.user_id,
                    email: i.email,
                }),
                error: None,
                attributes,
                message: None,
            }
        };
        let wire = match self.decision {
            Decision::Verified {
                identity,
                attributes,
            } => accepted(true, Some(identity), attributes),
            Decision::Unverified {
                identity,
                attributes,
            } => accepted(false, Some(identity), attributes),
            Decision::Visitor { attributes } => accepted(false, None, attributes),
            Decision::Rejected(error) => contract::Verdict::rejected(id, error, ""),
        };
        contract::Verdict {
            message: self.message,
            ..wire
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The signer
// ---------------------------------------------------------------------------------------------

/// The customer's backend side: makes the `user_hash` or the user JWT its front end passes to
/// the Messenger. Each method either signs or refuses, with the reason.
pub trait Signer: Send {
    /// The user_hash for `request.user`: lowercase hex HMAC-SHA256 over the `user_id`, else the
    /// `email`; a user with neither is refused.
    fn user_hash(&mut self, request: &HashRequest) -> Result<SignedHash, Refusal>;

    /// The user JWT for `request.user`: HS256, the user's claims and attributes, `exp` when
    /// `expires_in` is given; a user without `user_id` is refused.
    fn jwt(&mut self, request: &JwtRequest) -> Result<SignedJwt, Refusal>;
}

/// What a user_hash is made for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HashRequest {
    /// The platform the hash is for.
    pub platform: Platform,
    /// The platform's identity verification secret.
    pub secret: String,
    /// The user: `user_id`, `email`, either or neither.
    pub user: User,
    /// The instant (Unix seconds).
    pub now: i64,
}

/// What a user JWT is made for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JwtRequest {
    /// The platform the token is for.
    pub platform: Platform,
    /// The signing key's secret.
    pub secret: String,
    /// The key's id, for the `kid` header, when given.
    pub key_id: Option<String>,
    /// The user: `user_id` and `email`.
    pub user: User,
    /// Attributes to carry as top-level claims.
    pub attributes: AttributeMap,
    /// Seconds from `now` to `exp`, when the token expires.
    pub expires_in: Option<i64>,
    /// The instant (Unix seconds).
    pub now: i64,
}

impl HashRequest {
    /// A user_hash for `user` on `platform` with `secret`, at `now`.
    pub fn new(platform: Platform, secret: impl Into<String>, user: User, now: i64) -> HashRequest {
        HashRequest {
            platform,
            secret: secret.into(),
            user,
            now,
        }
    }
}

impl JwtRequest {
    /// A JWT for `user` on `platform` signed with `secret`, at `now`: no `kid`, no attributes,
    /// no `exp`. Set the fields a test needs.
    pub fn new(platform: Platform, secret: impl Into<String>, user: User, now: i64) -> JwtRequest {
        JwtRequest {
            platform,
            secret: secret.into(),
            key_id: None,
            user,
            attributes: AttributeMap::new(),
            expires_in: None,
            now,
        }
    }
}

/// A user_hash a [`Signer`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHash(String);

impl SignedHash {
    /// The hash as the front end sends it (lowercase hex).
    pub fn new(hash: impl Into<String>) -> SignedHash {
        SignedHash(hash.into())
    }
}

/// A user JWT a [`Signer`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedJwt(String);

impl SignedJwt {
    /// The token in compact form (`header.payload.signature`).
    pub fn new(token: impl Into<String>) -> SignedJwt {
        SignedJwt(token.into())
    }
}

/// Why a [`Signer`] will not sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(String);

impl Refusal {
    /// A refusal, with the reason in words.
    pub fn because(reason: impl Into<String>) -> Refusal {
        Refusal(reason.into())
    }
}

// ---------------------------------------------------------------------------------------------
// The service: roles declared, run as an adapter
// ---------------------------------------------------------------------------------------------

type MakeVerifier = Arc<dyn Fn() -> Box<dyn Verifier> + Send + Sync>;
type MakeSigner = Arc<dyn Fn() -> Box<dyn Signer> + Send + Sync>;

/// A service under test: its name and version, its verifier and/or signer, its clock, and the
/// failures it knows of. Run it as cargo tests with [`crate::harness::run`]; it is also an
/// [`AdapterFactory`], so anything that runs adapters can run it.
#[derive(Clone)]
#[must_use = "a service does nothing until it is run: pass it to messenger_conformance::harness::run"]
pub struct Service {
    name: String,
    version: String,
    clock: Clock,
    verifier: Option<MakeVerifier>,
    signer: Option<MakeSigner>,
    baseline: Option<PathBuf>,
}

impl Service {
    /// A service named `name` at `version` (as reports show them), with no role yet: give it a
    /// verifier, a signer, or both.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Service {
        Service {
            name: name.into(),
            version: version.into(),
            clock: Clock::Injected,
            verifier: None,
            signer: None,
            baseline: None,
        }
    }

    /// The service offers the verifier role; `make` builds a fresh verifier for each trial.
    pub fn verifier<V: Verifier + 'static>(
        mut self,
        make: impl Fn() -> V + Send + Sync + 'static,
    ) -> Service {
        self.verifier = Some(Arc::new(move || Box::new(make())));
        self
    }

    /// The service offers the signer role; `make` builds a fresh signer for each trial.
    pub fn signer<S: Signer + 'static>(
        mut self,
        make: impl Fn() -> S + Send + Sync + 'static,
    ) -> Service {
        self.signer = Some(Arc::new(move || Box::new(make())));
        self
    }

    /// The service reads its own clock instead of the `now` it is given: requests are built at
    /// the real time, and the cases that need an exact instant are skipped, with the reason.
    pub fn reads_system_clock(mut self) -> Service {
        self.clock = Clock::System;
        self
    }

    /// Failures the service knows of and accepts for now, in the baseline format of
    /// `run --baseline` (`known_failures:` entries, each with a reason). A listed failure is an
    /// ignored trial that says why; a listed case that passes, or fails another way, fails.
    /// A relative path is from the test's working directory: the package root under `cargo test`
    /// and `cargo nextest`.
    pub fn baseline(mut self, path: impl Into<PathBuf>) -> Service {
        self.baseline = Some(path.into());
        self
    }

    /// The baseline given with [`Service::baseline`].
    pub(crate) fn baseline_path(&self) -> Option<&std::path::Path> {
        self.baseline.as_deref()
    }

    /// The roles the service declares, in the protocol's order.
    pub(crate) fn roles(&self) -> Vec<Role> {
        let verifier = self.verifier.as_ref().map(|_| Role::Verifier);
        let signer = self.signer.as_ref().map(|_| Role::Signer);
        verifier.into_iter().chain(signer).collect()
    }

    fn hello(&self) -> HelloReply {
        HelloReply {
            protocol: PROTOCOL_VERSION,
            implementation: contract::Implementation {
                name: self.name.clone(),
                version: self.version.clone(),
            },
            roles: self.roles(),
            clock: self.clock,
            // The typed `Request` cannot hold a field of the wrong JSON type: such a request
            // never reaches the verifier (see the module docs), and its cases are skipped as a
            // declared lack.
            lacks: vec![contract::Capability::IllTypedRequests],
        }
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("roles", &self.roles())
            .field("clock", &self.clock)
            .field("baseline", &self.baseline)
            .finish()
    }
}

impl AdapterFactory for Service {
    fn start(&self) -> Result<Box<dyn Adapter>, StartError> {
        if self.verifier.is_none() && self.signer.is_none() {
            return Err(StartError(format!(
                "the service {:?} declares no role, so nothing would be tested: give it \
                 `.verifier(...)`, `.signer(...)` or both",
                self.name
            )));
        }
        Ok(Box::new(Running {
            hello: self.hello(),
            verifier: self.verifier.as_ref().map(|make| make()),
            signer: self.signer.as_ref().map(|make| make()),
        }))
    }

    fn describe(&self) -> String {
        format!("in-process:{}", self.name)
    }
}

/// One started instance of a [`Service`]: the typed calls behind the protocol's messages.
struct Running {
    hello: HelloReply,
    verifier: Option<Box<dyn Verifier>>,
    signer: Option<Box<dyn Signer>>,
}

impl Running {
    fn verify(&mut self, request: &VerifyRequest) -> FromAdapter {
        let Some(verifier) = self.verifier.as_mut() else {
            return unsupported(&request.id, "the service declares no verifier");
        };
        match Request::from_json(&request.request) {
            Ok(typed) => {
                let verdict = verifier.verify(&request.workspace, &typed, request.now);
                FromAdapter::Verdict(verdict.into_wire(&request.id))
            }
            Err(why) => unsupported(
                &request.id,
                &format!(
                    "the typed service::Request cannot hold it ({why}), so it never reaches the \
                     verifier: a Rust service's own deserialisation decides such a request; test \
                     that over exec or http"
                ),
            ),
        }
    }

    fn sign(&mut self, request: &SignRequest) -> FromAdapter {
        let Some(signer) = self.signer.as_mut() else {
            return unsupported(&request.id, "the service declares no signer");
        };
        let id = request.id.clone();
        let answer = match request.mode {
            SignMode::UserHash => signer
                .user_hash(&HashRequest {
                    platform: request.platform,
                    secret: request.secret.clone(),
                    user: request.user.clone(),
                    now: request.now,
                })
                .map(|SignedHash(hash)| Signed {
                    id: id.clone(),
                    user_hash: Some(hash),
                    jwt: None,
                }),
            SignMode::Jwt => signer
                .jwt(&JwtRequest {
                    platform: request.platform,
                    secret: request.secret.clone(),
                    key_id: request.key_id.clone(),
                    user: request.user.clone(),
                    attributes: request.attributes.clone(),
                    expires_in: request.expires_in,
                    now: request.now,
                })
                .map(|SignedJwt(jwt)| Signed {
                    id: id.clone(),
                    user_hash: None,
                    jwt: Some(jwt),
                }),
        };
        match answer {
            Ok(signed) => FromAdapter::Signed(signed),
            Err(Refusal(message)) => FromAdapter::Refused(Refused { id, message }),
        }
    }
}

fn unsupported(id: &str, message: &str) -> FromAdapter {
    FromAdapter::Unsupported(Unsupported {
        id: id.to_string(),
        message: message.to_string(),
    })
}

impl Adapter for Running {
    fn hello(&self) -> &HelloReply {
        &self.hello
    }

    fn call(&mut self, message: &ToAdapter) -> Result<FromAdapter, AdapterError> {
        let answer = match message {
            ToAdapter::Hello(_) => FromAdapter::Hello(self.hello.clone()),
            ToAdapter::Verify(request) => self.verify(request),
            ToAdapter::Sign(request) => self.sign(request),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    struct Fixed(Verdict);

    impl Verifier for Fixed {
        fn verify(&mut self, _: &Workspace, _: &Request, _: i64) -> Verdict {
            self.0.clone()
        }
    }

    struct Refuses;

    impl Signer for Refuses {
        fn user_hash(&mut self, _: &HashRequest) -> Result<SignedHash, Refusal> {
            Ok(SignedHash::new("ab"))
        }
        fn jwt(&mut self, request: &JwtRequest) -> Result<SignedJwt, Refusal> {
            Err(Refusal::because(format!(
                "no jwt for {:?}",
                request.user.user_id
            )))
        }
    }

    fn workspace() -> Workspace {
        serde_json::from_value(json!({"name": "w", "platforms": {}})).unwrap()
    }

    fn verify(verdict: Verdict, request: Value) -> FromAdapter {
        let service = Service::new("t", "1").verifier(move || Fixed(verdict.clone()));
        let mut adapter = service.start().unwrap();
        let message = ToAdapter::Verify(VerifyRequest {
            id: "c1".into(),
            now: 5,
            workspace: workspace(),
            request,
        });
        adapter.call(&message).unwrap()
    }

    fn boot() -> Value {
        json!({"action": "boot", "platform": "web", "user_id": "u-1"})
    }

    #[test]
    fn each_verdict_has_the_contract_shape() {
        let mut attributes = Attributes::default();
        attributes.applied.insert("name".into(), json!("Ada"));
        attributes
            .dropped
            .insert("plan".into(), DropReason::LockedAttribute);
        let ada = Identity::user("u-1", Some("ada@example.com".into()));
        let FromAdapter::Verdict(v) = verify(
            Verdict::verified(ada.clone(), attributes.clone()).because("hash ok"),
            boot(),
        ) else {
            panic!("a verdict")
        };
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            json!({"id": "c1", "outcome": "accepted", "verified": true,
                   "identity": {"user_id": "u-1", "email": "ada@example.com"}, "error": null,
                   "attributes": {"applied": {"name": "Ada"}, "dropped": {"plan": "locked_attribute"}},
                   "message": "hash ok"})
        );
        let FromAdapter::Verdict(v) =
            verify(Verdict::unverified(ada, Attributes::default()), boot())
        else {
            panic!("a verdict")
        };
        assert_eq!((v.outcome, v.verified), (Outcome::Accepted, false));
        assert_eq!(v.identity.unwrap().user_id.as_deref(), Some("u-1"));
        let FromAdapter::Verdict(v) = verify(Verdict::visitor(attributes), boot()) else {
            panic!("a verdict")
        };
        assert_eq!((v.verified, v.identity), (false, None));
        let FromAdapter::Verdict(v) = verify(Verdict::rejected(ErrorCode::JwtExpired), boot())
        else {
            panic!("a verdict")
        };
        assert_eq!(
            (v.outcome, v.verified, v.error, v.identity),
            (Outcome::Rejected, false, Some(ErrorCode::JwtExpired), None)
        );
        assert_eq!(v.attributes, Attributes::default());
    }

    #[test]
    fn an_identity_needs_a_user_id_or_an_email() {
        assert_eq!(Identity::new(None, None), None);
        let email_only = Identity::new(None, Some("a@x".into())).unwrap();
        assert_eq!(email_only.clone().without_email(), email_only);
        let both = Identity::new(Some("u".into()), Some("a@x".into())).unwrap();
        assert_eq!(both.without_email(), Identity::user("u", None));
        // Kept exactly: an empty user_id is the verifier's to reject (rule 1), not hidden here.
        assert_eq!(
            Identity::new(Some(String::new()), None).unwrap().user_id(),
            Some("")
        );
    }

    #[test]
    fn the_declared_lack_is_exactly_what_the_typed_request_cannot_hold() {
        let service =
            Service::new("t", "1").verifier(|| Fixed(Verdict::visitor(Attributes::default())));
        let hello = service.start().unwrap().hello().clone();
        assert_eq!(hello.lacks, [contract::Capability::IllTypedRequests]);
        // Every verify request of the suite: the harness withholds exactly those the typed
        // `Request` cannot hold, so the declaration neither hides a case the service could
        // decide nor lets one through that it would answer `unsupported`.
        let suite = crate::scenario::SuiteSource::Embedded
            .load()
            .expect("the suite loads");
        let mut withheld = 0;
        for case in &suite.cases {
            for step in case.build(case.now).expect("the case builds") {
                let ToAdapter::Verify(verify) = &step.message else {
                    continue;
                };
                let holds = Request::from_json(&verify.request).is_ok();
                let lacking = crate::exchange::declared_lack(&hello, &step.message).is_some();
                assert_eq!(holds, !lacking, "{}: {}", case.id, verify.request);
                withheld += usize::from(lacking);
            }
        }
        assert!(
            withheld >= 10,
            "only {withheld} ill-typed requests in the suite"
        );
    }

    #[test]
    fn a_request_the_types_cannot_carry_is_unsupported_with_the_reason() {
        for (field, value, why) in [
            ("user_id", json!(42), "expected a string"),
            ("platform", json!("windows"), "unknown variant `windows`"),
            ("action", json!("login"), "unknown variant `login`"),
            ("attributes", json!(["plan"]), "expected a map"),
        ] {
            let mut request = boot();
            request[field] = value;
            let answer = verify(Verdict::rejected(ErrorCode::InvalidRequest), request);
            let FromAdapter::Unsupported(u) = answer else {
                panic!("{field}: {answer:?}")
            };
            assert!(u.message.contains(why), "{field}: {}", u.message);
            assert!(u.message.contains("exec or http"), "{}", u.message);
        }
    }

    #[test]
    fn nulls_read_as_absent_and_empty_strings_reach_the_verifier() {
        let typed = Request::from_json(&json!({"action": "update", "platform": "ios",
            "user_id": "", "email": null, "attributes": null, "extra": 1}))
        .unwrap();
        assert_eq!(typed.action, Action::Update);
        let mut built = Request::boot(Platform::Ios);
        built.action = Action::Update;
        built.user_id = Some(String::new());
        assert_eq!(built, typed);
        assert_eq!(typed.user_id.as_deref(), Some(""));
        assert_eq!(typed.email, None);
        assert!(typed.attributes.is_empty());
    }

    #[test]
    fn the_signer_answers_signed_or_refused_and_roles_are_declared() {
        let service = Service::new("s", "1").signer(|| Refuses);
        assert_eq!(service.roles(), vec![Role::Signer]);
        let mut adapter = service.start().unwrap();
        assert_eq!(adapter.hello().roles, vec![Role::Signer]);
        let mut request: SignRequest = serde_json::from_value(json!({"id": "s1", "now": 1,
            "mode": "user_hash", "platform": "web", "secret": "x", "user": {"user_id": "u"}}))
        .unwrap();
        let answer = adapter.call(&ToAdapter::Sign(request.clone())).unwrap();
        assert_eq!(
            answer,
            FromAdapter::Signed(Signed {
                id: "s1".into(),
                user_hash: Some("ab".into()),
                jwt: None
            })
        );
        request.mode = SignMode::Jwt;
        let answer = adapter.call(&ToAdapter::Sign(request)).unwrap();
        let FromAdapter::Refused(refused) = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(refused.message, "no jwt for Some(\"u\")");
        let verify = ToAdapter::Verify(VerifyRequest {
            id: "c1".into(),
            now: 5,
            workspace: workspace(),
            request: boot(),
        });
        assert!(matches!(
            adapter.call(&verify).unwrap(),
            FromAdapter::Unsupported(_)
        ));
    }

    #[test]
    fn a_service_without_a_role_does_not_start() {
        let error = Service::new("nothing", "1").start().err().unwrap();
        assert!(error.0.contains("declares no role"), "{error}");
        assert!(error.0.contains(".verifier(...)"), "{error}");
    }
}
