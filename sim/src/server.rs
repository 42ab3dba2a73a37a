//! A small HTTP/1.1 server on `std::net`, serving the simulator's API and the CLI's
//! development receiver: a thread per connection, one request per connection, hard limits on
//! every size and on time, and no panic on any input.
//!
//! The server reads and checks the whole request before the handler sees it. It answers
//! these itself, with a [`Rejection`] (plain text unless [`Server::with_rejections`] renders
//! it otherwise):
//!
//! - more than [`ServerOptions::max_connections`] open connections: 503, before reading;
//! - the request not complete within [`ServerOptions::read_timeout`]: 408;
//! - a head over [`ServerOptions::max_header_bytes`]: 431;
//! - a malformed request line or header line, or a request cut short: 400; an HTTP version
//!   other than 1.0 and 1.1: 505;
//! - both `Content-Length` and `Transfer-Encoding`, an invalid `Content-Length` or two
//!   different ones: 400; a transfer coding other than `chunked`: 501;
//! - an `Expect` other than `100-continue`: 417;
//! - a body over [`ServerOptions::max_body_bytes`]: 413, before reading it if declared by
//!   `Content-Length`, as soon as it goes over if chunked;
//! - a panicking handler: 500 (the server goes on).
//!
//! `Expect: 100-continue` is answered `100 Continue` once the request passed these checks.
//! Every response carries `Content-Length` and `Connection: close`, and the connection is
//! closed after it.
//!
//! ```no_run
//! use std::sync::Arc;
//! use kompliant_sim::server::{Response, Server, ServerOptions};
//!
//! let server = Server::bind("127.0.0.1:0".parse()?, ServerOptions::default())?;
//! println!("listening on http://{}", server.local_addr());
//! let running = server.serve(Arc::new(|request| {
//!     Response::json(200, format!("{{\"bytes\":{}}}", request.body.len()))
//! }))?;
//! // ... later:
//! running.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod read;
mod wire;

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zeroize::Zeroize as _;

use crate::decided::{
    DEFAULT_MAX_BODY_BYTES, HTTP_MAX_CONNECTIONS, HTTP_MAX_HEADER_BYTES, HTTP_READ_TIMEOUT,
};
use read::{Connection, Refusal};

/// Answers one request. Runs on the connection's thread, possibly on many at once.
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Turns a request the server refused into the response sent.
pub type RejectionRenderer = Arc<dyn Fn(&Rejection) -> Response + Send + Sync>;

/// After answering, how long the server reads and discards what the client still sends
/// before closing, so that closing does not reset the connection before the client has read
/// the answer.
const LINGER: Duration = Duration::from_secs(1);
/// At most this much is discarded while lingering.
const MAX_LINGER_BYTES: usize = 1024 * 1024;
/// Pause after a failed `accept` (e.g. out of file descriptors), so as not to spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);
/// How long shutdown tries to connect to the listener to wake the accept thread.
const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Limits of a [`Server`]. `Default`: 1 MiB bodies, 64 connections, 30 s per request,
/// 16 KiB heads (the values of [`crate::decided`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// Largest request body in bytes; over it the request is answered 413.
    pub max_body_bytes: usize,
    /// Connections open at once; one more is answered 503 and closed at once.
    pub max_connections: usize,
    /// Time from accepting a connection to having read the whole request, head and body; a
    /// slower client is answered 408 and cut off. Also bounds each write of the answer.
    pub read_timeout: Duration,
    /// Largest request head (request line and headers), and largest trailer section of a
    /// chunked body, in bytes; over it the request is answered 431.
    pub max_header_bytes: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: HTTP_MAX_CONNECTIONS,
            read_timeout: HTTP_READ_TIMEOUT,
            max_header_bytes: HTTP_MAX_HEADER_BYTES,
        }
    }
}

/// A complete request, body read.
pub struct Request {
    /// The method as sent, e.g. `POST` (methods are case-sensitive).
    pub method: String,
    /// The request target as sent, e.g. `/meta.checkVersion?x=1`; see [`Request::path`].
    pub target: String,
    /// The header fields in the order received, names as sent, values without surrounding
    /// whitespace; see [`Request::header`].
    pub headers: Vec<(String, String)>,
    /// The body (empty if none), de-chunked.
    pub body: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Request {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::find_header(&self.headers, name)
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

/// An answer. The server adds `Content-Length` and `Connection: close` (replacing any such
/// header here, and dropping `Transfer-Encoding` and headers with an invalid name or value);
/// a status outside 200-599 is sent as 500; the body is wiped from memory once sent.
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

/// A request the server answers itself (see the module documentation for when).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// The status to answer: 400, 408, 413, 417, 431, 500, 501, 503 or 505.
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

/// A bound listener, not serving yet.
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    options: ServerOptions,
    render: RejectionRenderer,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds `addr` (port 0 picks a free port).
    ///
    /// # Errors
    /// The operating system's, e.g. the address is in use.
    pub fn bind(addr: SocketAddr, options: ServerOptions) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            addr,
            options,
            render: Arc::new(Rejection::to_response),
        })
    }

    /// The bound address (with the port picked, if 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Renders the requests the server refuses with `render` instead of
    /// [`Rejection::to_response`]. A panic in `render` falls back to the default.
    #[must_use]
    pub fn with_rejections(mut self, render: RejectionRenderer) -> Server {
        self.render = render;
        self
    }

    /// Starts accepting on a thread of its own and serves every connection on a new thread
    /// with `handler`, until the returned handle is shut down or dropped.
    ///
    /// # Errors
    /// The accept thread could not be started.
    pub fn serve(self, handler: Handler) -> io::Result<ServerHandle> {
        let stopping = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared::new(self.options, handler, self.render));
        let listener = self.listener;
        let flag = Arc::clone(&stopping);
        let thread = std::thread::Builder::new()
            .name("http-accept".into())
            .spawn(move || accept_loop(&listener, &shared, &flag))?;
        Ok(ServerHandle {
            addr: self.addr,
            stopping,
            thread: Some(thread),
        })
    }

    /// Serves as [`Server::serve`] does, accepting on the calling thread, forever.
    pub fn run(self, handler: Handler) -> ! {
        let shared = Arc::new(Shared::new(self.options, handler, self.render));
        let never = AtomicBool::new(false);
        loop {
            // Returns only once `never` is set.
            accept_loop(&self.listener, &shared, &never);
        }
    }
}

/// A serving [`Server`]. Dropping it shuts the server down.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits for the accept thread to end; the listener is
    /// closed. Connections already accepted are served to the end on their own threads.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stopping.store(true, Ordering::SeqCst);
        // The accept thread is blocked in `accept`: wake it with a connection of our own. If
        // that fails it stops at the next connection it accepts, without being waited for.
        let wake = SocketAddr::new(crate::reachable_ip(self.addr.ip()), self.addr.port());
        if TcpStream::connect_timeout(&wake, WAKE_TIMEOUT).is_ok() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the accept thread shares with the connection threads.
struct Shared {
    options: ServerOptions,
    handler: Handler,
    render: RejectionRenderer,
    open: AtomicUsize,
}

impl Shared {
    fn new(options: ServerOptions, handler: Handler, render: RejectionRenderer) -> Shared {
        Shared {
            options,
            handler,
            render,
            open: AtomicUsize::new(0),
        }
    }

    fn render(&self, rejection: &Rejection) -> Response {
        catch_unwind(AssertUnwindSafe(|| (self.render)(rejection)))
            .unwrap_or_else(|_| rejection.to_response())
    }
}

/// One of [`ServerOptions::max_connections`], given back when dropped.
struct Slot(Arc<Shared>);

impl Slot {
    fn claim(shared: &Arc<Shared>) -> Option<Slot> {
        let open = shared.open.fetch_add(1, Ordering::SeqCst);
        if open >= shared.options.max_connections {
            shared.open.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot(Arc::clone(shared)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts until `stopping` is set (checked after each accepted connection).
fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, stopping: &AtomicBool) {
    loop {
        let accepted = listener.accept();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        match accepted {
            Ok((stream, peer)) => match Slot::claim(shared) {
                Some(slot) => {
                    // If the thread cannot start, the connection is closed unanswered.
                    let _ = std::thread::Builder::new()
                        .name("http-connection".into())
                        .spawn(move || serve_connection(stream, peer, &slot.0));
                }
                None => refuse_busy(stream, shared),
            },
            Err(_) => std::thread::sleep(ACCEPT_ERROR_PAUSE),
        }
    }
}

/// 503 on the accept thread: nothing here may block.
fn refuse_busy(mut stream: TcpStream, shared: &Shared) {
    let rejection = Rejection::new(503, "Too many connections; retry shortly");
    let bytes = wire::encode_response(shared.render(&rejection), false);
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let _ = stream.write_all(&bytes);
    let _ = stream.shutdown(Shutdown::Write);
    // Discard what already arrived, so that closing does not reset the connection.
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        if !matches!(stream.read(&mut scratch), Ok(n) if n > 0) {
            break;
        }
    }
    scratch.zeroize();
}

/// Reads one request, answers it, closes.
fn serve_connection(stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let options = &shared.options;
    let _ = stream.set_nodelay(true);
    if !options.read_timeout.is_zero() {
        let _ = stream.set_write_timeout(Some(options.read_timeout));
    }
    let mut conn = Connection::new(stream, options);
    let (response, head_only) = match conn.read_request(peer, options) {
        Ok(request) => {
            let head_only = request.method == "HEAD";
            let response = catch_unwind(AssertUnwindSafe(|| (shared.handler)(request)))
                .unwrap_or_else(|_| {
                    shared.render(&Rejection::new(500, "The request handler failed"))
                });
            (response, head_only)
        }
        Err(Refusal::Gone) => return,
        Err(Refusal::Reject(rejection)) => (shared.render(&rejection), false),
    };
    let mut stream = conn.into_stream();
    let bytes = wire::encode_response(response, head_only);
    if stream.write_all(&bytes).is_ok() {
        let _ = stream.flush();
    }
    drop(bytes);
    linger(stream);
}

/// Half-closes, then reads and discards what the client still sends (bounded in time and
/// size), so that the close does not reset the connection before the answer is read.
fn linger(mut stream: TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER;
    let mut scratch = [0u8; 8192];
    let mut discarded = 0;
    while discarded < MAX_LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut scratch) {
            Ok(0) => break,
            Ok(n) => discarded += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    scratch.zeroize();
}
