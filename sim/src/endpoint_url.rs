//! The endpoint URL rule of spec §5b: `https://`, or `http://` on a loopback host only.

use std::net::Ipv6Addr;

use kompliant_webhooks::shared::is_loopback_host;

use crate::api::{bounded, ApiError};
use crate::decided::MAX_URL_LEN;

/// Checks an endpoint URL given to `webhook.config.create` / `update`.
pub(crate) fn check(url: &str) -> Result<(), ApiError> {
    let invalid =
        |why: &str| ApiError::bad_request(format!("invalid webhook url {:?}: {why}", bounded(url)));
    if url.len() > MAX_URL_LEN {
        return Err(ApiError::bad_request(format!(
            "invalid webhook url: longer than {MAX_URL_LEN} bytes"
        )));
    }
    if url.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(invalid(
            "it must be ASCII without spaces or control characters",
        ));
    }
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(invalid("it must start with https://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Anything before the last `@` is user info, not the host.
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = host_of(host_port).ok_or_else(|| invalid("it has no valid host"))?;
    if !secure && !is_loopback_host(host) {
        return Err(invalid(
            "it must start with https:// (http:// is accepted only for loopback hosts: localhost, 127.0.0.0/8, [::1])",
        ));
    }
    Ok(())
}

/// The host of `host[:port]` / `[v6][:port]`, `None` if empty or the port is not a number.
fn host_of(host_port: &str) -> Option<&str> {
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<Ipv6Addr>().ok()?;
        (v6, after.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if let Some(port) = port {
        if port.parse::<u16>().is_err() {
            return None;
        }
    }
    let name_ok = |h: &str| {
        h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
    };
    (!host.is_empty() && name_ok(host)).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_and_loopback_http() {
        for ok in [
            "https://example.com/hooks",
            "https://example.com:8443/hooks?x=1",
            "HTTPS://EXAMPLE.COM",
            "http://127.0.0.1:9000/hook",
            "http://127.5.6.7/",
            "http://localhost:3000",
            "http://LOCALHOST/x",
            "http://[::1]:8080/hook",
            "http://[::1]",
            "http://evil.example@127.0.0.1/",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "http://example.com/hook",
            "http://10.0.0.1/",
            "http://128.0.0.1/",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://127.0.0.1@evil.example/",
            "http://[::2]/",
            "http://[::1/",
            "ftp://127.0.0.1/",
            "example.com",
            "https://",
            "https:///path",
            "https://host:port/",
            "https://exa mple.com/",
            "https://exämple.com/",
            "",
        ] {
            let err = check(bad).unwrap_err();
            assert_eq!((err.status, err.code), (400, "BAD_REQUEST"), "{bad}");
        }
        assert!(check(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }
}
