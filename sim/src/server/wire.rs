//! The HTTP/1.1 wire format of [`super`]: parsing a request head and its body framing, chunk
//! sizes, and encoding a response. Pure functions over bytes, no I/O.

use zeroize::{Zeroize, Zeroizing};

use super::{Rejection, Response};

/// Longest piece of request input echoed in a rejection message.
const MAX_ECHO_CHARS: usize = 80;

/// The HTTP versions served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    Http10,
    Http11,
}

/// A parsed request head.
pub(super) struct Head {
    pub method: String,
    pub target: String,
    pub version: Version,
    pub headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// How the request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body.
    Empty,
    /// `Content-Length` (saturated at `u64::MAX`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// The first header named `name` (ASCII case-insensitive).
pub(super) fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Where the head ends (just past its empty line) in `buf`, searching from `from`. Lines end
/// with CRLF or a bare LF.
pub(super) fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.iter()
        .enumerate()
        .skip(from)
        .filter(|(_, b)| **b == b'\n')
        .find_map(|(i, _)| match (buf.get(i + 1), buf.get(i + 2)) {
            (Some(b'\n'), _) => Some(i + 2),
            (Some(b'\r'), Some(b'\n')) => Some(i + 3),
            _ => None,
        })
}

/// Parses a request head (request line, header lines, empty line).
pub(super) fn parse_head(head: &[u8]) -> Result<Head, Rejection> {
    let text = std::str::from_utf8(head)
        .map_err(|_| Rejection::new(400, "The request head is not valid UTF-8"))?;
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    let (method, target, version) = parse_request_line(lines.next().unwrap_or_default())?;
    let mut headers = Vec::new();
    for line in lines.take_while(|line| !line.is_empty()) {
        headers.push(parse_header(line)?);
    }
    Ok(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        version,
        headers,
    })
}

fn parse_request_line(line: &str) -> Result<(&str, &str, Version), Rejection> {
    let malformed = || Rejection::new(400, format!("Malformed request line {:?}", echo(line)));
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    if !is_token(method) || target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(malformed());
    }
    let version = match version {
        "HTTP/1.1" => Version::Http11,
        "HTTP/1.0" => Version::Http10,
        other if is_http_version(other) => {
            return Err(Rejection::new(
                505,
                format!("{other} is not supported (only HTTP/1.0 and HTTP/1.1)"),
            ))
        }
        _ => return Err(malformed()),
    };
    Ok((method, target, version))
}

/// `HTTP/<digit>.<digit>`.
fn is_http_version(text: &str) -> bool {
    text.strip_prefix("HTTP/").is_some_and(|v| {
        matches!(v.as_bytes(), [major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit())
    })
}

/// `name: value`, the name a token (no whitespace before the colon, no line folding), the
/// value without control characters other than tab. Values are never echoed (they may be
/// credentials).
fn parse_header(line: &str) -> Result<(String, String), Rejection> {
    let Some((name, value)) = line.split_once(':') else {
        return Err(Rejection::new(400, "Malformed header line (no colon)"));
    };
    if !is_token(name) {
        return Err(Rejection::new(
            400,
            format!("Malformed header name {:?}", echo(name)),
        ));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
        return Err(Rejection::new(
            400,
            format!("The {name} header has a control character in its value"),
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// RFC 9110 `token`: one or more `tchar`.
pub(super) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The body framing the headers declare.
pub(super) fn framing(head: &Head) -> Result<Framing, Rejection> {
    let mut lengths = Vec::new();
    let mut codings = Vec::new();
    let mut transfer_encoding = false;
    for (name, value) in &head.headers {
        if name.eq_ignore_ascii_case("Content-Length") {
            lengths.extend(value.split(',').map(str::trim));
        } else if name.eq_ignore_ascii_case("Transfer-Encoding") {
            transfer_encoding = true;
            codings.extend(value.split(',').map(str::trim).filter(|c| !c.is_empty()));
        }
    }
    if transfer_encoding {
        if !lengths.is_empty() {
            return Err(Rejection::new(
                400,
                "Content-Length and Transfer-Encoding must not both be sent",
            ));
        }
        if head.version == Version::Http10 {
            return Err(Rejection::new(
                400,
                "Transfer-Encoding is not allowed in HTTP/1.0",
            ));
        }
        let is_chunked = |c: &&str| c.eq_ignore_ascii_case("chunked");
        return match codings.as_slice() {
            [only] if is_chunked(only) => Ok(Framing::Chunked),
            [.., last]
                if is_chunked(last) && codings.iter().filter(|c| is_chunked(c)).count() == 1 =>
            {
                Err(Rejection::new(
                    501,
                    "Only the chunked transfer coding is supported",
                ))
            }
            _ => Err(Rejection::new(
                400,
                "Transfer-Encoding must end with chunked, given once",
            )),
        };
    }
    let mut declared = None;
    for text in lengths {
        let Some(length) = parse_decimal(text) else {
            return Err(Rejection::new(
                400,
                format!("Invalid Content-Length {:?}", echo(text)),
            ));
        };
        if declared.is_some_and(|d| d != length) {
            return Err(Rejection::new(400, "Different Content-Length values"));
        }
        declared = Some(length);
    }
    Ok(declared.map_or(Framing::Empty, Framing::Length))
}

/// Whether the client waits for `100 Continue` before sending the body; 417 for any other
/// expectation. An HTTP/1.0 client's `100-continue` is ignored (it cannot understand 100).
pub(super) fn expects_continue(head: &Head) -> Result<bool, Rejection> {
    match head.header("Expect") {
        None => Ok(false),
        Some(value) if value.eq_ignore_ascii_case("100-continue") => {
            Ok(head.version == Version::Http11)
        }
        Some(value) => Err(Rejection::new(
            417,
            format!(
                "Unsupported expectation {:?} (only 100-continue)",
                echo(value)
            ),
        )),
    }
}

/// 1*DIGIT, saturating at `u64::MAX`.
fn parse_decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

/// The size of a chunk from its size line (`1*HEXDIG [BWS ; extensions]`, line end removed),
/// saturating at `u64::MAX`.
pub(super) fn chunk_size(line: &[u8]) -> Result<u64, Rejection> {
    let malformed = || Rejection::new(400, "Malformed chunk size line");
    let text = std::str::from_utf8(line).map_err(|_| malformed())?;
    let size = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_end_matches([' ', '\t']);
    if size.is_empty() || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed());
    }
    Ok(size.chars().fold(0u64, |n, c| {
        n.saturating_mul(16)
            .saturating_add(u64::from(c.to_digit(16).unwrap_or(0)))
    }))
}

/// The response as sent: status line, the response's headers (minus invalid ones and those
/// the server owns), `Content-Length`, `Connection: close`, and the body unless `head_only`.
/// The response body is wiped once copied.
pub(super) fn encode_response(response: Response, head_only: bool) -> Zeroizing<Vec<u8>> {
    let Response {
        status,
        headers,
        mut body,
    } = response;
    let status = if (200..=599).contains(&status) {
        status
    } else {
        500
    };
    let mut out = Zeroizing::new(Vec::with_capacity(256 + body.len()));
    out.extend_from_slice(format!("HTTP/1.1 {status} {}\r\n", reason(status)).as_bytes());
    for (name, value) in &headers {
        let owned_by_server = ["Content-Length", "Connection", "Transfer-Encoding"]
            .iter()
            .any(|n| n.eq_ignore_ascii_case(name));
        let valid = is_token(name) && !value.chars().any(|c| c.is_ascii_control() && c != '\t');
        if valid && !owned_by_server {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
    }
    out.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    if !head_only {
        out.extend_from_slice(&body);
    }
    body.zeroize();
    out
}

/// The reason phrase of `status` (empty if not listed, as HTTP allows).
pub(super) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// `text` cut to a length fit for a message.
fn echo(text: &str) -> String {
    match text.char_indices().nth(MAX_ECHO_CHARS) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, Rejection> {
        parse_head(text.as_bytes())
    }

    fn status(result: Result<impl Sized, Rejection>) -> u16 {
        result.err().map_or(0, |r| r.status)
    }

    #[test]
    fn finds_the_end_of_the_head() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nbody", 0), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nbody", 0), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n", 0), None);
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r", 0), None);
    }

    #[test]
    fn parses_a_head() {
        let h = head("POST /x?y=1 HTTP/1.1\r\nHost: a\r\nX-Key:  v v \r\n\r\n").unwrap();
        assert_eq!((h.method.as_str(), h.target.as_str()), ("POST", "/x?y=1"));
        assert_eq!(h.version, Version::Http11);
        assert_eq!(h.header("x-key"), Some("v v"));
        assert_eq!(head("GET / HTTP/1.0\n\n").unwrap().version, Version::Http10);
    }

    #[test]
    fn refuses_malformed_heads() {
        for bad in [
            "\r\n\r\n",
            "GET\r\n\r\n",
            "GET /\r\n\r\n",
            "GET  / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1 x\r\n\r\n",
            "G@T / HTTP/1.1\r\n\r\n",
            "GET / http/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
            "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            "GET / HTTP/1.1\r\nName : x\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
            "GET / HTTP/1.1\r\nA: b\0\r\n\r\n",
        ] {
            assert_eq!(status(head(bad)), 400, "{bad:?}");
        }
        assert_eq!(status(parse_head(b"GET /\xff HTTP/1.1\r\n\r\n")), 400);
        assert_eq!(status(head("GET / HTTP/2.0\r\n\r\n")), 505);
    }

    #[test]
    fn body_framing() {
        let framing_of =
            |headers: &str| framing(&head(&format!("POST / HTTP/1.1\r\n{headers}\r\n"))?);
        assert_eq!(framing_of("").unwrap(), Framing::Empty);
        assert_eq!(
            framing_of("Content-Length: 5\r\n").unwrap(),
            Framing::Length(5)
        );
        assert_eq!(
            framing_of("Content-Length: 5\r\ncontent-length: 5, 5\r\n").unwrap(),
            Framing::Length(5)
        );
        assert_eq!(
            framing_of("Content-Length: 99999999999999999999999\r\n").unwrap(),
            Framing::Length(u64::MAX)
        );
        assert_eq!(
            framing_of("Transfer-Encoding: Chunked\r\n").unwrap(),
            Framing::Chunked
        );
        for bad in [
            "Content-Length: 5\r\nContent-Length: 6\r\n",
            "Content-Length: \r\n",
            "Content-Length: -1\r\n",
            "Content-Length: +1\r\n",
            "Content-Length: 0x10\r\n",
            "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked, identity\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        ] {
            assert_eq!(status(framing_of(bad)), 400, "{bad:?}");
        }
        assert_eq!(
            status(framing_of("Transfer-Encoding: gzip, chunked\r\n")),
            501
        );
        let old = head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        assert_eq!(status(framing(&old)), 400);
    }

    #[test]
    fn expectations() {
        let expect = |version: &str, value: &str| {
            expects_continue(&head(&format!(
                "POST / {version}\r\nExpect: {value}\r\n\r\n"
            ))?)
        };
        assert!(expect("HTTP/1.1", "100-Continue").unwrap());
        assert!(!expect("HTTP/1.0", "100-continue").unwrap());
        assert_eq!(status(expect("HTTP/1.1", "200-ok")), 417);
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(chunk_size(b"1a").unwrap(), 26);
        assert_eq!(chunk_size(b"FF ; name=value").unwrap(), 255);
        assert_eq!(chunk_size(b"ffffffffffffffffffffff").unwrap(), u64::MAX);
        for bad in [&b""[..], b"x", b"-1", b" 1", b";", b"\xff"] {
            assert_eq!(status(chunk_size(bad)), 400, "{bad:?}");
        }
    }

    #[test]
    fn encodes_a_response() {
        let response = Response::json(201, b"{}".to_vec())
            .with_header("Content-Length", "99")
            .with_header("Connection", "keep-alive")
            .with_header("X-Bad", "a\r\nInjected: yes")
            .with_header("Bad Name", "x")
            .with_header("X-Ok", "fine");
        let wire = encode_response(response, false);
        let text = String::from_utf8(wire.to_vec()).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Ok: fine\r\n\
             Content-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
        let head_only = encode_response(Response::new(999, b"abc".to_vec()), true);
        assert_eq!(
            String::from_utf8(head_only.to_vec()).unwrap(),
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
        );
    }
}
