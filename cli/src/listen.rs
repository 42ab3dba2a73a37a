//! `kompliant listen`: a small development receiver. It decrypts each delivery with the core
//! receiver, answers with the suggested status, and prints one line per webhook. HTTP is
//! served by `kompliant-http` (hyper), which refuses hostile requests (oversized bodies and
//! heads) and sheds idle and slow clients before they reach the receiver.

use std::collections::HashSet;
use std::io::Write;
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use kompliant_http::{Rejection, Request, Response, Server, ServerOptions};
use kompliant_webhooks::{Keyring, KeyringFileEvent, WatchOptions, WebhookError, WebhookReceiver};

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

/// What the receiver remembers between deliveries.
struct State {
    receiver: WebhookReceiver,
    seen: HashSet<String>,
    failures_left: u32,
    payload: bool,
}

impl State {
    /// Prints the delivery's line(s); the status to answer.
    fn answer(&mut self, body: &[u8]) -> u16 {
        if self.failures_left > 0 {
            self.failures_left -= 1;
            println!(
                "answered 500 on purpose (--fail-first; {} left)",
                self.failures_left
            );
            return 500;
        }
        handle(&self.receiver, body, &mut self.seen, self.payload)
    }
}

pub(crate) fn run(args: &Args) -> Result<(), Failure> {
    let receiver = watched_receiver(&args.keys)?;
    let options = ServerOptions {
        max_body_bytes: receiver.options().max_body_bytes,
        ..ServerOptions::default()
    };
    let server = bind(&args.host, args.port, options)?;
    println!("listening on http://{}", server.local_addr());
    println!("keys: {}", receiver.keyring().key_ids().join(", "));
    flush();

    // One delivery at a time, as a receiver's log is read: the lock is held while answering.
    let state = Mutex::new(State {
        receiver,
        seen: HashSet::new(),
        failures_left: args.fail_first,
        payload: args.payload,
    });
    let handler = Arc::new(move |request: Request| {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let status = state.answer(&request.body);
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

fn handle(
    receiver: &WebhookReceiver,
    body: &[u8],
    seen: &mut HashSet<String>,
    payload: bool,
) -> u16 {
    match receiver.decrypt(body) {
        Ok(webhook) => {
            let duplicate = !seen.insert(webhook.id().to_owned());
            println!(
                "webhook {} {} key={} retry={}{}",
                webhook.id(),
                webhook.event_type(),
                webhook.key_id(),
                webhook.retry_count(),
                if duplicate {
                    " (duplicate: already processed)"
                } else {
                    ""
                }
            );
            if payload {
                println!("  {}", webhook.payload_str());
            }
            200
        }
        Err(e) => {
            println!("refused {} -> {}: {}", e.code(), e.http_status(), e);
            e.http_status()
        }
    }
}

fn flush() {
    let _ = std::io::stdout().flush();
}
