//! `kompliant listen`: a small development receiver. It decrypts each delivery with the core
//! receiver, answers with the suggested status, and prints one line per webhook. HTTP is
//! served by `kompliant-http` (hyper), which refuses hostile requests (oversized bodies and
//! heads) and sheds idle and slow clients before they reach the receiver. With `--inspect`,
//! a web inspector on the same port under `/_inspect` (see `inspect.rs`) lists what was
//! received and replays a stored body through the same path as a delivery.

use std::collections::HashSet;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use kompliant_http::{Rejection, Request, Response, Server, ServerOptions};
use kompliant_webhooks::{
    Keyring, KeyringFileEvent, WatchOptions, Webhook, WebhookError, WebhookReceiver,
};

use crate::inspect::{self, Inspector};
use crate::Failure;

/// Arguments of `kompliant listen`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keyring file ({"whk_…": "<base64 secret>"}), followed while running: a rotation that
    /// writes the new key there (`kompliant keys rotate --keyring`) is picked up without a
    /// restart; a file that turns invalid keeps the previous keys (with a warning).
    #[arg(long, value_name = "FILE", env = "KOMPLIANT_KEYRING_FILE")]
    keys: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind instead of 127.0.0.1.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Answer 500 to the first N deliveries (to watch the sender retry).
    #[arg(long, value_name = "N", default_value_t = 0)]
    fail_first: u32,
    /// Print each webhook's payload JSON after its summary line.
    #[arg(long)]
    payload: bool,
    /// Serve a web inspector at /_inspect on the same port (loopback clients only): the last
    /// 200 webhooks received, their verdict and decrypted payload, and a replay button.
    #[arg(long)]
    inspect: bool,
}

/// The receiver, over a keyring that follows the file (`Keyring::watch`): a rotation that
/// writes the new key there is used from its first webhook, with no restart.
fn watched_receiver(path: &Path) -> Result<WebhookReceiver, WebhookError> {
    let report = |event: &KeyringFileEvent| {
        match event {
            KeyringFileEvent::Reloaded { key_ids, .. } => {
                println!("keys reloaded: {}", key_ids.join(", "));
            }
            _ => eprintln!("warning: {event}"),
        }
        flush();
    };
    let keyring = Keyring::watch_with(path, WatchOptions::default().on_event(Arc::new(report)))?;
    Ok(WebhookReceiver::new(keyring))
}

/// Where a body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A request to the listener.
    Delivery,
    /// Replayed from the inspector: the stored body of the entry with this index.
    Replay {
        /// The index of the entry replayed.
        of: u64,
    },
}

/// A body received: how it arrived, the bytes as received.
pub(crate) struct Arrival<'a> {
    pub(crate) origin: Origin,
    /// The client (for a replay, the inspector's client).
    pub(crate) peer: SocketAddr,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) body: &'a [u8],
}

/// What the receiver made of a body.
pub(crate) enum Outcome {
    /// Answered 500 without a look (`--fail-first`); this many are still to fail.
    FailedOnPurpose { left: u32 },
    /// Decrypted and verified; `duplicate` if its id was processed before.
    Accepted { webhook: Webhook, duplicate: bool },
    /// Refused by the receiver.
    Refused(WebhookError),
}

impl Outcome {
    /// The status answered.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Outcome::FailedOnPurpose { .. } => 500,
            Outcome::Accepted { .. } => 200,
            Outcome::Refused(e) => e.http_status(),
        }
    }
}

/// What the receiver remembers between deliveries.
pub(crate) struct State {
    receiver: WebhookReceiver,
    seen: HashSet<String>,
    failures_left: u32,
    payload: bool,
    /// The inspector's record of what was received (`--inspect` only).
    inspector: Option<Inspector>,
}

impl State {
    /// The one path every body takes, delivered or replayed: decides the answer, prints the
    /// line(s), records the entry for the inspector. The status to answer, and the index of
    /// the entry recorded (with `--inspect`).
    ///
    /// `--fail-first` counts deliveries only: it is there to make the sender retry, and a
    /// replay from the inspector is not the sender.
    pub(crate) fn receive(&mut self, arrival: &Arrival<'_>) -> (u16, Option<u64>) {
        let outcome = if self.failures_left > 0 && arrival.origin == Origin::Delivery {
            self.failures_left -= 1;
            Outcome::FailedOnPurpose {
                left: self.failures_left,
            }
        } else {
            match self.receiver.decrypt(arrival.body) {
                Ok(webhook) => {
                    let duplicate = !self.seen.insert(webhook.id().to_owned());
                    Outcome::Accepted { webhook, duplicate }
                }
                Err(e) => Outcome::Refused(e),
            }
        };
        if let Origin::Replay { of } = arrival.origin {
            println!("replayed #{of} from the inspector:");
        }
        print_outcome(&outcome, self.payload);
        let index = self
            .inspector
            .as_mut()
            .map(|inspector| inspector.record(arrival, &outcome));
        (outcome.status(), index)
    }

    /// The inspector's record (`None` without `--inspect`).
    pub(crate) fn inspector(&self) -> Option<&Inspector> {
        self.inspector.as_ref()
    }
}

/// The line(s) a body's outcome prints.
fn print_outcome(outcome: &Outcome, payload: bool) {
    match outcome {
        Outcome::FailedOnPurpose { left } => {
            println!("answered 500 on purpose (--fail-first; {left} left)");
        }
        Outcome::Accepted { webhook, duplicate } => {
            println!(
                "webhook {} {} key={} retry={}{}",
                webhook.id(),
                webhook.event_type(),
                webhook.key_id(),
                webhook.retry_count(),
                if *duplicate {
                    " (duplicate: already processed)"
                } else {
                    ""
                }
            );
            if payload {
                println!("  {}", webhook.payload_str());
            }
        }
        Outcome::Refused(e) => {
            println!("refused {} -> {}: {}", e.code(), e.http_status(), e);
        }
    }
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let receiver = watched_receiver(&args.keys)?;
    let options = ServerOptions {
        max_body_bytes: receiver.options().max_body_bytes,
        ..ServerOptions::default()
    };
    let server = bind(&args.host, args.port, options)?;
    let addr = server.local_addr();
    println!("listening on http://{addr}");
    if args.inspect {
        println!(
            "inspector on http://{}{}",
            browsable(addr),
            inspect::PAGE_PATH
        );
        if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
            eprintln!(
                "warning: the inspector answers loopback clients only, and {} is not a loopback address: bind 127.0.0.1 (the default) or 0.0.0.0 to use it",
                addr.ip()
            );
        }
    }
    println!("keys: {}", receiver.keyring().key_ids().join(", "));
    flush();

    // One delivery at a time, as a receiver's log is read: the lock is held while answering.
    let state = Arc::new(Mutex::new(State {
        receiver,
        seen: HashSet::new(),
        failures_left: args.fail_first,
        payload: args.payload,
        inspector: args.inspect.then(Inspector::new),
    }));
    let inspecting = args.inspect;
    let handler = Arc::new(move |request: Request| {
        if inspecting && inspect::is_inspector_path(request.path()) {
            let response = inspect::handle(&state, &request);
            flush();
            return response;
        }
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let (status, _) = state.receive(&Arrival {
            origin: Origin::Delivery,
            peer: request.peer,
            method: &request.method,
            path: request.path(),
            body: &request.body,
        });
        flush();
        Response::empty(status)
    });
    // Requests the server refuses itself (too large, malformed, too slow) get a line too.
    let refused = Arc::new(|rejection: &Rejection| {
        println!("refused -> {}: {}", rejection.status, rejection.message);
        flush();
    });
    match server.on_refusal(refused).run(handler) {
        Ok(never) => match never {},
        Err(e) => Err(Failure {
            code: "IO_ERROR".into(),
            message: format!("the HTTP server stopped: {e}"),
        }),
    }
}

/// The address a local browser should use for `addr`: loopback for an unspecified address
/// (0.0.0.0 or [::]).
fn browsable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Binds the first address `host` resolves to that can be bound.
fn bind(host: &str, port: u16, options: ServerOptions) -> Result<Server, Failure> {
    let failure = |detail: String| Failure {
        code: "IO_ERROR".into(),
        message: format!("cannot listen on {host}:{port}: {detail}"),
    };
    let mut last_error = None;
    for addr in (host, port)
        .to_socket_addrs()
        .map_err(|e| failure(e.to_string()))?
    {
        match Server::bind(addr, options.clone()) {
            Ok(server) => return Ok(server),
            Err(e) => last_error = Some(e),
        }
    }
    Err(failure(last_error.map_or_else(
        || "the host resolves to no address".to_owned(),
        |e| e.to_string(),
    )))
}

pub(crate) fn flush() {
    let _ = std::io::stdout().flush();
}
