//! What the simulator did, as serialisable records: triggered events, each delivery attempt,
//! and the fault switches of `sim.faults.set`.

use serde::{Deserialize, Serialize};

/// A fault injected into one event's deliveries (`sim.faults.set`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Fault {
    /// Every endpoint gets the same sealed envelope twice, as two independent deliveries
    /// (both start at `retry_count` 0 and each is retried on failure). Receivers must
    /// deduplicate by `id`.
    Duplicate,
    /// The event's first delivery attempts are held back until the account's next event had
    /// its first attempts (or at most [`crate::decided::REORDER_MAX_HOLD`] if none follows), so the endpoint sees them out of
    /// order.
    Reorder,
    /// One bit of the GCM tag is flipped in the `data` sent (every attempt: redeliveries
    /// re-send the same envelope). A correct receiver refuses it (`DECRYPTION_FAILED`, a
    /// 400-class answer), so every attempt fails until the simulator gives up.
    TamperTag,
    /// The envelope's `key_id` is replaced by [`crate::decided::UNKNOWN_KEY_ID`], a key no receiver holds. A
    /// correct receiver refuses it (`UNKNOWN_KEY`, a 503-class answer), so every attempt fails.
    UnknownKeyId,
    /// Besides the event's real deliveries, every endpoint gets one forged copy of the
    /// envelope: the same fields with one bit of the GCM tag flipped, as an attacker replaying
    /// a captured envelope with altered ciphertext would send it. A forged copy is attempted
    /// once and never retried (nobody retries a forgery); the real deliveries are untouched. A
    /// correct receiver refuses the copy (`DECRYPTION_FAILED`, 400) without claiming the
    /// webhook id in its duplicate guard, and processes the real delivery once.
    Forge,
}

/// The result of one delivery attempt, or the end of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered {
        /// The HTTP status.
        status: u16,
    },
    /// The endpoint answered something else, or did not answer in time; a retry follows
    /// unless this was the last attempt.
    Failed {
        /// The HTTP status, if the endpoint answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// The transport error, if it did not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The last allowed attempt failed: the delivery is abandoned. Recorded after that
    /// attempt's `Failed` record, with the same attempt number.
    GaveUp,
}

/// One entry of the delivery log: an attempt to POST an event to one endpoint (or the final
/// give-up). `sim.deliveries.list` returns these as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// The webhook (event) id, `wh_…`.
    pub webhook_id: String,
    /// The event type.
    pub event_type: String,
    /// The account the event belongs to.
    pub account_id: String,
    /// The endpoint configuration delivered to.
    pub config_id: String,
    /// The endpoint URL (as configured when the event was triggered).
    pub url: String,
    /// The `key_id` in the envelope sent (the fault's key id under `UNKNOWN_KEY_ID`).
    pub key_id: String,
    /// Attempt number, 1 for the first.
    pub attempt: u32,
    /// The `retry_count` sent (`attempt - 1`).
    pub retry_count: u64,
    /// What happened.
    pub outcome: DeliveryOutcome,
    /// Faults injected into this event (empty for a normal delivery).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// Whether this is the forged copy a `FORGE` fault adds (attempted once, never retried).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forged: bool,
    /// When the attempt ended (RFC 3339 UTC, milliseconds).
    pub at: String,
    /// How long the attempt took, from sending to the end of the answer (absent for a
    /// give-up record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Position in the simulator's delivery log, from 1, increasing: read new records with
    /// [`crate::Simulator::deliveries_after`].
    #[serde(default)]
    pub seq: u64,
}

/// A triggered event, whether or not anything was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The webhook id, `wh_…`.
    pub webhook_id: String,
    /// The event type.
    pub event_type: String,
    /// The account.
    pub account_id: String,
    /// The key the payload was sealed with.
    pub key_id: String,
    /// The envelope `timestamp`.
    pub timestamp: String,
    /// Deliveries queued: one per active endpoint (two under `DUPLICATE`), plus one forged
    /// copy per endpoint under `FORGE`; 0 if the account has no endpoint.
    pub deliveries: usize,
    /// Faults injected into this event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
}

/// The remaining counts of each fault switch of one account: each triggered event consumes
/// one of every non-zero switch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FaultSwitches {
    pub duplicate: u64,
    pub reorder: u64,
    pub tamper_tag: u64,
    pub unknown_key_id: u64,
    #[serde(default)]
    pub forge: u64,
}

impl FaultSwitches {
    /// Takes one of each armed switch: the faults of the event being triggered.
    pub fn take(&mut self) -> Vec<Fault> {
        let mut out = Vec::new();
        for (count, fault) in [
            (&mut self.duplicate, Fault::Duplicate),
            (&mut self.reorder, Fault::Reorder),
            (&mut self.tamper_tag, Fault::TamperTag),
            (&mut self.unknown_key_id, Fault::UnknownKeyId),
            (&mut self.forge, Fault::Forge),
        ] {
            if *count > 0 {
                *count -= 1;
                out.push(fault);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_count_down() {
        let mut s = FaultSwitches {
            duplicate: 2,
            tamper_tag: 1,
            ..FaultSwitches::default()
        };
        assert_eq!(s.take(), [Fault::Duplicate, Fault::TamperTag]);
        assert_eq!(s.take(), [Fault::Duplicate]);
        assert!(s.take().is_empty());
    }

    #[test]
    fn records_serialise() {
        let r = DeliveryRecord {
            webhook_id: "wh_1".into(),
            event_type: "E".into(),
            account_id: "sb_1".into(),
            config_id: "whc_1".into(),
            url: "http://127.0.0.1:1/".into(),
            key_id: "whk_20251121_01".into(),
            attempt: 2,
            retry_count: 1,
            outcome: DeliveryOutcome::Failed {
                status: Some(500),
                error: None,
            },
            faults: vec![Fault::TamperTag],
            forged: false,
            at: "2025-11-21T00:00:00.000Z".into(),
            latency_ms: Some(12),
            seq: 7,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["outcome"],
            serde_json::json!({"result":"FAILED","status":500})
        );
        assert_eq!(v["faults"], serde_json::json!(["TAMPER_TAG"]));
        let back: DeliveryRecord = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            serde_json::to_value(DeliveryOutcome::GaveUp).unwrap(),
            serde_json::json!({"result":"GAVE_UP"})
        );
    }
}
