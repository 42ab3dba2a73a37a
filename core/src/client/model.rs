//! Typed results of the webhook-key, webhook-config and version methods, read from the
//! `data` object field by field: unknown fields are ignored, timestamps stay strings, and a
//! missing or mistyped field is `INVALID_RESPONSE` naming the field (never its value).

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::client::error::{ApiError, Shape};
use crate::client::response::ApiResponse;
use crate::decided::PREVIOUS_KEY_ID_FIELD;
use crate::error::ErrorCode;
use crate::secret::{WebhookSecret, SECRET_LEN};

/// The status of a webhook key: `INACTIVE` → `ACTIVE` → `DELETED`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyStatus {
    /// Created, not yet used to encrypt webhooks.
    Inactive,
    /// The account's one key encrypting webhooks now.
    Active,
    /// Replaced by a newer active key; can never be activated again.
    Deleted,
    /// A status this SDK does not know yet, as sent.
    Other(String),
}

impl KeyStatus {
    /// Reads the API's string form; unknown strings become [`KeyStatus::Other`].
    pub fn parse(status: &str) -> KeyStatus {
        match status {
            "INACTIVE" => KeyStatus::Inactive,
            "ACTIVE" => KeyStatus::Active,
            "DELETED" => KeyStatus::Deleted,
            other => KeyStatus::Other(other.to_owned()),
        }
    }

    /// The API's string form, e.g. `"ACTIVE"`.
    pub fn as_str(&self) -> &str {
        match self {
            KeyStatus::Inactive => "INACTIVE",
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Deleted => "DELETED",
            KeyStatus::Other(other) => other,
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for KeyStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A key just created by `webhook.key.create`: the only time Kompliant reveals its secret.
/// `Debug` prints the secret as `[REDACTED]`; the secret is wiped on drop.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedWebhookKey {
    /// The key id, `whk_YYYYMMDD_NN`.
    pub key_id: String,
    /// The shared secret (decoded and checked to be 32 bytes). Store it before activating.
    pub secret: WebhookSecret,
    /// The status (`INACTIVE` for a new key).
    pub status: KeyStatus,
    /// Creation time, as sent (ISO 8601).
    pub created_at: String,
}

/// The answer of `webhook.key.activate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActivatedWebhookKey {
    /// The key now active.
    pub key_id: String,
    /// Its status (`ACTIVE`).
    pub status: KeyStatus,
    /// Activation time, as sent; also the previous key's `deleted_at`.
    pub activated_at: String,
    /// The key this activation moved to DELETED. SIMULATOR EXTENSION: read from
    /// `data.previous_key_id`, which Kompliant does not document; against the real service
    /// it may be `None` even when a key was replaced (see `decided::PREVIOUS_KEY_ID_FIELD`).
    pub previous_key_id: Option<String>,
}

/// The answer of `webhook.key.get` (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WebhookKeyInfo {
    /// The key id.
    pub key_id: String,
    /// The status.
    pub status: KeyStatus,
    /// Creation time, as sent.
    pub created_at: String,
    /// Activation time, once activated.
    pub activated_at: Option<String>,
    /// Deletion time (the next key's activation time), once deleted.
    pub deleted_at: Option<String>,
}

/// A webhook endpoint configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// The configuration id, `whc_…`.
    pub config_id: String,
    /// The endpoint URL Kompliant POSTs webhooks to.
    pub url: String,
    /// Creation time, as sent.
    pub created_at: String,
    /// Last update time, once updated.
    pub updated_at: Option<String>,
}

/// The answer of `meta.checkVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ApiVersionInfo {
    /// The version the server used for this call (the pinned `X-API-Version`).
    pub current_version: String,
    /// The newest version the server offers.
    pub latest_version: String,
}

/// The `data` object of one method's answer, read field by field.
pub(crate) struct Data<'a> {
    method: &'a str,
    trace_id: Option<&'a str>,
    map: &'a Map<String, Value>,
    /// Where in `data` this object is, e.g. `configs[3]` (empty for `data` itself).
    path: String,
}

impl<'a> Data<'a> {
    pub(crate) fn of(method: &'a str, response: &'a ApiResponse) -> Result<Self, ApiError> {
        let trace_id = response.trace_id.as_deref();
        let map = response.data.as_object().ok_or_else(|| {
            invalid(
                method,
                trace_id,
                format!("data is {}, not an object", Shape(&response.data)),
            )
        })?;
        Ok(Data {
            method,
            trace_id,
            map,
            path: String::new(),
        })
    }

    fn name(&self, field: &str) -> String {
        if self.path.is_empty() {
            format!("data.{field}")
        } else {
            format!("data.{}.{field}", self.path)
        }
    }

    fn error(&self, message: String) -> ApiError {
        invalid(self.method, self.trace_id, message)
    }

    /// A required string field.
    pub(crate) fn string(&self, field: &str) -> Result<String, ApiError> {
        match self.map.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) => Err(self.error(format!("{} is missing", self.name(field)))),
            Some(other) => Err(self.error(format!(
                "{} is {}, not a string",
                self.name(field),
                Shape(other)
            ))),
        }
    }

    /// An optional string field (absent or `null` is `None`).
    pub(crate) fn optional_string(&self, field: &str) -> Result<Option<String>, ApiError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(format!(
                "{} is {}, not a string",
                self.name(field),
                Shape(other)
            ))),
        }
    }

    /// A required array of objects.
    pub(crate) fn objects(&self, field: &str) -> Result<Vec<Data<'a>>, ApiError> {
        let items = match self.map.get(field) {
            Some(Value::Array(items)) => items,
            None | Some(Value::Null) => {
                return Err(self.error(format!("{} is missing", self.name(field))))
            }
            Some(other) => {
                return Err(self.error(format!(
                    "{} is {}, not an array",
                    self.name(field),
                    Shape(other)
                )))
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("{field}[{i}]");
                match item {
                    Value::Object(map) => Ok(Data {
                        method: self.method,
                        trace_id: self.trace_id,
                        map,
                        path,
                    }),
                    other => {
                        Err(self.error(format!("data.{path} is {}, not an object", Shape(other))))
                    }
                }
            })
            .collect()
    }

    /// The shared secret field: base64 of exactly 32 bytes. The error gives the decoded
    /// length only, never the value.
    pub(crate) fn secret(&self, field: &str) -> Result<WebhookSecret, ApiError> {
        let text = Zeroizing::new(self.string(field)?);
        WebhookSecret::from_base64(&text).map_err(|_| {
            let decoded_len = {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map(|bytes| Zeroizing::new(bytes).len())
            };
            match decoded_len {
                Ok(len) => self.error(format!(
                    "{} decodes to {len} bytes; a webhook secret is {SECRET_LEN}",
                    self.name(field)
                )),
                Err(_) => self.error(format!("{} is not standard base64", self.name(field))),
            }
        })
    }
}

fn invalid(method: &str, trace_id: Option<&str>, message: String) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidResponse,
        format!("unexpected answer: {message}"),
    )
    .with_method(method)
    .with_trace_id(trace_id.map(str::to_owned))
}

impl CreatedWebhookKey {
    pub(crate) fn read(data: &Data<'_>) -> Result<Self, ApiError> {
        Ok(CreatedWebhookKey {
            key_id: data.string("key_id")?,
            secret: data.secret("shared_secret")?,
            status: KeyStatus::parse(&data.string("status")?),
            created_at: data.string("created_at")?,
        })
    }
}

impl ActivatedWebhookKey {
    pub(crate) fn read(data: &Data<'_>) -> Result<Self, ApiError> {
        Ok(ActivatedWebhookKey {
            key_id: data.string("key_id")?,
            status: KeyStatus::parse(&data.string("status")?),
            activated_at: data.string("activated_at")?,
            previous_key_id: data.optional_string(PREVIOUS_KEY_ID_FIELD)?,
        })
    }
}

impl WebhookKeyInfo {
    pub(crate) fn read(data: &Data<'_>) -> Result<Self, ApiError> {
        Ok(WebhookKeyInfo {
            key_id: data.string("key_id")?,
            status: KeyStatus::parse(&data.string("status")?),
            created_at: data.string("created_at")?,
            activated_at: data.optional_string("activated_at")?,
            deleted_at: data.optional_string("deleted_at")?,
        })
    }
}

impl WebhookConfig {
    pub(crate) fn read(data: &Data<'_>) -> Result<Self, ApiError> {
        Ok(WebhookConfig {
            config_id: data.string("config_id")?,
            url: data.string("url")?,
            created_at: data.string("created_at")?,
            updated_at: data.optional_string("updated_at")?,
        })
    }
}

impl ApiVersionInfo {
    pub(crate) fn read(data: &Data<'_>) -> Result<Self, ApiError> {
        Ok(ApiVersionInfo {
            current_version: data.string("current_version")?,
            latest_version: data.string("latest_version")?,
        })
    }
}
