//! Pages and actions meant for the developer's own browser only (the web inspectors of
//! `kompliant sim` and `kompliant listen`): the rule that keeps them local, in one place.

use std::net::IpAddr;

use crate::{Request, Response};

/// The header every state-changing request of a local page must carry. A page on another
/// site cannot send it without a CORS preflight, which these servers never grant, so a
/// cross-site form or `fetch` cannot act through the developer's browser.
pub const ACTION_HEADER: &str = "X-Kompliant-Inspector";

/// `None` if `request` may use a local page: it comes from a loopback address and names a
/// loopback host (`127.0.0.1:…`, `localhost:…`, `[::1]:…`: a DNS-rebinding page names its
/// own host), and, if it changes something (`action`), it carries [`ACTION_HEADER`]`: 1`.
/// Otherwise the 403 to answer.
pub fn refuse_unless_local(request: &Request, action: bool) -> Option<Response> {
    if !request.peer.ip().is_loopback() {
        return Some(forbidden("the inspector answers loopback clients only"));
    }
    if !request.header("host").is_some_and(is_loopback_host) {
        return Some(forbidden(
            "the inspector answers requests for 127.0.0.1, localhost or [::1] only",
        ));
    }
    if action && request.header(ACTION_HEADER) != Some("1") {
        return Some(forbidden(
            "inspector actions need the X-Kompliant-Inspector: 1 header",
        ));
    }
    None
}

/// Whether a `Host` header value names a loopback host (any port).
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn forbidden(why: &str) -> Response {
    Response::new(403, format!("{why}\n")).with_header("Content-Type", "text/plain; charset=utf-8")
}

/// Headers for a local page: no framing, no script or style from anywhere else.
pub fn page_headers(response: Response) -> Response {
    response
        .with_header("Content-Type", "text/html; charset=utf-8")
        .with_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
        .with_header("X-Frame-Options", "DENY")
        .with_header("Cache-Control", "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1:8080",
            "localhost:1",
            "LOCALHOST",
            "[::1]:9",
            "127.1.2.3:80",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "10.0.0.1:80",
            "[::2]:1",
            "",
            "localhost.evil.example",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
