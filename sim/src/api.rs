//! The API response envelope of spec §5 (`meta` + `data` or `errors`), API errors, and the
//! request-parameter helpers every method uses.

use serde_json::{json, Map, Value};

use crate::decided::{
    API_VERSION, CODE_BAD_REQUEST, CODE_ENTITY_NOT_FOUND, CODE_FORBIDDEN, CODE_INTERNAL_ERROR,
    CODE_SYSTEM_RULE_VIOLATION, CODE_UNAUTHORIZED, CONFIG_NOT_FOUND_STATUS, ENTITY_WEBHOOK_CONFIG,
    ENTITY_WEBHOOK_KEY, FOREIGN_ACCOUNT_STATUS, KEY_NOT_FOUND_STATUS, RULE_VIOLATION_STATUS,
    TRACE_ID_PREFIX, TRACE_ID_RANDOM_LEN,
};
use crate::ids;

/// Longest piece of request input echoed in an error message.
const MAX_ECHO_LEN: usize = 80;

/// One API error: HTTP status and the single `errors[]` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub entity_type: Option<&'static str>,
    pub sub_code: Option<&'static str>,
}

impl ApiError {
    /// An error without entity type or sub-code.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            entity_type: None,
            sub_code: None,
        }
    }

    /// 400 `BAD_REQUEST`.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, CODE_BAD_REQUEST, message)
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(401, CODE_UNAUTHORIZED, message)
    }

    /// 403 `FORBIDDEN`: an `account_id` that is not the caller's.
    pub fn foreign_account() -> ApiError {
        ApiError::new(
            FOREIGN_ACCOUNT_STATUS,
            CODE_FORBIDDEN,
            "The credentials do not grant access to this account_id",
        )
    }

    /// 400 `ENTITY_NOT_FOUND` for a webhook key (unknown, or another account's).
    pub fn key_not_found() -> ApiError {
        ApiError {
            entity_type: Some(ENTITY_WEBHOOK_KEY),
            ..ApiError::new(
                KEY_NOT_FOUND_STATUS,
                CODE_ENTITY_NOT_FOUND,
                "Webhook key not found",
            )
        }
    }

    /// 404 `ENTITY_NOT_FOUND` for a webhook config (unknown, deleted, or another account's).
    pub fn config_not_found() -> ApiError {
        ApiError {
            entity_type: Some(ENTITY_WEBHOOK_CONFIG),
            ..ApiError::new(
                CONFIG_NOT_FOUND_STATUS,
                CODE_ENTITY_NOT_FOUND,
                "Webhook config not found",
            )
        }
    }

    /// 400 `SYSTEM_RULE_VIOLATION` with entity type and sub-code.
    pub fn rule(
        entity_type: &'static str,
        sub_code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            entity_type: Some(entity_type),
            sub_code: Some(sub_code),
            ..ApiError::new(RULE_VIOLATION_STATUS, CODE_SYSTEM_RULE_VIOLATION, message)
        }
    }

    /// 500 `INTERNAL_ERROR`.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, CODE_INTERNAL_ERROR, message)
    }

    /// The `errors[]` item.
    fn to_json(&self) -> Value {
        let mut item = Map::new();
        item.insert("code".into(), self.code.into());
        item.insert("message".into(), self.message.clone().into());
        if let Some(entity_type) = self.entity_type {
            item.insert("entity_type".into(), entity_type.into());
        }
        if let Some(sub_code) = self.sub_code {
            item.insert("sub_code".into(), sub_code.into());
        }
        Value::Object(item)
    }
}

impl From<ids::RandomError> for ApiError {
    fn from(e: ids::RandomError) -> Self {
        ApiError::internal(e.0)
    }
}

/// A fresh `trc_…` trace id (a fixed fallback if the random generator fails: a response
/// must still go out).
fn trace_id() -> String {
    ids::prefixed(TRACE_ID_PREFIX, TRACE_ID_RANDOM_LEN)
        .unwrap_or_else(|_| format!("{TRACE_ID_PREFIX}unavailable"))
}

/// The success envelope: `{"meta":{"status":"SUCCESS",…},"data":…}`.
pub(crate) fn success_body(data: Value) -> Vec<u8> {
    let body = json!({
        "meta": {"status": "SUCCESS", "trace_id": trace_id(), "version": API_VERSION},
        "data": data,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The error envelope: `{"meta":{"status":"ERROR",…},"errors":[…]}`.
pub(crate) fn error_body(error: &ApiError) -> Vec<u8> {
    let body = json!({
        "meta": {"status": "ERROR", "trace_id": trace_id(), "version": API_VERSION},
        "errors": [error.to_json()],
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// `text` cut to a length fit for an error message.
pub(crate) fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO_LEN) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// A request body: a JSON object.
pub(crate) type Params = Map<String, Value>;

/// A required non-empty string parameter.
pub(crate) fn required_str<'a>(params: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    match params.get(name) {
        None | Some(Value::Null) => Err(ApiError::bad_request(format!(
            "missing required parameter `{name}`"
        ))),
        Some(Value::String(s)) if s.is_empty() => Err(ApiError::bad_request(format!(
            "parameter `{name}` must not be empty"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::bad_request(format!(
            "parameter `{name}` must be a string"
        ))),
    }
}

/// A required object parameter.
pub(crate) fn required_object<'a>(params: &'a Params, name: &str) -> Result<&'a Params, ApiError> {
    match params.get(name) {
        None | Some(Value::Null) => Err(ApiError::bad_request(format!(
            "missing required parameter `{name}`"
        ))),
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(ApiError::bad_request(format!(
            "parameter `{name}` must be an object"
        ))),
    }
}

/// The required `account_id`, which must be the caller's own account.
pub(crate) fn check_account_id(params: &Params, caller: &str) -> Result<(), ApiError> {
    if required_str(params, "account_id")? == caller {
        Ok(())
    } else {
        Err(ApiError::foreign_account())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_shape() {
        let e = ApiError::rule("Webhook Key", "KEY_DELETED", "gone");
        let v: Value = serde_json::from_slice(&error_body(&e)).unwrap();
        assert_eq!(v["meta"]["status"], "ERROR");
        assert!(v["meta"]["trace_id"].as_str().unwrap().starts_with("trc_"));
        assert_eq!(v["meta"]["version"], "2025-03-24");
        assert_eq!(
            v["errors"][0],
            json!({"code":"SYSTEM_RULE_VIOLATION","message":"gone","entity_type":"Webhook Key","sub_code":"KEY_DELETED"})
        );
        let v: Value = serde_json::from_slice(&error_body(&ApiError::bad_request("x"))).unwrap();
        assert_eq!(v["errors"][0], json!({"code":"BAD_REQUEST","message":"x"}));
    }

    #[test]
    fn params() {
        let p: Params = serde_json::from_str(r#"{"a":"x","e":"","n":5,"o":{},"z":null}"#).unwrap();
        assert_eq!(required_str(&p, "a").unwrap(), "x");
        for name in ["e", "n", "o", "z", "missing"] {
            assert_eq!(required_str(&p, name).unwrap_err().status, 400, "{name}");
        }
        assert!(required_object(&p, "o").is_ok());
        assert!(required_object(&p, "a").is_err());
        assert_eq!(
            check_account_id(&p, "y").unwrap_err().status,
            400,
            "missing"
        );
        let p: Params = serde_json::from_str(r#"{"account_id":"sb_1"}"#).unwrap();
        assert_eq!(check_account_id(&p, "sb_2").unwrap_err().status, 403);
        assert!(check_account_id(&p, "sb_1").is_ok());
    }

    #[test]
    fn bounded_cuts_on_char_boundaries() {
        assert_eq!(bounded("abc"), "abc");
        let long = "é".repeat(100);
        assert_eq!(bounded(&long).chars().count(), MAX_ECHO_LEN + 1);
    }
}
