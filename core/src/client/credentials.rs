//! API credentials: the API key, the base64 secret key that signs requests, and the auth
//! token. The secret key and the auth token are wiped on drop and never printed.

use std::ffi::OsString;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::client::error::ApiError;
use crate::decided::{ENV_API_KEY, ENV_AUTH_TOKEN, ENV_SECRET_KEY};

/// The credentials of one Kompliant API client (they also choose the environment: `sb_`
/// sandbox or `lv_` live).
///
/// The secret key and the auth token are zeroized on drop; `Debug` shows the API key only
/// and prints `[REDACTED]` for the others.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    secret_key: Zeroizing<String>,
    secret_key_bytes: Zeroizing<Vec<u8>>,
    auth_token: Zeroizing<String>,
}

impl Credentials {
    /// Credentials from their three parts. Leading and trailing ASCII whitespace (a newline
    /// from a file) is ignored.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` if the API key or auth token is empty or holds characters an
    /// HTTP header cannot carry, or the secret key is not standard (padded) base64 of at
    /// least one byte. Messages never contain the secret key or the auth token.
    pub fn new(
        api_key: impl Into<String>,
        secret_key: impl Into<String>,
        auth_token: impl Into<String>,
    ) -> Result<Self, ApiError> {
        let api_key = trimmed(Zeroizing::new(api_key.into()));
        let secret_key = trimmed(Zeroizing::new(secret_key.into()));
        let auth_token = trimmed(Zeroizing::new(auth_token.into()));
        check_header_safe("API key", &api_key)?;
        check_header_safe("auth token", &auth_token)?;
        let secret_key_bytes =
            Zeroizing::new(STANDARD.decode(secret_key.as_bytes()).map_err(|_| {
                ApiError::config("the secret key is not valid standard (padded) base64")
            })?);
        if secret_key_bytes.is_empty() {
            return Err(ApiError::config("the secret key is empty"));
        }
        Ok(Credentials {
            api_key: api_key.to_string(),
            secret_key,
            secret_key_bytes,
            auth_token,
        })
    }

    /// Credentials from the process environment: `KOMPLIANT_API_KEY`,
    /// `KOMPLIANT_SECRET_KEY` and `KOMPLIANT_AUTH_TOKEN`.
    ///
    /// # Errors
    /// `INVALID_CONFIGURATION` naming every variable that is missing, empty or not UTF-8;
    /// otherwise as [`Credentials::new`].
    pub fn from_env() -> Result<Self, ApiError> {
        Credentials::from_env_vars(std::env::vars_os())
    }

    /// As [`Credentials::from_env`], from the given `(name, value)` pairs.
    ///
    /// # Errors
    /// As [`Credentials::from_env`].
    pub fn from_env_vars<I>(vars: I) -> Result<Self, ApiError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let env = EnvValues::collect(vars, &[ENV_API_KEY, ENV_SECRET_KEY, ENV_AUTH_TOKEN]);
        env.credentials()
    }

    /// The API key (not a secret: it is sent in clear in `X-API-Key`).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The decoded secret key (the HMAC key).
    pub(crate) fn secret_key_bytes(&self) -> &[u8] {
        &self.secret_key_bytes
    }

    /// The secret key as given (base64), for masking it in quoted response bodies.
    pub(crate) fn secret_key_text(&self) -> &str {
        &self.secret_key
    }

    /// The auth token.
    pub(crate) fn auth_token(&self) -> &str {
        &self.auth_token
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("secret_key", &"[REDACTED]")
            .field("auth_token", &"[REDACTED]")
            .finish()
    }
}

/// Values of the wanted environment variables, wiped on drop, and the problems found.
pub(crate) struct EnvValues {
    values: Vec<(&'static str, Zeroizing<String>)>,
    problems: Vec<String>,
}

impl EnvValues {
    /// Picks the `wanted` variables out of `vars`. A variable that is absent or empty
    /// (after trimming) is simply not recorded; one that is not UTF-8 is a problem.
    pub(crate) fn collect<I>(vars: I, wanted: &[&'static str]) -> Self
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let mut env = EnvValues {
            values: Vec::new(),
            problems: Vec::new(),
        };
        for (name, value) in vars {
            let Some(&wanted_name) = wanted.iter().find(|w| name.to_str() == Some(**w)) else {
                continue;
            };
            env.values.retain(|(n, _)| *n != wanted_name);
            match value.into_string() {
                Ok(text) => {
                    let text = trimmed(Zeroizing::new(text));
                    if !text.is_empty() {
                        env.values.push((wanted_name, text));
                    }
                }
                Err(raw) => {
                    drop(Zeroizing::new(raw.into_encoded_bytes()));
                    env.problems
                        .push(format!("{wanted_name} is not valid UTF-8"));
                }
            }
        }
        env
    }

    /// The value of `name`, if set and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Credentials from the three credential variables, naming every missing one.
    pub(crate) fn credentials(&self) -> Result<Credentials, ApiError> {
        let mut problems = self.problems.clone();
        let missing: Vec<&str> = [ENV_API_KEY, ENV_SECRET_KEY, ENV_AUTH_TOKEN]
            .into_iter()
            .filter(|name| {
                self.get(name).is_none() && !problems.iter().any(|p| p.starts_with(name))
            })
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "environment variable{} {} {} not set or empty",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                if missing.len() > 1 { "are" } else { "is" },
            ));
        }
        if !problems.is_empty() {
            return Err(ApiError::config(problems.join("; ")));
        }
        let var = |name| self.get(name).unwrap_or_default().to_owned();
        Credentials::new(var(ENV_API_KEY), var(ENV_SECRET_KEY), var(ENV_AUTH_TOKEN)).map_err(|e| {
            let message = e.message().to_owned();
            ApiError::config(format!("from the environment: {message}"))
        })
    }
}

/// The text without leading and trailing ASCII whitespace, in a buffer wiped on drop.
fn trimmed(text: Zeroizing<String>) -> Zeroizing<String> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if t.len() == text.len() {
        text
    } else {
        Zeroizing::new(t.to_owned())
    }
}

/// Refuses values an HTTP header cannot carry (only visible ASCII is accepted).
fn check_header_safe(what: &str, value: &str) -> Result<(), ApiError> {
    if value.is_empty() {
        return Err(ApiError::config(format!("the {what} is empty")));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::config(format!(
            "the {what} holds characters other than visible ASCII (spaces, control characters or non-ASCII), which an HTTP header cannot carry"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn trims_and_decodes() {
        let c = Credentials::new(" sb_key\n", format!("{SECRET}\n"), "tok\r\n").unwrap();
        assert_eq!(c.api_key(), "sb_key");
        assert_eq!(c.secret_key_bytes().len(), 32);
        assert_eq!(c.auth_token(), "tok");
    }

    #[test]
    fn bad_values_are_refused_without_echo() {
        let e = Credentials::new("k", "s3cr3t!!not-base64", "t").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidConfiguration);
        assert!(!e.to_string().contains("s3cr3t"));
        let e = Credentials::new("k", SECRET, "zzqq\nqqzz").unwrap_err();
        assert!(e.to_string().contains("auth token"));
        assert!(!e.to_string().contains("zzqq"));
        assert!(Credentials::new("", SECRET, "t").is_err());
        assert!(Credentials::new("k", "", "t").is_err());
    }
}
