//! One HTTP attempt over ureq, and the classification of transport failures (in particular:
//! did the request provably never reach the server?).

use std::io;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::client::error::ApiError;
use crate::client::options::{BaseUrl, ClientOptions};
use crate::client::response::RawResponse;
use crate::decided::{API_VERSION, MAX_RESPONSE_BYTES, SIGNED_ELEMENTS};
use crate::error::{bounded, ErrorCode};

/// The signed headers sent on every request.
pub(crate) struct AuthHeaders {
    pub(crate) api_key: String,
    pub(crate) auth_token: Zeroizing<String>,
    /// The full `Authorization` value; static per API key, so as sensitive as the token.
    pub(crate) authorization: Zeroizing<String>,
}

/// A blocking HTTP transport: one ureq agent (connection pool) per client.
pub(crate) struct Transport {
    agent: ureq::Agent,
}

/// Why an attempt produced no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransportFailure {
    /// `TIMEOUT`, `CONNECTION_FAILED`, `INVALID_RESPONSE` or `INVALID_CONFIGURATION`.
    pub(crate) code: ErrorCode,
    /// The request provably never reached the server: no connection was established
    /// (refused, unreachable, DNS failure, connect timeout), so no byte of it was sent.
    pub(crate) not_sent: bool,
    /// Trying again may succeed (a network condition, not a configuration or TLS error).
    pub(crate) transient: bool,
    /// What happened, for the operator.
    pub(crate) detail: String,
}

impl TransportFailure {
    pub(crate) fn into_error(self) -> ApiError {
        ApiError::new(self.code, self.detail)
    }
}

impl Transport {
    pub(crate) fn new(options: &ClientOptions, base_url: &BaseUrl) -> Self {
        let mut config = ureq::Agent::config_builder()
            // Error statuses are answers: their bodies are read and classified here.
            .http_status_as_error(false)
            // The API never redirects; a redirect must not carry the auth headers elsewhere.
            .max_redirects(0)
            .timeout_global(Some(options.timeout))
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .user_agent(options.user_agent.as_str())
            .accept("application/json");
        if base_url.loopback {
            // The local simulator: an HTTP(S)_PROXY meant for the internet must not catch it.
            config = config.proxy(None);
        }
        Transport {
            agent: config.build().new_agent(),
        }
    }

    /// Sends one `POST url` with a JSON body and reads the whole answer.
    pub(crate) fn post(
        &self,
        url: &str,
        auth: &AuthHeaders,
        body: &[u8],
    ) -> Result<RawResponse, TransportFailure> {
        let response = self
            .agent
            .post(url)
            .header("X-API-Key", auth.api_key.as_str())
            .header("X-API-Auth-Token", auth.auth_token.as_str())
            .header("X-API-Signed-Elements", SIGNED_ELEMENTS)
            .header("X-API-Version", API_VERSION)
            .header("Authorization", auth.authorization.as_str())
            .content_type("application/json")
            .send(body)
            .map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = header("retry-after").as_deref().and_then(parse_retry_after);
        let location = header("location");
        let body = response
            .into_body()
            .into_with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| TransportFailure {
                // The request was sent and answered: whatever happens now, it reached the server.
                not_sent: false,
                ..classify(&e)
            })?;
        Ok(RawResponse {
            status,
            retry_after,
            location,
            body: Zeroizing::new(body),
        })
    }
}

/// `Retry-After` in delay-seconds form (the HTTP-date form is ignored).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Classifies a ureq failure. `not_sent` is true only where ureq failed before a
/// connection existed: name resolution, connecting (refused, unreachable, connect or resolve
/// timeout), or a proxy's CONNECT. Every other failure may have happened after the request,
/// or part of it, was written.
pub(crate) fn classify(error: &ureq::Error) -> TransportFailure {
    use ureq::Error as E;
    let detail = |what: &str| bounded(format!("{what}: {error}"));
    let failure = |code, not_sent, transient, what: &str| TransportFailure {
        code,
        not_sent,
        transient,
        detail: detail(what),
    };
    match error {
        E::Timeout(which) => {
            let before_connection =
                matches!(which, ureq::Timeout::Resolve | ureq::Timeout::Connect);
            let what = if before_connection {
                "could not connect within the connect timeout"
            } else {
                "no complete answer within the timeout"
            };
            failure(ErrorCode::Timeout, before_connection, true, what)
        }
        E::HostNotFound => failure(
            ErrorCode::ConnectionFailed,
            true,
            true,
            "cannot resolve the API host",
        ),
        E::ConnectionFailed | E::ConnectProxyFailed(_) => failure(
            ErrorCode::ConnectionFailed,
            true,
            true,
            "cannot connect to the API",
        ),
        E::Io(io_error) => match io_error.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable => failure(
                ErrorCode::ConnectionFailed,
                true,
                true,
                "cannot connect to the API",
            ),
            io::ErrorKind::TimedOut => {
                failure(ErrorCode::Timeout, false, true, "the connection timed out")
            }
            _ if is_name_resolution_failure(io_error) => failure(
                ErrorCode::ConnectionFailed,
                true,
                true,
                "cannot resolve the API host",
            ),
            _ => failure(
                ErrorCode::ConnectionFailed,
                false,
                true,
                "the connection failed",
            ),
        },
        E::BadUri(_)
        | E::Http(_)
        | E::RequireHttpsOnly(_)
        | E::InvalidProxyUrl
        | E::TlsRequired => failure(
            ErrorCode::InvalidConfiguration,
            false,
            false,
            "the request could not be built",
        ),
        E::BodyExceedsLimit(_) => TransportFailure {
            code: ErrorCode::InvalidResponse,
            not_sent: false,
            transient: false,
            detail: format!(
                "the answer is larger than the client's limit of {MAX_RESPONSE_BYTES} bytes"
            ),
        },
        E::Protocol(_)
        | E::LargeResponseHeader(..)
        | E::RedirectFailed
        | E::TooManyRedirects
        | E::Json(_) => failure(
            ErrorCode::InvalidResponse,
            false,
            false,
            "the answer is not valid HTTP",
        ),
        // TLS failures (certificates, handshake) do not heal by retrying.
        E::Tls(_) | E::Pem(_) | E::Rustls(_) => {
            failure(ErrorCode::ConnectionFailed, false, false, "TLS failed")
        }
        _ => failure(
            ErrorCode::ConnectionFailed,
            false,
            false,
            "the request failed",
        ),
    }
}

/// Whether an I/O error is the standard library's failure to resolve a host name (which
/// ureq passes through as `Error::Io`). std reports `getaddrinfo` failures with an error of
/// no specific kind whose text starts "failed to lookup address information" (Unix), or
/// with a Winsock name-resolution error code (Windows). Anything else is not recognised,
/// which errs on the safe side ("may have been sent").
fn is_name_resolution_failure(error: &io::Error) -> bool {
    const WINSOCK_RESOLUTION_ERRORS: [i32; 4] = [11001, 11002, 11003, 11004];
    if cfg!(windows) {
        return error
            .raw_os_error()
            .is_some_and(|code| WINSOCK_RESOLUTION_ERRORS.contains(&code));
    }
    error.raw_os_error().is_none()
        && error
            .to_string()
            .starts_with("failed to lookup address information")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_error(kind: io::ErrorKind) -> ureq::Error {
        ureq::Error::Io(io::Error::new(kind, "x"))
    }

    #[test]
    fn failures_before_any_connection_are_provably_not_sent() {
        for error in [
            io_error(io::ErrorKind::ConnectionRefused),
            io_error(io::ErrorKind::HostUnreachable),
            io_error(io::ErrorKind::NetworkUnreachable),
            ureq::Error::HostNotFound,
            ureq::Error::ConnectionFailed,
            ureq::Error::Timeout(ureq::Timeout::Connect),
            ureq::Error::Timeout(ureq::Timeout::Resolve),
        ] {
            let f = classify(&error);
            assert!(f.not_sent && f.transient, "{error}: {f:?}");
        }
        assert_eq!(
            classify(&ureq::Error::Timeout(ureq::Timeout::Connect)).code,
            ErrorCode::Timeout
        );
        assert_eq!(
            classify(&io_error(io::ErrorKind::ConnectionRefused)).code,
            ErrorCode::ConnectionFailed
        );
    }

    #[test]
    fn the_standard_librarys_name_resolution_failure_is_recognised() {
        use std::net::ToSocketAddrs;
        // `.invalid` never resolves (RFC 6761); if a resolver answers anyway, nothing to test.
        let Err(error) = "kompliant-sdk-test.invalid:443".to_socket_addrs() else {
            return;
        };
        let f = classify(&ureq::Error::Io(error));
        assert!(f.not_sent && f.transient, "{f:?}");
        assert!(f.detail.contains("resolve"), "{f:?}");
        assert!(!is_name_resolution_failure(&io::Error::other("boom")));
    }

    #[test]
    fn failures_after_connecting_may_have_been_sent() {
        for error in [
            io_error(io::ErrorKind::ConnectionReset),
            io_error(io::ErrorKind::BrokenPipe),
            io_error(io::ErrorKind::UnexpectedEof),
            io_error(io::ErrorKind::TimedOut),
            ureq::Error::Timeout(ureq::Timeout::Global),
            ureq::Error::Timeout(ureq::Timeout::RecvResponse),
            ureq::Error::Timeout(ureq::Timeout::SendRequest),
            ureq::Error::Timeout(ureq::Timeout::SendBody),
            ureq::Error::Timeout(ureq::Timeout::PerCall),
        ] {
            let f = classify(&error);
            assert!(!f.not_sent, "{error}: {f:?}");
            assert!(f.transient, "{error}: {f:?}");
        }
    }

    #[test]
    fn permanent_failures_are_not_retried() {
        for error in [
            ureq::Error::BadUri("x".into()),
            ureq::Error::Tls("bad certificate"),
            ureq::Error::BodyExceedsLimit(1),
        ] {
            assert!(!classify(&error).transient, "{error}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
