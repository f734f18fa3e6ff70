//! Rule 2: a JWT is present. The codec ([`crate::reference::jws`]) decides 2.2 and 2.3; the
//! workspace's keys 2.4; the claims 2.5 to 2.8; 2.9 accepts.

use serde_json::Value;

use super::claims::{is_identity_or_registered, mistyped_claims, NumericDate};
use super::explain;
use super::parsed::MessengerRequest;
use super::{Accepted, Decision, Rejection, Verifier};
use crate::contract::{Attributes, DropReason, ErrorCode, Identity, Platform};
use crate::reference::jws::{self, JsonObject, JwsError, Part, Split};
use crate::reference::requirement as req;
use crate::shorten::shorten_str;

impl Verifier<'_> {
    pub(super) fn rule_2(&mut self, request: &MessengerRequest, token: &str) -> Decision {
        let platform = request.platform;

        // 2.1 JWT not enabled on the platform.
        if !self.jwt_enabled(platform) {
            let detail = format!("a JWT was sent, but JWT is not enabled on {platform}");
            return Err(self.reject(req::JWT_ENABLED, "2.1", ErrorCode::JwtNotEnabled, detail));
        }
        self.pass(req::JWT_ENABLED, "2.1", || {
            format!("JWT is enabled on {platform}")
        });

        // 2.2 Three canonical base64url parts; header and payload UTF-8 JSON objects without
        // duplicate member names.
        let (split, header, claims) = self.rule_2_2(token)?;

        // 2.3 `alg` exactly "HS256"; no `crit`.
        self.rule_2_3(&header)?;

        // 2.4 Signature, in constant time, under a key of this platform.
        let key = self.rule_2_4(platform, &split, &header)?;

        // 2.5 user_id present, claim types right.
        let identity = self.rule_2_5(&claims)?;

        // 2.6 and 2.7: exp and nbf against now, with the workspace's leeway.
        self.rule_2_6_and_2_7(&claims)?;

        // 2.8 The request's identity agrees with the claims.
        self.rule_2_8(request, &identity)?;

        // 2.9 Accepted.
        Ok(self.rule_2_9(request, &claims, identity, key))
    }

    /// Rule 2.2: split, decode, parse header and payload. Returns them.
    fn rule_2_2<'t>(
        &mut self,
        token: &'t str,
    ) -> Result<(Split<'t>, JsonObject, JsonObject), Rejection> {
        let split = jws::split_compact(token).map_err(|e| self.reject_jws(e))?;
        let header =
            jws::parse_json_object(Part::Header, &split.header).map_err(|e| self.reject_jws(e))?;
        let claims = jws::parse_json_object(Part::Payload, &split.payload)
            .map_err(|e| self.reject_jws(e))?;
        self.pass(
            req::JWT_FORMAT,
            "2.2",
            "three base64url parts, without padding or whitespace",
        );
        self.pass(
            req::JWT_BASE64URL_CANONICAL,
            "2.2",
            "every part is canonical (no unused trailing bits set)",
        );
        self.pass(
            req::JWT_JSON_OBJECT,
            "2.2",
            "header and payload are UTF-8 JSON objects",
        );
        self.pass(
            req::JWT_DUPLICATE_MEMBERS,
            "2.2",
            "no duplicate member names in header or payload",
        );
        Ok((split, header, claims))
    }

    /// Rule 2.3: `alg` exactly `"HS256"`, then no `crit`.
    fn rule_2_3(&mut self, header: &JsonObject) -> Result<(), Rejection> {
        jws::check_header(header).map_err(|e| {
            if matches!(e, JwsError::Crit { .. }) {
                self.pass(req::JWT_ALG, "2.3", "alg is \"HS256\"");
            }
            self.reject_jws(e)
        })?;
        self.pass(req::JWT_ALG, "2.3", "alg is \"HS256\"");
        self.pass(req::JWT_CRIT, "2.3", "no crit header");
        Ok(())
    }

    /// A codec error rejects with its own code, rule, requirement and words.
    fn reject_jws(&mut self, error: JwsError) -> Rejection {
        let detail = error.to_string();
        self.reject(error.requirement(), error.rule(), error.code(), detail)
    }

    /// Rule 2.4. Only keys whose `platforms` include the request's platform are tried, every one
    /// of them (trusting `kid` is allowed but not needed); empty secrets never verify
    /// ([`Split::verifies_under`]); header parameters never select a key. Returns the id of the
    /// key that verifies.
    pub(super) fn rule_2_4(
        &mut self,
        platform: Platform,
        split: &Split<'_>,
        header: &JsonObject,
    ) -> Result<String, Rejection> {
        let workspace = self.workspace;
        let signed_by = workspace
            .jwt_keys
            .iter()
            .filter(|k| k.platforms.contains(&platform))
            .find(|k| split.verifies_under(k.secret.as_bytes()));
        // What the header asked for, empty secrets, other platforms' keys, rotated-out keys.
        self.diagnose(|| explain::key_checks(workspace, platform, split, header, signed_by));
        match signed_by {
            Some(key) => {
                self.pass(req::JWT_SIGNATURE, "2.4", || {
                    format!(
                        "signature verifies under key {}",
                        explain::describe_key(key)
                    )
                });
                Ok(key.id.clone())
            }
            None => Err(self.reject(
                req::JWT_SIGNATURE,
                "2.4",
                ErrorCode::JwtSignatureInvalid,
                explain::signature_invalid(workspace, platform, split),
            )),
        }
    }

    /// Rule 2.5: `user_id` missing, null or empty is `jwt_missing_user_id`; a claim of the wrong
    /// type is `jwt_claims_invalid`. Returns the identity the claims carry.
    pub(super) fn rule_2_5(&mut self, claims: &JsonObject) -> Result<Identity, Rejection> {
        let members = &claims.members;
        let user_id = members.get("user_id");
        let missing = match user_id {
            None => Some("the payload has no `user_id` claim"),
            Some(Value::Null) if !claims.overflows("user_id") => {
                Some("the `user_id` claim is null")
            }
            Some(Value::String(s)) if s.is_empty() => {
                Some("the `user_id` claim is an empty string")
            }
            _ => None,
        };
        if let Some(detail) = missing {
            return Err(self.reject(
                req::JWT_USER_ID,
                "2.5",
                ErrorCode::JwtMissingUserId,
                detail.into(),
            ));
        }
        self.pass(
            req::JWT_USER_ID,
            "2.5",
            "the `user_id` claim is present and not empty",
        );

        let mistyped = mistyped_claims(claims);
        if !mistyped.is_empty() {
            return Err(self.reject(
                req::JWT_CLAIM_TYPES,
                "2.5",
                ErrorCode::JwtClaimsInvalid,
                explain::mistyped_claims(claims, &mistyped),
            ));
        }
        self.pass(
            req::JWT_CLAIM_TYPES,
            "2.5",
            "user_id and email are strings; exp and nbf, when present, finite numbers",
        );
        self.diagnose(|| explain::unchecked_claims(claims));
        Ok(Identity {
            user_id: user_id.and_then(Value::as_str).map(String::from),
            email: members
                .get("email")
                .and_then(Value::as_str)
                .map(String::from),
        })
    }

    /// Rules 2.6 (`now >= exp + leeway`: expired) and 2.7 (`now + leeway < nbf`: not yet valid).
    pub(super) fn rule_2_6_and_2_7(&mut self, claims: &JsonObject) -> Result<(), Rejection> {
        let now = i128::from(self.now);
        let leeway = i128::from(self.workspace.jwt_leeway_seconds);
        let date = |name| {
            claims
                .members
                .get(name)
                .and_then(Value::as_number)
                .map(NumericDate::from)
        };
        let (exp, nbf) = (date("exp"), date("nbf"));

        if leeway != 0 && (exp.is_some() || nbf.is_some()) {
            self.pass(req::JWT_LEEWAY, "2.6", || {
                format!("the workspace's leeway is {leeway} s: exp counts until exp + {leeway}, nbf from nbf - {leeway}")
            });
        }

        // 2.6 A token is expired at the very second of `exp` (plus leeway).
        match exp {
            None => self.pass(
                req::JWT_EXP_OPTIONAL,
                "2.6",
                "no `exp` claim: the token does not expire (exp is optional)",
            ),
            Some(exp) if exp.at_or_before(now - leeway) => {
                let detail = explain::describe_exp(exp, now, leeway, true);
                return Err(self.reject(req::JWT_EXP, "2.6", ErrorCode::JwtExpired, detail));
            }
            Some(exp) => self.pass(req::JWT_EXP, "2.6", || {
                explain::describe_exp(exp, now, leeway, false)
            }),
        }

        // 2.7 (`iat` is not checked.)
        match nbf {
            None => self.pass(req::JWT_NBF, "2.7", "no `nbf` claim"),
            Some(nbf) if !nbf.at_or_before(now + leeway) => {
                let detail = explain::describe_nbf(nbf, now, leeway, true);
                return Err(self.reject(req::JWT_NBF, "2.7", ErrorCode::JwtNotYetValid, detail));
            }
            Some(nbf) => self.pass(req::JWT_NBF, "2.7", || {
                explain::describe_nbf(nbf, now, leeway, false)
            }),
        }
        if let Some(iat) = claims.members.get("iat").filter(|v| v.is_number()) {
            self.pass(req::JWT_IAT_IGNORED, "2.7", || {
                format!("iat {iat} is not checked")
            });
        }
        Ok(())
    }

    /// Rules 2.6 and 2.7 each on its own: a token can be both expired and not yet valid.
    pub(super) fn time_rules_broken(&mut self, claims: &JsonObject) -> Vec<ErrorCode> {
        let mut only = |name: &str| {
            let mut one = claims.clone();
            one.members.retain(|claim, _| claim == name);
            self.rule_2_6_and_2_7(&one).err().map(|r| r.code)
        };
        only("exp").into_iter().chain(only("nbf")).collect()
    }

    /// Rule 2.8: the request's `user_id` must equal the claim; if both carry an `email`, so must it.
    pub(super) fn rule_2_8(
        &mut self,
        request: &MessengerRequest,
        claims: &Identity,
    ) -> Result<(), Rejection> {
        let claim_user_id = claims.user_id.as_deref().unwrap_or_default();
        let differs = match (
            request.user_id.as_deref(),
            request.email.as_deref(),
            claims.email.as_deref(),
        ) {
            (Some(sent), _, _) if sent != claim_user_id => Some(("user_id", sent, claim_user_id)),
            (_, Some(sent), Some(claimed)) if sent != claimed => Some(("email", sent, claimed)),
            _ => None,
        };
        if let Some((name, sent, claimed)) = differs {
            return Err(self.reject(
                req::JWT_IDENTITY_MATCH,
                "2.8",
                ErrorCode::JwtIdentityMismatch,
                explain::identity_mismatch(name, sent, claimed),
            ));
        }
        self.pass(req::JWT_IDENTITY_MATCH, "2.8", || {
            explain::identity_match(request, claims)
        });
        Ok(())
    }

    /// Rule 2.9: accepted and verified. Identity from the claims; every non-registered claim
    /// other than `user_id`/`email` is an attribute, applied locked or not; request attributes
    /// a claim also sets are dropped `overridden_by_jwt`, other locked ones `locked_attribute`.
    fn rule_2_9(
        &mut self,
        request: &MessengerRequest,
        claims: &JsonObject,
        mut identity: Identity,
        key: String,
    ) -> Accepted {
        let mut attributes = Attributes::default();

        // Identity: the request's email only when the claim has none, and never a locked one.
        let email_source = match (&identity.email, &request.email) {
            (Some(_), _) => "the claim",
            (None, Some(sent)) if self.locked("email") => {
                attributes
                    .dropped
                    .insert("email".into(), DropReason::LockedAttribute);
                self.pass(req::ATTR_LOCKED_EMAIL, "2.9", || {
                    format!("the claims carry no email and `email` is locked: the request's email {} is not used and is dropped locked_attribute", shorten_str(sent))
                });
                "nowhere (locked)"
            }
            (None, Some(sent)) => {
                identity.email = Some(sent.clone());
                "the request (the claims carry none)"
            }
            (None, None) => "nowhere (none sent)",
        };
        self.pass(req::JWT_IDENTITY_FROM_CLAIMS, "2.9", || {
            explain::identity_from_claims(&identity, email_source)
        });

        self.rule_2_9_attributes(request, claims, &mut attributes);
        let user_hash_ignored = request.user_hash.is_some();
        if user_hash_ignored {
            self.pass(
                req::JWT_USER_HASH_IGNORED,
                "2.9",
                "the user_hash beside the valid JWT is ignored",
            );
        }
        let summary = explain::jwt_summary(&key, &identity, user_hash_ignored, &attributes);
        Accepted {
            rule: "2.9",
            verified: true,
            identity: Some(identity),
            attributes,
            summary,
        }
    }

    /// Rule 2.9's attributes: every claim but the identity and the registered ones, applied
    /// whether locked or not (a valid JWT may change them); then the request's, a claim's value
    /// winning.
    fn rule_2_9_attributes(
        &mut self,
        request: &MessengerRequest,
        claims: &JsonObject,
        attributes: &mut Attributes,
    ) {
        self.diagnose(|| explain::registered_claims(claims));
        let mut set_by_claims = Vec::new();
        for (name, value) in &claims.members {
            if !is_identity_or_registered(name) {
                attributes.applied.insert(name.clone(), value.clone());
                set_by_claims.push(name.clone());
            }
        }
        if !set_by_claims.is_empty() {
            let workspace = self.workspace;
            self.pass(req::ATTR_JWT_CLAIMS_APPLIED, "2.9", || {
                explain::claims_applied(workspace, &set_by_claims)
            });
        }
        // Request attributes: a claim's value wins; locked ones need a JWT.
        let mut request_attributes =
            self.request_attributes(&request.attributes, "2.9", &set_by_claims);
        attributes.applied.append(&mut request_attributes.applied);
        attributes.dropped.append(&mut request_attributes.dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::NumericDate;

    fn claims_code(claims: Value) -> Option<ErrorCode> {
        traced(web_jwt(jwt(claims, K_WEB))).0.error
    }

    // --- rule 2.1 to 2.3 ---

    #[test]
    fn rule_2_1_jwt_not_enabled_even_beside_a_valid_hash() {
        let token = jwt(json!({"user_id": "u-1"}), K_IOS);
        let request = json!({"action": "boot", "platform": "ios", "user_id": "u-1",
                             "user_hash": user_hash(IDV_IOS, "u-1"), "intercom_user_jwt": token});
        rejected(request, ErrorCode::JwtNotEnabled);
        // The empty string is a present token.
        rejected(
            json!({"action": "boot", "platform": "ios", "intercom_user_jwt": ""}),
            ErrorCode::JwtNotEnabled,
        );
        rejected(web_jwt(String::new()), ErrorCode::JwtMalformed);
    }

    #[test]
    fn rule_2_2_and_2_3_end_to_end() {
        let good = jwt(json!({"user_id": "u-1"}), K_WEB);
        rejected(web_jwt(format!("{good}=")), ErrorCode::JwtMalformed);
        rejected(web_jwt(format!(" {good}")), ErrorCode::JwtMalformed);
        let dup = sign_raw(
            br#"{"alg":"HS256"}"#,
            br#"{"user_id":"victim","user_id":"u-1"}"#,
            K_WEB.as_bytes(),
        );
        let (_, trace) = rejected(web_jwt(dup), ErrorCode::JwtMalformed);
        assert_eq!(
            trace.last().unwrap().requirement,
            req::JWT_DUPLICATE_MEMBERS
        );
        let array = sign_raw(br#"{"alg":"HS256"}"#, br#"["u-1"]"#, K_WEB.as_bytes());
        let (_, trace) = rejected(web_jwt(array), ErrorCode::JwtMalformed);
        assert_eq!(trace.last().unwrap().requirement, req::JWT_JSON_OBJECT);
        let ab = format!(
            "{}.AB.{}",
            b64url_encode(br#"{"alg":"HS256"}"#),
            b64url_encode([0u8; 32])
        );
        let (_, trace) = rejected(web_jwt(ab), ErrorCode::JwtMalformed);
        assert_eq!(
            trace.last().unwrap().requirement,
            req::JWT_BASE64URL_CANONICAL
        );
        for alg in ["none", "None", "nOnE", "hs256", "HS384", "HS512", "RS256"] {
            let token = sign_hs256(
                &json!({"alg": alg}),
                &json!({"user_id": "u-1"}),
                K_WEB.as_bytes(),
            );
            rejected(web_jwt(token), ErrorCode::JwtAlgorithmNotAllowed);
        }
        let unsigned = format!(
            "{}.{}.",
            b64url_encode(br#"{"alg":"none"}"#),
            b64url_encode(br#"{"user_id":"u-1"}"#)
        );
        rejected(web_jwt(unsigned), ErrorCode::JwtAlgorithmNotAllowed);
        let crit = sign_hs256(
            &json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
            &json!({"user_id": "u-1"}),
            K_WEB.as_bytes(),
        );
        let (_, trace) = rejected(web_jwt(crit), ErrorCode::JwtMalformed);
        assert_eq!(trace.last().unwrap().requirement, req::JWT_CRIT);
        assert!(trace_of(&trace, req::JWT_ALG).holds);
    }

    // --- rule 2.4 ---

    #[test]
    fn rule_2_4_signature_and_key_scope() {
        let (verdict, trace) = accepted(web_jwt(jwt(json!({"user_id": "u-1"}), K_WEB)));
        assert!(verdict.verified);
        assert_eq!(
            trace_of(&trace, req::JWT_SIGNATURE).detail,
            "signature verifies under key `k-web` (platforms: web)"
        );
        rejected(
            web_jwt(jwt(json!({"user_id": "u-1"}), "some-other-secret")),
            ErrorCode::JwtSignatureInvalid,
        );
        // Signed with the ios key, sent from web.
        let (_, trace) = rejected(
            web_jwt(jwt(json!({"user_id": "u-1"}), K_IOS)),
            ErrorCode::JwtSignatureInvalid,
        );
        let scope = trace_of(&trace, req::KEY_PLATFORM_SCOPE);
        assert!(!scope.holds);
        assert!(
            scope.detail.contains("`k-ios` (platforms: ios)"),
            "{}",
            scope.detail
        );
        // The IDV secret is no JWT key.
        rejected(
            web_jwt(jwt(json!({"user_id": "u-1"}), IDV_WEB)),
            ErrorCode::JwtSignatureInvalid,
        );
    }

    #[test]
    fn rule_2_4_rotation_multi_platform_and_empty_keys() {
        let two_keys = |w: &mut Value| {
            w["jwt_keys"] = json!([
                {"id": "k-new", "secret": "jwt-new-secret-0006", "platforms": ["web"]},
                {"id": "k-old", "secret": "jwt-old-secret-0007", "platforms": ["web", "ios"]},
                {"id": "k-empty", "secret": "", "platforms": ["web"]},
                {"id": "k-nowhere", "secret": "jwt-nowhere-0008", "platforms": []}
            ]);
        };
        for secret in ["jwt-new-secret-0006", "jwt-old-secret-0007"] {
            let (v, _) = traced_with(two_keys, web_jwt(jwt(json!({"user_id": "u-1"}), secret)));
            assert_eq!(v.outcome, Outcome::Accepted, "{secret}");
        }
        // The multi-platform key verifies on ios too (ios has JWT disabled: enable it).
        let (v, _) = traced_with(
            |w| {
                two_keys(w);
                w["platforms"]["ios"]["jwt"]["enabled"] = json!(true);
            },
            json!({"action": "boot", "platform": "ios", "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), "jwt-old-secret-0007")}),
        );
        assert_eq!(v.outcome, Outcome::Accepted);
        // A key with no platforms verifies nowhere; an empty secret never verifies.
        let (v, _) = traced_with(
            two_keys,
            web_jwt(jwt(json!({"user_id": "u-1"}), "jwt-nowhere-0008")),
        );
        assert_eq!(v.error, Some(ErrorCode::JwtSignatureInvalid));
        let (v, trace) = traced_with(two_keys, web_jwt(jwt(json!({"user_id": "u-1"}), "")));
        assert_eq!(v.error, Some(ErrorCode::JwtSignatureInvalid));
        assert!(!trace_of(&trace, req::KEY_EMPTY_SECRET).holds);
        // Rotated out: the old key is gone from the list.
        let (v, trace) = traced_with(
            |w| {
                w["jwt_keys"] =
                    json!([{"id": "k-new", "secret": "jwt-new-secret-0006", "platforms": ["web"]}])
            },
            web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": "k-old"}),
                &json!({"user_id": "u-1"}),
                b"jwt-old-secret-0007",
            )),
        );
        assert_eq!(v.error, Some(ErrorCode::JwtSignatureInvalid));
        assert!(!trace_of(&trace, req::KEY_ROTATION).holds);
    }

    #[test]
    fn rule_2_4_header_parameters_never_select_keys() {
        let attacker = b"attacker-chosen-secret";
        let claims = json!({"user_id": "u-1"});
        let jwk = json!({"kty": "oct", "k": b64url_encode(attacker)});
        for header in [
            json!({"alg": "HS256", "jwk": jwk}),
            json!({"alg": "HS256", "jku": "https://attacker.example/jwks.json"}),
            json!({"alg": "HS256", "x5u": "https://attacker.example/cert.pem"}),
            json!({"alg": "HS256", "x5c": ["MIIB..."]}),
            json!({"alg": "HS256", "kid": "../../../../dev/null"}),
            json!({"alg": "HS256", "kid": "' OR '1'='1"}),
            json!({"alg": "HS256", "kid": "k-ios"}),
        ] {
            let (_, trace) = rejected(
                web_jwt(sign_hs256(&header, &claims, attacker)),
                ErrorCode::JwtSignatureInvalid,
            );
            assert!(trace_of(&trace, req::KEY_HEADER_INJECTION).holds);
        }
        // The empty key named by path traversal (`/dev/null` reads as empty) never verifies.
        rejected(
            web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": "../../../../dev/null"}),
                &claims,
                b"",
            )),
            ErrorCode::JwtSignatureInvalid,
        );
        // A kid naming nothing, or another platform's key, does not break a correctly signed token.
        for kid in ["../../etc/passwd", "k-ios", "k-gone"] {
            accepted(web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": kid}),
                &claims,
                K_WEB.as_bytes(),
            )));
        }
    }

    #[test]
    fn rule_2_4_kid_naming_another_platform_key_is_tried_anyway() {
        let (v, trace) = traced_with(
            |w| {
                w["jwt_keys"].as_array_mut().unwrap().push(json!({"id": "k-web-2", "secret": "jwt-web2-secret-0009", "platforms": ["web"]}))
            },
            web_jwt(sign_hs256(
                &json!({"alg": "HS256", "kid": "k-web"}),
                &json!({"user_id": "u-1"}),
                b"jwt-web2-secret-0009",
            )),
        );
        assert_eq!(v.outcome, Outcome::Accepted);
        assert!(trace_of(&trace, req::KEY_KID_CHOICE)
            .detail
            .contains("`k-web-2` signed"));
    }

    // --- rule 2.5 ---

    #[test]
    fn rule_2_5_user_id_required() {
        for claims in [
            json!({}),
            json!({"user_id": null}),
            json!({"user_id": ""}),
            json!({"email": "ada@example.com"}),
        ] {
            assert_eq!(
                claims_code(claims.clone()),
                Some(ErrorCode::JwtMissingUserId),
                "{claims}"
            );
        }
        // The request's user_id never stands in for the claim.
        let request = json!({"action": "boot", "platform": "web", "user_id": "u-1", "intercom_user_jwt": jwt(json!({}), K_WEB)});
        rejected(request, ErrorCode::JwtMissingUserId);
        assert_eq!(
            claims_code(json!({"user_id": " "})),
            None,
            "spaces are not empty"
        );
    }

    #[test]
    fn rule_2_5_claim_types() {
        for claims in [
            json!({"user_id": 123}),
            json!({"user_id": true}),
            json!({"user_id": {"id": "u-1"}}),
            json!({"user_id": "u-1", "email": null}),
            json!({"user_id": "u-1", "email": 5}),
            json!({"user_id": "u-1", "exp": "1767229200"}),
            json!({"user_id": "u-1", "exp": true}),
            json!({"user_id": "u-1", "exp": null}),
            json!({"user_id": "u-1", "exp": [1767229200]}),
            json!({"user_id": "u-1", "nbf": "1767225600"}),
            json!({"user_id": "u-1", "nbf": null}),
        ] {
            assert_eq!(
                claims_code(claims.clone()),
                Some(ErrorCode::JwtClaimsInvalid),
                "{claims}"
            );
        }
        for payload in [
            r#"{"user_id":"u-1","exp":1e400}"#,
            r#"{"user_id":"u-1","exp":-1e400}"#,
            r#"{"user_id":"u-1","nbf":1e400}"#,
            r#"{"user_id":1e400}"#,
            r#"{"user_id":"u-1","score":1e400}"#,
            r#"{"user_id":"u-1","stats":{"n":[1e999]}}"#,
        ] {
            let token = sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes(), K_WEB.as_bytes());
            let (_, trace) = rejected(web_jwt(token), ErrorCode::JwtClaimsInvalid);
            assert!(
                trace.last().unwrap().detail.contains("overflows"),
                "{payload}: {trace:#?}"
            );
        }
        // Unchecked: iat of any kind, iss/aud/sub/jti, an empty email string is a string.
        for payload in [
            r#"{"user_id":"u-1","iat":1e400}"#,
            r#"{"user_id":"u-1","iat":"yesterday","iss":5,"aud":["x"],"sub":null,"jti":{}}"#,
        ] {
            let token = sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes(), K_WEB.as_bytes());
            let (v, _) = accepted(web_jwt(token));
            assert!(
                v.attributes.applied.is_empty(),
                "registered claims are not attributes"
            );
        }
        assert_eq!(
            claims_code(json!({"user_id": "u-1", "exp": 1767229200.5, "nbf": 0})),
            None
        );
    }

    // --- rules 2.6 and 2.7 ---

    fn time_code(claims: Value, leeway: i64) -> Option<ErrorCode> {
        traced_with(
            |w| w["jwt_leeway_seconds"] = json!(leeway),
            web_jwt(jwt(claims, K_WEB)),
        )
        .0
        .error
    }

    #[test]
    fn rule_2_6_expiry_boundaries() {
        let now = NOW;
        let exp = |e: Value, l| time_code(json!({"user_id": "u-1", "exp": e}), l);
        assert_eq!(exp(json!(now), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now + 1), 0), None);
        assert_eq!(exp(json!(now - 1), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now as f64 + 0.5), 0), None);
        assert_eq!(exp(json!(now as f64 - 0.5), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now - 29), 30), None);
        assert_eq!(exp(json!(now - 30), 30), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(now - 31), 30), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(1e300), 0), None);
        assert_eq!(exp(json!(0), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(exp(json!(-5), 0), Some(ErrorCode::JwtExpired));
        assert_eq!(
            exp(json!(u64::MAX), i64::MAX),
            None,
            "no overflow in exp + leeway"
        );
        assert_eq!(
            exp(json!(1.7672256e9), 0),
            Some(ErrorCode::JwtExpired),
            "an exponent is a number"
        );
        assert_eq!(
            time_code(json!({"user_id": "u-1"}), 0),
            None,
            "exp is optional"
        );
    }

    #[test]
    fn rule_2_6_says_why_in_words() {
        let (_, trace) = rejected(
            web_jwt(jwt(json!({"user_id": "u-1", "exp": NOW}), K_WEB)),
            ErrorCode::JwtExpired,
        );
        assert_eq!(
            trace.last().unwrap().detail,
            "exp 1767225600 is 0 s before now 1767225600: expired at the very second of exp"
        );
        let (_, trace) = accepted(web_jwt(jwt(
            json!({"user_id": "u-1", "exp": NOW + 3600}),
            K_WEB,
        )));
        assert_eq!(
            trace_of(&trace, req::JWT_EXP).detail,
            "exp 1767229200 is 3600 s after now 1767225600: not expired"
        );
        let (v, trace) = traced_with(
            |w| w["jwt_leeway_seconds"] = json!(30),
            web_jwt(jwt(json!({"user_id": "u-1", "exp": NOW - 30}), K_WEB)),
        );
        assert_eq!(v.error, Some(ErrorCode::JwtExpired));
        assert_eq!(
            trace.last().unwrap().detail,
            "exp 1767225570 is 30 s before now 1767225600 with a leeway of 30 s: expired at the very second of exp + leeway"
        );
        assert!(trace_of(&trace, req::JWT_LEEWAY).holds);
    }

    #[test]
    fn rule_2_7_not_before_boundaries() {
        let now = NOW;
        let nbf = |n: Value, l| time_code(json!({"user_id": "u-1", "nbf": n}), l);
        assert_eq!(nbf(json!(now), 0), None);
        assert_eq!(nbf(json!(now + 1), 0), Some(ErrorCode::JwtNotYetValid));
        assert_eq!(
            nbf(json!(now as f64 + 0.5), 0),
            Some(ErrorCode::JwtNotYetValid)
        );
        assert_eq!(nbf(json!(now - 1), 0), None);
        assert_eq!(nbf(json!(now + 30), 30), None);
        assert_eq!(nbf(json!(now + 31), 30), Some(ErrorCode::JwtNotYetValid));
        assert_eq!(nbf(json!(1e300), 0), Some(ErrorCode::JwtNotYetValid));
        // iat is not checked, even in the future.
        assert_eq!(
            time_code(json!({"user_id": "u-1", "iat": now + 3600}), 0),
            None
        );
        // Expired and not yet valid: rule 2.6 comes first.
        assert_eq!(
            time_code(json!({"user_id": "u-1", "exp": now, "nbf": now + 10}), 0),
            Some(ErrorCode::JwtExpired)
        );
    }

    // --- rule 2.8 ---

    #[test]
    fn rule_2_8_identity_must_match() {
        let token = jwt(json!({"user_id": "u-1", "email": "ada@example.com"}), K_WEB);
        let with = |fields: Value| {
            let mut request = web_jwt(token.clone());
            request
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            traced(request).0.error
        };
        assert_eq!(
            with(json!({"user_id": "u-2"})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"user_id": "U-1"})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"user_id": "u-1 "})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"email": "Ada@example.com"})),
            Some(ErrorCode::JwtIdentityMismatch)
        );
        assert_eq!(
            with(json!({"user_id": "u-1", "email": "ada@example.com"})),
            None
        );
        assert_eq!(with(json!({})), None);
        // NFC and NFD spellings are different users.
        let nfc = jwt(json!({"user_id": "jos\u{e9}"}), K_WEB);
        let request = json!({"action": "boot", "platform": "web", "user_id": "jose\u{301}", "intercom_user_jwt": nfc});
        rejected(request, ErrorCode::JwtIdentityMismatch);
    }

    // --- rule 2.9 ---

    #[test]
    fn rule_2_9_identity_and_attributes() {
        let token = jwt(
            json!({"user_id": "u-1", "plan": "pro", "name": "Ada", "exp": NOW + 60, "iat": NOW, "sub": "x"}),
            K_WEB,
        );
        let request = json!({"action": "boot", "platform": "web", "intercom_user_jwt": token,
            "user_hash": "not even hex", "email": "ada@example.com",
            "attributes": {"plan": "free", "name": "Eve", "company": "ACME", "exp": 1}});
        let (v, trace) = accepted(request);
        assert!(v.verified);
        // The claims carry no email and `email` is locked: the request's is dropped.
        assert_eq!(
            v.identity,
            Some(Identity {
                user_id: Some("u-1".into()),
                email: None
            })
        );
        assert_eq!(
            Value::Object(v.attributes.applied),
            json!({"plan": "pro", "name": "Ada", "company": "ACME", "exp": 1})
        );
        assert_eq!(
            v.attributes.dropped,
            [
                ("email".to_string(), DropReason::LockedAttribute),
                ("name".to_string(), DropReason::OverriddenByJwt),
                ("plan".to_string(), DropReason::OverriddenByJwt),
            ]
            .into()
        );
        assert!(trace_of(&trace, req::JWT_USER_HASH_IGNORED).holds);
        assert!(trace_of(&trace, req::ATTR_REGISTERED_CLAIMS)
            .detail
            .contains("exp, iat, sub"));
    }

    #[test]
    fn rule_2_9_email_from_claim_or_unlocked_request() {
        let claim_email = jwt(json!({"user_id": "u-1", "email": "ada@example.com"}), K_WEB);
        let (v, _) = accepted(web_jwt(claim_email));
        assert_eq!(
            v.identity.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        assert!(v.attributes.dropped.is_empty());
        let (v, _) = traced_with(
            |w| w["locked_attributes"] = json!(["plan"]),
            json!({"action": "boot", "platform": "web", "email": "ada@example.com", "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), K_WEB)}),
        );
        assert_eq!(
            v.identity.unwrap().email.as_deref(),
            Some("ada@example.com")
        );
        assert!(v.attributes.dropped.is_empty());
    }

    #[test]
    fn rule_2_9_a_valid_jwt_ignores_a_valid_or_invalid_hash_alike() {
        for hash in [user_hash(IDV_WEB, "u-1"), "wrong".into(), String::new()] {
            let request = json!({"action": "boot", "platform": "web", "user_id": "u-1", "user_hash": hash,
                                 "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), K_WEB)});
            assert!(accepted(request).0.verified);
        }
        // And a failing token is not rescued by a valid hash.
        let request = json!({"action": "boot", "platform": "web", "user_id": "u-1", "user_hash": user_hash(IDV_WEB, "u-1"),
                             "intercom_user_jwt": jwt(json!({"user_id": "u-1"}), "wrong-key")});
        rejected(request, ErrorCode::JwtSignatureInvalid);
    }

    #[test]
    fn numeric_dates_compare_exactly() {
        assert!(NumericDate::Float(4.2).at_or_before(5));
        assert!(NumericDate::Float(5.0).at_or_before(5));
        assert!(!NumericDate::Float(5.5).at_or_before(5));
        assert!(NumericDate::Float(-0.5).at_or_before(0));
        assert!(!NumericDate::Float(1e300).at_or_before(i128::MAX - 1));
        assert!(NumericDate::Float(-1e300).at_or_before(i128::MIN + 1));
        assert!(NumericDate::Int(5).at_or_before(5));
        assert!(!NumericDate::Int(6).at_or_before(5));
    }
}
