//! A scripted fake Kompliant API for the client tests: one thread, one connection per
//! request (`Connection: close`), one scripted reply per accepted connection, every request
//! recorded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kompliant_webhooks::{ClientOptions, Credentials, KompliantClient};
use serde_json::{json, Value};

pub const API_KEY: &str = "sb_api_key_123";
/// base64 of the bytes 0, 1, ..., 31.
pub const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const AUTH_TOKEN: &str = "tok_6f1d2c3b4a5e6f708192a3b4c5d6e7f8";
/// HMAC-SHA256(key = base64_decode(SECRET_KEY), msg = API_KEY), base64. Computed
/// independently of this crate with Python's standard library:
/// python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(bytes(range(32)), b"sb_api_key_123", hashlib.sha256).digest()).decode())'
pub const SIGNATURE: &str = "XHoNHzS9kAiwQh6s0dDfojHOwrlJJqiLzrUyJv3TTC4=";

/// What the fake server does with one accepted connection, after reading the request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status, extra headers and body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Answer nothing for this long, then close.
    Hang(Duration),
    /// Close the connection without answering.
    Close,
}

impl Reply {
    pub fn raw(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn json(status: u16, body: Value) -> Reply {
        Reply::raw(status, &body.to_string())
    }

    /// A success envelope around `data`.
    pub fn ok(data: Value) -> Reply {
        Reply::json(
            200,
            json!({"meta": {"status": "SUCCESS", "trace_id": "trc_ok", "version": "2025-03-24"}, "data": data}),
        )
    }

    /// An error envelope.
    pub fn error(status: u16, code: &str, sub_code: Option<&str>, message: &str) -> Reply {
        let mut error = json!({"code": code, "message": message});
        if let Some(sub) = sub_code {
            error["sub_code"] = json!(sub);
            error["entity_type"] = json!("Webhook Key");
        }
        Reply::json(
            status,
            json!({"meta": {"status": "ERROR", "trace_id": "trc_err"}, "errors": [error]}),
        )
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Respond {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Respond {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// One request as the fake server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The value of header `name` (case-insensitive); panics if absent or repeated.
    pub fn header(&self, name: &str) -> &str {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(values.len(), 1, "header {name} in {:?}", self.headers);
        values[0]
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// The fake server. Requests beyond the script find the port closed.
pub struct FakeServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeServer {
    pub fn start(script: Vec<Reply>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        FakeServer::serve(listener, url, script)
    }

    /// Serves `script` on `listener` from a background thread.
    pub fn serve(listener: TcpListener, url: String, script: Vec<Reply>) -> FakeServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        thread::spawn(move || {
            for reply in script {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                handle(stream, &reply, &recorded);
            }
        });
        FakeServer { url, requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.path).collect()
    }

    pub fn client(&self) -> KompliantClient {
        self.client_with(|_| {})
    }

    /// A client of this server with fast retries, after `adjust` changed the options.
    pub fn client_with(&self, adjust: impl FnOnce(&mut ClientOptions)) -> KompliantClient {
        client_for(&self.url, adjust)
    }
}

pub fn credentials() -> Credentials {
    Credentials::new(API_KEY, SECRET_KEY, AUTH_TOKEN).unwrap()
}

pub fn client_for(url: &str, adjust: impl FnOnce(&mut ClientOptions)) -> KompliantClient {
    let mut options = ClientOptions {
        base_url: url.to_owned(),
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry_base: Duration::from_millis(1),
        retry_max_delay: Duration::from_millis(5),
        ..ClientOptions::default()
    };
    adjust(&mut options);
    KompliantClient::new(credentials(), options).unwrap()
}

/// A loopback URL where nothing listens (the port was just released).
pub fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A base64 shared secret of 32 bytes of `byte`.
pub fn shared_secret(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

pub fn created_key(key_id: &str, secret: &str) -> Value {
    json!({"key_id": key_id, "shared_secret": secret, "status": "INACTIVE", "created_at": "2025-11-21T14:30:22.123Z"})
}

pub fn activated_key(key_id: &str, previous: Option<&str>) -> Value {
    let mut data =
        json!({"key_id": key_id, "status": "ACTIVE", "activated_at": "2025-11-21T14:31:00Z"});
    if let Some(previous) = previous {
        data["previous_key_id"] = json!(previous);
    }
    data
}

fn handle(stream: TcpStream, reply: &Reply, recorded: &Mutex<Vec<Recorded>>) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    recorded.lock().unwrap().push(request);
    let mut stream = stream;
    match reply {
        Reply::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
            let _ = stream.flush();
        }
        Reply::Hang(duration) => thread::sleep(*duration),
        Reply::Close => {}
    }
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}
