//! The core's receive path, stage by stage and whole, over the benchmark fixtures
//! (tests/bench/fixtures.py: realistic SUBJECT_RECORD_DATA_UPDATED webhooks of about 1 KiB,
//! 16 KiB, 256 KiB and 4 MiB of payload). Run by scripts/bench, which writes the fixtures
//! and sets KOMPLIANT_BENCH_FIXTURES; throughput is per byte of decoded `data` for the
//! base64 and AEAD stages, per byte of body otherwise.
//!
//!     KOMPLIANT_BENCH_FIXTURES=DIR cargo bench -p kompliant-webhooks --features bench-internals

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kompliant_webhooks::bench_internals as stage;
use kompliant_webhooks::{add_to_keyring_file, Keyring, WebhookReceiver, WebhookSecret};

const SIZES: [&str; 4] = ["1k", "16k", "256k", "4m"];

struct Fixture {
    body: Vec<u8>,
    payload: String,
    data_b64: String,
    raw: Vec<u8>,
}

fn dir() -> PathBuf {
    std::env::var_os("KOMPLIANT_BENCH_FIXTURES")
        .map(PathBuf::from)
        .expect("set KOMPLIANT_BENCH_FIXTURES to the directory tests/bench/fixtures.py wrote (scripts/bench does)")
}

fn fixture(name: &str) -> Fixture {
    let body = std::fs::read(dir().join(format!("{name}.body.json"))).unwrap();
    let payload = std::fs::read_to_string(dir().join(format!("{name}.payload.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let data_b64 = v["data"].as_str().unwrap().to_owned();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&data_b64)
        .unwrap();
    Fixture {
        body,
        payload,
        data_b64,
        raw,
    }
}

fn key() -> (String, WebhookSecret) {
    let key: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("key.json")).unwrap()).unwrap();
    (
        key["key_id"].as_str().unwrap().to_owned(),
        WebhookSecret::from_base64(key["secret"].as_str().unwrap()).unwrap(),
    )
}

fn receiver() -> WebhookReceiver {
    let (key_id, secret) = key();
    let keyring = Keyring::new();
    keyring.add(&key_id, &secret).unwrap();
    WebhookReceiver::new(keyring)
}

/// A receiver over a keyring that follows a keyring file (`Keyring::watch`, checked at most
/// once a second, as in production): the cost of watching on the hot path.
fn watched_receiver(dir: &std::path::Path) -> WebhookReceiver {
    let (key_id, secret) = key();
    let path = dir.join("keys.json");
    add_to_keyring_file(&path, &key_id, &secret).unwrap();
    WebhookReceiver::new(Keyring::watch(&path).unwrap())
}

fn stages(c: &mut Criterion) {
    let receiver = receiver();
    let keyring_dir = tempfile::tempdir().unwrap();
    let watched = watched_receiver(keyring_dir.path());
    let key = stage::Key::new(&[7; 32]).unwrap();
    for name in SIZES {
        let f = fixture(name);
        let mut g = c.benchmark_group(format!("core/{name}"));
        if name == "4m" {
            g.sample_size(20);
        }
        g.throughput(Throughput::Bytes(f.body.len() as u64));
        g.bench_function("decrypt (whole)", |b| {
            b.iter(|| receiver.decrypt(black_box(&f.body)).unwrap())
        });
        g.bench_function("decrypt (watched)", |b| {
            b.iter(|| watched.decrypt(black_box(&f.body)).unwrap())
        });
        g.bench_function("envelope parse", |b| {
            b.iter(|| stage::envelope_only(black_box(&f.body)))
        });
        g.throughput(Throughput::Bytes(f.raw.len() as u64));
        g.bench_function("base64 decode", |b| {
            b.iter(|| stage::base64_decode(black_box(f.data_b64.as_bytes())))
        });
        let mut sealed = f.raw.clone();
        let tag = key.seal([1; 12], b"aad", &mut sealed).unwrap();
        // A fresh copy of the sealed bytes per call (the open is in place), made outside the
        // timed part.
        g.bench_function("AEAD open", |b| {
            b.iter_batched_ref(
                || sealed.clone(),
                |buf| assert!(key.open([1; 12], b"aad", buf, tag)),
                BatchSize::LargeInput,
            )
        });
        g.throughput(Throughput::Bytes(f.payload.len() as u64));
        g.bench_function("payload check", |b| {
            b.iter(|| assert!(stage::payload_check(black_box(&f.payload))))
        });
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
