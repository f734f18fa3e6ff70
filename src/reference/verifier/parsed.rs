//! The Messenger request as the rules read it after rule 1 ([`MessengerRequest`]): every field
//! of the right type, and the identifier a `user_hash` covers. The rules decide with it and
//! `explain` describes it, so it sits below both.

use crate::contract::{Object, Platform};

/// Request attribute names that rule 1 reserves (they are request fields, not attributes).
pub(crate) const RESERVED_ATTRIBUTES: [&str; 4] =
    ["user_id", "email", "user_hash", "intercom_user_jwt"];

/// The request fields rule 1 knows.
pub(crate) const REQUEST_FIELDS: [&str; 7] = [
    "action",
    "platform",
    "user_id",
    "email",
    "user_hash",
    "intercom_user_jwt",
    "attributes",
];

/// The Messenger request after rule 1: every field of the right type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MessengerRequest {
    pub action: Action,
    pub platform: Platform,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub user_hash: Option<String>,
    pub intercom_user_jwt: Option<String>,
    pub attributes: Object,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Boot,
    Update,
}

/// What the user_hash is over: the user_id when one is sent, else the email (its name, its value).
pub(crate) fn hashed_identifier(request: &MessengerRequest) -> (&'static str, &str) {
    match (&request.user_id, &request.email) {
        (Some(user_id), _) => ("user_id", user_id.as_str()),
        (None, Some(email)) => ("email", email.as_str()),
        (None, None) => unreachable!("rule 3 is reached only with a user_id or an email"),
    }
}
