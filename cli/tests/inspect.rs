//! `kompliant listen --inspect` end to end, through real processes on loopback: the
//! inspector at `/_inspect` lists each body received (verdict, metadata, decrypted payload),
//! replays one through the receiver, answers local clients only, and shows no secret.

// Test code: a panic is a failed test, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
use common::background::Background;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use kompliant_webhooks::{seal, WebhookMetadata, WebhookSecret, WireProfile};
use serde_json::Value;

const KEY_ID: &str = "whk_20251121_01";

/// An answer: status, headers (names in lower case), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends one request (`Connection: close`) and reads the whole answer.
fn request(
    addr: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(addr: &str, target: &str) -> Answer {
    request(addr, "GET", target, &[], b"")
}

fn replay(addr: &str, index: &Value) -> Answer {
    request(
        addr,
        "POST",
        "/_inspect/api/replay",
        &[
            ("Content-Type", "application/json"),
            ("X-Kompliant-Inspector", "1"),
        ],
        serde_json::json!({ "index": index }).to_string().as_bytes(),
    )
}

fn deliver(addr: &str, body: &[u8]) -> u16 {
    request(
        addr,
        "POST",
        "/webhooks",
        &[("Content-Type", "application/json")],
        body,
    )
    .status
}

fn deliveries(addr: &str) -> Vec<Value> {
    let answer = get(addr, "/_inspect/api/deliveries");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));
    answer.json()["deliveries"].as_array().unwrap().clone()
}

fn metadata(id: &str, key_id: &str) -> WebhookMetadata {
    WebhookMetadata {
        id: id.into(),
        event_type: "WORKFLOW_CREATED".into(),
        timestamp: "2025-11-21T14:30:22.123Z".into(),
        account_id: "sb_inspect".into(),
        schema_version: "2025-11-21".into(),
        key_id: key_id.into(),
    }
}

/// A keyring file holding `KEY_ID` with a distinctive secret; the secret's bytes.
fn keyring(dir: &Path) -> (String, Vec<u8>) {
    let raw = common::distinctive(b"KW-INSPECT-SECRET");
    let secret = WebhookSecret::from_bytes(&raw).unwrap();
    let path = dir.join("keys.json");
    kompliant_webhooks::add_to_keyring_file(&path, KEY_ID, &secret).unwrap();
    (path.to_str().unwrap().to_owned(), raw)
}

/// Starts `kompliant listen --keys FILE` with `extra`; its `host:port`.
fn start_listen(keys: &str, extra: &[&str]) -> (Background, String) {
    let mut args = vec!["listen", "--keys", keys];
    args.extend_from_slice(extra);
    let mut listen = Background::start(&args);
    let first = listen.next_line();
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_owned();
    (listen, addr)
}

/// The payload of the valid webhook: a number no float can hold, escapes, empty containers.
const PAYLOAD: &str = r#"{"workflow":{"id":"wf_1","amount":123456789012345678901234567890,"note":"<b>\"hi\"</b>\\,{x}","tags":[],"extra":{},"steps":[1,{"ok":true}]}}"#;
/// `PAYLOAD` as the inspector must show it: indented, every token as sent.
const PRETTY: &str = "{\n  \"workflow\": {\n    \"id\": \"wf_1\",\n    \"amount\": 123456789012345678901234567890,\n    \"note\": \"<b>\\\"hi\\\"</b>\\\\,{x}\",\n    \"tags\": [],\n    \"extra\": {},\n    \"steps\": [\n      1,\n      {\n        \"ok\": true\n      }\n    ]\n  }\n}";

#[test]
fn the_inspector_shows_verdicts_metadata_and_payloads_and_replays_a_body() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, secret_raw) = keyring(dir.path());
    let secret = WebhookSecret::from_bytes(&secret_raw).unwrap();
    let (mut listen, addr) = start_listen(&keys, &["--inspect"]);
    assert_eq!(
        listen.next_line(),
        format!("inspector on http://{addr}/_inspect")
    );

    // A valid webhook (retry 2), the same one with a byte of `data` flipped, one sealed
    // with a key id the keyring does not hold, and a body that is no envelope.
    let valid = seal(
        &metadata("wh_inspect_ok", KEY_ID),
        PAYLOAD.as_bytes(),
        &secret,
        &WireProfile::default(),
    )
    .unwrap()
    .body(2);
    let mut envelope: Value = serde_json::from_slice(&valid).unwrap();
    let mut data: Vec<char> = envelope["data"].as_str().unwrap().chars().collect();
    let middle = data.len() / 2;
    data[middle] = if data[middle] == 'A' { 'B' } else { 'A' };
    envelope["data"] = Value::String(data.into_iter().collect());
    envelope["id"] = Value::String("wh_inspect_forged".into());
    let forged = serde_json::to_vec(&envelope).unwrap();
    let other = WebhookSecret::from_bytes(&[9; 32]).unwrap();
    let unknown = seal(
        &metadata("wh_inspect_unknown", "whk_20251121_09"),
        b"{}",
        &other,
        &WireProfile::default(),
    )
    .unwrap()
    .body(0);
    let long_id = "w".repeat(1000);
    let malformed = format!(r#"{{"id":"{long_id}","data":7}}"#);

    assert_eq!(deliver(&addr, &valid), 200);
    assert_eq!(deliver(&addr, &forged), 400);
    assert_eq!(deliver(&addr, &unknown), 503);
    assert_eq!(deliver(&addr, malformed.as_bytes()), 400);

    let list = deliveries(&addr);
    assert_eq!(list.len(), 4, "{list:#?}");
    // Newest first.
    let (bad, unknown_entry, forged_entry, ok) = (&list[0], &list[1], &list[2], &list[3]);
    let indexes: Vec<u64> = list.iter().map(|d| d["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, [4, 3, 2, 1]);

    assert_eq!(ok["verdict"], "ok");
    assert_eq!(ok["status"], 200);
    assert_eq!(ok["source"], "delivery");
    assert_eq!(ok["replay_of"], Value::Null);
    assert_eq!(ok["method"], "POST");
    assert_eq!(ok["path"], "/webhooks");
    assert!(ok["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(ok["received_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(ok["error"], Value::Null);
    assert_eq!(ok["metadata_verified"], true);
    assert_eq!(
        ok["metadata"],
        serde_json::json!({
            "id": "wh_inspect_ok",
            "event_type": "WORKFLOW_CREATED",
            "account_id": "sb_inspect",
            "key_id": KEY_ID,
            "timestamp": "2025-11-21T14:30:22.123Z",
            "schema_version": "2025-11-21",
            "retry_count": 2,
        })
    );
    assert_eq!(ok["payload"], PRETTY);
    assert_eq!(ok["payload_bytes"], PAYLOAD.len());
    assert_eq!(ok["payload_truncated"], false);
    assert_eq!(ok["body_bytes"], valid.len());
    assert_eq!(ok["replayable"], true);
    assert!(ok.get("body").is_none(), "no raw body in the JSON");

    assert_eq!(forged_entry["verdict"], "DECRYPTION_FAILED");
    assert_eq!(forged_entry["status"], 400);
    assert_eq!(forged_entry["error"]["code"], "DECRYPTION_FAILED");
    assert!(forged_entry["error"]["message"]
        .as_str()
        .unwrap()
        .contains("authentication tag did not verify"));
    assert_eq!(forged_entry["metadata_verified"], false);
    assert_eq!(forged_entry["metadata"]["id"], "wh_inspect_forged");
    assert_eq!(forged_entry["metadata"]["retry_count"], 2);
    assert_eq!(forged_entry["payload"], Value::Null);

    assert_eq!(unknown_entry["verdict"], "UNKNOWN_KEY");
    assert_eq!(unknown_entry["status"], 503);
    assert_eq!(unknown_entry["error"]["code"], "UNKNOWN_KEY");
    assert!(unknown_entry["error"]["message"]
        .as_str()
        .unwrap()
        .contains("whk_20251121_09"));
    assert_eq!(unknown_entry["metadata"]["key_id"], "whk_20251121_09");
    assert_eq!(unknown_entry["payload"], Value::Null);

    assert_eq!(bad["verdict"], "MALFORMED_ENVELOPE");
    assert_eq!(bad["status"], 400);
    // A value the client chose freely is cut.
    let shown_id = bad["metadata"]["id"].as_str().unwrap();
    assert!(shown_id.chars().count() <= 257 && shown_id.ends_with('…'));
    assert!(bad["metadata"].get("data").is_none());

    // Replay the valid one: the same body through the receiver again, a duplicate.
    let answer = replay(&addr, &ok["index"]);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let replayed = answer.json()["delivery"].clone();
    assert_eq!(replayed["index"], 5);
    assert_eq!(replayed["verdict"], "duplicate");
    assert_eq!(replayed["status"], 200);
    assert_eq!(replayed["source"], "replay");
    assert_eq!(replayed["replay_of"], 1);
    assert_eq!(replayed["metadata"]["id"], "wh_inspect_ok");
    assert_eq!(replayed["payload"], PRETTY);
    let list = deliveries(&addr);
    assert_eq!(list.len(), 5);
    assert_eq!(list[0], replayed);
    // Replaying the forged one refuses it again, as a delivery would be.
    let again = replay(&addr, &forged_entry["index"]).json()["delivery"].clone();
    assert_eq!(again["verdict"], "DECRYPTION_FAILED");
    assert_eq!(again["status"], 400);

    // An index never recorded, or no index: JSON errors.
    let missing = replay(&addr, &Value::from(999));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["code"], "NOT_FOUND");
    let no_index = request(
        &addr,
        "POST",
        "/_inspect/api/replay",
        &[("X-Kompliant-Inspector", "1")],
        b"{}",
    );
    assert_eq!(no_index.status, 400);
    assert_eq!(no_index.json()["error"]["code"], "BAD_REQUEST");
    assert_eq!(get(&addr, "/_inspect/api/nothing").status, 404);
    assert_eq!(get(&addr, "/_inspect/api/replay").status, 405);

    // The terminal tells the replay too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !listen.all().contains("replayed #1 from the inspector:") {
        assert!(Instant::now() < deadline, "{}", listen.all());
        std::thread::sleep(Duration::from_millis(20));
    }

    // The page: self-contained, locked down, the ids and classes a browser test uses.
    let page = get(&addr, "/_inspect");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("http"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let html = page.text();
    for needle in [
        "id=\"count\"",
        "id=\"deliveries\"",
        "\"delivery\"",
        "\"data-webhook-id\"",
        "\"data-verdict\"",
        "\"payload\"",
        "\"replay\"",
        "/_inspect/api/deliveries",
        "/_inspect/api/replay",
        "X-Kompliant-Inspector",
    ] {
        assert!(html.contains(needle), "the page lacks {needle}");
    }
    for external in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "innerHTML",
    ] {
        assert!(!html.contains(external), "the page has {external}");
    }
    assert_eq!(get(&addr, "/_inspect/favicon.svg").status, 200);

    // No spelling of the keyring's secret anywhere: page, JSON, answers, terminal.
    let json = get(&addr, "/_inspect/api/deliveries").text();
    let secrets = [secret_raw];
    common::assert_no_secret("the page", &html, &secrets);
    common::assert_no_secret("the deliveries JSON", &json, &secrets);
    common::assert_no_secret("the replay answer", &answer.text(), &secrets);
    common::assert_no_secret("listen's output", &listen.all(), &secrets);
}

#[test]
fn the_inspector_answers_local_pages_only_and_actions_with_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, secret_raw) = keyring(dir.path());
    let secret = WebhookSecret::from_bytes(&secret_raw).unwrap();
    let (_listen, addr) = start_listen(&keys, &["--inspect"]);
    let body = seal(
        &metadata("wh_local", KEY_ID),
        b"{}",
        &secret,
        &WireProfile::default(),
    )
    .unwrap()
    .body(0);
    assert_eq!(deliver(&addr, &body), 200);
    let port = addr.rsplit_once(':').unwrap().1;

    // Loopback names are served.
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let page = request(&addr, "GET", "/_inspect", &[("Host", &host)], b"");
        assert_eq!(page.status, 200, "{host}");
    }
    // A page on another name (DNS rebinding) is refused, page and API alike.
    for target in ["/_inspect", "/_inspect/api/deliveries"] {
        for host in [format!("evil.example:{port}"), "10.0.0.1".to_owned()] {
            let refused = request(&addr, "GET", target, &[("Host", &host)], b"");
            assert_eq!(refused.status, 403, "{target} for {host}");
            assert!(!refused.text().contains("wh_local"));
        }
    }
    let rebound = request(
        &addr,
        "POST",
        "/_inspect/api/replay",
        &[
            ("Host", &format!("evil.example:{port}")),
            ("X-Kompliant-Inspector", "1"),
        ],
        br#"{"index":1}"#,
    );
    assert_eq!(rebound.status, 403);
    // An action without the header (what a cross-site form sends), or with another value.
    for headers in [
        vec![("Content-Type", "application/x-www-form-urlencoded")],
        vec![("X-Kompliant-Inspector", "0")],
    ] {
        let refused = request(
            &addr,
            "POST",
            "/_inspect/api/replay",
            &headers,
            br#"{"index":1}"#,
        );
        assert_eq!(refused.status, 403, "{headers:?}");
    }
    // Nothing was replayed.
    assert_eq!(deliveries(&addr).len(), 1);
    // Deliveries are not the inspector's: any Host header is fine for them.
    let forwarded = request(
        &addr,
        "POST",
        "/webhooks",
        &[("Host", "receiver.example")],
        &body,
    );
    assert_eq!(forwarded.status, 200);
    let list = deliveries(&addr);
    assert_eq!(list[0]["verdict"], "duplicate");

    // A client that is not on loopback is refused, when this machine has another address.
    if let Some(ip) = non_loopback_ip() {
        let (mut open, open_addr) = start_listen(&keys, &["--inspect", "--host", "0.0.0.0"]);
        let port = open_addr.rsplit_once(':').unwrap().1;
        assert_eq!(
            open.next_line(),
            format!("inspector on http://127.0.0.1:{port}/_inspect")
        );
        let remote = format!("{ip}:{port}");
        let refused = request(
            &remote,
            "GET",
            "/_inspect/api/deliveries",
            &[("Host", &format!("127.0.0.1:{port}"))],
            b"",
        );
        assert_eq!(refused.status, 403, "from {ip}");
    } else {
        eprintln!("no non-loopback address on this machine: the peer check is not exercised");
    }
}

/// An address of this machine that is not loopback, if it has one.
fn non_loopback_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks the route's source address.
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn without_inspect_the_path_is_a_delivery_path() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) = keyring(dir.path());
    let (mut listen, addr) = start_listen(&keys, &[]);
    assert_eq!(listen.next_line(), format!("keys: {KEY_ID}"));
    for target in ["/_inspect", "/_inspect/api/deliveries"] {
        let answer = get(&addr, target);
        assert_eq!(answer.status, 400, "{target}");
        assert!(answer.body.is_empty(), "{target}: {}", answer.text());
        assert!(answer.header("content-security-policy").is_none());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while listen
        .all()
        .matches("refused MALFORMED_ENVELOPE -> 400")
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "{}", listen.all());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!listen.all().contains("inspector on"));
}

#[test]
fn the_inspector_keeps_the_newest_200_and_fail_first_counts_deliveries_only() {
    let dir = tempfile::tempdir().unwrap();
    let (keys, secret_raw) = keyring(dir.path());
    let secret = WebhookSecret::from_bytes(&secret_raw).unwrap();
    let (_listen, addr) = start_listen(&keys, &["--inspect", "--fail-first", "1"]);
    let body = |n: usize| {
        seal(
            &metadata(&format!("wh_ring{n:04}"), KEY_ID),
            format!("{{\"n\":{n}}}").as_bytes(),
            &secret,
            &WireProfile::default(),
        )
        .unwrap()
        .body(0)
    };
    // The first delivery is answered 500 on purpose: recorded, not decrypted.
    assert_eq!(deliver(&addr, &body(0)), 500);
    let first = deliveries(&addr)[0].clone();
    assert_eq!(first["verdict"], "fail_first");
    assert_eq!(first["status"], 500);
    assert_eq!(first["metadata"]["id"], "wh_ring0000");
    assert_eq!(first["metadata_verified"], false);
    // Its replay is not failed on purpose (that is for the sender's retries).
    let replayed = replay(&addr, &first["index"]).json()["delivery"].clone();
    assert_eq!(replayed["verdict"], "ok");
    assert_eq!(replayed["payload"], "{\n  \"n\": 0\n}");

    for n in 1..=205 {
        assert_eq!(deliver(&addr, &body(n)), 200);
    }
    let answer = get(&addr, "/_inspect/api/deliveries").json();
    assert_eq!(answer["received"], 207);
    assert_eq!(answer["kept"], 200);
    let list = answer["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 200);
    assert_eq!(list[0]["index"], 207);
    assert_eq!(list[0]["metadata"]["id"], "wh_ring0205");
    assert_eq!(list[199]["index"], 8);
    // An entry no longer kept cannot be replayed.
    let gone = replay(&addr, &Value::from(7));
    assert_eq!(gone.status, 404);
    assert_eq!(gone.json()["error"]["code"], "NOT_FOUND");
    let kept = replay(&addr, &Value::from(8));
    assert_eq!(kept.status, 200);
    assert_eq!(kept.json()["delivery"]["verdict"], "duplicate");
}
