//! [`ClientOptions`]: base URL, timeouts, retry budget and user agent of a client.

use std::net::IpAddr;
use std::time::Duration;

use crate::client::error::ApiError;
use crate::decided::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BASE,
    DEFAULT_RETRY_MAX_DELAY, DEFAULT_TIMEOUT,
};
use crate::error::bounded;

/// How a [`KompliantClient`](crate::client::KompliantClient) talks to the API. `Default`
/// is Kompliant's production URL with the decided timeouts and retry budget; override
/// fields with `ClientOptions { base_url: ..., ..ClientOptions::default() }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// API base URL (default `https://api.kompliant.com`); calls go to
    /// `POST {base_url}/{method}`. Must be `https://`, except `http://` to a loopback
    /// address (the local simulator), so credentials never cross a network in clear.
    pub base_url: String,
    /// End-to-end timeout of one HTTP attempt: connecting, sending and reading the whole
    /// answer (default 30 s). Retries get a fresh timeout each.
    pub timeout: Duration,
    /// Timeout for resolving the host and connecting, TLS handshake included (default 10 s).
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for the failures the call's
    /// [`RetryPolicy`](crate::client::RetryPolicy) allows (default 3).
    pub max_retries: u32,
    /// Base of the exponential backoff with full jitter (default 250 ms).
    pub retry_base: Duration,
    /// Longest wait before a retry, also the cap on a server's `Retry-After` (default 10 s).
    pub retry_max_delay: Duration,
    /// `User-Agent` header (default `kompliant-webhooks-rust/<version>`). Bindings put their
    /// own name here.
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_base: DEFAULT_RETRY_BASE,
            retry_max_delay: DEFAULT_RETRY_MAX_DELAY,
            user_agent: concat!("kompliant-webhooks-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// A checked base URL: no trailing `/`, and whether its host is a loopback address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    pub(crate) url: String,
    pub(crate) loopback: bool,
}

impl ClientOptions {
    /// Checks the options; returns the normalised base URL.
    pub(crate) fn check(&self) -> Result<BaseUrl, ApiError> {
        if self.timeout.is_zero() {
            return Err(ApiError::config("timeout must be greater than zero"));
        }
        if self.connect_timeout.is_zero() {
            return Err(ApiError::config(
                "connect_timeout must be greater than zero",
            ));
        }
        if self.user_agent.is_empty() || !self.user_agent.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(ApiError::config(
                "user_agent must be non-empty printable ASCII",
            ));
        }
        check_base_url(&self.base_url)
    }
}

fn check_base_url(raw: &str) -> Result<BaseUrl, ApiError> {
    let url = raw.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").ok_or_else(|| {
        ApiError::config(format!(
            "base_url {:?} has no scheme (use https://...)",
            bounded(url.to_owned())
        ))
    })?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        // Never echo it: the user-info part may hold a password.
        return Err(ApiError::config(
            "base_url must not contain user info (user:password@); credentials go in Credentials",
        ));
    }
    if url.contains(['?', '#']) {
        return Err(ApiError::config(format!(
            "base_url {:?} must not contain a query or fragment",
            bounded(url.to_owned())
        )));
    }
    let uri: ureq::http::Uri = url.parse().map_err(|_| {
        ApiError::config(format!(
            "base_url {:?} is not a valid URL",
            bounded(url.to_owned())
        ))
    })?;
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| {
        ApiError::config(format!(
            "base_url {:?} has no host",
            bounded(url.to_owned())
        ))
    })?;
    let loopback = is_loopback_host(host);
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ApiError::config(format!(
                "base_url {:?} is plain http to a non-loopback host; credentials would travel in clear (use https://, or http:// only to 127.0.0.1 / localhost / [::1])",
                bounded(url.to_owned())
            )))
        }
        _ => {
            return Err(ApiError::config(format!(
                "base_url {:?} must start with https://",
                bounded(url.to_owned())
            )))
        }
    }
    Ok(BaseUrl {
        url: url.to_owned(),
        loopback,
    })
}

/// Whether `host` (a URL's host: a name, an IPv4 address, or an IPv6 address with or without
/// its brackets) is the local machine: `localhost` in any case, 127.0.0.0/8 or `::1`. The one
/// rule for plain `http://`: the client's `base_url` and the simulator's endpoint URLs.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn check(url: &str) -> Result<BaseUrl, ApiError> {
        ClientOptions {
            base_url: url.into(),
            ..ClientOptions::default()
        }
        .check()
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LocalHost",
            "127.0.0.1",
            "127.255.3.4",
            "::1",
            "[::1]",
            "0:0:0:0:0:0:0:1",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.example.com",
            "example.com",
            "0.0.0.0",
            "10.0.0.1",
            "::",
            "[::2]",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn accepts_https_and_loopback_http() {
        assert_eq!(
            check("https://api.kompliant.com/").unwrap().url,
            "https://api.kompliant.com"
        );
        assert!(!check("https://api.kompliant.com").unwrap().loopback);
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:1/prefix/",
            "http://[::1]:9000",
        ] {
            assert!(check(url).unwrap().loopback, "{url}");
        }
        assert_eq!(
            check("http://localhost:1/prefix/").unwrap().url,
            "http://localhost:1/prefix"
        );
    }

    #[test]
    fn refuses_clear_text_remote_and_odd_urls() {
        for url in [
            "http://api.kompliant.com",
            "ftp://x",
            "api.kompliant.com",
            "https://",
            "https://x/?a=1",
            "https://x y",
        ] {
            assert_eq!(
                check(url).unwrap_err().code(),
                ErrorCode::InvalidConfiguration,
                "{url}"
            );
        }
    }

    #[test]
    fn user_info_is_refused_without_echo() {
        let e = check("https://me:hunter2@api.kompliant.com").unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn zero_timeouts_are_refused() {
        let o = ClientOptions {
            timeout: Duration::ZERO,
            ..ClientOptions::default()
        };
        assert_eq!(
            o.check().unwrap_err().code(),
            ErrorCode::InvalidConfiguration
        );
    }
}
