//! The verdict rules (CONTRACT.md, "The verdict rules"), checked in the contract's order.
//!
//! `Verifier::decide` reads like the contract: rule 1 (`request.rs`), then rule 2 when a JWT is
//! present (`jwt.rs`), else rules 3 to 5 (`idv.rs`); request attributes are applied alike under
//! rules 2.9, 3 and 5 (`attributes.rs`). Each step carries its rule number, and each rule's
//! decision fits on a screen.
//!
//! Every rule evaluated is recorded as a [`Check`] (requirement id, rule, whether it held, why),
//! so a debugger can print the whole reasoning; the first check that rejects gives the verdict's
//! code. The words are written apart (`explain.rs`) and lazily: a rejection's when its rule fails
//! (they are the verdict's message), those of a passing check, and the diagnosis of checks that
//! decide nothing (which other key would have verified, which secret a wrong hash was made
//! with), only when the trace is kept ([`verify_traced`], not [`verify`]). Details name keys by
//! id and platforms by name, never a secret.

use serde_json::Value;

use super::Check;
use crate::contract::{
    Attributes, ErrorCode, Identity, Outcome, Platform, Verdict, VerifyRequest, Workspace,
};

mod attributes;
mod broken_rules;
mod claims;
mod explain;
mod exposure;
mod idv;
mod jwt;
mod parsed;
mod request;

pub use broken_rules::broken_rules;
pub(crate) use claims::REGISTERED_CLAIMS;
pub use exposure::{exposure, platform_signed_claims, Exposure};
pub(crate) use parsed::{MessengerRequest, RESERVED_ATTRIBUTES};
pub(crate) use request::{parse_request, well_typed};

/// Decide one request: [`verify_traced`] without the trace (so no passing check is put into
/// words).
pub fn verify(request: &VerifyRequest) -> Verdict {
    decide(request, None).0
}

/// Decide one request and say how: every rule evaluated, in order.
pub fn verify_traced(request: &VerifyRequest) -> (Verdict, Vec<Check>) {
    let (verdict, trace) = decide(request, Some(Vec::new()));
    (verdict, trace.unwrap_or_default())
}

/// The verdict of one request, with the trace of its checks when `trace` starts one.
fn decide(request: &VerifyRequest, trace: Option<Vec<Check>>) -> (Verdict, Option<Vec<Check>>) {
    let mut verifier = Verifier {
        now: request.now,
        workspace: &request.workspace,
        trace,
    };
    let verdict = match verifier.decide(&request.request) {
        Ok(accepted) => Verdict {
            id: request.id.clone(),
            outcome: Outcome::Accepted,
            verified: accepted.verified,
            identity: accepted.identity,
            error: None,
            attributes: accepted.attributes,
            message: Some(format!(
                "accepted (rule {}): {}",
                accepted.rule, accepted.summary
            )),
        },
        Err(rejection) => Verdict::rejected(
            request.id.clone(),
            rejection.code,
            format!(
                "rejected (rule {}, {}): {}",
                rejection.rule, rejection.code, rejection.detail
            ),
        ),
    };
    (verdict, verifier.trace)
}

struct Accepted {
    rule: &'static str,
    verified: bool,
    identity: Option<Identity>,
    attributes: Attributes,
    summary: String,
}

struct Rejection {
    code: ErrorCode,
    rule: &'static str,
    detail: String,
}

type Decision = Result<Accepted, Rejection>;

struct Verifier<'a> {
    now: i64,
    workspace: &'a Workspace,
    /// The checks evaluated so far, when the caller reads them; `None` for [`verify`].
    trace: Option<Vec<Check>>,
}

impl Verifier<'_> {
    /// The verdict rules in the contract's order: the first rule that rejects gives the code.
    fn decide(&mut self, raw: &Value) -> Decision {
        // Rule 1: the request's shape.
        let request = self.rule_1(raw)?;
        let has_identity = request.user_id.is_some() || request.email.is_some();
        if let Some(token) = &request.intercom_user_jwt {
            // Rule 2: a JWT is present.
            self.rule_2(&request, token)
        } else if has_identity {
            // Rule 3: no JWT, a logged-in user.
            self.rule_3(&request)
        } else if request.user_hash.is_some() {
            // Rule 4: a user_hash with neither user_id nor email.
            Err(self.rule_4())
        } else {
            // Rule 5: no identity at all (a visitor or lead).
            Ok(self.rule_5(&request))
        }
    }

    // -----------------------------------------------------------------------------------------
    // The trace
    // -----------------------------------------------------------------------------------------

    /// Record a check. Its words are written only if the trace is kept.
    fn check(
        &mut self,
        requirement: &'static str,
        rule: &'static str,
        holds: bool,
        detail: impl Words,
    ) {
        if let Some(trace) = &mut self.trace {
            trace.push(Check {
                requirement,
                rule,
                holds,
                detail: detail.write(),
            });
        }
    }

    /// Record a check that held.
    fn pass(&mut self, requirement: &'static str, rule: &'static str, detail: impl Words) {
        self.check(requirement, rule, true, detail);
    }

    /// Record the failed check that decides the verdict. Its words are the verdict's message,
    /// so they are always written: by the caller, on the failing path only.
    fn reject(
        &mut self,
        requirement: &'static str,
        rule: &'static str,
        code: ErrorCode,
        detail: String,
    ) -> Rejection {
        self.check(requirement, rule, false, || detail.clone());
        Rejection { code, rule, detail }
    }

    /// Record checks that only explain (diagnosis no verdict needs), if the trace is kept.
    fn diagnose<I: IntoIterator<Item = Check>>(&mut self, checks: impl FnOnce() -> I) {
        if let Some(trace) = &mut self.trace {
            trace.extend(checks());
        }
    }

    // -----------------------------------------------------------------------------------------
    // The workspace
    // -----------------------------------------------------------------------------------------

    fn locked(&self, name: &str) -> bool {
        locked(self.workspace, name)
    }

    fn jwt_enabled(&self, platform: Platform) -> bool {
        self.workspace
            .platform(platform)
            .is_some_and(|s| s.jwt.enabled)
    }

    fn idv_enforced(&self, platform: Platform) -> bool {
        self.workspace
            .platform(platform)
            .is_some_and(|s| s.identity_verification.enforced)
    }
}

/// Whether the workspace locks the attribute `name`.
fn locked(workspace: &Workspace, name: &str) -> bool {
    workspace.locked_attributes.iter().any(|l| l == name)
}

/// The identity verification secret of `platform`. Rule 1 makes sure the request's platform is
/// configured; the empty fallback (which never verifies) is for the others, in diagnosis.
fn idv_secret(workspace: &Workspace, platform: Platform) -> &str {
    workspace
        .platform(platform)
        .map_or("", |s| s.identity_verification.secret.as_str())
}

/// The words of a check: a fixed sentence, or a closure that writes them when they are read.
trait Words {
    fn write(self) -> String;
}

impl Words for &'static str {
    fn write(self) -> String {
        self.to_string()
    }
}

impl<F: FnOnce() -> String> Words for F {
    fn write(self) -> String {
        self()
    }
}

/// What the tests of every rule share: a workspace, and runs that check the verdict's shape and
/// that [`verify`] and [`verify_traced`] agree.
#[cfg(test)]
mod test_support {
    pub(super) use super::super::requirement as req;
    pub(super) use crate::contract::{DropReason, ErrorCode, Identity, Outcome, Verdict};
    pub(super) use crate::reference::jws::{b64url_encode, sign_hs256, sign_raw};
    pub(super) use crate::reference::user_hash::user_hash;
    pub(super) use crate::reference::Check;
    pub(super) use serde_json::{json, Value};

    use super::{verify, verify_traced};
    use crate::contract::VerifyRequest;

    pub(super) const NOW: i64 = 1_767_225_600;
    pub(super) const K_WEB: &str = "jwt-web-secret-0004";
    pub(super) const K_IOS: &str = "jwt-ios-secret-0005";
    pub(super) const IDV_WEB: &str = "idv-web-secret-0001";
    pub(super) const IDV_IOS: &str = "idv-ios-secret-0002";
    pub(super) const IDV_ANDROID: &str = "idv-android-secret-0003";

    pub(super) fn workspace_json() -> Value {
        json!({
            "name": "production",
            "platforms": {
                "web": {"identity_verification": {"secret": IDV_WEB, "enforced": true}, "jwt": {"enabled": true}},
                "ios": {"identity_verification": {"secret": IDV_IOS, "enforced": true}, "jwt": {"enabled": false}},
                "android": {"identity_verification": {"secret": IDV_ANDROID, "enforced": false}, "jwt": {"enabled": false}}
            },
            "jwt_keys": [
                {"id": "k-web", "secret": K_WEB, "platforms": ["web"]},
                {"id": "k-ios", "secret": K_IOS, "platforms": ["ios"]}
            ],
            "locked_attributes": ["plan", "email"],
            "jwt_leeway_seconds": 0
        })
    }

    /// The verdict and trace of a request against the default workspace changed by `edit`.
    pub(super) fn traced_with(
        edit: impl FnOnce(&mut Value),
        request: Value,
    ) -> (Verdict, Vec<Check>) {
        let mut workspace = workspace_json();
        edit(&mut workspace);
        let request = VerifyRequest {
            id: "c1".into(),
            now: NOW,
            workspace: serde_json::from_value(workspace).expect("test workspace"),
            request,
        };
        let (verdict, trace) = verify_traced(&request);
        assert_eq!(verdict, verify(&request), "verify and verify_traced agree");
        assert_eq!(verdict.id, "c1");
        check_shape(&verdict, &trace);
        (verdict, trace)
    }

    /// The verdict and trace of a request against the default workspace.
    pub(super) fn traced(request: Value) -> (Verdict, Vec<Check>) {
        traced_with(|_| {}, request)
    }

    /// The contract's verdict shape, and a trace that agrees with it.
    fn check_shape(verdict: &Verdict, trace: &[Check]) {
        match verdict.outcome {
            Outcome::Rejected => {
                assert!(verdict.error.is_some() && !verdict.verified && verdict.identity.is_none());
                assert!(
                    verdict.attributes.applied.is_empty() && verdict.attributes.dropped.is_empty()
                );
                let last = trace.last().expect("a rejection has a deciding check");
                assert!(!last.holds, "the last check decides a rejection: {last:?}");
            }
            Outcome::Accepted => assert!(verdict.error.is_none()),
        }
        for check in trace {
            assert!(req::ALL.contains(&check.requirement), "{check:?}");
            assert!(!check.detail.is_empty());
        }
        let message = verdict.message.as_deref().unwrap_or_default();
        for secret in [K_WEB, K_IOS, IDV_WEB, IDV_IOS, IDV_ANDROID] {
            assert!(!message.contains(secret), "secret in message: {message}");
            assert!(
                trace.iter().all(|c| !c.detail.contains(secret)),
                "secret in trace: {trace:?}"
            );
        }
    }

    pub(super) fn rejected(request: Value, code: ErrorCode) -> (Verdict, Vec<Check>) {
        let (verdict, trace) = traced(request.clone());
        assert_eq!(
            verdict.error,
            Some(code),
            "{request}\n{verdict:?}\n{trace:#?}"
        );
        (verdict, trace)
    }

    pub(super) fn accepted(request: Value) -> (Verdict, Vec<Check>) {
        let (verdict, trace) = traced(request.clone());
        assert_eq!(
            verdict.outcome,
            Outcome::Accepted,
            "{request}\n{verdict:?}\n{trace:#?}"
        );
        (verdict, trace)
    }

    pub(super) fn jwt(claims: Value, secret: &str) -> String {
        sign_hs256(
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims,
            secret.as_bytes(),
        )
    }

    pub(super) fn web_jwt(token: String) -> Value {
        json!({"action": "boot", "platform": "web", "intercom_user_jwt": token})
    }

    pub(super) fn trace_of<'a>(trace: &'a [Check], requirement: &str) -> &'a Check {
        trace
            .iter()
            .find(|c| c.requirement == requirement)
            .unwrap_or_else(|| panic!("no {requirement} in {trace:#?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;

    #[test]
    fn boot_and_update_get_the_same_verdict() {
        let token = jwt(json!({"user_id": "u-1", "plan": "pro"}), K_WEB);
        let boot =
            traced(json!({"action": "boot", "platform": "web", "intercom_user_jwt": token})).0;
        let update =
            traced(json!({"action": "update", "platform": "web", "intercom_user_jwt": token})).0;
        assert_eq!(
            (boot.outcome, boot.identity, boot.attributes),
            (update.outcome, update.identity, update.attributes)
        );
    }

    #[test]
    fn messages_say_the_rule_and_the_code() {
        let (v, _) = rejected(
            web_jwt(jwt(json!({"user_id": "u-1", "exp": NOW}), K_WEB)),
            ErrorCode::JwtExpired,
        );
        assert_eq!(
            v.message.as_deref(),
            Some("rejected (rule 2.6, jwt_expired): exp 1767225600 is 0 s before now 1767225600: expired at the very second of exp")
        );
        let (v, _) = accepted(web_jwt(jwt(json!({"user_id": "u-1"}), K_WEB)));
        assert!(v
            .message
            .unwrap()
            .starts_with("accepted (rule 2.9): verified by a JWT signed with key `k-web`"));
    }
}
