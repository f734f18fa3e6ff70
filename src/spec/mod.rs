//! The profile's requirements, as data.
//!
//! Every rule of the contract (`../shared/CONTRACT.md`: adapter protocol v1, verdict rules,
//! signer rules) is one [`Requirement`] in `requirements.yaml`, embedded in the binary. Cases
//! name the ids they check, reports group results by id, and `docs/spec.md` is rendered from the
//! same registry by [`render_markdown`], so the prose and the data cannot drift apart.

use std::fmt;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The registry, embedded so that the binary needs no file at run time.
const REQUIREMENTS_YAML: &str = include_str!("requirements.yaml");

/// How a failure of a requirement counts (CONTRACT.md, "Levels").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A failure gates: the run exits non-zero.
    Must,
    /// A failure is reported, and gates only under `--strict`.
    Should,
    /// More than one answer conforms; the case lists them and the report records the one chosen.
    /// An answer outside the list breaks a rule and fails at that rule's level.
    May,
}

impl Level {
    /// The spelling used in YAML, JSON and reports: `must`, `should` or `may`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::May => "may",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One checkable rule of the profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Stable id, UPPER-KEBAB with an area prefix (`JWT-ALG`). Never renamed or reused.
    pub id: String,
    pub level: Level,
    /// The CONTRACT.md verdict rule (`"2.3"`), or `"protocol"`, `"identifiers"`, `"signer"`.
    pub section: String,
    /// One line.
    pub title: String,
    /// The requirement in the project's own words, naming the error code it yields.
    pub text: String,
    /// The seed passage or RFC text it comes from, quoted briefly, and the contract rule.
    pub source: String,
    /// Only where the seeds and the contract leave a point open: why this reading.
    #[serde(default)]
    pub reason: Option<String>,
}

/// All requirements, parsed once (`std::sync::OnceLock`) from the embedded YAML
/// (`include_str!`), in registry order.
///
/// # Panics
///
/// Only if the embedded file is broken, which the unit test `registry_parses` guards.
pub fn requirements() -> &'static [Requirement] {
    static REGISTRY: OnceLock<Vec<Requirement>> = OnceLock::new();
    REGISTRY.get_or_init(|| match serde_saphyr::from_str(REQUIREMENTS_YAML) {
        Ok(requirements) => requirements,
        Err(err) => panic!(
            "src/spec/requirements.yaml does not parse (run `cargo test --lib spec` for \
             details): {err}"
        ),
    })
}

/// The requirement with this exact id, if there is one.
#[must_use]
pub fn find(id: &str) -> Option<&'static Requirement> {
    requirements()
        .iter()
        .find(|requirement| requirement.id == id)
}

/// One group of requirements in the rendered document, chosen by id prefix.
struct Area {
    /// Id prefixes (the text before the first `-`) that belong here.
    prefixes: &'static [&'static str],
    title: &'static str,
    summary: &'static str,
}

/// Areas in reading order: the request, the JWT path, its keys, the `user_hash` path, then
/// what applies across paths, then the signer.
const AREAS: &[Area] = &[
    Area {
        prefixes: &["REQ"],
        title: "Requests and verdicts",
        summary: "What every `verify` message and `verdict` looks like, and the malformed \
                  requests that verdict rule 1 rejects before anything else.",
    },
    Area {
        prefixes: &["JWT"],
        title: "Messenger Security with JWTs",
        summary: "Verdict rule 2, for requests that carry `intercom_user_jwt`: whether JWTs are \
                  enabled, the token's form, its algorithm and signature, its claims and \
                  times, and the identity it proves.",
    },
    Area {
        prefixes: &["KEY"],
        title: "Keys and secrets",
        summary: "Which keys may verify a token on which platform, rotation, the header \
                  parameters that must never choose a key, and how a secret becomes an HMAC \
                  key.",
    },
    Area {
        prefixes: &["IDV"],
        title: "Identity Verification (user_hash)",
        summary: "Verdict rule 3, for logged-in users without a JWT: enforcement, what the \
                  `user_hash` is computed over and with which secret, how it is compared, and \
                  the identity reported.",
    },
    Area {
        prefixes: &["IDENT", "ID"],
        title: "Identifiers",
        summary: "How `user_id` and `email` are compared and hashed, on every path.",
    },
    Area {
        prefixes: &["ATTR"],
        title: "Attributes and locking",
        summary: "Which attributes an accepted request applies and which it drops, with which \
                  reason, on every path.",
    },
    Area {
        prefixes: &["VISITOR"],
        title: "Visitors, leads and hash-only requests",
        summary: "Verdict rules 4 and 5, for requests that name no user.",
    },
    Area {
        prefixes: &["SIGN"],
        title: "Signer",
        summary: "The signer role: the `user_hash` and the JWT a customer's backend produces \
                  for its front end, and when it refuses.",
    },
];

/// The id's area prefix: the text before its first `-`.
fn prefix_of(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

/// Index into [`AREAS`], or `None` for a prefix no area claims.
fn area_index(id: &str) -> Option<usize> {
    let prefix = prefix_of(id);
    AREAS
        .iter()
        .position(|area| area.prefixes.contains(&prefix))
}

/// The GitHub-style anchor of a `### ID` heading.
fn anchor(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// Where in CONTRACT.md the section points, in words.
fn section_label(section: &str) -> String {
    match section {
        "protocol" => "CONTRACT.md, Messages".to_owned(),
        "identifiers" => "CONTRACT.md, identifiers and secrets".to_owned(),
        "signer" => "CONTRACT.md, the signer rules".to_owned(),
        s if s.starts_with(|c: char| c.is_ascii_digit()) => {
            format!("CONTRACT.md, verdict rule {s}")
        }
        other => format!("CONTRACT.md, {other}"),
    }
}

/// Escapes the characters that would break a Markdown table cell.
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

const INTRODUCTION: &str = "\
This document is the normative specification of the Messenger conformance profile: the \
behaviour that `messenger-conformance` checks in any implementation of Chat Messenger \
*Identity Verification* (a `user_hash` that is the HMAC-SHA256 of the user's identifier) and \
*Messenger Security with JWTs* (a user JWT signed with HS256). An implementation plays one or \
both of two roles: the **verifier**, the server side that decides whether a Messenger `boot` or \
`update` request is accepted, who the user is and which attributes are applied; and the \
**signer**, the customer's backend that produces the `user_hash` or the JWT for its front end.

The profile comes from two vendor help-centre articles, the *seeds* (\"Identity \
Verification\" and the migration guide to \"Messenger Security with JWTs\"), from RFC 7515 (JWS), \
RFC 7518 (JWA), RFC 7519 (JWT) and RFC 8725 (JWT best current practices), and is fixed by \
`CONTRACT.md`, the adapter protocol v1 with its verdict and signer rules. Each requirement below \
restates one rule in our own words, names the error code it yields, and quotes where it comes \
from.
";

const LEVELS: &str = "\
Every requirement, and every case that checks it, has a level (CONTRACT.md, \"Levels\"):

- **must**: a failure gates the run (non-zero exit). The verdict rules are `must` unless a \
  requirement says otherwise.
- **should**: a failure is reported, and gates only under `--strict`. Where the RFCs allow a \
  choice that this profile does not make (keeping the lexically last of duplicate JSON members \
  instead of rejecting, for example), the requirement is `should`: an implementation that makes \
  the other choice is stricter or laxer than the profile within what the standards permit.
- **may**: more than one answer conforms. The case lists every answer that leads to a correct \
  outcome; the report records which one the implementation chose and never fails it for that \
  choice. An answer that matches none of them breaks a rule like any other answer and fails at \
  that rule's level (accepting a token that every listed answer refuses, say).

A `must` needs a consequence: someone could get in who should not, a real user is locked out, \
or the output means something other than what was asked. Where a case's own note says an \
implementation may do something, the case is `may` and lists it.
";

const IDS: &str = "\
Ids are stable. Once published, an id keeps its meaning: a rule that changes gets a new id, \
and a retired id is never reused. The prefix names the area (`REQ-`, `JWT-`, `KEY-`, `IDV-`, \
`IDENT-`, `ATTR-`, `VISITOR-`, `SIGN-`). Every case names the requirement ids it checks, and \
only ids of this registry; reports group results by id and link to the requirement's heading \
here (`docs/spec.md#jwt-alg`).
";

const READING: &str = "\
The verifier applies the verdict rules in order and the first rule that rejects gives the \
error code. Implementations check in other orders too, so when a request breaks several rules \
the code of any rule it breaks conforms; each hand-written case therefore breaks exactly one \
rule, and a generated request is judged against the set of rules it breaks.

A request breaks a rule when a verifier that checked that rule first, reading only what the \
rule needs, would reject it (CONTRACT.md, amended 2026-12-06). Each rule reads:

- **1** (`invalid_request`): the whole request and the workspace's platforms.
- **2.1** (`jwt_not_enabled`): that a token is there (any string) and the configured \
  platform's settings: where JWT is off, every token is rejected, whatever it holds.
- **2.2** (`jwt_malformed`): the whole token.
- **2.3** (`jwt_algorithm_not_allowed`; `crit`: `jwt_malformed`): the header alone, the first \
  `.`-separated segment decoded to a JSON object, whatever follows it.
- **2.4** (`jwt_signature_invalid`): the platform's keys. With no key listed for the platform \
  (or only empty secrets, which never verify) every token is rejected, whatever its shape, so a \
  malformed token there conforms with `jwt_signature_invalid` as well as `jwt_malformed`. \
  Otherwise three segments whose last decodes, the MAC taken over the first two as sent.
- **2.5** (`jwt_missing_user_id`, `jwt_claims_invalid`), **2.6**, **2.7**: the payload alone, \
  the second segment decoded to a JSON object; each code on its own (a token can be both \
  expired and not yet valid).
- **2.8** (`jwt_identity_mismatch`): the payload's `user_id` (a non-empty string: an absent one \
  is 2.5's) and `email`, and the request's.
- **3.1** (`jwt_required`): no token, an identity, JWT on for the platform.
- **3.2**, **3.3** (`user_hash_required`, `user_hash_mismatch`): no token, an identity, the \
  `user_hash` and the identifier it is over, as if JWT were off.
- **4** (`missing_identifier`): no token, no `user_id`, no `email`, a `user_hash`.

A field of the wrong type, or an empty `user_id` or `email`, is read by rule 1 alone: a rule \
that needs it is not judged. A case whose request cannot check its rule without breaking \
another lists the other code in `also:` and says why in its note; `messenger-conformance check` \
and the tests refuse any other case that breaks two rules (`src/reference/verifier/\
broken_rules.rs` holds the readings, `src/scenario/lint.rs` the check).

Where the seeds and the contract leave a point open, the profile does not make its strictest \
reading a `must`. It fails, as `must`, only the answers under which an unsigned, unverified or \
ambiguous input could change who the user is, make a token or hash verify, or change a locked \
attribute; every other answer that leads to a correct outcome is listed (`may`), or the \
profile's preference is `should`. Those choices are marked **Why this reading** below. Times \
are the `now` of the message and are compared exactly; \
identifiers and secrets are exact UTF-8 bytes.
";

/// docs/spec.md, rendered from the registry: an introduction (what the profile is, the
/// levels, how ids are used by cases and reports, the safest-reading principle), then
/// requirements grouped by area prefix with their level, text, source and reason.
#[must_use]
pub fn render_markdown() -> String {
    let requirements = requirements();
    let mut out = String::new();

    out.push_str("# Messenger conformance profile: requirements\n\n");
    out.push_str(
        "<!-- Generated from src/spec/requirements.yaml by src/spec/mod.rs; do not edit by \
         hand. Regenerate with `cargo run -- spec > docs/spec.md` or \
         `UPDATE_SPEC=1 cargo test --lib spec`. -->\n\n",
    );
    out.push_str(INTRODUCTION);
    out.push_str("\n## Levels\n\n");
    out.push_str(LEVELS);
    out.push_str("\n## Requirement ids\n\n");
    out.push_str(IDS);
    out.push_str("\n## Reading the rules\n\n");
    out.push_str(READING);

    let groups = grouped(requirements);

    out.push_str("\n## Summary\n\n");
    let count = |level: Level| requirements.iter().filter(|r| r.level == level).count();
    let _ = writeln!(
        out,
        "{} requirements: {} must, {} should, {} may.\n",
        requirements.len(),
        count(Level::Must),
        count(Level::Should),
        count(Level::May),
    );
    out.push_str("| Id | Level | Title |\n| --- | --- | --- |\n");
    for (_, members) in &groups {
        for requirement in members {
            let _ = writeln!(
                out,
                "| [{id}](#{anchor}) | {level} | {title} |",
                id = requirement.id,
                anchor = anchor(&requirement.id),
                level = requirement.level,
                title = table_cell(&requirement.title),
            );
        }
    }

    out.push('\n');
    for (heading, members) in &groups {
        let _ = write!(out, "## {}\n\n", heading.title);
        if !heading.summary.is_empty() {
            let _ = writeln!(out, "{}\n", heading.summary);
        }
        for requirement in members {
            render_requirement(&mut out, requirement);
        }
    }
    // Each block ends in a blank line; the file ends in exactly one newline.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// An area heading as rendered: a known area, or a fallback for an unclaimed prefix.
struct Heading {
    title: String,
    summary: &'static str,
}

/// Requirements grouped by area, areas in [`AREAS`] order (unclaimed prefixes last, in order
/// of first appearance), requirements in registry order within each area.
fn grouped(requirements: &[Requirement]) -> Vec<(Heading, Vec<&Requirement>)> {
    let mut groups: Vec<(Heading, Vec<&Requirement>)> = AREAS
        .iter()
        .map(|area| {
            let heading = Heading {
                title: area.title.to_owned(),
                summary: area.summary,
            };
            (heading, Vec::new())
        })
        .collect();
    let mut unclaimed: Vec<(String, Vec<&Requirement>)> = Vec::new();
    for requirement in requirements {
        match area_index(&requirement.id) {
            Some(index) => groups[index].1.push(requirement),
            None => {
                let prefix = prefix_of(&requirement.id);
                match unclaimed.iter_mut().find(|(p, _)| p == prefix) {
                    Some((_, members)) => members.push(requirement),
                    None => unclaimed.push((prefix.to_owned(), vec![requirement])),
                }
            }
        }
    }
    groups.retain(|(_, members)| !members.is_empty());
    // Name the prefixes a group really uses, so the heading tells a reader what to grep for.
    for (heading, members) in &mut groups {
        let mut used: Vec<&str> = Vec::new();
        for requirement in members.iter() {
            let prefix = prefix_of(&requirement.id);
            if !used.contains(&prefix) {
                used.push(prefix);
            }
        }
        let used: Vec<String> = used.iter().map(|p| format!("`{p}-`")).collect();
        heading.title = format!("{} ({})", heading.title, used.join(", "));
    }
    groups.extend(unclaimed.into_iter().map(|(prefix, members)| {
        let heading = Heading {
            title: format!("Other (`{prefix}-`)"),
            summary: "",
        };
        (heading, members)
    }));
    groups
}

/// Turns every mention of a registry id outside inline code into a link to its heading.
fn link_ids(text: &str) -> String {
    let is_id_char = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        if !in_code && is_id_char(c) {
            let end = rest.find(|c: char| !is_id_char(c)).unwrap_or(rest.len());
            let word = &rest[..end];
            match find(word) {
                Some(requirement) => {
                    let _ = write!(out, "[{}](#{})", requirement.id, anchor(&requirement.id));
                }
                None => out.push_str(word),
            }
            rest = &rest[end..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn render_requirement(out: &mut String, requirement: &Requirement) {
    let _ = write!(
        out,
        "### {id}\n\n**{title}**  \nLevel: **{level}** · {section}\n\n{text}\n\n\
         *Source.* {source}\n",
        id = requirement.id,
        title = requirement.title.trim(),
        level = requirement.level,
        section = section_label(requirement.section.trim()),
        text = link_ids(requirement.text.trim()),
        source = link_ids(requirement.source.trim()),
    );
    if let Some(reason) = &requirement.reason {
        let _ = write!(out, "\n*Why this reading.* {}\n", link_ids(reason.trim()));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Ids that other modules, cases and documents refer to by name.
    const REQUIRED_IDS: &[&str] = &[
        "REQ-SHAPE",
        "REQ-RESERVED-ATTRIBUTES",
        "JWT-ENABLED",
        "JWT-FORMAT",
        "JWT-DUPLICATE-MEMBERS",
        "JWT-ALG",
        "JWT-CRIT",
        "JWT-SIGNATURE",
        "KEY-PLATFORM-SCOPE",
        "KEY-ROTATION",
        "KEY-HEADER-INJECTION",
        "KEY-KID-CHOICE",
        "JWT-USER-ID",
        "JWT-CLAIM-TYPES",
        "JWT-EXP",
        "JWT-EXP-OPTIONAL",
        "JWT-LEEWAY",
        "JWT-NBF",
        "JWT-IAT-IGNORED",
        "JWT-IDENTITY-MATCH",
        "JWT-IDENTITY-FROM-CLAIMS",
        "JWT-USER-HASH-IGNORED",
        "IDV-JWT-REQUIRED",
        "IDV-ENFORCED",
        "IDV-UNENFORCED",
        "IDV-PRECEDENCE",
        "IDV-PLATFORM-SECRET",
        "IDV-WORKSPACE-SECRET",
        "IDV-HEX-CASE",
        "IDV-CONSTANT-TIME",
        "IDV-MALFORMED-HASH",
        "IDV-EMAIL-UNSIGNED",
        "IDENT-EXACT-BYTES",
        "ATTR-LOCKED",
        "ATTR-UNLOCKED",
        "ATTR-JWT-CLAIMS-APPLIED",
        "ATTR-OVERRIDDEN-BY-JWT",
        "ATTR-REGISTERED-CLAIMS",
        "ATTR-LOCKED-EMAIL",
        "VISITOR-HASH-WITHOUT-IDENTIFIER",
        "VISITOR-ANONYMOUS",
        "SIGN-HASH",
        "SIGN-HASH-NEVER-EMPTY",
        "SIGN-EMPTY-USER-ID",
        "SIGN-EMPTY-EMAIL",
        "SIGN-EMPTY-SECRET",
        "SIGN-JWT-HEADER",
        "SIGN-JWT-CLAIMS",
        "SIGN-JWT-EXP",
        "SIGN-JWT-USER-ID-REQUIRED",
        "SIGN-JWT-RESERVED-ATTRIBUTES",
        "SIGN-JWT-LIFETIME-RANGE",
    ];

    /// `^[A-Z]+(-[A-Z0-9]+)+$`, without a regex dependency.
    fn is_well_formed_id(id: &str) -> bool {
        let mut parts = id.split('-');
        let first_ok = parts
            .next()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_uppercase()));
        let rest: Vec<&str> = parts.collect();
        first_ok
            && !rest.is_empty()
            && rest.iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            })
    }

    #[test]
    fn registry_parses() {
        // Parse directly rather than through `requirements()` so the failure shows the
        // parser's message with its line and column instead of a panic from a OnceLock.
        let parsed: Result<Vec<Requirement>, _> = serde_saphyr::from_str(REQUIREMENTS_YAML);
        match parsed {
            Ok(list) => assert!(!list.is_empty(), "requirements.yaml holds no requirement"),
            Err(err) => panic!("src/spec/requirements.yaml does not parse:\n{err}"),
        }
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for requirement in requirements() {
            assert!(
                is_well_formed_id(&requirement.id),
                "id {:?} does not match ^[A-Z]+(-[A-Z0-9]+)+$",
                requirement.id
            );
            assert!(
                seen.insert(requirement.id.as_str()),
                "id {} appears twice in src/spec/requirements.yaml",
                requirement.id
            );
            assert!(
                area_index(&requirement.id).is_some(),
                "id {} has a prefix no area of docs/spec.md claims; add it to AREAS in \
                 src/spec/mod.rs or use an existing prefix",
                requirement.id
            );
        }
    }

    #[test]
    fn well_formed_id_check_is_right() {
        for good in ["JWT-ALG", "REQ-SHAPE", "KEY-X5U", "A-1"] {
            assert!(is_well_formed_id(good), "{good}");
        }
        for bad in [
            "JWT", "jwt-alg", "JWT-", "-ALG", "JWT--ALG", "JWT_ALG", "1A-B", "JWT-alg",
        ] {
            assert!(!is_well_formed_id(bad), "{bad}");
        }
    }

    #[test]
    fn every_level_is_valid_and_round_trips() {
        for requirement in requirements() {
            let level = requirement.level;
            assert!(matches!(level, Level::Must | Level::Should | Level::May));
            assert_eq!(level.to_string(), level.as_str());
            let yaml_level: Level = serde_saphyr::from_str(level.as_str())
                .unwrap_or_else(|err| panic!("level {level} does not parse back: {err}"));
            assert_eq!(yaml_level, level);
        }
        for word in ["Must", "MUST", "required", "optional"] {
            assert!(
                serde_saphyr::from_str::<Level>(word).is_err(),
                "{word:?} must not parse as a level"
            );
        }
    }

    #[test]
    fn every_field_is_filled() {
        for r in requirements() {
            for (field, value) in [
                ("section", &r.section),
                ("title", &r.title),
                ("text", &r.text),
                ("source", &r.source),
            ] {
                assert!(!value.trim().is_empty(), "{}: empty {field}", r.id);
            }
            assert!(!r.title.contains('\n'), "{}: title spans lines", r.id);
            if let Some(reason) = &r.reason {
                assert!(!reason.trim().is_empty(), "{}: empty reason", r.id);
            }
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let yaml = "- id: X-Y\n  level: must\n  section: \"1\"\n  title: t\n  text: t\n  \
                    source: s\n  severity: high\n";
        assert!(serde_saphyr::from_str::<Vec<Requirement>>(yaml).is_err());
    }

    #[test]
    fn required_ids_are_present() {
        let missing: Vec<&str> = REQUIRED_IDS
            .iter()
            .copied()
            .filter(|id| find(id).is_none())
            .collect();
        assert!(missing.is_empty(), "missing requirement ids: {missing:?}");
    }

    #[test]
    fn levels_of_open_choices() {
        assert_eq!(find("KEY-KID-CHOICE").map(|r| r.level), Some(Level::May));
        assert_eq!(
            find("JWT-DUPLICATE-MEMBERS").map(|r| r.level),
            Some(Level::Should)
        );
        assert!(requirements().iter().any(|r| r.level == Level::Should));
        assert!(requirements().iter().any(|r| r.level == Level::May));
    }

    #[test]
    fn find_is_exact() {
        assert_eq!(find("JWT-ALG").map(|r| r.id.as_str()), Some("JWT-ALG"));
        assert!(find("jwt-alg").is_none());
        assert!(find("JWT").is_none());
        assert!(find("").is_none());
    }

    #[test]
    fn cross_references_name_real_ids() {
        // Texts refer to each other by id; a renamed id must not leave a dangling reference.
        let ids: BTreeSet<&str> = requirements().iter().map(|r| r.id.as_str()).collect();
        for r in requirements() {
            let fields = [Some(&r.text), Some(&r.source), r.reason.as_ref()];
            for field in fields.into_iter().flatten() {
                for word in field.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                    let word = word.trim_matches('-');
                    let looks_like_id = AREAS
                        .iter()
                        .flat_map(|a| a.prefixes.iter())
                        .any(|p| word.starts_with(&format!("{p}-")))
                        && is_well_formed_id(word);
                    if looks_like_id {
                        assert!(ids.contains(word), "{} refers to unknown id {word}", r.id);
                    }
                }
            }
        }
    }

    #[test]
    fn rendering_lists_every_requirement_once() {
        let doc = render_markdown();
        for r in requirements() {
            let heading = format!("\n### {}\n", r.id);
            assert_eq!(doc.matches(&heading).count(), 1, "{} heading", r.id);
            assert!(doc.contains(&format!("[{}](#{})", r.id, anchor(&r.id))));
        }
        assert!(doc.ends_with('\n') && !doc.ends_with("\n\n"));
    }

    /// Compares docs/spec.md with the rendering. With `UPDATE_SPEC=1` a stale file is rewritten,
    /// and the test still fails (saying so), so an update is reviewed and never counts as a pass.
    #[test]
    fn docs_spec_md_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/spec.md");
        let rendered = render_markdown();
        let update = std::env::var("UPDATE_SPEC").as_deref() == Ok("1");
        let on_disk = match std::fs::read_to_string(path) {
            Ok(text) => text.replace("\r\n", "\n"),
            Err(err) if update && err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(err) => panic!(
                "cannot read {path}: {err}\nGenerate it with `cargo run -- spec > docs/spec.md` \
                 or `UPDATE_SPEC=1 cargo test --lib spec`."
            ),
        };
        if on_disk == rendered {
            return;
        }
        let first_difference = on_disk
            .lines()
            .zip(rendered.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| on_disk.lines().count().min(rendered.lines().count()));
        if update {
            let dir = std::path::Path::new(path)
                .parent()
                .expect("docs/spec.md has a parent");
            std::fs::create_dir_all(dir).expect("create docs/");
            std::fs::write(path, &rendered).expect("write docs/spec.md");
            panic!(
                "UPDATE_SPEC=1: docs/spec.md was out of date with src/spec/requirements.yaml \
                 (first difference at line {}) and has been rewritten. Review the diff, then run \
                 the tests again without UPDATE_SPEC.",
                first_difference + 1
            );
        }
        panic!(
            "docs/spec.md is out of date with src/spec/requirements.yaml (first difference \
             at line {}).\nRegenerate it with `cargo run -- spec > docs/spec.md` or \
             `UPDATE_SPEC=1 cargo test --lib spec`, then review the diff.",
            first_difference + 1
        );
    }
}
