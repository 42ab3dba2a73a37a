//! The 32-byte webhook shared secret: decoded once, zeroized on drop, never printed.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::WebhookError;

/// Length of an AES-256 key in bytes.
pub const SECRET_LEN: usize = 32;

/// A webhook shared secret (the AES-256-GCM key). `Debug` prints `[REDACTED]`; the bytes
/// are wiped from memory when the value is dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct WebhookSecret(Box<[u8; SECRET_LEN]>);

impl WebhookSecret {
    /// Decodes a secret from standard padded base64 (as `webhook.key.create` returns it).
    /// Leading and trailing ASCII whitespace (a newline from a file or env var) is ignored.
    ///
    /// # Errors
    /// `INVALID_KEY` if the text is not base64 or does not decode to exactly 32 bytes. The
    /// message gives the decoded length, never the secret.
    pub fn from_base64(text: &str) -> Result<Self, WebhookError> {
        let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
        let decoded = Zeroizing::new(STANDARD.decode(text).map_err(|_| {
            WebhookError::invalid_key(None, "secret is not valid standard (padded) base64")
        })?);
        Self::from_bytes(&decoded)
    }

    /// A secret from its raw bytes.
    ///
    /// # Errors
    /// `INVALID_KEY` unless `bytes` is exactly 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WebhookError> {
        let mut key = Box::new([0u8; SECRET_LEN]);
        if bytes.len() != SECRET_LEN {
            // Kompliant's documentation shows an example secret that is not a usable key
            // (it decodes to 25 bytes); people paste it, so the message says so.
            let hint = " (use the shared_secret returned by webhook.key.create; the example secret in Kompliant's documentation decodes to 25 bytes and is not a real key)";
            return Err(WebhookError::invalid_key(
                None,
                format!(
                    "secret decodes to {} bytes; AES-256-GCM needs exactly {SECRET_LEN}{hint}",
                    bytes.len()
                ),
            ));
        }
        key.copy_from_slice(bytes);
        Ok(WebhookSecret(key))
    }

    /// A fresh random secret from the operating system's generator.
    ///
    /// # Errors
    /// `INTERNAL` if the system random generator fails.
    pub fn generate() -> Result<Self, WebhookError> {
        let mut key = Box::new([0u8; SECRET_LEN]);
        getrandom::fill(key.as_mut_slice()).map_err(|e| WebhookError::Internal {
            detail: format!("system random generator failed: {e}"),
        })?;
        Ok(WebhookSecret(key))
    }

    /// The secret as standard padded base64, in a buffer wiped on drop. Only for handing
    /// the secret to a secret store; never log it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_slice()))
    }

    /// The raw key bytes. Only for building a cipher or a secret store entry.
    pub fn expose_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    /// Every text spelling of the secret a store or a log could quote: standard and URL-safe
    /// base64, each with and without padding, and hexadecimal in lower and upper case. Used
    /// to mask the secret in texts shown in errors (wiped when dropped).
    #[cfg(any(test, feature = "client"))]
    pub(crate) fn spellings(&self) -> [Zeroizing<String>; 6] {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
        let hex = |upper: bool| {
            let digits: &[u8; 16] = if upper {
                b"0123456789ABCDEF"
            } else {
                b"0123456789abcdef"
            };
            let mut out = Zeroizing::new(String::with_capacity(2 * SECRET_LEN));
            for b in self.0.iter() {
                for nibble in [b >> 4, b & 0x0f] {
                    // A nibble is below 16: `get` never misses.
                    out.push(char::from(
                        digits.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                    ));
                }
            }
            out
        };
        [
            Zeroizing::new(STANDARD.encode(self.0.as_slice())),
            Zeroizing::new(STANDARD_NO_PAD.encode(self.0.as_slice())),
            Zeroizing::new(URL_SAFE.encode(self.0.as_slice())),
            Zeroizing::new(URL_SAFE_NO_PAD.encode(self.0.as_slice())),
            hex(false),
            hex(true),
        ]
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([REDACTED])")
    }
}

impl PartialEq for WebhookSecret {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl Eq for WebhookSecret {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn decodes_32_bytes_and_trims_whitespace() {
        let b64 = STANDARD.encode([7u8; 32]);
        let s = WebhookSecret::from_base64(&format!("  {b64}\n")).unwrap();
        assert_eq!(s.expose_bytes(), &[7u8; 32]);
        assert_eq!(s.to_base64().as_str(), b64);
    }

    #[test]
    fn the_documentation_example_is_refused_with_its_length() {
        let example = STANDARD.encode(b"not-a-real-32-byte-secret");
        let err = WebhookSecret::from_base64(&example).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        let msg = err.to_string();
        assert!(msg.contains("25 bytes"), "{msg}");
        assert!(msg.contains("documentation"), "{msg}");
        assert!(!msg.contains(&example), "{msg}");
    }

    #[test]
    fn bad_base64_does_not_echo_the_secret() {
        let err = WebhookSecret::from_base64("s3cr3t#s3cr3t").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidKey);
        assert!(!err.to_string().contains("s3cr3t"));
        assert!(!format!("{err:?}").contains("s3cr3t"));
    }

    #[test]
    fn debug_is_redacted() {
        let s = WebhookSecret::from_bytes(&[0x41; 32]).unwrap();
        let dbg = format!("{s:?}");
        assert_eq!(dbg, "WebhookSecret([REDACTED])");
    }

    #[test]
    fn generated_secrets_differ() {
        assert_ne!(
            WebhookSecret::generate().unwrap(),
            WebhookSecret::generate().unwrap()
        );
    }
}
