//! The simulator's web inspector, on the API's port: `GET /` is a page (no build step, no
//! CDN: inline script and style) showing accounts, keys with their status timeline and
//! today's count against the daily limit, endpoints and the deliveries as they happen, with
//! buttons to trigger an event, arm faults and redeliver an event. It reads
//! `GET /_inspect/api/state` every second and acts through `POST /_inspect/api/…`.
//!
//! Local only ([`kompliant_http::local`]): loopback clients naming a loopback host, actions
//! with the inspector header. No secret is in the page or its answers: keys show their
//! status, never their secret; accounts their id, never their credentials.

use serde_json::{json, Map, Value};

use kompliant_http::local::{page_headers, refuse_unless_local};
use kompliant_http::{Request, Response};

use crate::api::{bounded, error_body, success_body, ApiError, Params};
use crate::decided::DAILY_KEY_LIMIT;
use crate::events::DOCUMENTED_EVENT_TYPES;
use crate::methods::{Context, Method};
use crate::{ids, Account};

/// The page.
const PAGE: &str = include_str!("inspector.html");
/// Path prefix of the inspector's JSON API.
const API: &str = "/_inspect/api/";
/// Deliveries the page shows (the newest).
const SHOWN_DELIVERIES: usize = 200;

/// The inspector's answer if `request` is for it (`GET /`, or a path under `/_inspect`);
/// `None` for an API request.
pub(crate) fn handle(ctx: &Context, request: &Request) -> Option<Response> {
    let path = request.path();
    let page = matches!(path, "/" | "/favicon.ico") && request.method == "GET";
    if !page && path != "/_inspect" && !path.starts_with("/_inspect/") {
        return None;
    }
    let action = request.method == "POST";
    if let Some(refused) = refuse_unless_local(request, action) {
        return Some(refused);
    }
    let response = match (request.method.as_str(), path) {
        ("GET", "/" | "/_inspect") => page_headers(Response::new(200, PAGE)),
        // Browsers ask for it; the page has none.
        ("GET", "/favicon.ico") => Response::empty(204),
        ("GET", p) if p.strip_prefix(API) == Some("state") => {
            Response::json(200, success_body(state(ctx)))
        }
        ("POST", p) => match p.strip_prefix(API) {
            Some(name) => answer(act(ctx, name, &request.body)),
            None => not_found(p),
        },
        (_, p) => not_found(p),
    };
    Some(response.with_header("Cache-Control", "no-store"))
}

fn not_found(path: &str) -> Response {
    answer(Err(ApiError::new(
        404,
        crate::decided::CODE_NOT_FOUND,
        format!("nothing at {:?} in the inspector", bounded(path)),
    )))
}

fn answer(result: Result<Value, ApiError>) -> Response {
    match result {
        Ok(data) => Response::json(200, success_body(data)),
        Err(error) => Response::json(error.status, error_body(&error)),
    }
}

/// Runs action `name` with the JSON body `body`.
fn act(ctx: &Context, name: &str, body: &[u8]) -> Result<Value, ApiError> {
    let mut params: Params = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("the body must be a JSON object"))?;
    match name {
        "trigger" | "faults" => {
            let account = account(ctx, &params)?;
            params.remove("account_id");
            let method = if name == "trigger" {
                Method::EventTrigger
            } else {
                Method::FaultsSet
            };
            ctx.call(method, account, &params)
        }
        "redeliver" => {
            let webhook_id = params
                .get("webhook_id")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request("`webhook_id` is required"))?;
            let deliveries = ctx.engine.redeliver(webhook_id).ok_or_else(|| {
                ApiError::new(
                    404,
                    crate::decided::CODE_NOT_FOUND,
                    format!(
                        "webhook {:?} is not among the events that can be redelivered",
                        bounded(webhook_id)
                    ),
                )
            })?;
            Ok(json!({ "webhook_id": webhook_id, "deliveries": deliveries }))
        }
        other => Err(ApiError::new(
            404,
            crate::decided::CODE_NOT_FOUND,
            format!("unknown inspector action {:?}", bounded(other)),
        )),
    }
}

/// The account named by `account_id` in `params`.
fn account<'c>(ctx: &'c Context, params: &Params) -> Result<&'c Account, ApiError> {
    let id = params
        .get("account_id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("`account_id` is required"))?;
    ctx.accounts
        .iter()
        .find(|a| a.account_id == id)
        .ok_or_else(|| ApiError::bad_request(format!("no account {:?}", bounded(id))))
}

/// Everything the page shows; never a secret.
fn state(ctx: &Context) -> Value {
    let today = ids::timestamp(ids::now());
    let today = today.get(..10).unwrap_or_default();
    let store = ctx
        .store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let accounts: Vec<Value> = ctx
        .accounts
        .iter()
        .map(|account| {
            let id = account.account_id.as_str();
            // Read in place under the lock: a copy would duplicate the keys' secrets.
            let (keys, created_today, endpoints): (Vec<Value>, usize, Vec<Value>) =
                match store.get(id) {
                    Some(data) => (
                        data.keys.iter().map(|k| k.to_json()).collect(),
                        data.keys
                            .iter()
                            .filter(|k| k.created_at.starts_with(today))
                            .count(),
                        data.live_configs().map(|c| c.to_json()).collect(),
                    ),
                    None => (Vec::new(), 0, Vec::new()),
                };
            let faults = ctx.engine.set_faults(id, |_| {});
            json!({
                "account_id": id,
                "keys": keys,
                "keys_created_today": created_today,
                "daily_key_limit": DAILY_KEY_LIMIT,
                "endpoints": endpoints,
                "faults": faults,
            })
        })
        .collect();
    drop(store);
    let deliveries = ctx.engine.deliveries(None);
    let newest: Vec<_> = deliveries.iter().rev().take(SHOWN_DELIVERIES).collect();
    let mut state = Map::new();
    state.insert("accounts".into(), accounts.into());
    state.insert(
        "deliveries".into(),
        serde_json::to_value(newest).unwrap_or_default(),
    );
    state.insert("event_types".into(), json!(DOCUMENTED_EVENT_TYPES));
    Value::Object(state)
}
