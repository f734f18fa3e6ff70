//! What a `user_hash` was computed over, with which secret, and the mistake in the words of the
//! Identity Verification troubleshooting list.
//!
//! The search: every identifier the user could have hashed (the `user_id`, the `email`, both
//! joined, and trimmed or lowercased spellings of each) under every identity verification secret
//! given (each platform of each workspace), compared with the `user_hash` read as hex of either
//! case or as base64. The diagnosis then names each way the match differs from the contract's
//! input: lowercase hex HMAC-SHA256(the request's platform secret of the request's workspace,
//! the `user_id` when one is sent, else the `email`).

use std::fmt::Write as _;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::contract::{Outcome, Platform, Verdict, VerifyRequest, Workspace};
use crate::reference::jws::hmac_sha256;
use crate::reference::user_hash;

/// One identity verification secret the search may try. Never serialized, never printed: it is
/// named by [`SecretCandidate::label`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretCandidate {
    /// The workspace's name; empty when there is only one (a signer's secret).
    pub workspace: String,
    pub platform: Platform,
    pub secret: String,
}

impl std::fmt::Debug for SecretCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Debug output ends up in panics and logs: never the secret.
        write!(f, "SecretCandidate({}, secret redacted)", self.label())
    }
}

impl SecretCandidate {
    pub fn new(
        workspace: impl Into<String>,
        platform: Platform,
        secret: impl Into<String>,
    ) -> Self {
        SecretCandidate {
            workspace: workspace.into(),
            platform,
            secret: secret.into(),
        }
    }

    /// `production/web`, or `web` without a workspace name.
    pub fn label(&self) -> String {
        label(&self.workspace, self.platform)
    }
}

fn label(workspace: &str, platform: Platform) -> String {
    if workspace.is_empty() {
        platform.to_string()
    } else {
        format!("{workspace}/{platform}")
    }
}

/// Every identity verification secret of every workspace, in order (empty ones left out: they
/// never verify, and every empty secret would "match" the same hash).
pub fn candidates(workspaces: &[Workspace]) -> Vec<SecretCandidate> {
    let mut out = Vec::new();
    for workspace in workspaces {
        for (platform, settings) in &workspace.platforms {
            let secret = &settings.identity_verification.secret;
            if !secret.is_empty() {
                out.push(SecretCandidate::new(
                    workspace.name.clone(),
                    *platform,
                    secret.clone(),
                ));
            }
        }
    }
    out
}

/// What the request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashQuery<'a> {
    pub user_id: Option<&'a str>,
    pub email: Option<&'a str>,
    /// `None`: no `user_hash` was sent.
    pub user_hash: Option<&'a str>,
    pub platform: Platform,
}

/// Which data a hash was computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    UserId,
    Email,
    /// `user_id` then `email`, joined without a separator.
    UserIdThenEmail,
    /// `email` then `user_id`, joined without a separator.
    EmailThenUserId,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::UserId => "user_id",
            Source::Email => "email",
            Source::UserIdThenEmail => "user_id+email",
            Source::EmailThenUserId => "email+user_id",
        }
    }
}

/// How the identifier was spelled when hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Spelling {
    Exact,
    Trimmed,
    Lowercased,
    TrimmedLowercased,
}

impl Spelling {
    fn words(self) -> &'static str {
        match self {
            Spelling::Exact => "",
            Spelling::Trimmed => " trimmed",
            Spelling::Lowercased => " lowercased",
            Spelling::TrimmedLowercased => " trimmed and lowercased",
        }
    }
}

/// How the `user_hash` text encodes the 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    HexLowercase,
    HexUppercase,
    HexMixedCase,
    Base64,
    Base64url,
}

impl Encoding {
    pub fn words(self) -> &'static str {
        match self {
            Encoding::HexLowercase => "lowercase hex",
            Encoding::HexUppercase => "uppercase hex",
            Encoding::HexMixedCase => "mixed-case hex",
            Encoding::Base64 => "base64",
            Encoding::Base64url => "base64url",
        }
    }

    fn is_hex(self) -> bool {
        matches!(
            self,
            Encoding::HexLowercase | Encoding::HexUppercase | Encoding::HexMixedCase
        )
    }
}

/// The input a `user_hash` turned out to be computed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// The workspace whose secret made it (empty when only one secret was tried).
    pub workspace: String,
    /// The platform whose secret made it.
    pub platform: Platform,
    pub source: Source,
    pub spelling: Spelling,
    /// The exact text that was hashed (an identifier, never a secret).
    pub hashed: String,
    pub encoding: Encoding,
    /// Whitespace around the `user_hash` had to be removed to find it.
    pub surrounding_whitespace: bool,
}

impl Found {
    /// `HMAC(web secret, email)`: short, for failure messages.
    pub fn short(&self) -> String {
        format!(
            "HMAC({} secret, {}{})",
            label(&self.workspace, self.platform),
            self.source.as_str(),
            self.spelling.words()
        )
    }

    /// `HMAC-SHA256(production/web secret, email "ada@example.com"), lowercase hex`.
    pub fn long(&self) -> String {
        format!(
            "HMAC-SHA256({} secret, {}{} {:?}), {}",
            label(&self.workspace, self.platform),
            self.source.as_str(),
            self.spelling.words(),
            self.hashed,
            self.encoding.words()
        )
    }
}

/// One mistake, with a stable code for tools and the sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `no_identifier`, `no_hash`, `over_email`, `over_user_id_and_email`, `identifier_altered`,
    /// `wrong_platform_secret`, `wrong_workspace`, `uppercase_on_mobile`, `base64`, `whitespace`,
    /// `malformed`, `empty_secret`, `no_match`, `jwt_required`.
    pub code: &'static str,
    pub message: String,
}

impl Finding {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Finding {
            code,
            message: message.into(),
        }
    }
}

/// The whole diagnosis of one `user_hash`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HashDiagnosis {
    pub platform: Platform,
    /// The workspace the request goes to (the first one given), if named.
    pub workspace: Option<String>,
    /// What the contract expects, in words: `lowercase hex HMAC-SHA256(production/web secret, user_id "u-1")`.
    pub expected: Option<String>,
    /// Whether the `user_hash` is right: it verifies the user (with a workspace: the reference
    /// accepts the request with `verified: true`).
    pub accepted: bool,
    /// What the hash was computed over, when the search found it.
    pub found: Option<Found>,
    /// The mistakes, most important first; empty when the hash is right.
    pub findings: Vec<Finding>,
    /// When nothing matched: what was tried, without secrets.
    pub tried: Option<String>,
    /// The reference's verdict on the request, when workspaces were given.
    pub verdict: Option<Verdict>,
}

/// Diagnose against workspaces: the first is the one the request goes to, the others (a `TEST`
/// workspace, say) are only searched. Runs the reference on the request to give its verdict.
pub fn diagnose_hash(query: HashQuery<'_>, workspaces: &[Workspace]) -> HashDiagnosis {
    let request_workspace = workspaces
        .first()
        .map(|w| w.name.clone())
        .unwrap_or_default();
    let secret = workspaces
        .first()
        .and_then(|w| w.platform(query.platform))
        .map(|s| s.identity_verification.secret.clone());
    let mut diagnosis = diagnose_hash_in(
        query,
        &request_workspace,
        secret.as_deref(),
        &candidates(workspaces),
    );
    if let Some(workspace) = workspaces.first() {
        let verdict = crate::reference::verify(&VerifyRequest {
            id: "debug".into(),
            now: 0,
            workspace: workspace.clone(),
            request: request_json(query),
        });
        let verified = verdict.outcome == Outcome::Accepted && verdict.verified;
        if diagnosis.accepted
            && !verified
            && verdict.error == Some(crate::contract::ErrorCode::JwtRequired)
        {
            diagnosis.findings.push(Finding::new(
                "jwt_required",
                format!(
                    "the user_hash is right, but JWT is enabled on {} in {:?}: a logged-in user must send intercom_user_jwt there (a user_hash is no substitute)",
                    query.platform, workspace.name
                ),
            ));
        }
        if !verified && diagnosis.accepted {
            diagnosis.accepted = false;
        }
        if verified && !diagnosis.accepted {
            // Should not happen: the search and the reference disagree. Trust the reference.
            diagnosis.accepted = true;
        }
        diagnosis.verdict = Some(verdict);
    }
    diagnosis
}

fn request_json(query: HashQuery<'_>) -> Value {
    let mut request = json!({"action": "boot", "platform": query.platform.as_str()});
    for (name, value) in [
        ("user_id", query.user_id),
        ("email", query.email),
        ("user_hash", query.user_hash),
    ] {
        if let Some(value) = value {
            request[name] = value.into();
        }
    }
    request
}

/// The diagnosis itself, without running the verifier: `request_workspace` names the workspace
/// the request goes to (empty when there is one), `secret` is the secret the contract says to
/// use (the request's platform in that workspace), `candidates` every secret to search.
pub fn diagnose_hash_in(
    query: HashQuery<'_>,
    request_workspace: &str,
    secret: Option<&str>,
    candidates: &[SecretCandidate],
) -> HashDiagnosis {
    let platform = query.platform;
    let expected_input = match (query.user_id, query.email) {
        (Some(user_id), _) => Some((Source::UserId, user_id)),
        (None, Some(email)) => Some((Source::Email, email)),
        (None, None) => None,
    };
    let mut diagnosis = HashDiagnosis {
        platform,
        workspace: (!request_workspace.is_empty()).then(|| request_workspace.to_string()),
        expected: expected_input.map(|(source, value)| {
            format!(
                "lowercase hex HMAC-SHA256({} secret, {} {value:?})",
                label(request_workspace, platform),
                source.as_str()
            )
        }),
        accepted: false,
        found: None,
        findings: Vec::new(),
        tried: None,
        verdict: None,
    };
    let Some(given) = query.user_hash else {
        diagnosis.findings.push(Finding::new(
            "no_hash",
            "hash missing: no user_hash was sent (an old version of the app, or cached JavaScript, may not send it)",
        ));
        return diagnosis;
    };
    let Some((expected_source, expected_value)) = expected_input else {
        diagnosis.findings.push(Finding::new(
            "no_identifier",
            "hash sent without an identifier: send the user_id (or, without one, the email) the user_hash was computed over beside it",
        ));
        return diagnosis;
    };
    if secret == Some("") {
        diagnosis.findings.push(Finding::new(
            "empty_secret",
            format!(
                "the {} identity verification secret is empty: no user_hash can match",
                label(request_workspace, platform)
            ),
        ));
    }
    if let Some(secret) = secret.filter(|s| !s.is_empty()) {
        if user_hash::check(platform, secret, expected_value, given).is_ok() {
            diagnosis.accepted = true;
            return diagnosis;
        }
    }

    let identifiers = identifiers(query.user_id, query.email);
    let trimmed = given.trim();
    let decoded = decode(trimmed);
    let mut matches: Vec<Found> = Vec::new();
    for (encoding, bytes) in &decoded {
        for candidate in candidates {
            for (source, spelling, hashed) in &identifiers {
                if hmac_sha256(candidate.secret.as_bytes(), hashed.as_bytes()) == *bytes {
                    matches.push(Found {
                        workspace: candidate.workspace.clone(),
                        platform: candidate.platform,
                        source: *source,
                        spelling: *spelling,
                        hashed: hashed.clone(),
                        encoding: *encoding,
                        surrounding_whitespace: trimmed != given,
                    });
                }
            }
        }
    }
    // The closest to the contract's input first: the request's workspace, its platform, the
    // right identifier, spelled exactly.
    matches.sort_by_key(|m| {
        (
            m.workspace != request_workspace,
            m.platform != platform,
            m.source != expected_source,
            m.spelling != Spelling::Exact,
        )
    });

    match matches.into_iter().next() {
        Some(found) => {
            diagnosis.findings = findings_for(&found, query, request_workspace, expected_source);
            if diagnosis.findings.is_empty() {
                // Only the hex case differs in a way `check` refuses: should not happen.
                diagnosis.findings.push(Finding::new(
                    "malformed",
                    "the user_hash does not match as sent",
                ));
            }
            diagnosis.found = Some(found);
        }
        None => {
            if let Some(secret) = secret.filter(|s| !s.is_empty()) {
                match user_hash::check(platform, secret, expected_value, given) {
                    Err(user_hash::Mismatch::Differs) | Ok(()) => {}
                    Err(mismatch) if decoded.iter().any(|(e, _)| !e.is_hex()) => {
                        let _ = mismatch;
                        diagnosis.findings.push(Finding::new(
                            "base64",
                            "not hex at all (looks like base64): the user_hash is the 64 lowercase hex digits of the HMAC",
                        ));
                    }
                    Err(mismatch) => diagnosis.findings.push(Finding::new(
                        "malformed",
                        format!("the user_hash is malformed: {mismatch}"),
                    )),
                }
            }
            let sources: Vec<String> = {
                let mut seen: Vec<String> = Vec::new();
                for (source, spelling, _) in &identifiers {
                    let name = format!("{}{}", source.as_str(), spelling.words());
                    if !seen.contains(&name) {
                        seen.push(name);
                    }
                }
                seen
            };
            let secrets: Vec<String> = candidates.iter().map(SecretCandidate::label).collect();
            let tried = format!(
                "tried HMAC over {} with {}, read as hex of either case and as base64",
                sources.join(", "),
                if secrets.is_empty() {
                    "no secret (none configured)".to_string()
                } else {
                    secrets.join(", ")
                }
            );
            diagnosis.findings.push(Finding::new(
                "no_match",
                format!("no match with any configured secret: {tried}; check the secret in the Messenger's security settings (making up your own won't work)"),
            ));
            diagnosis.tried = Some(tried);
        }
    }
    diagnosis
}

/// What a `user_hash` made for a user with neither `user_id` nor `email` (whom a signer must
/// refuse) was computed over, when it is the empty string or the text a language writes for a
/// missing value: `HMAC of the empty string: ...`. `None` when it is neither (or `secret` is
/// empty). The sentence never contains the secret.
pub fn diagnose_blank_identifier(secret: &str, user_hash: &str) -> Option<String> {
    /// The text hashed, and how an integration comes to hash it.
    const BLANKS: [(&str, &str); 6] = [
        ("", "the integration hashed a blank email (or user_id) instead of refusing"),
        ("null", "the integration hashed a missing identifier written out as \"null\" (JSON, or String(null) in JavaScript) instead of refusing"),
        ("undefined", "the integration hashed a missing identifier written out as \"undefined\" (a JavaScript template or String(undefined)) instead of refusing"),
        ("None", "the integration hashed a missing identifier written out as \"None\" (Python's str(None)) instead of refusing"),
        ("nil", "the integration hashed a missing identifier written out as \"nil\" (Ruby's nil.inspect) instead of refusing"),
        ("NULL", "the integration hashed a missing identifier written out as \"NULL\" (a database NULL read as text) instead of refusing"),
    ];
    if secret.is_empty() {
        return None;
    }
    let trimmed = user_hash.trim();
    decode(trimmed).iter().find_map(|(encoding, bytes)| {
        BLANKS.iter().find_map(|(text, how)| {
            (hmac_sha256(secret.as_bytes(), text.as_bytes()) == *bytes).then(|| {
                let what = if text.is_empty() {
                    "the empty string".to_string()
                } else {
                    format!("the text {text:?}")
                };
                format!(
                    "HMAC of {what} under the secret sent ({}): {how}; a user with neither user_id nor email gets no user_hash (a verifier answers a user_hash sent without an identifier with missing_identifier)",
                    encoding.words()
                )
            })
        })
    })
}

/// What differs between the input found and the contract's.
fn findings_for(
    found: &Found,
    query: HashQuery<'_>,
    request_workspace: &str,
    expected: Source,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let platform = query.platform;
    if found.source != expected {
        match found.source {
            Source::Email => findings.push(Finding::new(
                "over_email",
                "hash over the email while a user_id is sent: it must be computed over the user_id",
            )),
            Source::UserIdThenEmail | Source::EmailThenUserId => findings.push(Finding::new(
                "over_user_id_and_email",
                format!(
                    "hash over the user_id and the email joined ({}): it must be computed over the {} alone",
                    found.source.as_str(),
                    expected.as_str()
                ),
            )),
            Source::UserId => findings.push(Finding::new(
                "over_user_id",
                "hash over the user_id, which the request does not send: send the user_id beside it",
            )),
        }
    }
    if found.spelling != Spelling::Exact {
        let sent = match found.source {
            Source::UserId => query.user_id,
            Source::Email => query.email,
            _ => None,
        };
        let mut message = format!(
            "hash over the {}{} ({:?})",
            found.source.as_str(),
            found.spelling.words(),
            found.hashed
        );
        if let Some(sent) = sent {
            let _ = write!(message, ", but the request sends {sent:?}");
        }
        message.push_str(": identifiers are hashed as exact bytes, with no trimming or case folding; hash exactly what you send");
        findings.push(Finding::new("identifier_altered", message));
    }
    if found.workspace != request_workspace {
        let name = if found.workspace.eq_ignore_ascii_case("test") {
            "[TEST]".to_string()
        } else {
            format!("{:?}", found.workspace)
        };
        findings.push(Finding::new(
            "wrong_workspace",
            format!(
                "hash made with the {name} workspace's secret ({}), but the request goes to {:?}: your test and production workspaces have their own secrets",
                label(&found.workspace, found.platform),
                request_workspace
            ),
        ));
    } else if found.platform != platform {
        findings.push(Finding::new(
            "wrong_platform_secret",
            format!(
                "hash made with the {} secret, but the request is on {platform}: each platform has its own secret",
                found.platform
            ),
        ));
    }
    match found.encoding {
        Encoding::Base64 | Encoding::Base64url => findings.push(Finding::new(
            "base64",
            format!(
                "not hex at all (looks like {}): the user_hash is the 64 lowercase hex digits of the HMAC",
                found.encoding.words()
            ),
        )),
        Encoding::HexUppercase | Encoding::HexMixedCase if !user_hash::accepts_uppercase(platform) => findings.push(
            Finding::new("uppercase_on_mobile", "uppercase hex on mobile: the iOS and Android SDKs require lowercase"),
        ),
        _ => {}
    }
    if found.surrounding_whitespace {
        findings.push(Finding::new(
            "whitespace",
            "whitespace around the user_hash (a newline from a file or a shell?): send exactly the 64 hex digits",
        ));
    }
    findings
}

/// Every identifier the user could have hashed, without repeats, the exact spellings first.
fn identifiers(user_id: Option<&str>, email: Option<&str>) -> Vec<(Source, Spelling, String)> {
    let mut out: Vec<(Source, Spelling, String)> = Vec::new();
    let mut push = |source, spelling, text: String| {
        if !out.iter().any(|(s, _, t)| *t == text && *s == source) {
            out.push((source, spelling, text));
        }
    };
    for (source, value) in [(Source::UserId, user_id), (Source::Email, email)] {
        if let Some(value) = value {
            push(source, Spelling::Exact, value.to_string());
        }
    }
    if let (Some(user_id), Some(email)) = (user_id, email) {
        push(
            Source::UserIdThenEmail,
            Spelling::Exact,
            format!("{user_id}{email}"),
        );
        push(
            Source::EmailThenUserId,
            Spelling::Exact,
            format!("{email}{user_id}"),
        );
    }
    for (source, value) in [(Source::UserId, user_id), (Source::Email, email)] {
        if let Some(value) = value {
            push(source, Spelling::Trimmed, value.trim().to_string());
            push(source, Spelling::Lowercased, value.to_lowercase());
            push(
                source,
                Spelling::TrimmedLowercased,
                value.trim().to_lowercase(),
            );
        }
    }
    out
}

/// The 32 bytes the text may encode, with how.
fn decode(text: &str) -> Vec<(Encoding, [u8; 32])> {
    let mut out = Vec::new();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        if let Ok(bytes) = user_hash::parse_hex(Platform::Web, text) {
            let upper = text.bytes().any(|b| b.is_ascii_uppercase());
            let lower = text.bytes().any(|b| b.is_ascii_lowercase());
            let encoding = match (upper, lower) {
                (true, true) => Encoding::HexMixedCase,
                (true, false) => Encoding::HexUppercase,
                _ => Encoding::HexLowercase,
            };
            out.push((encoding, bytes));
        }
    }
    for (encoding, engine) in [
        (Encoding::Base64, &STANDARD),
        (Encoding::Base64, &STANDARD_NO_PAD),
        (Encoding::Base64url, &URL_SAFE),
        (Encoding::Base64url, &URL_SAFE_NO_PAD),
    ] {
        if let Ok(bytes) = engine.decode(text) {
            if let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) {
                if !out.iter().any(|(_, b)| *b == bytes) {
                    out.push((encoding, bytes));
                }
            }
        }
    }
    out
}

impl HashDiagnosis {
    /// One sentence for failure messages: `the user_hash is HMAC(web secret, email): hash over
    /// the email while a user_id is sent: it must be computed over the user_id`. `None` when
    /// the hash is right.
    pub fn explain(&self) -> Option<String> {
        if self.accepted && self.findings.is_empty() {
            return None;
        }
        let findings: Vec<&str> = self.findings.iter().map(|f| f.message.as_str()).collect();
        Some(match &self.found {
            Some(found) => format!(
                "the user_hash is {} ({}); {}",
                found.short(),
                found.encoding.words(),
                findings.join("; ")
            ),
            None => findings.join("; "),
        })
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "user_hash on {}", self.platform);
        if let Some(workspace) = &self.workspace {
            let _ = write!(out, ", workspace {workspace:?}");
        }
        out.push('\n');
        if let Some(expected) = &self.expected {
            let _ = writeln!(out, "  expected: {expected}");
        }
        if let Some(found) = &self.found {
            let _ = writeln!(out, "  found:    {}", found.long());
        }
        if self.findings.is_empty() {
            let _ = writeln!(out, "  the user_hash is right");
        }
        for finding in &self.findings {
            let _ = writeln!(out, "  problem:  {}", finding.message);
        }
        if let Some(verdict) = &self.verdict {
            let what = match verdict.error {
                Some(code) => format!("rejected ({code})"),
                None if verdict.verified => "accepted, verified".to_string(),
                None => "accepted, not verified".to_string(),
            };
            let _ = writeln!(out, "  reference verdict: {what}");
            if let Some(message) = &verdict.message {
                let _ = writeln!(out, "    {message}");
            }
        }
        let _ = writeln!(
            out,
            "{}",
            if self.accepted {
                "result: the user_hash is accepted"
            } else {
                "result: the user_hash is NOT accepted"
            }
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::user_hash::user_hash;
    use Platform::{Android, Ios, Web};

    const WEB: &str = "prod-web-secret-1";
    const IOS: &str = "prod-ios-secret-2";
    const TEST_WEB: &str = "test-web-secret-3";

    fn candidates() -> Vec<SecretCandidate> {
        vec![
            SecretCandidate::new("production", Web, WEB),
            SecretCandidate::new("production", Ios, IOS),
            SecretCandidate::new("test", Web, TEST_WEB),
        ]
    }

    /// The diagnosis of one query by a web or iOS production workspace, with no secret in it.
    fn diagnosed(
        user_id: Option<&str>,
        email: Option<&str>,
        hash: Option<&str>,
        platform: Platform,
    ) -> HashDiagnosis {
        let secret = if platform == Web { WEB } else { IOS };
        let d = diagnose_hash_in(
            HashQuery {
                user_id,
                email,
                user_hash: hash,
                platform,
            },
            "production",
            Some(secret),
            &candidates(),
        );
        let text = format!("{}{}", d.render(), serde_json::to_string(&d).unwrap());
        for secret in [WEB, IOS, TEST_WEB] {
            assert!(!text.contains(secret), "a secret in the output:\n{text}");
        }
        d
    }

    fn codes(d: &HashDiagnosis) -> Vec<&'static str> {
        d.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn the_right_hash_has_no_finding() {
        let d = diagnosed(
            Some("u-1"),
            Some("a@b.c"),
            Some(&user_hash(WEB, "u-1")),
            Web,
        );
        assert!(d.accepted);
        assert!(d.findings.is_empty());
        assert_eq!(d.explain(), None);
    }

    #[test]
    fn hash_over_the_email_beside_a_user_id() {
        let d = diagnosed(
            Some("u-1"),
            Some("a@b.c"),
            Some(&user_hash(WEB, "a@b.c")),
            Web,
        );
        assert!(!d.accepted);
        assert_eq!(codes(&d), ["over_email"]);
        assert_eq!(
            d.explain().unwrap(),
            "the user_hash is HMAC(production/web secret, email) (lowercase hex); hash over the email while a user_id is sent: it must be computed over the user_id"
        );
    }

    #[test]
    fn hash_over_both_joined_or_altered_spellings() {
        let d = diagnosed(
            Some("u-1"),
            Some("a@b.c"),
            Some(&user_hash(WEB, "u-1a@b.c")),
            Web,
        );
        assert_eq!(codes(&d), ["over_user_id_and_email"]);
        let d = diagnosed(
            None,
            Some("Ada@Example.com"),
            Some(&user_hash(WEB, "ada@example.com")),
            Web,
        );
        assert_eq!(codes(&d), ["identifier_altered"]);
        assert!(
            d.findings[0].message.contains("lowercased"),
            "{}",
            d.findings[0].message
        );
    }

    #[test]
    fn another_platform_or_workspace() {
        let d = diagnosed(Some("u-1"), None, Some(&user_hash(IOS, "u-1")), Web);
        assert_eq!(codes(&d), ["wrong_platform_secret"]);
        assert!(d.findings[0]
            .message
            .starts_with("hash made with the ios secret, but the request is on web"));
        let d = diagnosed(Some("u-1"), None, Some(&user_hash(TEST_WEB, "u-1")), Web);
        assert_eq!(codes(&d), ["wrong_workspace"]);
        assert!(d.findings[0]
            .message
            .starts_with("hash made with the [TEST] workspace's secret"));
    }

    #[test]
    fn encodings() {
        let d = diagnosed(
            Some("u-1"),
            None,
            Some(&user_hash(IOS, "u-1").to_uppercase()),
            Ios,
        );
        assert_eq!(codes(&d), ["uppercase_on_mobile"]);
        let d = diagnosed(
            Some("u-1"),
            None,
            Some(&user_hash(WEB, "u-1").to_uppercase()),
            Web,
        );
        assert!(d.accepted);
        let b64 = STANDARD.encode(hmac_sha256(WEB.as_bytes(), b"u-1"));
        let d = diagnosed(Some("u-1"), None, Some(&b64), Web);
        assert_eq!(codes(&d), ["base64"]);
        assert!(d.findings[0]
            .message
            .starts_with("not hex at all (looks like base64)"));
        let d = diagnosed(
            Some("u-1"),
            None,
            Some(&format!("{}\n", user_hash(WEB, "u-1"))),
            Web,
        );
        assert_eq!(codes(&d), ["whitespace"]);
    }

    #[test]
    fn missing_pieces() {
        let d = diagnosed(None, None, Some(&user_hash(WEB, "u-1")), Web);
        assert_eq!(codes(&d), ["no_identifier"]);
        assert!(d.findings[0]
            .message
            .starts_with("hash sent without an identifier"));
        let d = diagnosed(Some("u-1"), None, None, Android);
        assert_eq!(codes(&d), ["no_hash"]);
    }

    #[test]
    fn no_match_lists_what_was_tried_without_secrets() {
        let d = diagnosed(
            Some("u-1"),
            Some("a@b.c"),
            Some(&user_hash("made-up", "u-1")),
            Web,
        );
        assert_eq!(codes(&d), ["no_match"]);
        let tried = d.tried.unwrap();
        assert!(
            tried.starts_with("tried HMAC over user_id, email, user_id+email"),
            "{tried}"
        );
        assert!(
            tried.contains("production/web, production/ios, test/web"),
            "{tried}"
        );
        let d = diagnosed(Some("u-1"), None, Some("abc"), Web);
        assert_eq!(codes(&d), ["malformed", "no_match"]);
    }
}
