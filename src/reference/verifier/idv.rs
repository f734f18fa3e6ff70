//! Rules 3 to 5: no JWT. A logged-in user (rule 3) is verified by a `user_hash`
//! ([`crate::reference::user_hash`]) where JWT is not enabled; a hash without an identifier is
//! refused (rule 4); a visitor is accepted unverified (rule 5).

use super::explain;
use super::parsed::{hashed_identifier, MessengerRequest};
use super::{idv_secret, Accepted, Decision, Rejection, Verifier};
use crate::contract::{Attributes, DropReason, ErrorCode, Identity};
use crate::reference::requirement as req;
use crate::reference::user_hash;
use crate::shorten::shorten_str;

impl Verifier<'_> {
    pub(super) fn rule_3(&mut self, request: &MessengerRequest) -> Decision {
        let platform = request.platform;

        // 3.1 A platform with JWT enabled needs one; a user_hash is no substitute.
        if self.jwt_enabled(platform) {
            let detail = explain::jwt_required(platform, request.user_hash.is_some());
            return Err(self.reject(req::IDV_JWT_REQUIRED, "3.1", ErrorCode::JwtRequired, detail));
        }
        self.pass(req::IDV_JWT_REQUIRED, "3.1", || {
            format!("JWT is not enabled on {platform}")
        });

        let enforced = self.idv_enforced(platform);
        let (rule, verified) = match &request.user_hash {
            // 3.2 No user_hash.
            None if enforced => {
                let detail =
                    format!("no user_hash, and identity verification is enforced on {platform}");
                return Err(self.reject(
                    req::IDV_ENFORCED,
                    "3.2",
                    ErrorCode::UserHashRequired,
                    detail,
                ));
            }
            None => {
                self.pass(req::IDV_UNENFORCED, "3.2", || {
                    format!("no user_hash; identity verification is not enforced on {platform}: accepted, not verified")
                });
                ("3.2", false)
            }
            // 3.3 and 3.4: the user_hash must match.
            Some(given) => {
                let verified = self.rule_3_3(request, given, enforced)?;
                (if verified { "3.4" } else { "3.3" }, verified)
            }
        };
        Ok(self.accept_rule_3(request, rule, verified))
    }

    /// Rule 3.3: the user_hash must equal hex HMAC-SHA256(platform secret, user_id when one is
    /// sent, else email), in constant time; either hex case on web, lowercase on mobile. A
    /// mismatch is `user_hash_mismatch` when enforced, else an unverified acceptance.
    /// Returns whether the user is verified.
    fn rule_3_3(
        &mut self,
        request: &MessengerRequest,
        given: &str,
        enforced: bool,
    ) -> Result<bool, Rejection> {
        let platform = request.platform;
        let workspace = self.workspace;
        let (identifier_name, identifier) = hashed_identifier(request);
        let result = user_hash::check(platform, idv_secret(workspace, platform), identifier, given);
        // The hash's shape and case, and what a wrong one was made with.
        self.diagnose(|| explain::hash_checks(workspace, request, given, &result));

        let what = || explain::hmac_of(platform, identifier_name, identifier);
        match result {
            Ok(()) => {
                let requirement = if enforced {
                    req::IDV_ENFORCED
                } else {
                    req::IDV_UNENFORCED
                };
                self.pass(requirement, "3.4", || {
                    format!("the user_hash equals {}: verified", what())
                });
                Ok(true)
            }
            Err(mismatch) if enforced => {
                let detail = format!(
                    "the user_hash does not equal {}: {mismatch}; identity verification is enforced on {platform}",
                    what()
                );
                Err(self.reject(
                    req::IDV_ENFORCED,
                    "3.3",
                    ErrorCode::UserHashMismatch,
                    detail,
                ))
            }
            Err(mismatch) => {
                self.pass(req::IDV_UNENFORCED, "3.3", || {
                    format!("the user_hash does not equal {}: {mismatch}; identity verification is not enforced on {platform}: accepted, not verified", what())
                });
                Ok(false)
            }
        }
    }

    /// Accepted under rule 3 (at `rule` 3.2, 3.3 or 3.4): the identity as sent, except that an
    /// unsigned email beside a user_id is left out when `email` is locked; request attributes
    /// applied unless locked.
    fn accept_rule_3(
        &mut self,
        request: &MessengerRequest,
        rule: &'static str,
        verified: bool,
    ) -> Accepted {
        let mut attributes = Attributes::default();
        let mut identity = Identity {
            user_id: request.user_id.clone(),
            email: request.email.clone(),
        };
        if let (Some(_), Some(email)) = (&request.user_id, &request.email) {
            if self.locked("email") {
                identity.email = None;
                attributes
                    .dropped
                    .insert("email".into(), DropReason::LockedAttribute);
                self.pass(req::IDV_EMAIL_UNSIGNED, "3", || {
                    format!(
                        "the email {} beside the user_id is unsigned data",
                        shorten_str(email)
                    )
                });
                self.pass(
                    req::ATTR_LOCKED_EMAIL,
                    "3",
                    "`email` is locked: it is left out of the identity and dropped locked_attribute",
                );
            } else {
                self.pass(req::IDV_EMAIL_UNSIGNED, "3", || {
                    format!("the email {} beside the user_id is unsigned data; `email` is not locked, so it is kept as sent", shorten_str(email))
                });
            }
        }

        // 3.4 Request attributes applied unless locked (only a valid JWT may change those).
        let mut request_attributes = self.request_attributes(&request.attributes, "3.4", &[]);
        attributes.applied.append(&mut request_attributes.applied);
        attributes.dropped.append(&mut request_attributes.dropped);

        self.pass(req::IDV_IDENTITY, "3", || {
            explain::identity_as_sent(&identity)
        });
        let summary = explain::idv_summary(&identity, verified, &attributes);
        Accepted {
            rule,
            verified,
            identity: Some(identity),
            attributes,
            summary,
        }
    }

    /// Rule 4: a user_hash with neither user_id nor email.
    pub(super) fn rule_4(&mut self) -> Rejection {
        self.reject(
            req::VISITOR_HASH_WITHOUT_IDENTIFIER,
            "4",
            ErrorCode::MissingIdentifier,
            "a user_hash was sent with neither user_id nor email: there is nothing it could verify"
                .into(),
        )
    }

    /// Rule 5: no identity at all (a visitor or lead): accepted, not verified.
    pub(super) fn rule_5(&mut self, request: &MessengerRequest) -> Accepted {
        self.pass(
            req::VISITOR_ANONYMOUS,
            "5",
            "no JWT, user_id, email or user_hash: an anonymous visitor or lead",
        );
        let attributes = self.request_attributes(&request.attributes, "5", &[]);
        let summary = format!(
            "an anonymous visitor, not verified; {}",
            explain::describe_attributes(&attributes)
        );
        Accepted {
            rule: "5",
            verified: false,
            identity: None,
            attributes,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    // --- rule 3 ---

    fn idv(platform: &str, fields: Value) -> Value {
        let mut request = json!({"action": "boot", "platform": platform});
        request
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        request
    }

    fn web_idv() -> impl FnOnce(&mut Value) {
        |w: &mut Value| w["platforms"]["web"]["jwt"]["enabled"] = json!(false)
    }

    #[test]
    fn rule_3_1_jwt_required_where_enabled() {
        let (_, trace) = rejected(
            idv(
                "web",
                json!({"user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-1")}),
            ),
            ErrorCode::JwtRequired,
        );
        assert!(trace.last().unwrap().detail.contains("no substitute"));
        rejected(
            idv("web", json!({"email": "ada@example.com"})),
            ErrorCode::JwtRequired,
        );
    }

    #[test]
    fn rule_3_2_and_3_3_enforcement() {
        rejected(
            idv("ios", json!({"user_id": "u-1"})),
            ErrorCode::UserHashRequired,
        );
        rejected(
            idv("ios", json!({"user_id": "u-1", "user_hash": ""})),
            ErrorCode::UserHashMismatch,
        );
        rejected(
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash(IDV_ANDROID, "u-1")}),
            ),
            ErrorCode::UserHashMismatch,
        );
        let (v, _) = accepted(idv(
            "ios",
            json!({"user_id": "u-1", "user_hash": user_hash(IDV_IOS, "u-1")}),
        ));
        assert!(v.verified);
        // Not enforced on android: accepted, verified only with the right hash.
        let (v, _) = accepted(idv("android", json!({"user_id": "u-1"})));
        assert!(!v.verified);
        let (v, _) = accepted(idv(
            "android",
            json!({"user_id": "u-1", "user_hash": "junk"}),
        ));
        assert!(!v.verified);
        let (v, _) = accepted(idv(
            "android",
            json!({"user_id": "u-1", "user_hash": user_hash(IDV_ANDROID, "u-1")}),
        ));
        assert!(v.verified);
    }

    #[test]
    fn rule_3_3_hex_case_per_platform() {
        let upper = user_hash(IDV_IOS, "u-1").to_uppercase();
        let (_, trace) = rejected(
            idv("ios", json!({"user_id": "u-1", "user_hash": upper})),
            ErrorCode::UserHashMismatch,
        );
        assert!(!trace_of(&trace, req::IDV_HEX_CASE).holds);
        let upper = user_hash(IDV_WEB, "u-1").to_uppercase();
        let (v, _) = traced_with(
            web_idv(),
            idv("web", json!({"user_id": "u-1", "user_hash": upper})),
        );
        assert!(v.verified);
        let lower = user_hash(IDV_WEB, "u-1");
        let mixed: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 3 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        let (v, trace) = traced_with(
            web_idv(),
            idv("web", json!({"user_id": "u-1", "user_hash": mixed})),
        );
        assert!(v.verified);
        assert!(trace_of(&trace, req::IDV_HEX_MIXED_CASE).holds);
    }

    #[test]
    fn rule_3_3_precedence_and_secrets() {
        // Over the email when a user_id is sent: a mismatch, and the trace says so.
        let request = idv(
            "ios",
            json!({"user_id": "u-1", "email": "ada@example.com", "user_hash": user_hash(IDV_IOS, "ada@example.com")}),
        );
        let (_, trace) = rejected(request, ErrorCode::UserHashMismatch);
        assert!(!trace_of(&trace, req::IDV_PRECEDENCE).holds);
        // Over the email when it is the only identifier: verified.
        let (v, _) = accepted(idv(
            "ios",
            json!({"email": "ada@example.com", "user_hash": user_hash(IDV_IOS, "ada@example.com")}),
        ));
        assert!(v.verified);
        // Another platform's secret.
        let (_, trace) = rejected(
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-1")}),
            ),
            ErrorCode::UserHashMismatch,
        );
        assert_eq!(
            trace_of(&trace, req::IDV_PLATFORM_SECRET).detail,
            "the user_hash was made with the web identity verification secret; ios has its own secret"
        );
        // Uppercase on mobile and another platform's secret: both are diagnosed.
        let upper_web = user_hash(IDV_WEB, "u-1").to_uppercase();
        let (v, trace) = rejected(
            idv("ios", json!({"user_id": "u-1", "user_hash": upper_web})),
            ErrorCode::UserHashMismatch,
        );
        assert!(!trace_of(&trace, req::IDV_HEX_CASE).holds);
        assert!(!trace_of(&trace, req::IDV_PLATFORM_SECRET).holds);
        assert!(!v.verified);
        assert!(trace_of(&trace, req::IDV_PLATFORM_SECRET)
            .detail
            .contains("made with the web identity verification secret"));
        // A JWT key's secret is no identity verification secret.
        let (_, trace) = rejected(
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash(K_IOS, "u-1")}),
            ),
            ErrorCode::UserHashMismatch,
        );
        assert!(trace_of(&trace, req::IDV_PLATFORM_SECRET)
            .detail
            .contains("the secret of JWT key `k-ios`"));
        // An empty secret matches nothing, not even the HMAC under the empty key.
        let (v, trace) = traced_with(
            |w| w["platforms"]["ios"]["identity_verification"]["secret"] = json!(""),
            idv(
                "ios",
                json!({"user_id": "u-1", "user_hash": user_hash("", "u-1")}),
            ),
        );
        assert_eq!(v.error, Some(ErrorCode::UserHashMismatch));
        assert!(!trace_of(&trace, req::IDV_PLATFORM_SECRET).holds);
        // Malformed hashes.
        let good = user_hash(IDV_IOS, "u-1");
        for bad in [
            format!("{good}0"),
            good[..32].to_string(),
            format!(" {good}"),
            format!("0x{good}"),
        ] {
            let (_, trace) = rejected(
                idv("ios", json!({"user_id": "u-1", "user_hash": bad})),
                ErrorCode::UserHashMismatch,
            );
            assert!(!trace_of(&trace, req::IDV_MALFORMED_HASH).holds);
        }
    }

    #[test]
    fn rule_3_identity_and_attributes() {
        let hash = user_hash(IDV_IOS, "u-1");
        let request = idv(
            "ios",
            json!({"user_id": "u-1", "email": "ada@example.com", "user_hash": hash,
                                        "attributes": {"plan": "pro", "name": "Ada"}}),
        );
        let (v, _) = accepted(request);
        assert!(v.verified);
        assert_eq!(
            v.identity,
            Some(Identity {
                user_id: Some("u-1".into()),
                email: None
            })
        );
        assert_eq!(Value::Object(v.attributes.applied), json!({"name": "Ada"}));
        assert_eq!(
            v.attributes.dropped,
            [
                ("email".to_string(), DropReason::LockedAttribute),
                ("plan".to_string(), DropReason::LockedAttribute)
            ]
            .into()
        );
        // Email alone is the identifier: kept even when locked; unverified acceptances alike.
        let (v, _) = accepted(idv("android", json!({"email": "ada@example.com"})));
        assert_eq!(
            v.identity,
            Some(Identity {
                user_id: None,
                email: Some("ada@example.com".into())
            })
        );
        // Email beside a user_id when `email` is not locked: kept as sent.
        let (v, _) = traced_with(
            |w| w["locked_attributes"] = json!([]),
            idv(
                "android",
                json!({"user_id": "u-1", "email": "ada@example.com", "attributes": {"plan": "pro"}}),
            ),
        );
        assert_eq!(
            v.identity.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(Value::Object(v.attributes.applied), json!({"plan": "pro"}));
    }

    #[test]
    fn identifiers_are_exact_bytes_under_rule_3() {
        let hash = user_hash(IDV_IOS, "jos\u{e9}");
        rejected(
            idv("ios", json!({"user_id": "jose\u{301}", "user_hash": hash})),
            ErrorCode::UserHashMismatch,
        );
        let hash = user_hash(IDV_IOS, "ada@example.com");
        for other in ["Ada@example.com", "ada@example.com ", " ada@example.com"] {
            rejected(
                idv("ios", json!({"email": other, "user_hash": hash})),
                ErrorCode::UserHashMismatch,
            );
        }
    }

    // --- rules 4 and 5 ---

    #[test]
    fn rule_4_hash_without_identifier() {
        for platform in ["web", "ios", "android"] {
            rejected(
                idv(platform, json!({"user_hash": user_hash(IDV_IOS, "u-1")})),
                ErrorCode::MissingIdentifier,
            );
            rejected(
                idv(platform, json!({"user_hash": ""})),
                ErrorCode::MissingIdentifier,
            );
        }
    }

    #[test]
    fn rule_5_visitors() {
        for platform in ["web", "ios", "android"] {
            let (v, trace) = accepted(idv(
                platform,
                json!({"attributes": {"plan": "pro", "utm": "ad"}}),
            ));
            assert_eq!((v.verified, v.identity.clone()), (false, None));
            assert_eq!(Value::Object(v.attributes.applied), json!({"utm": "ad"}));
            assert_eq!(
                v.attributes.dropped,
                [("plan".to_string(), DropReason::LockedAttribute)].into()
            );
            assert!(trace_of(&trace, req::VISITOR_ANONYMOUS).holds);
        }
    }
}
