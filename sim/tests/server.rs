//! The HTTP server under the simulator and `kompliant listen`, over real loopback sockets:
//! hostile sizes and framings, slow clients, handler panics, connection limits, concurrency.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kompliant_sim::server::{Rejection, Request, Response, Server, ServerHandle, ServerOptions};

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
    fn parse(raw: &[u8]) -> Answer {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8(raw[..split].to_vec()).unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        Answer {
            status,
            head,
            body: raw[split + 4..].to_vec(),
        }
    }

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

/// Reads to the end of the connection: fails if the server does not close it within 5 s.
fn read_to_close(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .expect("the server answers and closes the connection");
    Answer::parse(&raw)
}

/// Sends `request` on a new connection; the answer, read until the server closes.
fn exchange(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    read_to_close(&mut stream)
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
}

#[test]
fn serves_one_request_per_connection_with_length_and_close() {
    let server = serve(ServerOptions::default(), |request| {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/a/b?c=d");
        assert_eq!(request.path(), "/a/b");
        assert_eq!(request.header("x-custom"), Some("one"));
        assert_eq!(request.header("X-CUSTOM"), Some("one"));
        assert!(request.peer.ip().is_loopback());
        Response::json(201, request.body).with_header("Content-Length", "999")
    });
    let answer = exchange(
        server.local_addr(),
        b"POST /a/b?c=d HTTP/1.1\r\nHost: x\r\nX-Custom: one\r\nX-Custom: two\r\n\
          Content-Length: 7\r\n\r\n{\"a\":1}",
    );
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body, b"{\"a\":1}");
    assert_eq!(answer.header("Content-Length"), Some("7"));
    assert_eq!(answer.header("Connection"), Some("close"));
    assert_eq!(answer.header("Content-Type"), Some("application/json"));
    // HTTP/1.0, bare LF line ends, no body.
    let answer = exchange(
        server.local_addr(),
        b"POST /a/b?c=d HTTP/1.0\nX-Custom: one\n\n",
    );
    assert_eq!((answer.status, answer.body.len()), (201, 0));
    // HEAD: the length of the body that would be sent, no body.
    let server = serve(ServerOptions::default(), |_| Response::new(200, "four"));
    let answer = exchange(server.local_addr(), b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(answer.header("Content-Length"), Some("4"));
    assert!(answer.body.is_empty());
}

#[test]
fn an_absurd_content_length_is_413_unread_and_the_server_keeps_serving() {
    let server = echo(small(1000));
    let addr = server.local_addr();
    for length in [
        "1000000000000000",
        "18446744073709551615",
        "100000000000000000000000000000",
        "1001",
    ] {
        let started = Instant::now();
        let answer = exchange(
            addr,
            format!("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}")
                .as_bytes(),
        );
        assert_eq!(answer.status, 413, "{length}");
        assert!(
            String::from_utf8_lossy(&answer.body).contains("limit of 1000 bytes"),
            "{answer:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{length}");
        assert_eq!(get(addr, "/").status, 200);
    }
    // Answered before the body is sent at all.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n\r\n")
        .unwrap();
    assert_eq!(read_to_close(&mut stream).status, 413);
    // A body cut short: the client stops sending.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        .unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut stream).status, 400);
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
    assert_eq!(read_to_close(&mut stream).status, 413);
    // A chunk size that does not fit in 64 bits.
    let answer = exchange(
        addr,
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\n",
    );
    assert_eq!(answer.status, 413);
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
        b"5\r\nhel",
    ] {
        let mut request = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        request.extend_from_slice(bad);
        let mut stream = connect(addr);
        stream.write_all(&request).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(
            read_to_close(&mut stream).status,
            400,
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn a_slow_client_is_cut_off_after_the_read_timeout() {
    let timeout = Duration::from_millis(300);
    let server = echo(ServerOptions {
        read_timeout: timeout,
        ..ServerOptions::default()
    });
    let addr = server.local_addr();
    // Slowloris: a header line every 50 ms, never finishing the head.
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
    let answer = read_to_close(&mut stream);
    let elapsed = started.elapsed();
    assert_eq!(answer.status, 408);
    assert!(elapsed >= timeout, "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    drop(stream);
    trickle.join().unwrap();
    // A body that never arrives in full.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    assert_eq!(read_to_close(&mut stream).status, 408);
    // A client that connects and says nothing.
    let mut stream = connect(addr);
    assert_eq!(read_to_close(&mut stream).status, 408);
    assert_eq!(get(addr, "/").status, 200);
}

#[test]
fn malformed_requests_are_400() {
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET /\r\n\r\n",
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"G(T / HTTP/1.1\r\n\r\n",
        b"GET / FTP/1.0\r\n\r\n",
        b"GET /\x01 HTTP/1.1\r\n\r\n",
        b"\xff\xfe\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nName : x\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: b\r\n folded: c\r\n\r\n",
        b"GET / HTTP/1.1\r\nA: b\0c\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ] {
        let answer = exchange(addr, bad);
        assert_eq!(answer.status, 400, "{}", String::from_utf8_lossy(bad));
        assert_eq!(answer.header("Connection"), Some("close"));
    }
    assert_eq!(exchange(addr, b"GET / HTTP/2.0\r\n\r\n").status, 505);
    assert_eq!(
        exchange(
            addr,
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        )
        .status,
        501
    );
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
    let server = echo(ServerOptions {
        max_header_bytes: 1024,
        ..ServerOptions::default()
    });
    // A head that never ends: refused once it passes the limit, not read forever.
    let mut stream = connect(server.local_addr());
    stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    for _ in 0..200 {
        if stream.write_all(b"X-Many: header\r\n").is_err() {
            break;
        }
    }
    assert_eq!(read_to_close(&mut stream).status, 431);
    // Chunked trailers count against the same limit.
    let trailer = "t".repeat(2000);
    let answer = exchange(
        server.local_addr(),
        format!("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: {trailer}\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(answer.status, 431);
}

#[test]
fn content_length_and_transfer_encoding_together_are_400() {
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    for request in [
        &b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello!",
    ] {
        assert_eq!(
            exchange(addr, request).status,
            400,
            "{}",
            String::from_utf8_lossy(request)
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
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut got = vec![0; interim.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, interim);
    stream.write_all(b"hello").unwrap();
    let answer = read_to_close(&mut stream);
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"hello"[..])
    );
    // Chunked too.
    let mut stream = connect(addr);
    stream
        .write_all(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let mut got = vec![0; interim.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(got, interim);
    stream.write_all(b"2\r\nok\r\n0\r\n\r\n").unwrap();
    assert_eq!(read_to_close(&mut stream).body, b"ok");
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
}

#[test]
fn rejections_can_be_rendered_by_the_application() {
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), small(10))
        .unwrap()
        .with_rejections(Arc::new(|rejection: &Rejection| {
            if rejection.status == 400 {
                panic!("a renderer bug");
            }
            Response::json(
                rejection.status,
                format!("{{\"refused\":{}}}", rejection.status),
            )
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
    let answer = exchange(addr, b"BAD\r\n\r\n");
    assert_eq!(answer.status, 400);
    assert!(String::from_utf8_lossy(&answer.body).contains("Malformed request line"));
}

#[test]
fn connections_over_the_limit_get_503() {
    let server = echo(ServerOptions {
        max_connections: 2,
        ..ServerOptions::default()
    });
    let addr = server.local_addr();
    // Two clients that connect and say nothing yet hold both connections.
    let idle: Vec<TcpStream> = (0..2).map(|_| connect(addr)).collect();
    let answer = get(addr, "/");
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("Connection"), Some("close"));
    // Once they leave, the server serves again.
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let status = get(addr, "/").status;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(
            Instant::now() < deadline,
            "the connections were never released"
        );
        std::thread::sleep(Duration::from_millis(10));
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
    let started = Instant::now();
    let clients: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || get(addr, "/").status))
        .collect();
    for client in clients {
        assert_eq!(client.join().unwrap(), 200);
    }
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
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
    assert_eq!(read_to_close(&mut in_flight).status, 200);
    // Dropping the handle shuts down too.
    let server = echo(ServerOptions::default());
    let addr = server.local_addr();
    drop(server);
    assert!(TcpStream::connect(addr).is_err());
}
