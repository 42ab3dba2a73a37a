//! Arbitrary HTTP answers (status, redirect target, body) through the API client's response
//! parser and each method's typed reader. Nothing may panic; the client's credentials never
//! appear in an error; a secret the answer carries never appears in an error or a `Debug`.

#![no_main]

use arbitrary::Arbitrary;
use kompliant_webhooks::client::parse_answer_for_fuzzing;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const METHODS: [&str; 8] = [
    "webhook.key.create",
    "webhook.key.activate",
    "webhook.key.get",
    "webhook.config.create",
    "webhook.config.get",
    "webhook.config.list",
    "meta.checkVersion",
    "sim.event.trigger",
];

/// The client's credentials as the parser masks them (auth token, secret key, signature).
const CREDENTIALS: [&str; 3] = [
    "tok_fuzz_credential_7f3a9c",
    "c2tfZnV6el9zZWNyZXRfa2V5X2J5dGVzXzEyMw==",
    "c2lnbmF0dXJlX2Z1enpfdmFsdWVfNDU2Nzg5MA==",
];

#[derive(Arbitrary, Debug)]
struct Answer<'a> {
    method: u8,
    status: u16,
    location: Option<&'a str>,
    /// Which credential to plant in the body, if any (servers and proxies echo requests).
    echo: Option<u8>,
    body: &'a [u8],
}

fuzz_target!(|answer: Answer<'_>| {
    let method = METHODS[usize::from(answer.method) % METHODS.len()];
    let mut body = answer.body.to_vec();
    if let Some(which) = answer.echo {
        let at = usize::from(which) % (body.len() + 1);
        let credential = CREDENTIALS[usize::from(which) % CREDENTIALS.len()];
        body.splice(at..at, credential.bytes());
    }
    let result =
        parse_answer_for_fuzzing(method, answer.status, answer.location, &body, &CREDENTIALS);
    let text = match &result {
        Ok(response) => format!("{response:?}"),
        Err(err) => format!("{err} {err:?}"),
    };
    for credential in CREDENTIALS {
        assert!(!text.contains(credential), "credential in {text}");
    }
    // A shared secret in a 2xx answer is never quoted (errors give its length only).
    if let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(&body) {
        let secret = envelope
            .get("data")
            .and_then(|d| d.get("shared_secret"))
            .and_then(Value::as_str)
            // Secret-like, and sent once: text the body repeats elsewhere (a trace id) may
            // be quoted from there.
            .filter(|s| {
                s.len() >= 16
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
                    && String::from_utf8_lossy(&body).matches(*s).count() == 1
                    && (200..300).contains(&answer.status)
            });
        if let Some(secret) = secret {
            assert!(!text.contains(secret), "shared secret in {text}");
        }
    }
});
