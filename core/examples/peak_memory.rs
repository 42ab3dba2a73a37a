//! Peak heap memory of decrypting one webhook, for scripts/bench: a counting global
//! allocator measures the most bytes held at once during `WebhookReceiver::decrypt` of each
//! benchmark fixture, above what was held before the call (the body itself is the caller's).
//!
//!     cargo run --release -p kompliant-webhooks --example peak_memory -- FIXTURES_DIR
//!
//! Prints JSON: {"<size>": {"body_bytes", "peak_bytes", "ratio"}, ...}.

#![allow(
    unsafe_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kompliant_webhooks::{Keyring, WebhookReceiver, WebhookSecret};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every method forwards to the system allocator unchanged and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: peak_memory FIXTURES_DIR"),
    );
    let key: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("key.json")).unwrap()).unwrap();
    let keyring = Keyring::new();
    keyring
        .add(
            key["key_id"].as_str().unwrap(),
            &WebhookSecret::from_base64(key["secret"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
    let receiver = WebhookReceiver::new(keyring);
    let mut out = serde_json::Map::new();
    for size in ["1k", "16k", "256k", "4m"] {
        let body = std::fs::read(dir.join(format!("{size}.body.json"))).unwrap();
        let before = CURRENT.load(Ordering::SeqCst);
        PEAK.store(before, Ordering::SeqCst);
        let webhook = receiver.decrypt(&body).unwrap();
        let peak = PEAK.load(Ordering::SeqCst) - before;
        drop(webhook);
        out.insert(
            size.into(),
            serde_json::json!({
                "body_bytes": body.len(),
                "peak_bytes": peak,
                "ratio": peak as f64 / body.len() as f64,
            }),
        );
    }
    println!("{}", serde_json::Value::Object(out));
}
