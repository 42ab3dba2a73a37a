//! `kompliant listen --inspect`: a web inspector on the listener's own port, under
//! `/_inspect`. `GET /_inspect` is a static page (inline script and style, nothing fetched
//! from elsewhere) that reads `GET /_inspect/api/deliveries` every second and replays an
//! entry through `POST /_inspect/api/replay`.
//!
//! The inspector keeps the last [`MAX_ENTRIES`] bodies received, each with its verdict, its
//! metadata and its decrypted payload (pretty-printed, exact: numbers and escapes are kept as
//! sent), and the raw body for a replay (up to [`MAX_KEPT_BODY_BYTES`] in all, the oldest
//! dropped first). A replay runs the stored body through [`State::receive`], the path every
//! delivery takes, so it is printed and recorded as a new entry.
//!
//! Local only ([`kompliant_http::local`]): loopback clients naming a loopback host; actions
//! with the `X-Kompliant-Inspector: 1` header. The keyring's secrets are never read here;
//! what is shown is what the webhooks carry.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};
use time::macros::format_description;
use time::OffsetDateTime;

use kompliant_http::local::{page_headers, refuse_unless_local};
use kompliant_http::{Request, Response};

use crate::listen::{Arrival, Origin, Outcome, State};

/// The page's path; everything under `/_inspect/` is the inspector's too.
pub(crate) const PAGE_PATH: &str = "/_inspect";
/// The page.
const PAGE: &str = include_str!("inspect.html");
/// The page's icon (so that the browser does not ask for `/favicon.ico`, a delivery path).
const ICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#3538cd"/><path d="M10 7v18M10 17l9-10M13 14l8 11" stroke="#fff" stroke-width="3.2" fill="none" stroke-linecap="round"/></svg>"##;
/// Entries kept (the newest).
pub(crate) const MAX_ENTRIES: usize = 200;
/// Raw bodies kept for replays, in bytes, in all; over it the oldest entries lose theirs.
pub(crate) const MAX_KEPT_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Pretty-printed payload shown per entry, in bytes; the rest is cut.
const MAX_PAYLOAD_SHOWN: usize = 64 * 1024;
/// Characters kept of a value the client chose freely (a path, a metadata field of a body
/// that did not verify).
const MAX_FIELD_CHARS: usize = 256;

/// Whether `path` is the inspector's.
pub(crate) fn is_inspector_path(path: &str) -> bool {
    path == PAGE_PATH
        || path
            .strip_prefix(PAGE_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// One body received, as the inspector shows it.
struct Entry {
    index: u64,
    received_at: String,
    peer: String,
    method: String,
    path: String,
    origin: Origin,
    status: u16,
    verdict: String,
    error: Option<(String, String)>,
    note: Option<String>,
    metadata: Option<Value>,
    metadata_verified: bool,
    payload: Option<String>,
    payload_bytes: usize,
    payload_truncated: bool,
    body_bytes: usize,
    /// The raw body, for a replay (dropped when over [`MAX_KEPT_BODY_BYTES`]).
    body: Option<Arc<[u8]>>,
}

impl Entry {
    fn to_json(&self) -> Value {
        let (source, replay_of) = match self.origin {
            Origin::Delivery => ("delivery", None),
            Origin::Replay { of } => ("replay", Some(of)),
        };
        json!({
            "index": self.index,
            "received_at": self.received_at,
            "peer": self.peer,
            "method": self.method,
            "path": self.path,
            "source": source,
            "replay_of": replay_of,
            "status": self.status,
            "verdict": self.verdict,
            "error": self.error.as_ref().map(|(code, message)| json!({"code": code, "message": message})),
            "note": self.note,
            "metadata": self.metadata,
            "metadata_verified": self.metadata_verified,
            "payload": self.payload,
            "payload_bytes": self.payload_bytes,
            "payload_truncated": self.payload_truncated,
            "body_bytes": self.body_bytes,
            "replayable": self.body.is_some(),
        })
    }
}

/// What the inspector remembers: the newest entries, oldest first.
pub(crate) struct Inspector {
    entries: VecDeque<Entry>,
    /// Entries ever recorded (the last one's index).
    received: u64,
    kept_body_bytes: usize,
}

impl Inspector {
    pub(crate) fn new() -> Inspector {
        Inspector {
            entries: VecDeque::with_capacity(MAX_ENTRIES),
            received: 0,
            kept_body_bytes: 0,
        }
    }

    /// Records what the receiver made of a body; the new entry's index (from 1).
    pub(crate) fn record(&mut self, arrival: &Arrival<'_>, outcome: &Outcome) -> u64 {
        self.received += 1;
        let (verdict, error, note) = match outcome {
            Outcome::Accepted { duplicate, .. } => {
                let verdict = if *duplicate { "duplicate" } else { "ok" };
                (verdict.to_owned(), None, None)
            }
            Outcome::Refused(e) => (
                e.code().as_str().to_owned(),
                Some((e.code().as_str().to_owned(), e.to_string())),
                None,
            ),
            Outcome::FailedOnPurpose { left } => (
                "fail_first".to_owned(),
                None,
                Some(format!(
                    "answered 500 on purpose (--fail-first; {left} left), not decrypted"
                )),
            ),
        };
        let (metadata, metadata_verified, payload) = match outcome {
            Outcome::Accepted { webhook, .. } => {
                let m = webhook.metadata();
                let metadata = json!({
                    "id": m.id,
                    "event_type": m.event_type,
                    "account_id": m.account_id,
                    "key_id": m.key_id,
                    "timestamp": m.timestamp,
                    "schema_version": m.schema_version,
                    "retry_count": webhook.retry_count(),
                });
                (Some(metadata), true, Some(webhook.payload_str()))
            }
            _ => (claimed_metadata(arrival.body), false, None),
        };
        let (shown, payload_truncated) = match payload {
            Some(text) => {
                let (pretty, cut) = indent_json(text, MAX_PAYLOAD_SHOWN);
                (Some(pretty), cut)
            }
            None => (None, false),
        };
        let body: Arc<[u8]> = Arc::from(arrival.body);
        self.kept_body_bytes += body.len();
        self.entries.push_back(Entry {
            index: self.received,
            received_at: now(),
            peer: arrival.peer.to_string(),
            method: bounded(arrival.method),
            path: bounded(arrival.path),
            origin: arrival.origin,
            status: outcome.status(),
            verdict,
            error,
            note,
            metadata,
            metadata_verified,
            payload_bytes: payload.map_or(0, str::len),
            payload: shown,
            payload_truncated,
            body_bytes: arrival.body.len(),
            body: Some(body),
        });
        while self.entries.len() > MAX_ENTRIES {
            if let Some(Entry { body: Some(b), .. }) = self.entries.pop_front() {
                self.kept_body_bytes -= b.len();
            }
        }
        // Oldest first; the entry just recorded keeps its body (it alone is under the limit).
        for entry in &mut self.entries {
            if self.kept_body_bytes <= MAX_KEPT_BODY_BYTES {
                break;
            }
            if let Some(b) = entry.body.take() {
                self.kept_body_bytes -= b.len();
            }
        }
        self.received
    }

    fn entry(&self, index: u64) -> Option<&Entry> {
        // Indexes are consecutive: the entry's place follows from the first one's index.
        let first = self.entries.front()?.index;
        let at = usize::try_from(index.checked_sub(first)?).ok()?;
        self.entries.get(at)
    }

    fn to_json(&self) -> Value {
        let deliveries: Vec<Value> = self.entries.iter().rev().map(Entry::to_json).collect();
        json!({
            "deliveries": deliveries,
            "received": self.received,
            "kept": self.entries.len(),
            "max_kept": MAX_ENTRIES,
        })
    }
}

/// The inspector's answer to `request` (a path for which [`is_inspector_path`] holds).
pub(crate) fn handle(state: &Mutex<State>, request: &Request) -> Response {
    let action = request.method != "GET";
    if let Some(refused) = refuse_unless_local(request, action) {
        return refused.with_header("X-Content-Type-Options", "nosniff");
    }
    let path = request.path();
    let response = match (request.method.as_str(), path) {
        ("GET", "/_inspect" | "/_inspect/") => page_headers(Response::new(200, PAGE)),
        ("GET", "/_inspect/favicon.svg") => Response::new(200, ICON)
            .with_header("Content-Type", "image/svg+xml")
            .with_header("Cache-Control", "no-store"),
        ("GET", "/_inspect/api/deliveries") => {
            let state = state.lock().unwrap_or_else(PoisonError::into_inner);
            match state.inspector() {
                Some(inspector) => answer(200, &inspector.to_json()),
                None => error(404, "NOT_FOUND", "the inspector is off"),
            }
        }
        ("POST", "/_inspect/api/replay") => replay(state, request),
        (_, "/_inspect" | "/_inspect/" | "/_inspect/favicon.svg" | "/_inspect/api/deliveries") => {
            error(405, "METHOD_NOT_ALLOWED", "use GET").with_header("Allow", "GET")
        }
        (_, "/_inspect/api/replay") => {
            error(405, "METHOD_NOT_ALLOWED", "use POST").with_header("Allow", "POST")
        }
        (_, other) => error(
            404,
            "NOT_FOUND",
            &format!("nothing at {:?} in the inspector", bounded(other)),
        ),
    };
    response.with_header("X-Content-Type-Options", "nosniff")
}

/// `POST /_inspect/api/replay` with `{"index": N}`: the stored body of entry N through the
/// receiver again; answers the new entry.
fn replay(state: &Mutex<State>, request: &Request) -> Response {
    let index = serde_json::from_slice::<Value>(&request.body)
        .ok()
        .and_then(|body| body.get("index").and_then(Value::as_u64));
    let Some(index) = index else {
        return error(
            400,
            "BAD_REQUEST",
            "the body must be a JSON object with the entry's numeric `index`",
        );
    };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    let Some(inspector) = state.inspector() else {
        return error(404, "NOT_FOUND", "the inspector is off");
    };
    let Some(entry) = inspector.entry(index) else {
        return error(
            404,
            "NOT_FOUND",
            &format!("no entry #{index} is kept (the inspector keeps the newest {MAX_ENTRIES})"),
        );
    };
    let Some(body) = entry.body.clone() else {
        return error(
            404,
            "NOT_FOUND",
            &format!(
                "the body of entry #{index} is no longer kept (bodies are kept up to {} MiB in all, the oldest dropped first)",
                MAX_KEPT_BODY_BYTES / (1024 * 1024)
            ),
        );
    };
    let (method, path) = (entry.method.clone(), entry.path.clone());
    let (_, new_index) = state.receive(&Arrival {
        origin: Origin::Replay { of: index },
        peer: request.peer,
        method: &method,
        path: &path,
        body: &body,
    });
    let replayed = new_index.and_then(|i| state.inspector()?.entry(i));
    match replayed {
        Some(entry) => answer(200, &json!({ "delivery": entry.to_json() })),
        None => error(500, "INTERNAL", "the replay was not recorded"),
    }
}

fn answer(status: u16, body: &Value) -> Response {
    Response::json(status, body.to_string()).with_header("Cache-Control", "no-store")
}

fn error(status: u16, code: &str, message: &str) -> Response {
    answer(
        status,
        &json!({ "error": { "code": code, "message": message } }),
    )
}

/// The metadata a body that did not verify claims, if it is a JSON object: shown marked as
/// unverified, each value cut to [`MAX_FIELD_CHARS`]. `data` is never taken.
fn claimed_metadata(body: &[u8]) -> Option<Value> {
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let mut metadata = serde_json::Map::new();
    for field in [
        "id",
        "event_type",
        "account_id",
        "key_id",
        "timestamp",
        "schema_version",
    ] {
        if let Some(Value::String(value)) = envelope.get(field) {
            metadata.insert(field.to_owned(), Value::String(bounded(value)));
        }
    }
    if let Some(count) = envelope.get("retry_count").and_then(Value::as_u64) {
        metadata.insert("retry_count".to_owned(), count.into());
    }
    Some(Value::Object(metadata))
}

/// `text` cut to [`MAX_FIELD_CHARS`] characters (with `…` if cut).
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_FIELD_CHARS) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_owned(),
    }
}

/// Now, as `2026-12-05T03:04:05.678Z`.
fn now() -> String {
    OffsetDateTime::now_utc()
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default()
}

/// The JSON text `json` indented by two spaces per level (one member or element a line),
/// every token kept exactly as written (big numbers, escapes); cut at about `limit` bytes
/// (then `true`). Not a validator: the receiver has checked the payload.
fn indent_json(json: &str, limit: usize) -> (String, bool) {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    }
    let mut out = String::with_capacity(json.len().min(limit) + 64);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut chars = json.chars().peekable();
    while let Some(c) = chars.next() {
        if out.len() > limit {
            let mut end = limit;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            return (out, true);
        }
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                while chars
                    .next_if(|n| matches!(n, ' ' | '\t' | '\n' | '\r'))
                    .is_some()
                {}
                out.push(c);
                match chars.next_if(|n| matches!(n, '}' | ']')) {
                    // An empty object or array stays on its line.
                    Some(close) => out.push(close),
                    None => {
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            ' ' | '\t' | '\n' | '\r' => {}
            other => out.push(other),
        }
    }
    (out, false)
}
