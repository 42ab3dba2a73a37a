//! Kompliant API accounts (credentials → account) and the request signature check of spec §5:
//! `Authorization: KSig1-HMAC-SHA256 base64(HMAC-SHA256(base64_decode(secret_key), api_key))`.

use std::collections::HashMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::decided::{
    GENERATED_API_KEY_LEN, GENERATED_AUTH_TOKEN_LEN, GENERATED_SECRET_KEY_LEN,
    SANDBOX_ACCOUNT_ID_RANDOM_LEN,
};
use crate::error::SimError;
use crate::ids;

/// One Kompliant API account the simulator accepts: the credentials select the account.
/// Deserialises from the `--accounts` JSON array items
/// (`{"account_id", "api_key", "secret_key", "auth_token"}`, no other fields).
///
/// `Debug` prints `[REDACTED]` for `secret_key` and `auth_token`; all four strings are wiped
/// from memory when the value is dropped.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The account id, `sb_…` (sandbox) or `lv_…` (live).
    pub account_id: String,
    /// The API key (`X-API-Key`; also the string the request signature covers).
    pub api_key: String,
    /// The secret key, standard padded base64: the HMAC-SHA256 key of request signatures.
    pub secret_key: String,
    /// The auth token (`X-API-Auth-Token`).
    pub auth_token: String,
}

impl Account {
    /// A fresh sandbox account: `sb_` + 16 base62 characters, a random 32-character API
    /// key, a 32-byte base64 secret key and a random 40-character auth token.
    ///
    /// # Panics
    /// Only if the operating system's random generator fails, which nothing recovers from;
    /// use [`Account::try_generate_sandbox`] to get that as an error instead.
    // Not reachable from any input: only a broken system RNG panics here, and handing out
    // predictable credentials instead would be worse than stopping.
    #[allow(clippy::panic)]
    pub fn generate_sandbox() -> Account {
        match Account::try_generate_sandbox() {
            Ok(account) => account,
            Err(e) => panic!("cannot generate sandbox credentials: {e}"),
        }
    }

    /// As [`Account::generate_sandbox`], reporting a random generator failure.
    ///
    /// # Errors
    /// [`SimError::Internal`] if the system random generator fails.
    pub fn try_generate_sandbox() -> Result<Account, SimError> {
        Ok(Account {
            account_id: ids::prefixed("sb_", SANDBOX_ACCOUNT_ID_RANDOM_LEN)?,
            api_key: ids::base62(GENERATED_API_KEY_LEN)?,
            secret_key: ids::secret_base64(GENERATED_SECRET_KEY_LEN)?.to_string(),
            auth_token: ids::base62(GENERATED_AUTH_TOKEN_LEN)?,
        })
    }

    /// The `Authorization` signature a client sends for this account (the documented
    /// quick-start signing: the string-to-sign is the API key). `None` if `secret_key` is not
    /// valid base64.
    pub fn signature(&self) -> Option<String> {
        Some(kompliant_webhooks::client::sign(
            &self.api_key,
            &self.secret_key_bytes()?,
        ))
    }

    /// Whether `signature` (decoded) is this account's, compared in constant time.
    fn verifies(&self, signature: &[u8]) -> bool {
        self.secret_key_bytes().is_some_and(|key| {
            kompliant_webhooks::client::verify_signature(&self.api_key, &key, signature)
        })
    }

    fn secret_key_bytes(&self) -> Option<Zeroizing<Vec<u8>>> {
        STANDARD
            .decode(self.secret_key.trim())
            .ok()
            .map(Zeroizing::new)
    }

    /// Checks the shape of one configured account.
    fn validate(&self) -> Result<(), String> {
        let id = &self.account_id;
        let id_ok = (id.starts_with("sb_") || id.starts_with("lv_"))
            && id.len() > 3
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        if !id_ok {
            return Err(format!(
                "account id {:?} must be `sb_…` or `lv_…` with 1-125 ASCII letters, digits, '_' or '-'",
                crate::api::bounded(id)
            ));
        }
        let header_safe =
            |s: &str| !s.is_empty() && s.len() <= 1024 && s.bytes().all(|b| b.is_ascii_graphic());
        if !header_safe(&self.api_key) {
            return Err(format!(
                "account {id}: api_key must be 1-1024 visible ASCII characters (it is sent in a header)"
            ));
        }
        if !header_safe(&self.auth_token) {
            return Err(format!(
                "account {id}: auth_token must be 1-1024 visible ASCII characters (it is sent in a header)"
            ));
        }
        let key_len = STANDARD
            .decode(self.secret_key.trim())
            .map(|k| Zeroizing::new(k).len())
            .map_err(|_| format!("account {id}: secret_key is not standard (padded) base64"))?;
        if key_len == 0 {
            return Err(format!("account {id}: secret_key is empty"));
        }
        Ok(())
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("account_id", &self.account_id)
            .field("api_key", &self.api_key)
            .field("secret_key", &"[REDACTED]")
            .field("auth_token", &"[REDACTED]")
            .finish()
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.api_key.zeroize();
        self.secret_key.zeroize();
        self.auth_token.zeroize();
    }
}

/// Checks a set of accounts: each well-formed, account ids and API keys unique.
pub(crate) fn validate_all(accounts: &[Account]) -> Result<(), SimError> {
    let invalid = |detail: String| SimError::InvalidAccounts { detail };
    for (i, a) in accounts.iter().enumerate() {
        a.validate().map_err(invalid)?;
        let earlier = accounts.iter().take(i);
        if earlier.clone().any(|b| b.account_id == a.account_id) {
            return Err(invalid(format!(
                "account id {} appears twice",
                a.account_id
            )));
        }
        if earlier.clone().any(|b| b.api_key == a.api_key) {
            return Err(invalid(format!(
                "account {} has the same api_key as another account",
                a.account_id
            )));
        }
    }
    Ok(())
}

/// Why a request's credentials were refused. The text is safe to return to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthFailure(pub &'static str);

/// The credential headers of one request.
pub(crate) struct Credentials<'a> {
    /// `X-API-Key`
    pub api_key: Option<&'a str>,
    /// `X-API-Auth-Token`
    pub auth_token: Option<&'a str>,
    /// `Authorization`
    pub authorization: Option<&'a str>,
    /// `X-API-Signed-Elements`
    pub signed_elements: Option<&'a str>,
}

/// Accounts by API key, with each account's HMAC state prepared once.
pub(crate) struct Authenticator {
    by_api_key: HashMap<String, usize>,
    accounts: Vec<Account>,
}

impl Authenticator {
    /// Prepares `accounts` (already validated).
    pub fn new(accounts: &[Account]) -> Authenticator {
        let by_api_key = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.api_key.clone(), i))
            .collect();
        Authenticator {
            by_api_key,
            accounts: accounts.to_vec(),
        }
    }

    /// The account the credentials prove, or why not.
    pub fn authenticate(&self, c: &Credentials<'_>) -> Result<&Account, AuthFailure> {
        let api_key = c.api_key.ok_or(AuthFailure("missing X-API-Key header"))?;
        let auth_token = c
            .auth_token
            .ok_or(AuthFailure("missing X-API-Auth-Token header"))?;
        let authorization = c
            .authorization
            .ok_or(AuthFailure("missing Authorization header"))?;
        if let Some(elements) = c.signed_elements {
            if !elements
                .trim()
                .eq_ignore_ascii_case(crate::decided::SIGNED_ELEMENTS)
            {
                return Err(AuthFailure(
                    "X-API-Signed-Elements must be `API-Key` (the only signing the simulator implements)",
                ));
            }
        }
        let signature = authorization
            .trim()
            .strip_prefix(crate::decided::AUTH_SCHEME)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::trim)
            .ok_or(AuthFailure(
                "Authorization must be `KSig1-HMAC-SHA256 <base64 signature>`",
            ))?;
        let account = self
            .by_api_key
            .get(api_key)
            .and_then(|i| self.accounts.get(*i))
            .ok_or(AuthFailure("unknown API key"))?;
        let given = Zeroizing::new(
            STANDARD
                .decode(signature)
                .map_err(|_| AuthFailure("the Authorization signature is not base64"))?,
        );
        if !account.verifies(&given) {
            return Err(AuthFailure("the signature does not verify"));
        }
        if !constant_time_eq(auth_token.as_bytes(), account.auth_token.as_bytes()) {
            return Err(AuthFailure("the auth token does not match the API key"));
        }
        Ok(account)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        Account {
            account_id: "sb_1".into(),
            api_key: "key-1".into(),
            secret_key: STANDARD.encode([7u8; 32]),
            auth_token: "token-1".into(),
        }
    }

    fn creds<'a>(a: &'a Account, sig: &'a str) -> Credentials<'a> {
        Credentials {
            api_key: Some(&a.api_key),
            auth_token: Some(&a.auth_token),
            authorization: Some(sig),
            signed_elements: Some("API-Key"),
        }
    }

    #[test]
    fn signature_is_hmac_of_the_api_key() {
        // HMAC-SHA256(key = 32 × 0x07, "key-1"), computed independently with Python's hmac.
        assert_eq!(
            account().signature().unwrap(),
            "XXtT7u/uGAEh7r6VAGxNPJ7dY8g2Nd9aWbroiMq38FU="
        );
    }

    #[test]
    fn authenticates_and_refuses() {
        let a = account();
        let auth = Authenticator::new(std::slice::from_ref(&a));
        let good = format!("KSig1-HMAC-SHA256 {}", a.signature().unwrap());
        assert_eq!(
            auth.authenticate(&creds(&a, &good)).unwrap().account_id,
            "sb_1"
        );
        assert!(auth
            .authenticate(&creds(&a, "KSig1-HMAC-SHA256 AAAA"))
            .is_err());
        assert!(auth
            .authenticate(&creds(&a, &good.replace("KSig1", "KSig2")))
            .is_err());
        assert!(auth
            .authenticate(&creds(&a, "KSig1-HMAC-SHA256 ***"))
            .is_err());
        let mut c = creds(&a, &good);
        c.signed_elements = Some("API-Key;Body");
        assert!(auth.authenticate(&c).is_err());
        c.signed_elements = None;
        assert!(auth.authenticate(&c).is_ok());
        c.auth_token = Some("token-2");
        assert!(auth.authenticate(&c).is_err());
        c.auth_token = None;
        assert!(auth.authenticate(&c).is_err());
    }

    #[test]
    fn debug_redacts_secrets() {
        let a = account();
        let dbg = format!("{a:?}");
        assert!(dbg.contains("sb_1") && dbg.contains("[REDACTED]"));
        assert!(!dbg.contains(&a.secret_key) && !dbg.contains("token-1"));
    }

    #[test]
    fn validation() {
        assert!(validate_all(&[account()]).is_ok());
        let mut bad = account();
        bad.secret_key = "not base64!".into();
        let err = validate_all(&[bad]).unwrap_err().to_string();
        assert!(
            err.contains("sb_1") && !err.contains("not base64!"),
            "{err}"
        );
        let mut other = account();
        other.account_id = "sb_2".into();
        assert!(validate_all(&[account(), other]).is_err(), "same api key");
        assert!(validate_all(&[account(), account()]).is_err());
        let mut bad = account();
        bad.account_id = "acct".into();
        assert!(validate_all(&[bad]).is_err());
        let generated = Account::generate_sandbox();
        assert!(generated.account_id.starts_with("sb_"));
        assert!(validate_all(&[generated, account()]).is_ok());
    }
}
