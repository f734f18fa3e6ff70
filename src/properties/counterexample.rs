//! A shrunk failure as a ready-to-commit YAML case: `check` accepts it and `run` reproduces it.
//!
//! The case replays the generated workspace as a merge patch over the `generated` fixture
//! (cases/fixtures.yaml holds the properties' secrets under their key ids and platforms) and sends
//! the request as raw JSON; `expect` is the reference's verdict, stated in full. No secret is
//! written: the patch gives each key's id and platforms and leaves its secret to the fixture, and
//! a `sign` case names its secret by reference (`web`, `key:k1`), so the file can be shared and
//! committed as it is.

use serde_json::{json, Map, Value};

use super::recipe::ENCODED_SECRETS;
use super::recipe::{build_verify, IDV_SECRETS, KEY_POOL};
use super::sign::build_sign;
use super::table::Sample;
use super::Property;
use crate::contract::{ErrorCode, FromAdapter, Platform, SignMode, Workspace};
use crate::reference;

/// The fixture workspace (cases/fixtures.yaml) that holds the properties' secrets.
pub const GENERATED_WORKSPACE: &str = "generated";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    pub case_id: String,
    /// `<property>-<seed>.yaml`, under `counterexamples/` of the report directory by default.
    pub file_name: String,
    /// The whole case file.
    pub yaml: String,
}

/// What a run does with the counterexamples its properties find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Counterexamples {
    /// Neither written nor recorded on the property's event: the caller has each one in the
    /// property's result (the Rust harness, whose failures stay as they are).
    #[default]
    Unrecorded,
    /// Written as YAML cases into this directory (created if need be, under the rules of
    /// [`crate::output`]), and the event says where.
    WriteTo(std::path::PathBuf),
    /// Not written: the event says so, with this reason (`--no-report; give --counterexamples
    /// DIR to keep it`).
    NotWritten(String),
}

/// Whether `name` is the name of a file a run writes: `<property>-<seed>.yaml`.
pub fn is_owned_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".yaml") else {
        return false;
    };
    super::all().iter().any(|property| {
        stem.strip_prefix(property.name)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|seed| !seed.is_empty() && seed.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Remove, from `dir`, the counterexamples an earlier run left there, so the directory holds
/// only this run's: the files named `<property>-<seed>.yaml`. Nothing else is touched: not
/// another file, not a subdirectory, and nothing through a symlink (a symlink named like a
/// counterexample is removed, never what it points to; a `dir` that is itself a symlink is left
/// alone, its target being someone else's). A `dir` that does not exist is already clear.
/// Returns the paths removed.
pub fn clear_owned(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    match std::fs::symlink_metadata(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
        Ok(meta) if !meta.is_dir() => return Ok(Vec::new()),
        Ok(_) => {}
    }
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let owned = entry.file_name().to_str().is_some_and(is_owned_name);
        if owned && (kind.is_file() || kind.is_symlink()) {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    removed.sort();
    Ok(removed)
}

impl Counterexample {
    /// Write the case into `dir` as `file_name`, beside a report and under its rules (no link
    /// followed, no FIFO opened, written whole). Returns its path.
    pub fn write_into(&self, dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        crate::output::check_own_dir(dir)?;
        std::fs::create_dir_all(dir)?;
        let path = dir.join(&self.file_name);
        crate::output::write_atomically(&path, self.yaml.as_bytes())?;
        Ok(path)
    }

    pub(crate) fn new(property: &Property, seed: u64, sample: &Sample, now: i64) -> Counterexample {
        let case_id = format!("PROP-{}-{seed}", property.name.to_uppercase());
        let mut case = Map::new();
        case.insert("id".into(), json!(case_id));
        case.insert(
            "title".into(),
            json!(format!(
                "counterexample to `{}`: {}",
                property.name, property.title
            )),
        );
        case.insert("requirements".into(), json!(property.requirements));
        case.insert("level".into(), json!("must"));
        case.insert("tags".into(), json!(["counterexample"]));
        case.insert(
            "note".into(),
            json!(format!(
                "Found by property `{}` (`messenger-conformance run --only properties --seed {seed}`) and shrunk to a minimal request. The expectation is the reference's verdict. Review it, give it a topic id and move it under cases/<area>/ to keep it.",
                property.name
            )),
        );
        case.insert("now".into(), json!(now));
        match sample {
            Sample::Verify(recipe) => {
                let request = build_verify(recipe, &case_id, now);
                case.insert("workspace".into(), json!(GENERATED_WORKSPACE));
                case.insert("patch".into(), workspace_patch(&request.workspace));
                case.insert("request".into(), json!({ "raw": request.request }));
                case.insert(
                    "expect".into(),
                    verdict_expect(
                        &reference::verify(&request),
                        &reference::broken_rules(&request),
                    ),
                );
            }
            Sample::Sign(recipe) => {
                let request = build_sign(recipe, &case_id, now);
                let mut sign = Map::new();
                sign.insert(
                    "mode".into(),
                    serde_json::to_value(request.mode).unwrap_or(Value::Null),
                );
                sign.insert("platform".into(), json!(request.platform));
                case.insert("workspace".into(), json!(GENERATED_WORKSPACE));
                sign.insert("secret".into(), json!(secret_reference(&request.secret)));
                if let Some(key_id) = &request.key_id {
                    sign.insert("key_id".into(), json!(key_id));
                }
                sign.insert(
                    "user".into(),
                    serde_json::to_value(&request.user).unwrap_or(Value::Null),
                );
                if !request.attributes.is_empty() {
                    sign.insert(
                        "attributes".into(),
                        Value::Object(request.attributes.clone()),
                    );
                }
                if let Some(expires_in) = request.expires_in {
                    sign.insert("expires_in".into(), json!(expires_in));
                }
                case.insert("sign".into(), Value::Object(sign));
                // An input the signer rules leave open: a `may` case listing every conforming
                // answer, or a `should` case where signing fails at should only (CONTRACT,
                // "Inputs the signer rules leave open").
                let conforming = reference::signer::conforming(&request);
                let answers: Vec<Value> = conforming
                    .answers
                    .iter()
                    .map(|answer| signer_expect(&request, answer))
                    .collect();
                if let [answer] = &answers[..] {
                    if !conforming.should.is_empty() {
                        case.insert("level".into(), json!("should"));
                    }
                    case.insert("expect".into(), answer.clone());
                } else {
                    case.insert("level".into(), json!("may"));
                    case.insert("expect".into(), json!({ "any_of": answers }));
                }
            }
        }
        let file = json!({
            "description": format!("Counterexample found by property `{}`.", property.name),
            "cases": [Value::Object(case)],
        });
        let body = serde_saphyr::to_string(&file)
            .unwrap_or_else(|_| serde_json::to_string_pretty(&file).unwrap_or_default());
        Counterexample {
            file_name: format!("{}-{seed}.yaml", property.name),
            case_id,
            // No `$schema` line: a relative path to the schema would be wrong wherever the file
            // is written; `messenger-conformance schema case` prints the schema.
            yaml: body,
        }
    }
}

/// The generated workspace as a merge patch over the `generated` fixture: every setting, and
/// each key by id and platforms; a secret only where it is not the fixture's (the empty one).
fn workspace_patch(workspace: &Workspace) -> Value {
    let mut platforms = Map::new();
    for (i, platform) in Platform::ALL.iter().enumerate() {
        let Some(settings) = workspace.platform(*platform) else {
            continue;
        };
        let mut idv = Map::new();
        let secret = &settings.identity_verification.secret;
        if secret != IDV_SECRETS[i] {
            idv.insert("secret".into(), json!(secret));
        }
        idv.insert(
            "enforced".into(),
            json!(settings.identity_verification.enforced),
        );
        platforms.insert(
            platform.as_str().into(),
            json!({"identity_verification": idv, "jwt": {"enabled": settings.jwt.enabled}}),
        );
    }
    let keys: Vec<Value> = workspace
        .jwt_keys
        .iter()
        .map(|key| {
            let mut entry = Map::new();
            entry.insert("id".into(), json!(key.id));
            if !KEY_POOL.contains(&(key.id.as_str(), key.secret.as_str())) {
                entry.insert("secret".into(), json!(key.secret));
            }
            entry.insert("platforms".into(), json!(key.platforms));
            Value::Object(entry)
        })
        .collect();
    json!({
        "platforms": platforms,
        "jwt_keys": keys,
        "locked_attributes": workspace.locked_attributes,
        "jwt_leeway_seconds": workspace.jwt_leeway_seconds,
    })
}

/// How a case names `secret`: by the `generated` fixture's platform or key id when it is one of
/// the properties' secrets; `empty`; otherwise (never for a pool secret) spelled out.
fn secret_reference(secret: &str) -> String {
    if let Some(i) = IDV_SECRETS.iter().position(|s| *s == secret) {
        return Platform::ALL[i].as_str().to_string();
    }
    if let Some((id, _)) = KEY_POOL
        .iter()
        .chain(&ENCODED_SECRETS)
        .find(|(_, s)| *s == secret)
    {
        return format!("key:{id}");
    }
    if secret.is_empty() {
        return "empty".into();
    }
    format!("literal:{secret}")
}

/// The reference's verdict; for a rejection, the codes of the other rules the request breaks
/// in `also`, as the property judged it (a shrunk request may break several).
fn verdict_expect(verdict: &crate::contract::Verdict, broken: &[ErrorCode]) -> Value {
    let expected = crate::judge::ExpectedVerdict::exactly(verdict);
    let mut expect = Map::new();
    expect.insert("outcome".into(), json!(expected.outcome));
    if let Some(error) = expected.error {
        expect.insert("error".into(), json!(error));
        let also: Vec<&ErrorCode> = broken.iter().filter(|c| **c != error).collect();
        if !also.is_empty() {
            expect.insert("also".into(), json!(also));
        }
        return Value::Object(expect);
    }
    expect.insert("verified".into(), json!(expected.verified));
    if let Some(identity) = &expected.identity {
        expect.insert(
            "identity".into(),
            serde_json::to_value(identity).unwrap_or(Value::Null),
        );
    }
    if !expected.applied.is_empty() {
        expect.insert("applied".into(), Value::Object(expected.applied.clone()));
    }
    if !expected.dropped.is_empty() {
        expect.insert(
            "dropped".into(),
            serde_json::to_value(&expected.dropped).unwrap_or(Value::Null),
        );
    }
    Value::Object(expect)
}

fn signer_expect(request: &crate::contract::SignRequest, answer: &FromAdapter) -> Value {
    match answer.clone() {
        FromAdapter::Signed(signed) if request.mode == SignMode::UserHash => {
            json!({ "outcome": "signed", "user_hash": { "literal": signed.user_hash } })
        }
        FromAdapter::Signed(signed) => {
            let token = signed.jwt.unwrap_or_default();
            let decoded = reference::jws::decode_unverified(&token)
                .expect("the reference signs well-formed tokens");
            // A case never lists `typ`: the judge applies the signer rule for it.
            let mut header = decoded.header.members.clone();
            header.shift_remove("typ");
            json!({
                "outcome": "signed",
                "jwt": {
                    "secret": secret_reference(&request.secret),
                    "header": header,
                    "claims": decoded.claims.members,
                }
            })
        }
        _ => json!({ "outcome": "refused" }),
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::properties::recipe::{Alg, RequestUserId, VerifyRecipe};
    use crate::properties::{find, strategy};
    use crate::scenario::DEFAULT_NOW;

    /// A shrunk request that breaks two rules is written with both codes, so the committed case
    /// judges an implementation as the property did.
    #[test]
    fn a_counterexample_lists_every_rule_its_request_breaks() {
        let mut runner = TestRunner::deterministic();
        let mut recipe = strategy::jwt_valid()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        recipe.alg = Alg::None(0);
        recipe.request_user_id = RequestUserId::Empty;
        let sample = Sample::Verify(Box::new(VerifyRecipe::Jwt(recipe)));
        let property = find("jwt-differential").unwrap();
        let yaml = Counterexample::new(property, 1, &sample, DEFAULT_NOW).yaml;
        let file: Value = serde_saphyr::from_str(&yaml).unwrap();
        let expect = &file["cases"][0]["expect"];
        assert_eq!(expect["error"], "invalid_request", "{yaml}");
        let also = expect["also"]
            .as_array()
            .expect("also lists the other rules");
        assert!(also.contains(&json!("jwt_algorithm_not_allowed")), "{yaml}");
    }
}
