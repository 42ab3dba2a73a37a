//! Arbitrary bytes as a webhook body, through three receivers (default profile, no AAD,
//! strict limits) and, when one decrypts, through a duplicate guard. Nothing may panic;
//! every refusal is a receive-path code; an accepted body's payload is a JSON object.

#![no_main]

use std::sync::Arc;
use std::time::Duration;

use kompliant_webhooks::{
    Claim, ClaimToken, GuardedReceiver, MemoryGuard, ReceiveOutcome, WebhookGuard,
};
use kompliant_webhooks_fuzz::{check_error, fixture, now, DECRYPT_CODES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let fx = fixture();
    for receiver in [&fx.default, &fx.no_aad, &fx.strict] {
        match receiver.decrypt_at(body, now()) {
            Err(err) => check_error(&err, DECRYPT_CODES, body),
            Ok(webhook) => {
                assert!(webhook.payload_str().trim_start().starts_with('{'));
                let _ = webhook.payload_json();
                let _ = webhook.event();
                let _ = format!("{webhook:?}");

                let guard = Arc::new(MemoryGuard::new());
                let guarded = GuardedReceiver::new(receiver.clone(), guard.clone());
                let first = match guarded.begin_at(body, now()) {
                    Ok(delivery) => delivery,
                    // The guard refuses only ids it cannot hold (empty or over 256 bytes).
                    Err(err) => {
                        check_error(
                            &err,
                            &[kompliant_webhooks::ErrorCode::MalformedEnvelope],
                            body,
                        );
                        continue;
                    }
                };
                assert_eq!(first.claim(), Claim::Acquired);
                let second = guarded
                    .begin_at(body, now())
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(second.finish(true).outcome, ReceiveOutcome::InProgress);
                assert_eq!(first.finish(true).outcome, ReceiveOutcome::Processed);
                let token = ClaimToken::generate().unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    guard.claim(webhook.id(), &token, Duration::from_secs(1)).ok(),
                    Some(Claim::AlreadyCompleted)
                );
            }
        }
    }
});
