//! The HTTP server under the simulator and `kompliant listen`, black-box over real loopback
//! sockets: statuses and limits, hostile framings, slow and idle clients, handler panics,
//! the connection limit, concurrency, shutdown.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kompliant_http::{Rejection, Request, Response, Server, ServerHandle, ServerOptions};

/// Serves `handler` on a free loopback port.
fn serve(
    options: ServerOptions,
    handler: impl Fn(Request) -> Response + Send + Sync + 'static,
) -> ServerHandle {
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), options).unwrap();
    server.serve(Arc::new(handler)).unwrap()
}

/// Answers 200 with the request body.
fn echo(options: ServerOptions) -> ServerHandle {
    serve(options, |request| Response::new(200, request.body))
}

fn small(max_body_bytes: usize) -> ServerOptions {
    ServerOptions {
        max_body_bytes,
        ..ServerOptions::default()
    }
}

/// A parsed response.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Reads one response (its head, then `Content-Length` bytes of body), leaving the
/// connection open. Fails if none comes within 5 s.
fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            other => panic!(
                "no complete answer ({other:?}) after {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    let head = String::from_utf8(raw).unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut answer = Answer {
        status,
        head,
        body: Vec::new(),
    };
    if status == 100 {
        return answer;
    }
    let length: usize = answer
        .header("Content-Length")
        .map_or(0, |v| v.parse().unwrap());
    answer.body = vec![0; length];
    stream.read_exact(&mut answer.body).unwrap();
    answer
}

/// Whether the server closed the connection (within 5 s), after what it answered.
fn closed(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => rest.is_empty(),
        Err(e) => e.kind() == ErrorKind::ConnectionReset,
    }
}

/// Sends `request` on a new connection; the first answer.
fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    read_answer(&mut stream)
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
}

#[test]
fn serves_requests_on_kept_alive_connections() {
    let server = serve(ServerOptions::default(), |request| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/a/b?c=d");
        assert_eq!(request.path(), "/a/b");
        assert_eq!(request.header("x-custom"), Some("one"));
        assert_eq!(request.header("X-CUSTOM"), Some("one"));
        assert!(request.peer.ip().is_loopback());
        Response::json(201, request.body)
            .with_header("Content-Length", "999")
            .with_header("Bad Name", "x")
            .with_header("X-Fine", "yes")
    });
    let mut stream = connect(server.local_addr());
    for _ in 0..3 {
        stream
            .write_all(
                b"POST /a/b?c=d HTTP/1.1\r\nHost: x\r\nX-Custom: one\r\nX-Custom: two\r\n\
                  Content-Length: 7\r\n\r\n{\"a\":1}",
            )
            .unwrap();
        let answer = read_answer(&mut stream);
        assert_eq!(answer.status, 201);
        assert_eq!(answer.body, b"{\"a\":1}");
        assert_eq!(answer.header("Content-Length"), Some("7"));
        assert_eq!(answer.header("Content-Type"), Some("application/json"));
        assert_eq!(answer.header("X-Fine"), Some("yes"));
        assert_eq!(answer.header("Bad Name"), None);
    }
    // HTTP/1.0: answered and closed.
    let mut stream = connect(server.local_addr());
    stream
        .write_all(b"POST /a/b?c=d HTTP/1.0\r\nX-Custom: one\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut stream).status, 201);
    assert!(closed(&mut stream));
    // HEAD: the length of the body that would be sent, no body.
    let server = serve(ServerOptions::default(), |_| Response::new(200, "four"));
    let mut stream = connect(server.local_addr());
    stream
        .write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.contains("content-length: 4\r\n"), "{raw}");
    assert!(raw.ends_with("\r\n\r\n"), "{raw}");
}

#[test]
fn an_absurd_content_length_is_413_unread_and_the_server_keeps_serving() {
    let server = echo(small(1000));
    let addr = server.local_addr();
    for length in ["1000000000000000", "9000000000000000000", "1001"] {
        let started = Instant::now();
        let mut stream = connect(addr);
        stream
            .write_all(
                format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}")
                    .as_bytes(),
            )
            .unwrap();
        let answer = read_answer(&mut stream);
        assert_eq!(answer.status, 413, "{length}");
        assert!(
            String::from_utf8_lossy(&answer.body).contains("limit of 1000 bytes"),
            "{answer:?}"
        );
        assert_eq!(answer.header("Connection"), Some("close"));
        assert!(closed(&mut stream), "{length}");
        assert!(started.elapsed() < Duration::from_secs(2), "{length}");
        assert_eq!(get(addr, "/").status, 200);
    }
    // A length that does not fit in 64 bits is malformed; hyper refuses 2^64-1 (its own
    // marker) as too large.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nContent-Length: 100000000000000000000000000000\r\n\r\n",
    );
    assert_eq!(answer.status, 400);
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n",
    );
    assert_eq!(answer.status, 431);
    // A body cut short: the client stops sending.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&rest)
    );
    let body = "x".repeat(1000);
    let answer = exchange(
        addr,
        format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{body}").as_bytes(),
    );
    assert_eq!((answer.status, answer.body), (200, body.into_bytes()));
}

#[test]
fn an_oversized_chunked_body_is_413() {
    let server = echo(small(1000));
    let addr = server.local_addr();
    let big = "a".repeat(1500);
    let answer = exchange(
        addr,
        format!(
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
            big.len()
        )
        .as_bytes(),
    );
    assert_eq!(answer.status, 413);
    // Many small chunks that add up to too much, cut off as soon as they go over.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    for _ in 0..11 {
        stream.write_all(b"64\r\n").unwrap();
        stream.write_all(&[b'b'; 100]).unwrap();
        stream.write_all(b"\r\n").unwrap();
    }
    assert_eq!(read_answer(&mut stream).status, 413);
    // Within the limit: de-chunked, extensions and trailers ignored.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
    );
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"hello world"[..])
    );
    for bad in [
        &b"zz\r\nhello\r\n0\r\n\r\n"[..],
        b"5\r\nhello!!\r\n0\r\n\r\n",
        b"ffffffffffffffffffffffff\r\n",
    ] {
        let mut request = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        request.extend_from_slice(bad);
        let answer = exchange(addr, &request);
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn slow_and_idle_clients_are_cut_off() {
    let idle = Duration::from_millis(400);
    let server = echo(ServerOptions {
        idle_timeout: idle,
        body_timeout: Duration::from_millis(400),
        ..ServerOptions::default()
    });
    let addr = server.local_addr();
    // Slowloris: a header line every 50 ms, never finishing the head: closed.
    let mut stream = connect(addr);
    let started = Instant::now();
    stream.write_all(b"POST / HTTP/1.1\r\n").unwrap();
    let mut writer = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for _ in 0..100 {
            if writer.write_all(b"X-Slow: y\r\n").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    assert!(closed(&mut stream));
    let elapsed = started.elapsed();
    assert!(elapsed >= idle, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    drop(stream);
    trickle.join().unwrap();
    // A body that never arrives in full: 408.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    assert_eq!(read_answer(&mut stream).status, 408);
    // A client that connects and says nothing, and one kept alive after its answer: closed.
    let mut silent = connect(addr);
    let mut kept = connect(addr);
    kept.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(read_answer(&mut kept).status, 200);
    let started = Instant::now();
    assert!(closed(&mut silent));
    assert!(closed(&mut kept));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn malformed_requests_and_other_http_versions_are_400() {
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"G(T / HTTP/1.1\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\n\r\n",
        b"\xff\xfe\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: b\0c\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello!",
        b"GET / HTTP/1.2\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET / FTP/1.0\r\n\r\n",
    ] {
        let mut stream = connect(addr);
        stream.write_all(bad).unwrap();
        let answer = read_answer(&mut stream);
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(bad));
        assert!(closed(&mut stream), "{}", String::from_utf8_lossy(bad));
    }
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn an_oversized_head_is_431() {
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    let big = "v".repeat(20 * 1024);
    let answer = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    );
    assert_eq!(answer.status, 431);
    // A head that never ends: refused once it passes the limit, not read forever.
    let mut stream = connect(addr);
    stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    for _ in 0..2000 {
        if stream.write_all(b"X-Many: header\r\n").is_err() {
            break;
        }
    }
    assert_eq!(read_answer(&mut stream).status, 431);
}

#[test]
fn content_length_and_transfer_encoding_together_are_never_read_as_the_length() {
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    // Request smuggling: a length beside chunked must not frame the body.
    for request in [
        &b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
    ] {
        let answer = exchange(addr, request);
        assert!(
            answer.status == 400 || (answer.status == 200 && answer.body == b"hello"),
            "{answer:?} for {}",
            String::from_utf8_lossy(request)
        );
        assert_ne!(
            (answer.status, answer.body.as_slice()),
            (200, &b"5\r\nhe"[..])
        );
    }
    // The same length twice is one length.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"hello"[..])
    );
}

#[test]
fn expect_100_continue() {
    let server = echo(small(1000));
    let addr = server.local_addr();
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        .unwrap();
    assert_eq!(read_answer(&mut stream).status, 100);
    stream.write_all(b"hello").unwrap();
    let answer = read_answer(&mut stream);
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"hello"[..])
    );
    // Too large: 413 at once, no 100.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n",
    );
    assert_eq!(answer.status, 413);
    // Any other expectation: 417.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nExpect: something-else\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(answer.status, 417);
}

#[test]
fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let server = serve(ServerOptions::default(), |request| {
        if request.path() == "/panic" {
            panic!("a handler bug");
        }
        Response::empty(204)
    });
    let addr = server.local_addr();
    for _ in 0..3 {
        assert_eq!(get(addr, "/panic").status, 500);
        assert_eq!(get(addr, "/fine").status, 204);
    }
    // A status that is not a final one is sent as 500.
    let server = serve(ServerOptions::default(), |_| Response::empty(101));
    assert_eq!(get(server.local_addr(), "/").status, 500);
}

#[test]
fn refusals_are_rendered_and_observed_by_the_application() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), small(10))
        .unwrap()
        .with_rejections(Arc::new(|rejection: &Rejection| {
            if rejection.status == 417 {
                panic!("a renderer bug");
            }
            Response::json(
                rejection.status,
                format!("{{\"refused\":{}}}", rejection.status),
            )
        }))
        .on_refusal(Arc::new(move |rejection: &Rejection| {
            sink.lock().unwrap().push(rejection.status);
        }))
        .serve(Arc::new(|_| -> Response { panic!("a handler bug") }))
        .unwrap();
    let addr = server.local_addr();
    let answer = exchange(addr, b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (413, &b"{\"refused\":413}"[..])
    );
    assert_eq!(answer.header("Content-Type"), Some("application/json"));
    assert_eq!(get(addr, "/").body, b"{\"refused\":500}");
    // A panicking renderer falls back to the plain answer.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nExpect: nothing\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(answer.status, 417);
    assert!(String::from_utf8_lossy(&answer.body).contains("100-continue"));
    // What hyper answers itself is observed too.
    assert_eq!(exchange(addr, b"BAD\r\n\r\n").status, 400);
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen.lock().unwrap().len() < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*seen.lock().unwrap(), [413, 500, 417, 400]);
}

#[test]
fn over_the_limit_the_connection_idle_the_longest_makes_room() {
    let server = echo(ServerOptions {
        max_connections: 4,
        ..ServerOptions::default()
    });
    let addr = server.local_addr();
    // Four clients that connect and say nothing hold every connection.
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let stream = connect(addr);
            std::thread::sleep(Duration::from_millis(20));
            stream
        })
        .collect();
    // A new client is served: the oldest idle one is closed for it.
    for _ in 0..3 {
        assert_eq!(get(addr, "/").status, 200);
    }
    assert!(closed(&mut idle[0]));
    assert!(server.open_connections() <= 4);
}

#[test]
fn when_every_connection_is_busy_a_new_one_gets_503() {
    let release = Arc::new(Mutex::new(()));
    let held = release.lock().unwrap();
    let (gate, entered) = (Arc::clone(&release), Arc::new(AtomicUsize::new(0)));
    let count = Arc::clone(&entered);
    let server = serve(
        ServerOptions {
            max_connections: 2,
            ..ServerOptions::default()
        },
        move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            drop(gate.lock().unwrap());
            Response::empty(200)
        },
    );
    let addr = server.local_addr();
    let busy: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || get(addr, "/").status))
        .collect();
    let deadline = Instant::now() + Duration::from_secs(5);
    while entered.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "the handlers never ran");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Both handlers are running: nothing can be closed to make room.
    let answer = get(addr, "/");
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("Connection"), Some("close"));
    drop(held);
    for client in busy {
        assert_eq!(client.join().unwrap(), 200);
    }
}

#[test]
fn concurrent_requests_are_served_at_once() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now, peak) = (Arc::clone(&in_flight), Arc::clone(&most));
    let server = serve(ServerOptions::default(), move |_| {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(300));
        now.fetch_sub(1, Ordering::SeqCst);
        Response::empty(200)
    });
    let addr = server.local_addr();
    let clients: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || get(addr, "/").status))
        .collect();
    for client in clients {
        assert_eq!(client.join().unwrap(), 200);
    }
    assert!(most.load(Ordering::SeqCst) > 1);
}

#[test]
fn shutdown_stops_accepting_and_lets_requests_in_flight_finish() {
    let server = serve(ServerOptions::default(), |_| {
        std::thread::sleep(Duration::from_millis(300));
        Response::empty(200)
    });
    let addr = server.local_addr();
    let mut in_flight = connect(addr);
    in_flight
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    server.shutdown();
    assert!(TcpStream::connect(addr).is_err());
    assert_eq!(read_answer(&mut in_flight).status, 200);
    // Dropping the handle shuts down too.
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    drop(server);
    assert!(TcpStream::connect(addr).is_err());
}
