//! The API methods: spec §5 (`webhook.key.*`, `webhook.config.*`, `meta.checkVersion`) and
//! the simulator's own `sim.*` methods, each a function from the caller's account and the
//! JSON body to the response `data` or an [`ApiError`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kompliant_webhooks::{seal, WebhookSecret, WireProfile};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use crate::account::{Account, Authenticator};
use crate::api::{bounded, check_account_id, required_object, required_str, ApiError, Params};
use crate::decided::{
    API_VERSION, CONFIG_ID_PREFIX, CONFIG_ID_RANDOM_LEN, ENTITY_WEBHOOK_KEY, LATEST_API_VERSION,
    MAX_FAULT_COUNT, SUB_NO_ACTIVE_KEY,
};
use crate::delivery::{Engine, Target};
use crate::persist::{Durability, StateWriter};
use crate::records::FaultSwitches;
use kompliant_webhooks::shared::is_kompliant_key_id;

use crate::store::{AccountData, Store};
use crate::{endpoint_url, events, ids, persist};

/// A method of the API, by its path `/<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    KeyCreate,
    KeyActivate,
    KeyGet,
    ConfigCreate,
    ConfigGet,
    ConfigList,
    ConfigUpdate,
    ConfigDelete,
    CheckVersion,
    EventTrigger,
    DeliveriesList,
    EventsList,
    FaultsSet,
}

/// Every method with its name.
const METHODS: &[(&str, Method)] = &[
    ("webhook.key.create", Method::KeyCreate),
    ("webhook.key.activate", Method::KeyActivate),
    ("webhook.key.get", Method::KeyGet),
    ("webhook.config.create", Method::ConfigCreate),
    ("webhook.config.get", Method::ConfigGet),
    ("webhook.config.list", Method::ConfigList),
    ("webhook.config.update", Method::ConfigUpdate),
    ("webhook.config.delete", Method::ConfigDelete),
    ("meta.checkVersion", Method::CheckVersion),
    ("sim.event.trigger", Method::EventTrigger),
    ("sim.deliveries.list", Method::DeliveriesList),
    ("sim.events.list", Method::EventsList),
    ("sim.faults.set", Method::FaultsSet),
];

impl Method {
    /// The method at `path` (`/webhook.key.create`, query string already removed).
    pub fn from_path(path: &str) -> Option<Method> {
        let name = path.strip_prefix('/')?;
        METHODS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }
}

/// Everything a request handler needs, shared by the connection threads.
pub(crate) struct Context {
    pub accounts: Vec<Account>,
    pub auth: Authenticator,
    pub store: Mutex<Store>,
    pub state: Option<StateWriter>,
    pub engine: Arc<Engine>,
}

impl Context {
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        // Mutations replace an account's data in one insert, so a poisoned lock is consistent.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads `account_id`'s data.
    fn read<T>(&self, account_id: &str, f: impl FnOnce(&AccountData) -> T) -> T {
        let store = self.lock_store();
        match store.get(account_id) {
            Some(data) => f(data),
            None => f(&AccountData::default()),
        }
    }

    /// Changes `account_id`'s data with `f`, all or nothing: the change is kept only if `f`
    /// succeeds and the state file (if any) took it: written before the answer for
    /// [`Durability::Now`] (and whenever the last write failed), within the write interval
    /// for [`Durability::Soon`].
    fn mutate<T>(
        &self,
        account_id: &str,
        durability: Durability,
        f: impl FnOnce(&mut AccountData) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut store = self.lock_store();
        let mut data = store.get(account_id).cloned().unwrap_or_default();
        let out = f(&mut data)?;
        let previous = store.insert(account_id.to_owned(), data);
        if let Some(state) = &self.state {
            let written = persist::encode(&self.accounts, &store)
                .and_then(|bytes| state.write(bytes, durability));
            if let Err(e) = written {
                match previous {
                    Some(p) => store.insert(account_id.to_owned(), p),
                    None => store.remove(account_id),
                };
                if let Ok(bytes) = persist::encode(&self.accounts, &store) {
                    state.replace_pending(bytes);
                }
                return Err(ApiError::internal(format!(
                    "the simulator could not write its state file: {e}"
                )));
            }
        }
        Ok(out)
    }

    /// Runs `method` for `caller` with the request body `params`.
    pub fn call(
        &self,
        method: Method,
        caller: &Account,
        params: &Params,
    ) -> Result<Value, ApiError> {
        let account_id = caller.account_id.as_str();
        match method {
            Method::KeyCreate => self.key_create(account_id, params),
            Method::KeyActivate => {
                let key_id = key_id_param(params)?;
                self.mutate(account_id, Durability::Now, |d| {
                    d.activate_key(key_id, ids::now())
                })
            }
            Method::KeyGet => {
                let key_id = key_id_param(params)?;
                self.read(account_id, |d| d.key(key_id).map(|k| k.to_json()))
                    .ok_or_else(ApiError::key_not_found)
            }
            Method::ConfigCreate => {
                check_account_id(params, account_id)?;
                let url = url_param(params)?;
                let config_id = ids::prefixed(CONFIG_ID_PREFIX, CONFIG_ID_RANDOM_LEN)?;
                self.mutate(account_id, Durability::Soon, |d| {
                    d.create_config(config_id, url, ids::now())
                })
            }
            Method::ConfigGet => {
                check_account_id(params, account_id)?;
                let config_id = required_str(params, "config_id")?;
                self.read(account_id, |d| {
                    d.live_config(config_id).map(|c| c.to_json())
                })
            }
            Method::ConfigList => {
                check_account_id(params, account_id)?;
                let configs: Vec<Value> = self.read(account_id, |d| {
                    d.live_configs().map(|c| c.to_json()).collect()
                });
                Ok(json!({ "configs": configs }))
            }
            Method::ConfigUpdate => {
                check_account_id(params, account_id)?;
                let config_id = required_str(params, "config_id")?;
                let url = url_param(params)?;
                self.mutate(account_id, Durability::Soon, |d| {
                    d.update_config(config_id, url, ids::now())
                })
            }
            Method::ConfigDelete => {
                check_account_id(params, account_id)?;
                let config_id = required_str(params, "config_id")?;
                self.mutate(account_id, Durability::Soon, |d| d.delete_config(config_id))
            }
            Method::CheckVersion => Ok(json!({
                "current_version": API_VERSION,
                "latest_version": LATEST_API_VERSION,
            })),
            Method::EventTrigger => self.trigger(account_id, params),
            Method::DeliveriesList => {
                Ok(json!({ "deliveries": self.engine.deliveries(Some(account_id)) }))
            }
            Method::EventsList => Ok(json!({ "events": self.engine.events(Some(account_id)) })),
            Method::FaultsSet => self.faults_set(account_id, params),
        }
    }

    fn key_create(&self, account_id: &str, params: &Params) -> Result<Value, ApiError> {
        check_account_id(params, account_id)?;
        let secret = WebhookSecret::generate().map_err(|e| ApiError::internal(e.to_string()))?;
        let shared_secret = secret.to_base64();
        self.mutate(account_id, Durability::Now, |d| {
            let key = d.create_key(secret, ids::now())?;
            Ok(json!({
                "key_id": key.key_id,
                "shared_secret": shared_secret.as_str(),
                "status": "INACTIVE",
                "created_at": key.created_at,
            }))
        })
    }

    /// `sim.event.trigger {event_type, data?}` → `{webhook_id, key_id, deliveries}`.
    fn trigger(&self, account_id: &str, params: &Params) -> Result<Value, ApiError> {
        let event_type = required_str(params, "event_type")?;
        events::check_event_type(event_type)?;
        let data = match params.get("data") {
            None | Some(Value::Null) => None,
            Some(Value::Object(data)) => Some(data.clone()),
            Some(_) => {
                return Err(ApiError::bad_request(
                    "parameter `data` must be a JSON object",
                ))
            }
        };
        let (active, targets) = self.read(account_id, |d| {
            let active = d
                .active_key()
                .and_then(|k| Some((k.key_id.clone(), k.secret.clone()?)));
            let targets: Vec<Target> = d
                .live_configs()
                .map(|c| Target {
                    config_id: c.config_id.clone(),
                    url: c.url.clone(),
                })
                .collect();
            (active, targets)
        });
        let (key_id, secret) = active.ok_or_else(|| {
            ApiError::rule(
                ENTITY_WEBHOOK_KEY,
                SUB_NO_ACTIVE_KEY,
                "The account has no ACTIVE webhook key: create and activate one first",
            )
        })?;
        let payload = match data {
            Some(data) => data,
            None => events::payload(event_type)?,
        };
        let plaintext =
            Zeroizing::new(serde_json::to_vec(&Value::Object(payload)).unwrap_or_default());
        let metadata = events::metadata(event_type, account_id, &key_id, ids::now())?;
        let sealed = seal(&metadata, &plaintext, &secret, &WireProfile::default())
            .map_err(|e| ApiError::internal(format!("sealing failed: {e}")))?;
        let event = self.engine.enqueue(sealed, targets);
        Ok(json!({
            "webhook_id": event.webhook_id,
            "key_id": event.key_id,
            "deliveries": event.deliveries,
        }))
    }

    /// `sim.faults.set {duplicate?, reorder?, tamper_tag?, unknown_key_id?, forge?}`: each
    /// given count replaces that switch; returns all five.
    fn faults_set(&self, account_id: &str, params: &Params) -> Result<Value, ApiError> {
        const NAMES: [&str; 5] = [
            "duplicate",
            "reorder",
            "tamper_tag",
            "unknown_key_id",
            "forge",
        ];
        let mut given: Map<String, Value> = Map::new();
        for (name, value) in params {
            if !NAMES.contains(&name.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "unknown fault {:?} (known: {})",
                    bounded(name),
                    NAMES.join(", ")
                )));
            }
            match value.as_u64() {
                Some(n) if n <= MAX_FAULT_COUNT => {
                    given.insert(name.clone(), n.into());
                }
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "fault `{name}` must be an integer from 0 to {MAX_FAULT_COUNT} (the number of next events it applies to)"
                    )))
                }
            }
        }
        let count = |name: &str| given.get(name).and_then(Value::as_u64);
        let switches = self.engine.set_faults(account_id, |s: &mut FaultSwitches| {
            for (slot, name) in [
                (&mut s.duplicate, "duplicate"),
                (&mut s.reorder, "reorder"),
                (&mut s.tamper_tag, "tamper_tag"),
                (&mut s.unknown_key_id, "unknown_key_id"),
                (&mut s.forge, "forge"),
            ] {
                if let Some(n) = count(name) {
                    *slot = n;
                }
            }
        });
        serde_json::to_value(switches).map_err(|e| ApiError::internal(e.to_string()))
    }
}

/// The required `key_id`, which must look like `whk_YYYYMMDD_NN`.
fn key_id_param(params: &Params) -> Result<&str, ApiError> {
    let key_id = required_str(params, "key_id")?;
    if is_kompliant_key_id(key_id) {
        Ok(key_id)
    } else {
        Err(ApiError::bad_request(format!(
            "malformed key_id {:?}: expected whk_YYYYMMDD_NN",
            bounded(key_id)
        )))
    }
}

/// The required, valid `config.url`.
fn url_param(params: &Params) -> Result<&str, ApiError> {
    let config = required_object(params, "config")?;
    let url = required_str(config, "url").map_err(|e| ApiError {
        message: e.message.replace("`url`", "`config.url`"),
        ..e
    })?;
    endpoint_url::check(url)?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            Method::from_path("/webhook.key.create"),
            Some(Method::KeyCreate)
        );
        assert_eq!(
            Method::from_path("/meta.checkVersion"),
            Some(Method::CheckVersion)
        );
        assert_eq!(Method::from_path("webhook.key.create"), None);
        assert_eq!(Method::from_path("//webhook.key.create"), None);
        assert_eq!(Method::from_path("/webhook.key.create/"), None);
        assert_eq!(Method::from_path("/"), None);
    }
}
