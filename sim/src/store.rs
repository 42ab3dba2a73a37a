//! The simulator's records of webhook keys and endpoint configurations, per account, and the
//! rules of spec §5a/§5b that change them. Every rule takes the current time as an argument,
//! so the rules are tested without a clock.

use std::collections::BTreeMap;

use kompliant_webhooks::WebhookSecret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use crate::api::ApiError;
use crate::decided::{
    DAILY_KEY_LIMIT, DAILY_KEY_LIMIT_MESSAGE, ENTITY_WEBHOOK_CONFIG, ENTITY_WEBHOOK_KEY,
    KEY_ID_PREFIX, KEY_SEQUENCE_MIN_DIGITS, MAX_CONFIGS_PER_ACCOUNT, PREVIOUS_KEY_ID_FIELD,
    SUB_DAILY_KEY_LIMIT, SUB_KEY_DELETED, SUB_MAX_WEBHOOK_URL_LIMIT, SUB_URL_ALREADY_EXISTS,
};
use crate::ids;

/// A webhook key's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum KeyStatus {
    Inactive,
    Active,
    Deleted,
}

impl KeyStatus {
    fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Inactive => "INACTIVE",
            KeyStatus::Active => "ACTIVE",
            KeyStatus::Deleted => "DELETED",
        }
    }
}

/// One webhook key. The secret is wiped from memory on drop and never printed; a DELETED key
/// has none (nothing seals with it again), so neither memory nor the state file keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    pub key_id: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "secret_base64"
    )]
    pub secret: Option<WebhookSecret>,
    pub status: KeyStatus,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

impl KeyRecord {
    /// The `data` of `webhook.key.get`: never the secret.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("key_id".into(), self.key_id.clone().into());
        m.insert("status".into(), self.status.as_str().into());
        m.insert("created_at".into(), self.created_at.clone().into());
        if let Some(at) = &self.activated_at {
            m.insert("activated_at".into(), at.clone().into());
        }
        if let Some(at) = &self.deleted_at {
            m.insert("deleted_at".into(), at.clone().into());
        }
        Value::Object(m)
    }
}

/// One live endpoint configuration. A deleted one is removed: it answers exactly as an
/// unknown one (404 `ENTITY_NOT_FOUND`), and config ids are random, never reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConfigRecord {
    pub config_id: String,
    pub url: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Read from state files of simulators that kept deleted configs, which are then dropped
    /// ([`AccountData::prune`]); never written.
    #[serde(default, skip_serializing)]
    pub deleted_at: Option<String>,
}

impl ConfigRecord {
    /// The `data` of `webhook.config.get` (and each `configs[]` item of list).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("config_id".into(), self.config_id.clone().into());
        m.insert("url".into(), self.url.clone().into());
        m.insert("created_at".into(), self.created_at.clone().into());
        if let Some(at) = &self.updated_at {
            m.insert("updated_at".into(), at.clone().into());
        }
        Value::Object(m)
    }
}

/// One account's keys and configs, in creation order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AccountData {
    #[serde(default)]
    pub keys: Vec<KeyRecord>,
    #[serde(default)]
    pub configs: Vec<ConfigRecord>,
}

/// Every account's data, by account id.
pub(crate) type Store = BTreeMap<String, AccountData>;

impl AccountData {
    /// Drops what an older state file kept needlessly: deleted configs, the secrets of
    /// DELETED keys. `Err(key_id)`: a key that is not DELETED has no secret.
    pub fn prune(&mut self) -> Result<(), String> {
        self.configs.retain(|c| c.deleted_at.is_none());
        for key in &mut self.keys {
            match key.status {
                KeyStatus::Deleted => key.secret = None,
                _ if key.secret.is_none() => return Err(key.key_id.clone()),
                _ => {}
            }
        }
        Ok(())
    }

    /// `webhook.key.create`: a new INACTIVE key `whk_<today>_<seq>` holding `secret`.
    pub fn create_key(
        &mut self,
        secret: WebhookSecret,
        now: OffsetDateTime,
    ) -> Result<&KeyRecord, ApiError> {
        let prefix = format!("{KEY_ID_PREFIX}{}_", ids::key_date(now));
        let created_today = self
            .keys
            .iter()
            .filter(|k| k.key_id.starts_with(&prefix))
            .count();
        if created_today >= DAILY_KEY_LIMIT {
            return Err(ApiError::rule(
                ENTITY_WEBHOOK_KEY,
                SUB_DAILY_KEY_LIMIT,
                DAILY_KEY_LIMIT_MESSAGE,
            ));
        }
        let seq = created_today + 1;
        self.keys.push(KeyRecord {
            key_id: format!("{prefix}{seq:0width$}", width = KEY_SEQUENCE_MIN_DIGITS),
            secret: Some(secret),
            status: KeyStatus::Inactive,
            created_at: ids::timestamp(now),
            activated_at: None,
            deleted_at: None,
        });
        self.keys
            .last()
            .ok_or_else(|| ApiError::internal("key was not stored"))
    }

    /// `webhook.key.activate`: makes `key_id` the ACTIVE key; the previous ACTIVE key becomes
    /// DELETED at the same instant. Activating the ACTIVE key changes nothing. Returns the
    /// response `data`.
    pub fn activate_key(&mut self, key_id: &str, now: OffsetDateTime) -> Result<Value, ApiError> {
        let index = self
            .keys
            .iter()
            .position(|k| k.key_id == key_id)
            .ok_or_else(ApiError::key_not_found)?;
        let status = self.keys.get(index).map(|k| k.status);
        let mut previous = None;
        match status {
            Some(KeyStatus::Deleted) => {
                return Err(ApiError::rule(
                    ENTITY_WEBHOOK_KEY,
                    SUB_KEY_DELETED,
                    "A deleted webhook key cannot be activated again",
                ))
            }
            Some(KeyStatus::Active) => {}
            Some(KeyStatus::Inactive) | None => {
                let at = ids::timestamp(now);
                for key in self
                    .keys
                    .iter_mut()
                    .filter(|k| k.status == KeyStatus::Active)
                {
                    key.status = KeyStatus::Deleted;
                    key.deleted_at = Some(at.clone());
                    key.secret = None;
                    previous = Some(key.key_id.clone());
                }
                if let Some(key) = self.keys.get_mut(index) {
                    key.status = KeyStatus::Active;
                    key.activated_at = Some(at);
                }
            }
        }
        let key = self.keys.get(index).ok_or_else(ApiError::key_not_found)?;
        let mut data = Map::new();
        data.insert("key_id".into(), key.key_id.clone().into());
        data.insert("status".into(), key.status.as_str().into());
        data.insert("activated_at".into(), key.activated_at.clone().into());
        data.insert(PREVIOUS_KEY_ID_FIELD.into(), previous.into());
        Ok(Value::Object(data))
    }

    /// The key `key_id` of this account.
    pub fn key(&self, key_id: &str) -> Option<&KeyRecord> {
        self.keys.iter().find(|k| k.key_id == key_id)
    }

    /// The ACTIVE key, if any.
    pub fn active_key(&self) -> Option<&KeyRecord> {
        self.keys.iter().find(|k| k.status == KeyStatus::Active)
    }

    /// The configs (deleted ones are removed), in creation order.
    pub fn live_configs(&self) -> impl Iterator<Item = &ConfigRecord> {
        self.configs.iter()
    }

    /// The config `config_id`.
    pub fn live_config(&self, config_id: &str) -> Result<&ConfigRecord, ApiError> {
        self.live_configs()
            .find(|c| c.config_id == config_id)
            .ok_or_else(ApiError::config_not_found)
    }

    fn url_taken(&self, url: &str, except: Option<&str>) -> Result<(), ApiError> {
        let taken = self
            .live_configs()
            .any(|c| c.url == url && Some(c.config_id.as_str()) != except);
        if taken {
            Err(ApiError::rule(
                ENTITY_WEBHOOK_CONFIG,
                SUB_URL_ALREADY_EXISTS,
                "A webhook config with this URL already exists",
            ))
        } else {
            Ok(())
        }
    }

    /// `webhook.config.create` (the URL already checked by [`crate::endpoint_url::check`]).
    pub fn create_config(
        &mut self,
        config_id: String,
        url: &str,
        now: OffsetDateTime,
    ) -> Result<Value, ApiError> {
        self.url_taken(url, None)?;
        if self.live_configs().count() >= MAX_CONFIGS_PER_ACCOUNT {
            return Err(ApiError::rule(
                ENTITY_WEBHOOK_CONFIG,
                SUB_MAX_WEBHOOK_URL_LIMIT,
                format!("An account can have at most {MAX_CONFIGS_PER_ACCOUNT} webhook configs"),
            ));
        }
        self.configs.push(ConfigRecord {
            config_id: config_id.clone(),
            url: url.to_owned(),
            created_at: ids::timestamp(now),
            updated_at: None,
            deleted_at: None,
        });
        Ok(json!({ "config_id": config_id }))
    }

    /// `webhook.config.update` (the URL already checked).
    pub fn update_config(
        &mut self,
        config_id: &str,
        url: &str,
        now: OffsetDateTime,
    ) -> Result<Value, ApiError> {
        self.live_config(config_id)?;
        self.url_taken(url, Some(config_id))?;
        if let Some(c) = self.configs.iter_mut().find(|c| c.config_id == config_id) {
            c.url = url.to_owned();
            c.updated_at = Some(ids::timestamp(now));
        }
        Ok(json!({}))
    }

    /// `webhook.config.delete`: permanent. The record is removed (see [`ConfigRecord`]).
    pub fn delete_config(&mut self, config_id: &str) -> Result<Value, ApiError> {
        let index = self
            .configs
            .iter()
            .position(|c| c.config_id == config_id)
            .ok_or_else(ApiError::config_not_found)?;
        self.configs.remove(index);
        Ok(json!({}))
    }
}

/// Serialises a key's [`WebhookSecret`] as standard base64 (only into the 0600 state file);
/// absent when the key has none.
mod secret_base64 {
    use kompliant_webhooks::WebhookSecret;
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub fn serialize<S: Serializer>(
        secret: &Option<WebhookSecret>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match secret {
            Some(secret) => s.serialize_str(&secret.to_base64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WebhookSecret>, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        WebhookSecret::from_base64(&text)
            .map(Some)
            .map_err(|_| serde::de::Error::custom("a key secret is not base64 of 32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn secret() -> WebhookSecret {
        WebhookSecret::generate().unwrap()
    }

    #[test]
    fn key_ids_follow_the_day_and_the_limit() {
        let mut a = AccountData::default();
        let day1 = datetime!(2025-11-21 23:59:59.5 UTC);
        for n in 1..=DAILY_KEY_LIMIT {
            let k = a.create_key(secret(), day1).unwrap();
            let expected = if n < 100 {
                format!("whk_20251121_{n:02}")
            } else {
                format!("whk_20251121_{n}")
            };
            assert_eq!(k.key_id, expected);
            assert!(kompliant_webhooks::shared::is_kompliant_key_id(&k.key_id));
        }
        assert_eq!(a.keys.last().unwrap().key_id, "whk_20251121_100");
        let err = a.create_key(secret(), day1).unwrap_err();
        assert_eq!(err.sub_code, Some("DAILY_KEY_LIMIT"));
        assert_eq!(err.message, "Maximum daily key creation limit reached");
        assert_eq!(err.status, 400);
        // The next UTC day starts again at 01.
        let k = a
            .create_key(secret(), datetime!(2025-11-22 00:00:00 UTC))
            .unwrap();
        assert_eq!(k.key_id, "whk_20251122_01");
        assert_eq!(k.created_at, "2025-11-22T00:00:00.000Z");
    }

    #[test]
    fn activation_rules() {
        let mut a = AccountData::default();
        let t0 = datetime!(2025-11-21 10:00:00 UTC);
        let k1 = a.create_key(secret(), t0).unwrap().key_id.clone();
        let k2 = a.create_key(secret(), t0).unwrap().key_id.clone();
        let r1 = a
            .activate_key(&k1, datetime!(2025-11-21 10:00:01 UTC))
            .unwrap();
        assert_eq!(r1["previous_key_id"], Value::Null);
        let r2 = a
            .activate_key(&k2, datetime!(2025-11-21 10:00:02.25 UTC))
            .unwrap();
        assert_eq!(r2["previous_key_id"], k1.as_str());
        assert_eq!(r2["activated_at"], "2025-11-21T10:00:02.250Z");
        assert_eq!(a.key(&k1).unwrap().status, KeyStatus::Deleted);
        assert_eq!(
            a.key(&k1).unwrap().deleted_at.as_deref(),
            Some("2025-11-21T10:00:02.250Z")
        );
        // Idempotent re-activation.
        let again = a
            .activate_key(&k2, datetime!(2025-11-21 11:00:00 UTC))
            .unwrap();
        assert_eq!(again["activated_at"], r2["activated_at"]);
        assert_eq!(again["previous_key_id"], Value::Null);
        // Deleted keys stay deleted.
        let err = a.activate_key(&k1, t0).unwrap_err();
        assert_eq!(
            (err.sub_code, err.entity_type),
            (Some("KEY_DELETED"), Some("Webhook Key"))
        );
        assert_eq!(
            a.activate_key("whk_20991231_01", t0).unwrap_err().code,
            "ENTITY_NOT_FOUND"
        );
        assert_eq!(
            a.keys
                .iter()
                .filter(|k| k.status == KeyStatus::Active)
                .count(),
            1
        );
        // A DELETED key keeps its record, not its secret; the others keep theirs.
        assert!(a.key(&k1).unwrap().secret.is_none());
        assert!(a.key(&k2).unwrap().secret.is_some());
        let json = a.key(&k1).unwrap().to_json();
        assert!(json.get("shared_secret").is_none());
    }

    #[test]
    fn config_rules() {
        let mut a = AccountData::default();
        let t = datetime!(2025-11-21 10:00:00 UTC);
        a.create_config("whc_1".into(), "https://a.example/", t)
            .unwrap();
        let err = a
            .create_config("whc_x".into(), "https://a.example/", t)
            .unwrap_err();
        assert_eq!(err.sub_code, Some("URL_ALREADY_EXISTS"));
        a.create_config("whc_2".into(), "https://b.example/", t)
            .unwrap();
        assert_eq!(
            a.update_config("whc_2", "https://a.example/", t)
                .unwrap_err()
                .sub_code,
            Some("URL_ALREADY_EXISTS")
        );
        a.update_config("whc_2", "https://b.example/", t).unwrap();
        a.delete_config("whc_1").unwrap();
        assert!(a.configs.iter().all(|c| c.config_id != "whc_1"), "pruned");
        assert_eq!(a.delete_config("whc_1").unwrap_err().status, 404);
        assert_eq!(a.live_config("whc_1").unwrap_err().status, 404);
        a.create_config("whc_3".into(), "https://a.example/", t)
            .unwrap();
        for n in 0..18 {
            a.create_config(format!("whc_n{n}"), &format!("https://n{n}.example/"), t)
                .unwrap();
        }
        assert_eq!(a.live_configs().count(), 20);
        let err = a
            .create_config("whc_21".into(), "https://c.example/", t)
            .unwrap_err();
        assert_eq!(err.sub_code, Some("MAX_WEBHOOK_URL_LIMIT"));
    }
}
