//! Reading one request off a connection for [`super`]: the head, then the body as framed,
//! under the deadline and size limits of [`ServerOptions`].

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::wire::{self, Framing};
use super::{Rejection, Request, ServerOptions};

/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 16 * 1024;
/// Longest chunk-size line of a chunked body (with its extensions).
const MAX_CHUNK_LINE_BYTES: usize = 4 * 1024;

/// Why no request came out of a connection.
pub(super) enum Refusal {
    /// The client sent nothing and left, or the connection failed: nothing to answer.
    Gone,
    /// Answer this and close.
    Reject(Rejection),
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        Refusal::Reject(rejection)
    }
}

/// The socket, with a deadline for the whole request.
struct Source {
    stream: TcpStream,
    deadline: Instant,
    timeout: Duration,
    received: usize,
}

impl Source {
    /// Appends what one read gives (at most `max` bytes, at least one) to `out`.
    fn read_into(&mut self, out: &mut Vec<u8>, max: usize) -> Result<(), Refusal> {
        let start = out.len();
        out.resize(start + max.max(1), 0);
        let result = loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break Err(self.timed_out());
            }
            match self.stream.read(out.get_mut(start..).unwrap_or_default()) {
                Ok(0) if self.received == 0 => break Err(Refusal::Gone),
                Ok(0) => {
                    break Err(
                        Rejection::new(400, "The connection ended inside the request").into(),
                    )
                }
                Ok(n) => break Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break Err(self.timed_out())
                }
                Err(_) => break Err(Refusal::Gone),
            }
        };
        let n = result.as_ref().map_or(0, |n| *n);
        out.truncate(start + n);
        self.received = self.received.saturating_add(n);
        result.map(|_| ())
    }

    fn timed_out(&self) -> Refusal {
        Rejection::new(
            408,
            format!("The request did not arrive within {:?}", self.timeout),
        )
        .into()
    }
}

/// A connection being read: the socket and the bytes read but not used yet.
pub(super) struct Connection {
    source: Source,
    buf: Zeroizing<Vec<u8>>,
}

impl Connection {
    pub(super) fn new(stream: TcpStream, options: &ServerOptions) -> Connection {
        let now = Instant::now();
        Connection {
            source: Source {
                stream,
                deadline: now.checked_add(options.read_timeout).unwrap_or(now),
                timeout: options.read_timeout,
                received: 0,
            },
            // Room for the longest head and one read, so the head is never reallocated.
            buf: Zeroizing::new(Vec::with_capacity(
                options.max_header_bytes.saturating_add(READ_CHUNK),
            )),
        }
    }

    pub(super) fn into_stream(self) -> TcpStream {
        self.source.stream
    }

    pub(super) fn read_request(
        &mut self,
        peer: SocketAddr,
        options: &ServerOptions,
    ) -> Result<Request, Refusal> {
        let head_len = self.read_head(options.max_header_bytes)?;
        let head = wire::parse_head(self.buf.get(..head_len).unwrap_or_default())?;
        self.buf.drain(..head_len);
        let framing = wire::framing(&head)?;
        let expects_continue = wire::expects_continue(&head)?;
        let limit = options.max_body_bytes;
        let body = match framing {
            Framing::Empty => Vec::new(),
            Framing::Length(declared) => {
                let length = usize::try_from(declared)
                    .ok()
                    .filter(|n| *n <= limit)
                    .ok_or_else(|| too_large(Some(declared), limit))?;
                if expects_continue && length > 0 {
                    self.send_continue()?;
                }
                // Reserved in full (it is within the limit), so the body is never copied.
                let mut body = Vec::with_capacity(length);
                self.take_exact(length, &mut body)?;
                body
            }
            Framing::Chunked => {
                if expects_continue {
                    self.send_continue()?;
                }
                self.read_chunked(limit, options.max_header_bytes)?
            }
        };
        Ok(Request {
            method: head.method,
            target: head.target,
            headers: head.headers,
            body,
            peer,
        })
    }

    /// Reads until the head is complete; its length.
    fn read_head(&mut self, max: usize) -> Result<usize, Refusal> {
        let mut searched = 0;
        loop {
            if let Some(end) = wire::head_end(&self.buf, searched) {
                return if end > max {
                    Err(head_too_large(max))
                } else {
                    Ok(end)
                };
            }
            if self.buf.len() > max {
                return Err(head_too_large(max));
            }
            searched = self.buf.len().saturating_sub(3);
            self.source.read_into(&mut self.buf, READ_CHUNK)?;
        }
    }

    fn send_continue(&mut self) -> Result<(), Refusal> {
        self.source
            .stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| Refusal::Gone)
    }

    /// Appends exactly `n` more bytes of the request to `out`.
    fn take_exact(&mut self, n: usize, out: &mut Vec<u8>) -> Result<(), Refusal> {
        let buffered = n.min(self.buf.len());
        out.extend(self.buf.drain(..buffered));
        let end = out.len().saturating_add(n - buffered);
        while out.len() < end {
            self.source
                .read_into(out, (end - out.len()).min(4 * READ_CHUNK))?;
        }
        Ok(())
    }

    /// The next line (without its CRLF or LF), refused if longer than `max` bytes.
    fn take_line(&mut self, max: usize, too_long: fn() -> Rejection) -> Result<Vec<u8>, Refusal> {
        let mut searched = 0;
        loop {
            if let Some(at) = self.buf.iter().skip(searched).position(|b| *b == b'\n') {
                let at = searched + at;
                let mut line: Vec<u8> = self.buf.drain(..=at).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return if line.len() > max {
                    Err(too_long().into())
                } else {
                    Ok(line)
                };
            }
            // A CR may still be followed by its LF.
            if self.buf.len() > max.saturating_add(1) {
                return Err(too_long().into());
            }
            searched = self.buf.len();
            self.source.read_into(&mut self.buf, READ_CHUNK)?;
        }
    }

    /// A chunked body, at most `limit` bytes, then its trailer section (discarded).
    fn read_chunked(&mut self, limit: usize, max_trailer: usize) -> Result<Vec<u8>, Refusal> {
        let mut body = Vec::with_capacity(limit.min(4 * READ_CHUNK));
        loop {
            let line = self.take_line(MAX_CHUNK_LINE_BYTES, || {
                Rejection::new(400, "Chunk size line too long")
            })?;
            let size = wire::chunk_size(&line)?;
            if size == 0 {
                break;
            }
            let room = limit - body.len().min(limit);
            let size = usize::try_from(size)
                .ok()
                .filter(|n| *n <= room)
                .ok_or_else(|| too_large(None, limit))?;
            body.reserve(size);
            self.take_exact(size, &mut body)?;
            let end =
                self.take_line(0, || Rejection::new(400, "Chunk data longer than its size"))?;
            if !end.is_empty() {
                return Err(Rejection::new(400, "Chunk data longer than its size").into());
            }
        }
        let mut trailers = 0usize;
        loop {
            let line = self.take_line(max_trailer, trailers_too_large)?;
            trailers = trailers.saturating_add(line.len() + 2);
            if trailers > max_trailer {
                return Err(trailers_too_large().into());
            }
            if line.is_empty() {
                return Ok(body);
            }
        }
    }
}

fn too_large(declared: Option<u64>, limit: usize) -> Rejection {
    let size = match declared {
        Some(n) if n < u64::MAX => format!("The request body ({n} bytes)"),
        _ => "The request body".to_owned(),
    };
    Rejection::new(
        413,
        format!("{size} is larger than the limit of {limit} bytes"),
    )
}

fn head_too_large(max: usize) -> Refusal {
    Rejection::new(
        431,
        format!("The request head is larger than the limit of {max} bytes"),
    )
    .into()
}

fn trailers_too_large() -> Rejection {
    Rejection::new(431, "The chunked body's trailer section is too large")
}
