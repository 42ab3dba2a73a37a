//! Test helpers: an independent API client (signs requests with hmac/sha2 directly, as any
//! language would), raw-TCP requests, and a tiny webhook receiver on a std TcpListener.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use kompliant_sim::{Account, SimConfig, Simulator};
use serde_json::{json, Value};
use sha2::Sha256;

/// A fixed account, independent of the simulator's generator.
pub fn account(n: u8) -> Account {
    Account {
        account_id: format!("sb_test{n}"),
        api_key: format!("api-key-{n}"),
        secret_key: STANDARD.encode([n; 32]),
        auth_token: format!("auth-token-{n}"),
    }
}

/// A simulator with accounts 1 and 2 and fast retries.
pub fn start() -> Simulator {
    start_with(|_| {})
}

/// As [`start`], with the config adjusted by `f`.
pub fn start_with(f: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut config = SimConfig {
        accounts: vec![account(1), account(2)],
        retry_base: Duration::from_millis(10),
        retry_cap: Duration::from_millis(40),
        max_attempts: 5,
        delivery_timeout: Duration::from_secs(5),
        ..SimConfig::default()
    };
    f(&mut config);
    Simulator::start(config).expect("simulator starts")
}

/// base64(HMAC-SHA256(base64_decode(secret_key), api_key)), computed here, not by the sim.
pub fn signature(secret_key_b64: &str, api_key: &str) -> String {
    let key = STANDARD.decode(secret_key_b64).unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(api_key.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A signed-request client for one account.
pub struct Client {
    pub base: String,
    pub account: Account,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(sim: &Simulator, account: Account) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        Client {
            base: sim.base_url(),
            account,
            agent,
        }
    }

    pub fn id(&self) -> String {
        self.account.account_id.clone()
    }

    /// The headers of a correctly signed request.
    pub fn headers(&self) -> Vec<(String, String)> {
        vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-API-Key".into(), self.account.api_key.clone()),
            ("X-API-Auth-Token".into(), self.account.auth_token.clone()),
            (
                "Authorization".into(),
                format!(
                    "KSig1-HMAC-SHA256 {}",
                    signature(&self.account.secret_key, &self.account.api_key)
                ),
            ),
            ("X-API-Signed-Elements".into(), "API-Key".into()),
            ("X-API-Version".into(), "2025-03-24".into()),
        ]
    }

    /// POST `/<method>` with `body` and `headers`; (status, JSON or Null).
    pub fn send(&self, method: &str, headers: &[(String, String)], body: &[u8]) -> (u16, Value) {
        let mut req = self.agent.post(format!("{}/{method}", self.base));
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut resp = req.send(body).unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A correctly signed call.
    pub fn call(&self, method: &str, body: Value) -> (u16, Value) {
        self.send(method, &self.headers(), body.to_string().as_bytes())
    }

    /// A call that must succeed; its `data`.
    pub fn ok(&self, method: &str, body: Value) -> Value {
        let (status, v) = self.call(method, body);
        assert_eq!(status, 200, "{method}: {v}");
        assert_eq!(v["meta"]["status"], "SUCCESS", "{v}");
        v["data"].clone()
    }

    /// A call that must fail with `status`; its single error item.
    pub fn err(&self, method: &str, body: Value, status: u16) -> Value {
        let (got, v) = self.call(method, body);
        assert_eq!(got, status, "{method}: {v}");
        assert_error_envelope(&v);
        v["errors"][0].clone()
    }

    /// Creates and activates a key; (key_id, shared_secret).
    pub fn active_key(&self) -> (String, String) {
        let k = self.ok("webhook.key.create", json!({"account_id": self.id()}));
        let key_id = k["key_id"].as_str().unwrap().to_owned();
        self.ok("webhook.key.activate", json!({"key_id": key_id}));
        (key_id, k["shared_secret"].as_str().unwrap().to_owned())
    }

    /// Configures an endpoint; its config id.
    pub fn endpoint(&self, url: &str) -> String {
        let d = self.ok(
            "webhook.config.create",
            json!({"account_id": self.id(), "config": {"url": url}}),
        );
        d["config_id"].as_str().unwrap().to_owned()
    }

    pub fn trigger(&self, event_type: &str) -> String {
        let d = self.ok("sim.event.trigger", json!({"event_type": event_type}));
        d["webhook_id"].as_str().unwrap().to_owned()
    }
}

/// Checks the error envelope of spec §5.
pub fn assert_error_envelope(v: &Value) {
    assert_eq!(v["meta"]["status"], "ERROR", "{v}");
    assert!(
        v["meta"]["trace_id"].as_str().unwrap().starts_with("trc_"),
        "{v}"
    );
    assert_eq!(v["meta"]["version"], "2025-03-24", "{v}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert!(
        v["errors"][0]["code"].is_string() && v["errors"][0]["message"].is_string(),
        "{v}"
    );
}

/// Sends raw bytes to the simulator; (status, body text). Reads until the response's
/// Content-Length (or close, or `wait`).
pub fn raw(sim: &Simulator, request: &[u8], wait: Duration) -> (u16, String) {
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request).unwrap();
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0u8; length.unwrap_or(0)];
    let _ = reader.read_exact(&mut body);
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// One request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

type Answer = dyn Fn(&Received, usize) -> Option<u16> + Send + Sync;

/// A webhook endpoint on loopback: records every request and answers with the status chosen
/// by its closure (given the request and its 0-based index); `None` never answers.
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn new(
        answer: impl Fn(&Received, usize) -> Option<u16> + Send + Sync + 'static,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let answer: Arc<Answer> = Arc::new(answer);
        let sink = Arc::clone(&got);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (sink, answer) = (Arc::clone(&sink), Arc::clone(&answer));
                std::thread::spawn(move || serve_one(stream, &sink, &*answer));
            }
        });
        Receiver { url, got }
    }

    /// Always answers `status`.
    pub fn status(status: u16) -> Receiver {
        Receiver::new(move |_, _| Some(status))
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let end = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn serve_one(stream: TcpStream, sink: &Mutex<Vec<Received>>, answer: &Answer) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    let received = Received {
        headers,
        body,
        at: Instant::now(),
    };
    let index = {
        let mut got = sink.lock().unwrap();
        got.push(received.clone());
        got.len() - 1
    };
    match answer(&received, index) {
        Some(status) => {
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
        None => std::thread::sleep(Duration::from_secs(30)),
    }
}
