//! Rule 1: the request itself. [`parse_request`] types every field; the verifier then checks that
//! the workspace configures the platform and that no attribute takes a request field's name.

use serde_json::Value;

use super::explain;
use super::parsed::{Action, MessengerRequest, RESERVED_ATTRIBUTES};
use super::{Rejection, Verifier};
use crate::contract::{ErrorCode, Object, Platform};
use crate::reference::json::kind;
use crate::reference::requirement as req;
use crate::shorten::shorten_str;

impl Verifier<'_> {
    /// Rule 1: unknown platform or action, a field of the wrong type, an empty `user_id` or
    /// `email`, or a reserved attribute name: `invalid_request`. `null` means absent.
    pub(super) fn rule_1(&mut self, raw: &Value) -> Result<MessengerRequest, Rejection> {
        let request = parse_request(raw).map_err(|problems| {
            self.reject(
                req::REQ_SHAPE,
                "1",
                ErrorCode::InvalidRequest,
                problems.join("; "),
            )
        })?;
        // A platform the workspace does not configure is unknown too: reading it as "JWT off,
        // identity verification off" would accept unverified users nobody configured for.
        if self.workspace.platform(request.platform).is_none() {
            let detail = explain::unconfigured_platform(self.workspace, request.platform);
            return Err(self.reject(req::REQ_SHAPE, "1", ErrorCode::InvalidRequest, detail));
        }
        self.pass(req::REQ_SHAPE, "1", || {
            explain::request_shape(raw, &request)
        });

        let reserved: Vec<&str> = request
            .attributes
            .keys()
            .map(String::as_str)
            .filter(|k| RESERVED_ATTRIBUTES.contains(k))
            .collect();
        if !reserved.is_empty() {
            return Err(self.reject(
                req::REQ_RESERVED_ATTRIBUTES,
                "1",
                ErrorCode::InvalidRequest,
                explain::reserved_attributes(&reserved),
            ));
        }
        self.pass(
            req::REQ_RESERVED_ATTRIBUTES,
            "1",
            "no request attribute uses a reserved name",
        );
        Ok(request)
    }
}

/// Rule 1 on the raw request: every problem found, in words, or the typed request.
pub(crate) fn parse_request(raw: &Value) -> Result<MessengerRequest, Vec<String>> {
    parse(raw, true)
}

/// Whether every field of the raw request has its contract's JSON type (an empty `user_id` or
/// `email` does: rule 1 rejects it for its value, not its type). What a typed request can hold.
pub(crate) fn well_typed(raw: &Value) -> bool {
    parse(raw, false).is_ok()
}

/// [`parse_request`], with an empty `user_id` or `email` a problem only when `empty_is_a_problem`.
fn parse(raw: &Value, empty_is_a_problem: bool) -> Result<MessengerRequest, Vec<String>> {
    let Value::Object(fields) = raw else {
        return Err(vec![format!("the request is {}, not an object", kind(raw))]);
    };
    let mut problems = Vec::new();
    // `null` is the same as absent for every field.
    let field = |name: &str| fields.get(name).filter(|v| !v.is_null());

    let action = match field("action") {
        None => {
            problems.push("`action` is missing (boot or update)".to_string());
            None
        }
        Some(Value::String(s)) if s == "boot" => Some(Action::Boot),
        Some(Value::String(s)) if s == "update" => Some(Action::Update),
        Some(Value::String(s)) => {
            problems.push(format!(
                "unknown action {} (boot or update)",
                shorten_str(s)
            ));
            None
        }
        Some(other) => {
            problems.push(format!("`action` is {}, not a string", kind(other)));
            None
        }
    };
    let platform = match field("platform") {
        None => {
            problems.push("`platform` is missing (web, ios or android)".to_string());
            None
        }
        Some(Value::String(s)) => {
            let platform = Platform::parse(s);
            if platform.is_none() {
                problems.push(format!(
                    "unknown platform {} (web, ios or android)",
                    shorten_str(s)
                ));
            }
            platform
        }
        Some(other) => {
            problems.push(format!("`platform` is {}, not a string", kind(other)));
            None
        }
    };
    let mut string = |name: &str, non_empty: bool| match field(name) {
        None => None,
        Some(Value::String(s)) if non_empty && s.is_empty() => {
            problems.push(format!("`{name}` is an empty string"));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(format!("`{name}` is {}, not a string", kind(other)));
            None
        }
    };
    let user_id = string("user_id", empty_is_a_problem);
    let email = string("email", empty_is_a_problem);
    let user_hash = string("user_hash", false);
    let intercom_user_jwt = string("intercom_user_jwt", false);
    let attributes = match field("attributes") {
        None => Object::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(other) => {
            problems.push(format!("`attributes` is {}, not an object", kind(other)));
            Object::new()
        }
    };
    match (action, platform) {
        (Some(action), Some(platform)) if problems.is_empty() => Ok(MessengerRequest {
            action,
            platform,
            user_id,
            email,
            user_hash,
            intercom_user_jwt,
            attributes,
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::RESERVED_ATTRIBUTES;

    #[test]
    fn rule_1_rejects_bad_shapes() {
        let base = json!({"action": "boot", "platform": "android", "user_id": "u-1"});
        let mutations: Vec<(&str, Value)> = vec![
            ("platform", json!("windows")),
            ("platform", json!("Web")),
            ("platform", json!(null)),
            ("platform", json!(1)),
            ("action", json!("login")),
            ("action", json!("")),
            ("action", json!(null)),
            ("action", json!(["boot"])),
            ("user_id", json!(123)),
            ("user_id", json!("")),
            ("email", json!("")),
            ("email", json!(false)),
            ("user_hash", json!(42)),
            ("intercom_user_jwt", json!({"token": "x"})),
            ("attributes", json!(["plan"])),
            ("attributes", json!("plan=pro")),
        ];
        for (field, value) in mutations {
            let mut request = base.clone();
            request[field] = value.clone();
            let (verdict, _) = rejected(request, ErrorCode::InvalidRequest);
            assert!(
                verdict.message.unwrap().contains("rule 1"),
                "{field}={value}"
            );
        }
        for request in [
            json!(null),
            json!([]),
            json!("boot"),
            json!({"platform": "web"}),
        ] {
            rejected(request, ErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn rule_1_null_means_absent_and_unknown_fields_are_ignored() {
        let (verdict, trace) = accepted(json!({
            "action": "update", "platform": "android", "user_id": null, "email": null,
            "user_hash": null, "intercom_user_jwt": null, "attributes": null, "utm_source": "ad"
        }));
        assert_eq!(verdict.identity, None);
        assert!(trace_of(&trace, req::REQ_SHAPE)
            .detail
            .contains("utm_source"));
    }

    #[test]
    fn rule_1_reserved_attribute_names() {
        for name in RESERVED_ATTRIBUTES {
            let token = jwt(json!({"user_id": "u-1"}), K_WEB);
            let request = json!({"action": "boot", "platform": "web", "intercom_user_jwt": token, "attributes": {name: "x"}});
            let (_, trace) = rejected(request, ErrorCode::InvalidRequest);
            assert_eq!(
                trace.last().unwrap().requirement,
                req::REQ_RESERVED_ATTRIBUTES
            );
        }
        // Exact bytes: `Email` and `user_id ` are ordinary names.
        accepted(
            json!({"action": "boot", "platform": "android", "attributes": {"Email": 1, "user_id ": 2}}),
        );
    }

    #[test]
    fn rule_1_a_platform_the_workspace_does_not_configure_is_unknown() {
        let request = json!({"action": "boot", "platform": "ios"});
        let (verdict, _) = traced_with(
            |w| drop(w["platforms"].as_object_mut().unwrap().remove("ios")),
            request,
        );
        assert_eq!(verdict.error, Some(ErrorCode::InvalidRequest));
    }
}
