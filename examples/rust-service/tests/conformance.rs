//! The conformance suite as cargo tests: `cargo test --test conformance`; one case with
//! `cargo test --test conformance -- --exact jwt::JWT-EXP-001`; `cargo nextest run` too.
//!
//! `main` is all it takes to run the suite. Above it, the typed `Verifier` and `Signer` of the
//! harness, implemented over the service's own API: its request and settings types in, its
//! decisions out, mapped onto the contract's closed list of error codes.

use messenger_conformance::harness;
use messenger_conformance::service::{
    Attributes, DropReason, ErrorCode, HashRequest, Identity, JwtRequest, Refusal, Request,
    Service, SignedHash, SignedJwt, Signer, Verdict, Verifier, Workspace,
};
use toy_service::{Boot, Dropped, Key, PlatformSettings, Refused, Session, TokenFor};

fn main() {
    let service = Service::new("toy-service", env!("CARGO_PKG_VERSION"))
        .verifier(|| Toy)
        .signer(|| Toy)
        .baseline(concat!(env!("CARGO_MANIFEST_DIR"), "/baseline.yaml"));
    harness::run(service);
}

/// The toy service, as the harness sees it.
struct Toy;

impl Verifier for Toy {
    fn verify(&mut self, workspace: &Workspace, request: &Request, now: i64) -> Verdict {
        let settings = toy_service::Verifier {
            platforms: workspace
                .platforms
                .iter()
                .map(|(platform, s)| {
                    let settings = PlatformSettings {
                        secret: s.identity_verification.secret.clone(),
                        enforced: s.identity_verification.enforced,
                        jwt_enabled: s.jwt.enabled,
                    };
                    (platform.to_string(), settings)
                })
                .collect(),
            keys: workspace
                .jwt_keys
                .iter()
                .map(|k| Key {
                    id: k.id.clone(),
                    secret: k.secret.clone(),
                    platforms: k.platforms.iter().map(|p| p.to_string()).collect(),
                })
                .collect(),
            locked: workspace.locked_attributes.clone(),
            leeway: workspace.jwt_leeway_seconds,
        };
        let boot = Boot {
            platform: request.platform.to_string(),
            user_id: request.user_id.clone(),
            email: request.email.clone(),
            user_hash: request.user_hash.clone(),
            jwt: request.intercom_user_jwt.clone(),
            attributes: request.attributes.clone(),
        };
        match settings.decide(&boot, now) {
            Ok(session) => accepted(session),
            Err((refused, why)) => Verdict::rejected(code(refused)).because(why),
        }
    }
}

fn accepted(session: Session) -> Verdict {
    let attributes = Attributes {
        applied: session.applied,
        dropped: session
            .dropped
            .into_iter()
            .map(|(name, why)| match why {
                Dropped::Locked => (name, DropReason::LockedAttribute),
                Dropped::OverriddenByJwt => (name, DropReason::OverriddenByJwt),
            })
            .collect(),
    };
    match Identity::new(session.user_id, session.email) {
        None => Verdict::visitor(attributes),
        Some(identity) if session.verified => Verdict::verified(identity, attributes),
        Some(identity) => Verdict::unverified(identity, attributes),
    }
}

fn code(refused: Refused) -> ErrorCode {
    match refused {
        Refused::BadRequest => ErrorCode::InvalidRequest,
        Refused::NoIdentifier => ErrorCode::MissingIdentifier,
        Refused::HashRequired => ErrorCode::UserHashRequired,
        Refused::HashMismatch => ErrorCode::UserHashMismatch,
        Refused::JwtOff => ErrorCode::JwtNotEnabled,
        Refused::JwtRequired => ErrorCode::JwtRequired,
        Refused::JwtMalformed => ErrorCode::JwtMalformed,
        Refused::JwtAlgorithm => ErrorCode::JwtAlgorithmNotAllowed,
        Refused::JwtSignature => ErrorCode::JwtSignatureInvalid,
        Refused::JwtClaims => ErrorCode::JwtClaimsInvalid,
        Refused::JwtNoUser => ErrorCode::JwtMissingUserId,
        Refused::JwtExpired => ErrorCode::JwtExpired,
        Refused::JwtNotYet => ErrorCode::JwtNotYetValid,
        Refused::JwtOtherUser => ErrorCode::JwtIdentityMismatch,
    }
}

impl Signer for Toy {
    fn user_hash(&mut self, request: &HashRequest) -> Result<SignedHash, Refusal> {
        let user = &request.user;
        toy_service::user_hash(
            &request.secret,
            user.user_id.as_deref(),
            user.email.as_deref(),
        )
        .map(SignedHash::new)
        .map_err(Refusal::because)
    }

    fn jwt(&mut self, request: &JwtRequest) -> Result<SignedJwt, Refusal> {
        let token = TokenFor {
            user_id: request.user.user_id.clone(),
            email: request.user.email.clone(),
            attributes: request.attributes.clone(),
            expires_in: request.expires_in,
            key_id: request.key_id.clone(),
        };
        toy_service::user_jwt(&request.secret, &token, request.now)
            .map(SignedJwt::new)
            .map_err(Refusal::because)
    }
}
