//! # kompliant-sim
//!
//! A faithful local stand-in for Kompliant (spec §5-§6), run on loopback for development,
//! demos and integration tests in every language: the webhook-key and webhook-config API with
//! the same envelope, status codes, request signatures and rules, plus a delivery engine that
//! seals events with the account's ACTIVE key and POSTs them to every configured endpoint,
//! retrying failures with exponential backoff. The `kompliant sim` command wraps it.
//!
//! ```no_run
//! use std::time::Duration;
//! use kompliant_sim::{SimConfig, Simulator};
//!
//! let sim = Simulator::start(SimConfig {
//!     retry_base: Duration::from_millis(10),
//!     ..SimConfig::default()
//! })?;
//! println!("Kompliant simulator on {}", sim.base_url());
//! for account in sim.accounts() {
//!     println!("account {} api key {}", account.account_id, account.api_key);
//! }
//! # Ok::<(), kompliant_sim::SimError>(())
//! ```
//!
//! ## Methods
//!
//! Every method is `POST /<method>` with a JSON object body, `Content-Type: application/json`
//! and the signed headers of spec §5. Besides spec §5's `webhook.key.*`, `webhook.config.*`
//! and `meta.checkVersion`, the simulator answers:
//!
//! - `sim.event.trigger {event_type, data?}` → `{webhook_id, key_id, deliveries}`: seals a
//!   realistic payload 1.0 for `event_type` (or `data`, a JSON object, as given) with the
//!   ACTIVE key and queues one delivery per active endpoint (none configured: the event is
//!   only recorded). No ACTIVE key: 400 `SYSTEM_RULE_VIOLATION` / `NO_ACTIVE_KEY`.
//! - `sim.deliveries.list {}` → `{deliveries: [DeliveryRecord…]}`, the caller's account only.
//! - `sim.events.list {}` → `{events: [EventRecord…]}`, the caller's account only.
//! - `sim.faults.set {duplicate?, reorder?, tamper_tag?, unknown_key_id?, forge?}` → the five
//!   counts: each given count `n` makes the fault apply to the account's next `n` events
//!   (see [`Fault`]); an absent one is left as it is, `0` disarms it.
//!
//! Decided behaviour lives in [`decided`]. HTTP is served by `kompliant-http` (hyper), the
//! server `kompliant listen` uses too.

pub mod decided;

mod account;
mod api;
mod delivery;
mod endpoint_url;
mod error;
mod events;
mod http;
mod ids;
mod inspector;
mod methods;
mod persist;
mod records;
mod store;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use account::Account;
pub use error::SimError;
pub use records::{DeliveryOutcome, DeliveryRecord, EventRecord, Fault};

use decided::{
    DEFAULT_DELIVERY_TIMEOUT, DEFAULT_LISTEN, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RETRY_BASE, DEFAULT_RETRY_CAP, DELIVERY_WORKERS, SHUTDOWN_GRACE,
};
use delivery::{Engine, RedeliverySchedule};
use kompliant_http::{Server, ServerHandle, ServerOptions};
use methods::Context;

/// How to run a [`Simulator`]. `Default` listens on `127.0.0.1` on a free port with
/// Kompliant's documented delivery behaviour (95 attempts, 30 s timeout) and 1 s retry base.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The accounts whose credentials are accepted, added to the state file's accounts (a
    /// configured account replaces the state file's account of the same id). None at all: one
    /// sandbox account is generated ([`Account::generate_sandbox`]) and kept in the state file.
    pub accounts: Vec<Account>,
    /// Wait before the first retry; each later retry waits twice as long. The time scale of
    /// the delivery engine: tests use a few milliseconds.
    pub retry_base: Duration,
    /// Longest wait between two attempts.
    pub retry_cap: Duration,
    /// Attempts per delivery, the first included (at least 1).
    pub max_attempts: u32,
    /// How long an endpoint has to answer one attempt.
    pub delivery_timeout: Duration,
    /// A JSON file keeping accounts, keys (with their secrets; a DELETED key's is dropped) and
    /// live configs across restarts; written atomically with mode 0600. Key creation and
    /// activation are written before they are answered; config changes are coalesced, written
    /// at most once per [`decided::STATE_WRITE_INTERVAL`] (so `kill -9` can lose the config
    /// changes of that last interval; shutting down or dropping the simulator writes them).
    /// A change that cannot be written is not made (the request gets 500): a key change at
    /// once, a config change after a failed write. Temporary files a killed simulator left
    /// beside it are removed at start. Pending deliveries, the delivery and event logs and
    /// the fault switches are not persisted. `None`: memory only.
    pub state_file: Option<PathBuf>,
    /// Largest API request body, in bytes; a larger body is refused (413): unread if its
    /// `Content-Length` declares it, as soon as it goes over if chunked.
    pub max_body_bytes: usize,
    /// Threads delivering webhooks: how many attempts can be in flight at once (a slow
    /// endpoint holds one until it answers or times out). From 1 to
    /// [`decided::MAX_DELIVERY_WORKERS`].
    pub delivery_workers: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        let (ip, port) = DEFAULT_LISTEN;
        SimConfig {
            listen: SocketAddr::from((ip, port)),
            accounts: Vec::new(),
            retry_base: DEFAULT_RETRY_BASE,
            retry_cap: DEFAULT_RETRY_CAP,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            delivery_timeout: DEFAULT_DELIVERY_TIMEOUT,
            state_file: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            delivery_workers: DELIVERY_WORKERS,
        }
    }
}

/// A running simulator: an HTTP server and a delivery engine on their own threads. Dropping
/// it (or [`Simulator::shutdown`]) stops both.
pub struct Simulator {
    base_url: String,
    ctx: Arc<Context>,
    server: Option<ServerHandle>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .field("accounts", &self.ctx.accounts)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Loads the state file (if any), binds the listen address and starts the server and
    /// delivery threads; returns at once.
    ///
    /// # Errors
    /// [`SimError::InvalidAccounts`], [`SimError::StateFile`] (unreadable, invalid, or not
    /// writable), [`SimError::Bind`], [`SimError::Internal`] (thread start, RNG).
    pub fn start(config: SimConfig) -> Result<Simulator, SimError> {
        check_config(&config)?;
        let (accounts, store) = initial_state(&config)?;

        let options = ServerOptions {
            max_body_bytes: config.max_body_bytes,
            ..ServerOptions::default()
        };
        let server = Server::bind(config.listen, options).map_err(|e| SimError::Bind {
            addr: config.listen,
            detail: e.to_string(),
        })?;
        let bound = server.local_addr();
        let base_url = format!(
            "http://{}",
            SocketAddr::new(reachable_ip(bound.ip()), bound.port())
        );

        let engine = Arc::new(Engine::new(
            RedeliverySchedule {
                base: config.retry_base,
                cap: config.retry_cap,
                max_attempts: config.max_attempts,
            },
            config.delivery_timeout,
        ));
        let ctx = Arc::new(Context {
            auth: account::Authenticator::new(&accounts),
            accounts,
            store: Mutex::new(store),
            state: match &config.state_file {
                Some(path) => Some(persist::StateWriter::start(path.clone()).map_err(|e| {
                    SimError::Internal {
                        detail: format!("cannot start a thread: {e}"),
                    }
                })?),
                None => None,
            },
            engine,
        });
        let mut sim = Simulator {
            base_url,
            ctx,
            server: None,
            threads: Vec::new(),
        };
        // On error `sim` is dropped, which stops the threads already started.
        for n in 0..config.delivery_workers {
            let engine = Arc::clone(&sim.ctx.engine);
            sim.spawn(format!("kompliant-sim-delivery-{n}"), move || {
                engine.run_worker()
            })?;
        }
        let serving = server
            .with_rejections(Arc::new(http::render_rejection))
            .serve(http::handler(Arc::clone(&sim.ctx)))
            .map_err(|e| SimError::Internal {
                detail: format!("cannot start a thread: {e}"),
            })?;
        sim.server = Some(serving);
        Ok(sim)
    }

    fn spawn(&mut self, name: String, f: impl FnOnce() + Send + 'static) -> Result<(), SimError> {
        let handle = std::thread::Builder::new()
            .name(name)
            .spawn(f)
            .map_err(|e| SimError::Internal {
                detail: format!("cannot start a thread: {e}"),
            })?;
        self.threads.push(handle);
        Ok(())
    }

    /// The API base URL, `http://127.0.0.1:PORT` (the bound address; a wildcard listen
    /// address is given as loopback).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The accounts whose credentials are accepted: the configured ones, those of the state
    /// file, or the generated sandbox account.
    pub fn accounts(&self) -> &[Account] {
        &self.ctx.accounts
    }

    /// The delivery log of every account, oldest first (at most
    /// [`decided::MAX_LOG_RECORDS`] records).
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.ctx.engine.deliveries(None)
    }

    /// The delivery records after sequence number `seq` ([`DeliveryRecord::seq`]), oldest
    /// first: poll with the last `seq` seen to follow the log.
    pub fn deliveries_after(&self, seq: u64) -> Vec<DeliveryRecord> {
        self.ctx.engine.deliveries_after(None, seq)
    }

    /// The triggered events of every account, oldest first.
    pub fn events(&self) -> Vec<EventRecord> {
        self.ctx.engine.events(None)
    }

    /// Waits until no delivery is queued, held back or in flight; `true` if that happened
    /// within `timeout`.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.ctx.engine.wait_idle(timeout)
    }

    /// How many times the state file was written since start (the write at start excluded):
    /// how well changes are coalesced. For tests.
    #[doc(hidden)]
    pub fn state_file_writes(&self) -> u64 {
        self.ctx
            .state
            .as_ref()
            .map_or(0, persist::StateWriter::writes)
    }

    /// Stops the server and the delivery engine (pending deliveries are dropped).
    pub fn shutdown(self) {
        drop(self);
    }

    fn stop(&mut self) {
        // Stops accepting; requests already being served finish on their own threads.
        if let Some(server) = self.server.take() {
            server.shutdown();
        }
        // Writes the coalesced changes not yet written; later ones are written at once.
        if let Some(state) = &self.ctx.state {
            let _ = state.close();
        }
        self.ctx.engine.stop();
        let threads = std::mem::take(&mut self.threads);
        // Busy delivery threads (waiting on a slow endpoint) get a grace period; after it
        // they are left to finish on their own.
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while threads.iter().any(|t| !t.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        for t in threads.into_iter().filter(JoinHandle::is_finished) {
            let _ = t.join();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A usable address for a client of a server bound to `ip`: wildcard → loopback.
fn reachable_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// The accounts and records to start with: the state file's, with the configured accounts
/// added (a configured account replaces the state file's account of the same id); a sandbox
/// account if there is none. Writes the state file at once, so it exists with the accounts.
fn initial_state(config: &SimConfig) -> Result<(Vec<Account>, store::Store), SimError> {
    let (mut accounts, store) = match &config.state_file {
        Some(path) => persist::load(path)?.unwrap_or_default(),
        None => Default::default(),
    };
    for configured in &config.accounts {
        accounts.retain(|a| a.account_id != configured.account_id);
    }
    accounts.extend(config.accounts.iter().cloned());
    if accounts.is_empty() {
        accounts.push(Account::try_generate_sandbox()?);
    }
    account::validate_all(&accounts)?;
    if let Some(path) = &config.state_file {
        persist::save(path, &accounts, &store).map_err(|e| SimError::StateFile {
            path: path.display().to_string(),
            detail: format!("cannot write it: {e}"),
        })?;
    }
    Ok((accounts, store))
}

/// Refuses settings the delivery engine cannot honour (a deadline past what an `Instant`
/// holds, no attempt at all).
fn check_config(config: &SimConfig) -> Result<(), SimError> {
    let max = decided::MAX_CONFIG_DURATION;
    for (name, value) in [
        ("retry_base", config.retry_base),
        ("retry_cap", config.retry_cap),
        ("delivery_timeout", config.delivery_timeout),
    ] {
        if value > max {
            return Err(SimError::InvalidConfig {
                detail: format!("{name} is {value:?}, more than the maximum of {max:?}"),
            });
        }
    }
    if !(1..=decided::MAX_DELIVERY_WORKERS).contains(&config.delivery_workers) {
        return Err(SimError::InvalidConfig {
            detail: format!(
                "delivery_workers is {}: it must be from 1 to {}",
                config.delivery_workers,
                decided::MAX_DELIVERY_WORKERS
            ),
        });
    }
    if config.max_attempts == 0 {
        return Err(SimError::InvalidConfig {
            detail: "max_attempts must be at least 1".into(),
        });
    }
    Ok(())
}
