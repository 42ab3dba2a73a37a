//! The server's request and response types, and their conversion from and to hyper's.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::StatusCode;
use zeroize::Zeroizing;

/// A complete request, body read.
pub struct Request {
    /// The method as sent, e.g. `POST` (methods are case-sensitive).
    pub method: String,
    /// The request target, e.g. `/meta.checkVersion?x=1`; see [`Request::path`].
    pub target: String,
    /// The header fields in the order received, names in lower case, values without
    /// surrounding whitespace (bytes that are not UTF-8 replaced); see [`Request::header`].
    pub headers: Vec<(String, String)>,
    /// The body (empty if none), de-chunked.
    pub body: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Request {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target's path: the target up to its first `?` or `#`.
    pub fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or_default()
    }
}

impl std::fmt::Debug for Request {
    // Header values and the body may hold credentials: names and sizes only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("target", &self.target)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .field("peer", &self.peer)
            .finish()
    }
}

/// An answer. The server sets `Content-Length` (replacing any such header here, and dropping
/// `Transfer-Encoding`, `Connection` and headers with an invalid name or value); a status
/// outside 200-599 is sent as 500; the body is wiped from memory once sent.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields to send.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// `status` with `body` and no header.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `status` with an empty body.
    pub fn empty(status: u16) -> Response {
        Response::new(status, Vec::new())
    }

    /// `status` with a JSON body, `Content-Type: application/json`.
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, body).with_header("Content-Type", "application/json")
    }

    /// The response with one more header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl std::fmt::Debug for Response {
    // The body may hold secrets (e.g. a new key's shared secret): its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A request the server answers itself (see the crate documentation for when).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// The status answered: 400, 408, 413, 417, 431, 500 or 503.
    pub status: u16,
    /// What was wrong, for the client (never a header value).
    pub message: String,
}

impl Rejection {
    /// A rejection answering `status`, saying `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Rejection {
        Rejection {
            status,
            message: message.into(),
        }
    }

    /// The server's default answer: the status, the message as plain text.
    pub fn to_response(&self) -> Response {
        Response::new(self.status, format!("{}\n", self.message))
            .with_header("Content-Type", "text/plain; charset=utf-8")
    }
}

/// The handler's view of a request read by hyper.
pub(crate) fn from_parts(
    parts: hyper::http::request::Parts,
    body: Bytes,
    peer: SocketAddr,
) -> Request {
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_owned());
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).trim().to_owned(),
            )
        })
        .collect();
    Request {
        method: parts.method.as_str().to_owned(),
        target,
        headers,
        body: body.to_vec(),
        peer,
    }
}

/// The response for hyper; with `Connection: close` if `close`.
pub(crate) fn into_hyper(response: Response, close: bool) -> hyper::Response<Full<Bytes>> {
    let status = StatusCode::from_u16(response.status)
        .ok()
        .filter(|s| (200..600).contains(&s.as_u16()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // Wiped when hyper has sent it and lets go of it.
    let body = Bytes::from_owner(Zeroizing::new(response.body));
    let mut answer = hyper::Response::new(Full::new(body));
    *answer.status_mut() = status;
    let headers = answer.headers_mut();
    for (name, value) in response.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            continue;
        };
        if name != CONTENT_LENGTH && name != TRANSFER_ENCODING && name != CONNECTION {
            headers.append(name, value);
        }
    }
    if close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    answer
}

/// The bytes of `response` with `Content-Length` and `Connection: close`, for a connection
/// refused before hyper serves it.
pub(crate) fn encode_close(response: Response) -> Zeroizing<Vec<u8>> {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut bytes = Zeroizing::new(Vec::with_capacity(128 + response.body.len()));
    bytes.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Unknown")
        )
        .as_bytes(),
    );
    for (name, value) in &response.headers {
        let valid =
            HeaderName::from_bytes(name.as_bytes()).is_ok() && HeaderValue::from_str(value).is_ok();
        let framing = [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION]
            .iter()
            .any(|h| h.as_str().eq_ignore_ascii_case(name));
        if valid && !framing {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    bytes.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            response.body.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&response.body);
    drop(Zeroizing::new(response.body));
    bytes
}
