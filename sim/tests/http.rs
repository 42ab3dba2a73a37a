//! HTTP-level behaviour: 404/405/413/415, malformed requests and bodies, hostile sizes,
//! start-up errors.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use common::{account, raw, start, start_with, Client};
use kompliant_sim::{SimConfig, SimError, Simulator};
use serde_json::{json, Value};

fn signed_head(c: &Client, method: &str, extra: &str) -> String {
    let mut head = format!("POST /{method} HTTP/1.1\r\nHost: x\r\n");
    for (k, v) in c.headers() {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(extra);
    head
}

#[test]
fn unknown_method_and_wrong_http_method() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    let (status, v) = c.call("webhook.key.destroy", json!({}));
    assert_eq!(status, 404);
    common::assert_error_envelope(&v);
    assert_eq!(v["errors"][0]["code"], "NOT_FOUND");
    let (status, body) = raw(
        &sim,
        b"GET /meta.checkVersion HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(5),
    );
    assert_eq!(status, 405);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["code"], "METHOD_NOT_ALLOWED");
}

#[test]
fn content_type_must_be_json() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=latin1"),
        None,
    ] {
        let mut headers: Vec<(String, String)> = c
            .headers()
            .into_iter()
            .filter(|(k, _)| k != "Content-Type")
            .collect();
        if let Some(ct) = ct {
            headers.push(("Content-Type".into(), ct.into()));
        }
        let (status, v) = c.send("meta.checkVersion", &headers, b"{}");
        assert_eq!(status, 415, "{ct:?}");
        assert_eq!(v["errors"][0]["code"], "UNSUPPORTED_MEDIA_TYPE");
    }
    let mut headers = c.headers();
    headers[0].1 = "application/json; charset=UTF-8".into();
    assert_eq!(c.send("meta.checkVersion", &headers, b"{}").0, 200);
}

#[test]
fn malformed_bodies_are_400() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    for body in [
        &b""[..],
        b"{",
        b"[]",
        b"null",
        b"\"x\"",
        b"{\"account_id\": }",
        &[0xff, 0xfe][..],
    ] {
        let (status, v) = c.send("webhook.key.create", &c.headers(), body);
        assert_eq!(status, 400, "{body:?}");
        common::assert_error_envelope(&v);
        assert_eq!(v["errors"][0]["code"], "BAD_REQUEST");
    }
    // Deep nesting is refused, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let body = format!("{{\"account_id\":\"sb_test1\",\"x\":{deep}}}");
    assert_eq!(
        c.send("webhook.key.create", &c.headers(), body.as_bytes())
            .0,
        400
    );
}

#[test]
fn bodies_over_the_limit_are_413_without_reading_them() {
    let sim = start_with(|c| c.max_body_bytes = 1000);
    let c = Client::new(&sim, account(1));
    // Declared too large: answered before the body is sent at all.
    let head = signed_head(&c, "meta.checkVersion", "Content-Length: 5000\r\n\r\n");
    let (status, body) = raw(&sim, head.as_bytes(), Duration::from_secs(5));
    assert_eq!(status, 413);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["code"], "PAYLOAD_TOO_LARGE");
    // Even unauthenticated requests get 413 first.
    let (status, _) = raw(
        &sim,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
        Duration::from_secs(5),
    );
    assert_eq!(status, 413);
    // Chunked, no declared length: cut off while reading.
    let chunk = "a".repeat(1500);
    let req = format!(
        "{}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        signed_head(&c, "meta.checkVersion", ""),
        chunk.len()
    );
    let (status, body) = raw(&sim, req.as_bytes(), Duration::from_secs(5));
    assert_eq!(status, 413);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["code"], "PAYLOAD_TOO_LARGE");
    // Within the limit is fine.
    let padded = format!("{{\"pad\":\"{}\"}}", "x".repeat(900));
    assert_eq!(
        c.send("meta.checkVersion", &c.headers(), padded.as_bytes())
            .0,
        200
    );
}

#[test]
fn an_absurd_content_length_does_not_bring_the_simulator_down() {
    let sim = start();
    let c = Client::new(&sim, account(1));
    // Beyond what hyper frames at all (2^64-1 is its own marker; more does not fit in 64
    // bits): refused as 431 / 400 before any handler runs.
    for (len, status) in [
        ("18446744073709551615", 431),
        ("99999999999999999999999999", 400),
    ] {
        let head = format!("POST /meta.checkVersion HTTP/1.1\r\nContent-Length: {len}\r\n\r\n");
        assert_eq!(
            raw(&sim, head.as_bytes(), Duration::from_millis(500)).0,
            status
        );
    }
    for len in ["1000000000000000", "9000000000000000000", "104857600"] {
        let head = format!(
            "POST /meta.checkVersion HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n\r\n{{}}"
        );
        let (status, _) = raw(&sim, head.as_bytes(), Duration::from_millis(500));
        assert_eq!(status, 413, "{len}");
        // The connection is answered and closed, not left open.
        let mut stream = connect(&sim);
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .expect("closed after the 413");
        assert!(answer.starts_with(b"HTTP/1.1 413 "), "{len}");
    }
    assert_eq!(c.call("meta.checkVersion", json!({})).0, 200);
}

#[test]
fn malformed_http_is_400() {
    let sim = start();
    // A malformed body (chunked framing wins over a length): the API's error envelope.
    let bad = b"POST /meta.checkVersion HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}";
    let (status, body) = raw(&sim, bad, Duration::from_secs(5));
    assert_eq!(status, 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    common::assert_error_envelope(&v);
    assert_eq!(v["errors"][0]["code"], "BAD_REQUEST");
    // Not HTTP at all: hyper's own 400, with no body.
    assert_eq!(
        raw(&sim, b"NOT HTTP\r\n\r\n", Duration::from_secs(5)),
        (400, String::new())
    );
    let big = "v".repeat(20 * 1024);
    let head = format!("POST /meta.checkVersion HTTP/1.1\r\nX-Big: {big}\r\n\r\n");
    assert_eq!(raw(&sim, head.as_bytes(), Duration::from_secs(5)).0, 431);
}

/// A raw connection to the simulator, with a 2 s read timeout.
fn connect(sim: &Simulator) -> TcpStream {
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    stream
}

#[test]
fn start_up_errors() {
    let mut bad = account(1);
    bad.secret_key = "%%%".into();
    let err = Simulator::start(SimConfig {
        accounts: vec![bad],
        ..SimConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, SimError::InvalidAccounts { .. }), "{err}");
    assert_eq!(err.code(), "INVALID_ACCOUNTS");

    let mut dup = account(2);
    dup.api_key = account(1).api_key.clone();
    assert!(matches!(
        Simulator::start(SimConfig {
            accounts: vec![account(1), dup],
            ..SimConfig::default()
        }),
        Err(SimError::InvalidAccounts { .. })
    ));

    let running = start();
    let addr = running
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let err = Simulator::start(SimConfig {
        listen: addr,
        ..SimConfig::default()
    })
    .unwrap_err();
    assert!(matches!(err, SimError::Bind { .. }), "{err}");
}

#[test]
fn default_config_generates_a_sandbox_account() {
    let sim = Simulator::start(SimConfig::default()).unwrap();
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    assert_eq!(sim.accounts().len(), 1);
    let a = sim.accounts()[0].clone();
    assert!(a.account_id.starts_with("sb_"));
    let c = Client::new(&sim, a);
    assert_eq!(c.call("meta.checkVersion", json!({})).0, 200);
    sim.shutdown();
}

#[test]
fn the_simulator_can_be_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Simulator>();
    send_sync::<kompliant_sim::DeliveryRecord>();
    send_sync::<kompliant_sim::Account>();
}
