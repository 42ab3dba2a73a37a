//! The HTTP/1.1 server under the Kompliant simulator (`kompliant sim`) and the development
//! receiver (`kompliant listen`): [hyper] 1.x on a [tokio] runtime of its own, behind the
//! same small synchronous interface both use: a [`Handler`] gets a complete [`Request`] (body
//! read) and returns a [`Response`].
//!
//! Bounded against idle and slow clients, so that a few hundred connections that send
//! nothing (or a byte now and then) cannot keep anyone else out:
//!
//! - a connection counts as *idle* from its accept, or from its last answer, until a request
//!   has been read whole (head and body); a connection idle longer than
//!   [`ServerOptions::idle_timeout`] is closed (this bounds slowly sent heads and bodies and
//!   quiet keep-alive connections alike);
//! - at most [`ServerOptions::max_connections`] connections are open: one more closes the
//!   connection that has been idle the longest, so a new client is always served; only when
//!   every connection is busy (its handler running) is the new one answered 503;
//! - a body not read whole within [`ServerOptions::body_timeout`] is answered 408.
//!
//! Sizes: a head over [`ServerOptions::max_header_bytes`] is 431; a body over
//! [`ServerOptions::max_body_bytes`] is 413, before reading it when `Content-Length` declares
//! it, as soon as it goes over when chunked; the connection is then closed. An `Expect`
//! other than `100-continue` is 417 (`100 Continue` is sent when the body is read). A
//! malformed request (an HTTP version other than 1.0/1.1 included) is 400: that and 431 are
//! answered by hyper itself with an empty body and `Connection: close` (the
//! [`RejectionRenderer`] renders the others; every refusal is told to the
//! [`RefusalObserver`]). A panicking handler is 500 and
//! the server goes on. Connections are kept alive between requests (HTTP/1.1 default).
//!
//! ```no_run
//! use std::sync::Arc;
//! use kompliant_http::{Response, Server, ServerOptions};
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

mod connections;
pub mod local;
mod message;

use std::convert::Infallible;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, LengthLimitError, Limited};
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use connections::{ConnectionId, Connections};
pub use message::{Rejection, Request, Response};

/// Largest request body by default (the simulator's API limit): 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Connections open at once by default. One more closes the connection idle the longest.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// How long a connection may stay idle (no complete request read) by default: 10 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long reading a body may take by default: 30 s (an 8 MiB webhook on a slow link).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head by default: 16 KiB.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// hyper's smallest read buffer, which bounds the head.
const MIN_HEAD_BUFFER: usize = 8192;
/// Pause after a failed `accept` (e.g. out of file descriptors), so as not to spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);
/// How long shutdown waits for handlers still running.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// Worker threads of the server's runtime (handlers run on its blocking pool).
const WORKER_THREADS: usize = 2;

/// Answers one request. Runs on a thread of the server's blocking pool, possibly on many at
/// once; it may block (files, locks, outgoing HTTP).
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Turns a request the server refused into the response sent.
pub type RejectionRenderer = Arc<dyn Fn(&Rejection) -> Response + Send + Sync>;

/// Told of each request the server refused (including those hyper answers itself).
pub type RefusalObserver = Arc<dyn Fn(&Rejection) + Send + Sync>;

/// Limits of a [`Server`]. `Default`: the `DEFAULT_*` constants of this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// Largest request body in bytes; over it the request is answered 413.
    pub max_body_bytes: usize,
    /// Connections open at once; one more closes the connection idle the longest (503 if
    /// every one is busy).
    pub max_connections: usize,
    /// How long a connection may go without a complete request (from its accept or its last
    /// answer) before it is closed.
    pub idle_timeout: Duration,
    /// How long reading a request body may take; a slower one is answered 408.
    pub body_timeout: Duration,
    /// Largest request head (request line and headers) in bytes, at least 8 KiB; over it
    /// the request is answered 431.
    pub max_header_bytes: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// A bound listener, not serving yet.
pub struct Server {
    listener: StdListener,
    addr: SocketAddr,
    options: ServerOptions,
    render: RejectionRenderer,
    observe: Option<RefusalObserver>,
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
        let listener = StdListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            addr,
            options,
            render: Arc::new(Rejection::to_response),
            observe: None,
        })
    }

    /// The bound address (with the port picked, if 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Renders the requests the server refuses with `render` instead of
    /// [`Rejection::to_response`]. A panic in `render` falls back to the default. (The
    /// 400 and 431 hyper answers itself are not rendered.)
    #[must_use]
    pub fn with_rejections(mut self, render: RejectionRenderer) -> Server {
        self.render = render;
        self
    }

    /// Tells `observe` of every request refused (e.g. to log it). A panic in it is ignored.
    #[must_use]
    pub fn on_refusal(mut self, observe: RefusalObserver) -> Server {
        self.observe = Some(observe);
        self
    }

    /// Serves with `handler` on a runtime of its own (threads named `http-…`) until the
    /// returned handle is shut down or dropped.
    ///
    /// # Errors
    /// The runtime could not be started.
    pub fn serve(self, handler: Handler) -> io::Result<ServerHandle> {
        let runtime = runtime()?;
        let addr = self.addr;
        let stop = Arc::new(Notify::new());
        let (listener, shared) = self.split(handler);
        let accepting = {
            let _entered = runtime.enter();
            let listener = TcpListener::from_std(listener)?;
            runtime.spawn(accept_loop(
                listener,
                Arc::clone(&shared),
                Arc::clone(&stop),
            ))
        };
        Ok(ServerHandle {
            addr,
            stop,
            shared,
            accepting: Some(accepting),
            runtime: Some(runtime),
        })
    }

    /// Serves as [`Server::serve`] does, on the calling thread, forever.
    ///
    /// # Errors
    /// The runtime could not be started.
    pub fn run(self, handler: Handler) -> io::Result<Infallible> {
        let runtime = runtime()?;
        let (listener, shared) = self.split(handler);
        let never = Arc::new(Notify::new());
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener)?;
            accept_loop(listener, shared, never).await;
            Err(io::Error::other("the accept loop ended"))
        })
    }

    fn split(self, handler: Handler) -> (StdListener, Arc<Shared>) {
        let shared = Shared {
            connections: Connections::new(self.options.max_connections),
            options: self.options,
            handler,
            render: self.render,
            observe: self.observe,
        };
        (self.listener, Arc::new(shared))
    }
}

fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .thread_name("http-server")
        .enable_all()
        .build()
}

/// A serving [`Server`]. Dropping it shuts the server down.
pub struct ServerHandle {
    addr: SocketAddr,
    stop: Arc<Notify>,
    shared: Arc<Shared>,
    accepting: Option<tokio::task::JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections open now (tests, diagnostics).
    pub fn open_connections(&self) -> usize {
        self.shared.connections.len()
    }

    /// Stops accepting (the listener is closed), lets handlers still running finish and
    /// answer (up to 30 s), then closes every connection.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let (Some(runtime), Some(accepting)) = (self.runtime.take(), self.accepting.take()) else {
            return;
        };
        self.stop.notify_one();
        let _ = runtime.block_on(accepting);
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while self.shared.connections.busy() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the accept loop shares with the connections.
struct Shared {
    options: ServerOptions,
    handler: Handler,
    render: RejectionRenderer,
    observe: Option<RefusalObserver>,
    connections: Connections,
}

impl Shared {
    /// The response to a refusal, which is also told to the observer.
    fn refuse(&self, rejection: &Rejection) -> Response {
        self.observe(rejection);
        catch_unwind(AssertUnwindSafe(|| (self.render)(rejection)))
            .unwrap_or_else(|_| rejection.to_response())
    }

    fn observe(&self, rejection: &Rejection) {
        if let Some(observe) = &self.observe {
            let _ = catch_unwind(AssertUnwindSafe(|| observe(rejection)));
        }
    }
}

/// Accepts until `stop` is notified; closes connections idle too long meanwhile.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: Arc<Notify>) {
    let tick =
        (shared.options.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut reaper = tokio::time::interval(tick);
    reaper.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.notified() => return,
            _ = reaper.tick() => shared.connections.close_idle(shared.options.idle_timeout),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => admit(stream, peer, &shared),
                Err(_) => tokio::time::sleep(ACCEPT_ERROR_PAUSE).await,
            },
        }
    }
}

/// Serves a new connection, making room by closing the connection idle the longest if the
/// limit is reached; 503 if every connection is busy.
fn admit(stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    match shared.connections.open() {
        Some((id, closed)) => {
            tokio::spawn(serve_connection(
                stream,
                peer,
                id,
                closed,
                Arc::clone(shared),
            ));
        }
        None => {
            let rejection = Rejection::new(503, "Every connection is busy; retry shortly");
            let response = shared.refuse(&rejection);
            tokio::spawn(refuse_busy(stream, response));
        }
    }
}

/// Writes a 503 and closes without serving the request; what the client already sent is
/// read and dropped first (up to 1 s, 64 KiB), so that closing does not reset the connection
/// before the client has read the answer.
async fn refuse_busy(mut stream: TcpStream, response: Response) {
    let bytes = message::encode_close(response);
    let linger = async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await?;
        let mut scratch = zeroize::Zeroizing::new([0u8; 4096]);
        let mut discarded = 0;
        while discarded < 64 * 1024 {
            match stream.read(&mut scratch[..]).await? {
                0 => break,
                n => discarded += n,
            }
        }
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), linger).await;
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: ConnectionId,
    closed: Arc<Notify>,
    shared: Arc<Shared>,
) {
    let service = {
        let shared = Arc::clone(&shared);
        service_fn(move |request| {
            let shared = Arc::clone(&shared);
            async move { Ok::<_, Infallible>(answer(request, peer, id, &shared).await) }
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.options.idle_timeout)
        .max_buf_size(shared.options.max_header_bytes.max(MIN_HEAD_BUFFER))
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        served = connection => {
            if let Err(e) = served {
                if let Some(rejection) = hyper_refusal(&e) {
                    shared.observe(&rejection);
                }
            }
        }
        () = closed.notified() => {}
    }
    shared.connections.close(id);
}

/// The refusal hyper answered itself for a connection error, if it answered one.
fn hyper_refusal(e: &hyper::Error) -> Option<Rejection> {
    if e.is_parse_too_large() {
        return Some(Rejection::new(431, "Request head too large"));
    }
    if !e.is_parse() {
        return None;
    }
    Some(Rejection::new(400, format!("Malformed request: {e}")))
}

/// Reads the request's body within the limits, runs the handler on the blocking pool.
async fn answer(
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    id: ConnectionId,
    shared: &Shared,
) -> hyper::Response<Full<Bytes>> {
    let options = &shared.options;
    let refuse = |status: u16, text: &str| {
        message::into_hyper(shared.refuse(&Rejection::new(status, text)), true)
    };
    if let Some(expect) = request.headers().get(hyper::header::EXPECT) {
        if !expect.as_bytes().eq_ignore_ascii_case(b"100-continue") {
            return refuse(417, "Only 'Expect: 100-continue' is supported");
        }
    }
    let max = options.max_body_bytes;
    if request.body().size_hint().lower() > max as u64 {
        return refuse(413, &format!("Request body over the limit of {max} bytes"));
    }
    let (parts, body) = request.into_parts();
    let body =
        match tokio::time::timeout(options.body_timeout, Limited::new(body, max).collect()).await {
            Err(_) => return refuse(408, "Request body not received in time"),
            Ok(Err(e)) if e.is::<LengthLimitError>() => {
                return refuse(413, &format!("Request body over the limit of {max} bytes"));
            }
            Ok(Err(_)) => return refuse(400, "Malformed or incomplete request body"),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
    let request = message::from_parts(parts, body, peer);
    shared.connections.set_busy(id, true);
    let handler = Arc::clone(&shared.handler);
    let response = match tokio::task::spawn_blocking(move || handler(request)).await {
        Ok(response) => response,
        Err(_) => shared.refuse(&Rejection::new(500, "The request handler failed")),
    };
    shared.connections.set_busy(id, false);
    message::into_hyper(response, false)
}
