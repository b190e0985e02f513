//! `wsmachine::http` against the engine: the same requests and responses through both paths
//! give the same statuses, headers and failures; then the same through a real hyper server.

use std::io::{Read, Write};

use wsmachine::http::{
    UpgradeRequest, client_request, connect_error_response, error_response, validate_response,
};
use wsmachine::{
    Accept, ClientRequest, Config, Connection, Error, Event, HandshakeFailure, Instant, Key,
    MaskKey, Misuse,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Builds a request head from the lines between the request line and the blank line.
fn head(request_line: &str, headers: &[&str]) -> Vec<u8> {
    let mut out = format!("{request_line}\r\n").into_bytes();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

const GOOD: [&str; 5] = [
    "Host: example.com",
    "Upgrade: websocket",
    "Connection: keep-alive, Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
];

/// The good request with header `drop` removed and `add` appended.
fn variant(drop: &str, add: &[&str]) -> Vec<u8> {
    let mut headers: Vec<&str> = GOOD
        .iter()
        .copied()
        .filter(|h| drop.is_empty() || !h.starts_with(drop))
        .collect();
    headers.extend_from_slice(add);
    head("GET /chat?room=1 HTTP/1.1", &headers)
}

/// Every request the table runs, with the status the engine is expected to give.
fn table() -> Vec<(&'static str, Vec<u8>, u16)> {
    let many: Vec<String> = (0..40).map(|i| format!("X-Pad-{i}: {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    vec![
        ("good", variant("", &[]), 101),
        (
            "good, body length 0",
            variant("", &["Content-Length: 0"]),
            101,
        ),
        (
            "good, origin and protocols",
            variant(
                "",
                &[
                    "Origin: http://example.com",
                    "Sec-WebSocket-Protocol: chat, superchat",
                    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
                ],
            ),
            101,
        ),
        ("POST", head("POST /chat HTTP/1.1", &GOOD), 405),
        ("HTTP/1.0", head("GET /chat HTTP/1.0", &GOOD), 400),
        ("no Host", variant("Host", &[]), 400),
        ("no Upgrade", variant("Upgrade", &[]), 400),
        ("Upgrade: h2c", variant("Upgrade", &["Upgrade: h2c"]), 400),
        ("no Connection", variant("Connection", &[]), 400),
        (
            "Connection without upgrade",
            variant("Connection", &["Connection: keep-alive"]),
            400,
        ),
        ("no version", variant("Sec-WebSocket-Version", &[]), 426),
        (
            "version 8",
            variant("Sec-WebSocket-Version", &["Sec-WebSocket-Version: 8"]),
            426,
        ),
        (
            "version 013",
            variant("Sec-WebSocket-Version", &["Sec-WebSocket-Version: 013"]),
            426,
        ),
        (
            "version list",
            variant("Sec-WebSocket-Version", &["Sec-WebSocket-Version: 13, 8"]),
            426,
        ),
        (
            "version twice",
            variant("", &["Sec-WebSocket-Version: 13"]),
            426,
        ),
        ("no key", variant("Sec-WebSocket-Key", &[]), 400),
        (
            "key twice",
            variant("", &["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]),
            400,
        ),
        (
            "key 15 bytes",
            variant(
                "Sec-WebSocket-Key",
                &["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ==="],
            ),
            400,
        ),
        (
            "key bad alphabet",
            variant(
                "Sec-WebSocket-Key",
                &["Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2!jZQ=="],
            ),
            400,
        ),
        ("Host twice", variant("", &["Host: other.example"]), 400),
        (
            "Origin twice",
            variant("", &["Origin: http://a", "Origin: http://b"]),
            400,
        ),
        ("body", variant("", &["Content-Length: 3"]), 400),
        ("chunked", variant("", &["Transfer-Encoding: chunked"]), 400),
        (
            "empty protocol item",
            variant("", &["Sec-WebSocket-Protocol: a,,b"]),
            400,
        ),
        (
            "protocol not a token",
            variant("", &["Sec-WebSocket-Protocol: a b"]),
            400,
        ),
        (
            "extension list unclosed quote",
            variant("", &["Sec-WebSocket-Extensions: a; b=\"c"]),
            400,
        ),
        ("too many headers", variant("", &many), 431),
    ]
}

/// A head parsed by httparse into the `http` crate's request, as an HTTP stack would.
fn to_http_request(head: &[u8]) -> http::Request<()> {
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let mut parsed = httparse::Request::new(&mut storage);
    assert!(parsed.parse(head).unwrap().is_complete());
    let version = match parsed.version {
        Some(1) => http::Version::HTTP_11,
        _ => http::Version::HTTP_10,
    };
    let mut builder = http::Request::builder()
        .method(parsed.method.unwrap())
        .uri(parsed.path.unwrap())
        .version(version);
    for h in parsed.headers.iter() {
        builder = builder.header(h.name, h.value);
    }
    builder.body(()).unwrap()
}

/// A response head as (status, [(lower-case name, value)]), in order.
fn parse_response(bytes: &[u8]) -> (u16, Vec<(String, String)>) {
    let mut storage = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut storage);
    assert!(parsed.parse(bytes).unwrap().is_complete());
    let headers = parsed
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8(h.value.to_vec()).unwrap();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    (parsed.code.unwrap(), headers)
}

fn http_headers(map: &http::HeaderMap) -> Vec<(String, String)> {
    map.iter()
        .map(|(n, v)| {
            let value = String::from_utf8(v.as_bytes().to_vec()).unwrap();
            (n.as_str().to_owned(), value)
        })
        .collect()
}

/// The engine's answer to `head` (accepted with `accept`): status, headers, failure.
fn engine(
    head: &[u8],
    accept: &Accept<'_>,
) -> (u16, Vec<(String, String)>, Option<HandshakeFailure>) {
    let now = Instant::from_millis(0);
    let mut server = Connection::server(Config::new(), now);
    let mut buf = head.to_vec();
    let mut out = [0u8; 1024];
    match server.receive(now, &mut buf) {
        Ok(received) => {
            assert!(matches!(received.event, Some(Event::UpgradeRequest(_))));
            let n = server.accept(now, accept, &mut out).unwrap();
            let (status, headers) = parse_response(&out[..n]);
            (status, headers, None)
        }
        Err(Error::Handshake(failure)) => {
            let t = server.poll_transmit(&mut out).unwrap().unwrap();
            assert!(t.close_transport_after);
            let (status, headers) = parse_response(&out[..t.len]);
            (status, headers, Some(failure))
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
}

/// `wsmachine::http`'s answer to the same head.
fn via_http(
    head: &[u8],
    accept: &Accept<'_>,
) -> (u16, Vec<(String, String)>, Option<HandshakeFailure>) {
    let request = to_http_request(head);
    let (response, failure) = match UpgradeRequest::from_request(&request, &Config::new()) {
        Ok(upgrade) => (upgrade.accept(accept).unwrap(), None),
        Err(failure) => (error_response(failure), Some(failure)),
    };
    assert_eq!(response.version(), http::Version::HTTP_11);
    (
        response.status().as_u16(),
        http_headers(response.headers()),
        failure,
    )
}

#[test]
fn every_request_gets_the_engines_status_and_response() {
    let accept = Accept::new();
    for (name, head, expected) in table() {
        let engine = engine(&head, &accept);
        assert_eq!(engine.0, expected, "{name}: engine status");
        let http = via_http(&head, &accept);
        // Same status, same headers in the same order, same failure.
        assert_eq!(http, engine, "{name}");
        if expected == 426 {
            assert!(
                http.1
                    .contains(&("sec-websocket-version".into(), "13".into()))
            );
        }
    }
}

#[test]
fn the_101_with_subprotocol_and_extra_headers_matches_the_engine() {
    let head = variant("", &["Sec-WebSocket-Protocol: chat, superchat"]);
    let cookies = [
        ("Set-Cookie", "a=b"),
        ("Set-Cookie", "c=d"),
        ("X-Served-By", "café"),
    ];
    let accept = Accept::new()
        .with_subprotocol("superchat")
        .with_headers(&cookies);
    let engine = engine(&head, &accept);
    let http = via_http(&head, &accept);
    assert_eq!(http, engine);
    assert_eq!(
        http.1,
        [
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ("sec-websocket-protocol", "superchat"),
            ("set-cookie", "a=b"),
            ("set-cookie", "c=d"),
            ("x-served-by", "café"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
}

#[test]
fn the_view_exposes_what_the_request_offered() {
    let head = variant(
        "",
        &[
            "Origin: http://example.com",
            "Sec-WebSocket-Protocol: chat, superchat",
            "Sec-WebSocket-Protocol: v2",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo",
        ],
    );
    let request = to_http_request(&head);
    let (parts, ()) = request.into_parts();
    let upgrade = UpgradeRequest::from_parts(&parts, &Config::new()).unwrap();
    assert_eq!(upgrade.path(), "/chat");
    assert_eq!(upgrade.query(), Some("room=1"));
    assert_eq!(upgrade.host(), "example.com");
    assert_eq!(upgrade.origin(), Some("http://example.com"));
    assert_eq!(upgrade.key(), KEY);
    assert_eq!(
        upgrade.accept_key().as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(
        upgrade.subprotocols().collect::<Vec<_>>(),
        ["chat", "superchat", "v2"]
    );
    assert_eq!(
        upgrade.extensions().collect::<Vec<_>>(),
        ["permessage-deflate; client_max_window_bits", "x-foo"]
    );
    assert_eq!(upgrade.headers().len(), parts.headers.len());
}

#[test]
fn the_header_limit_follows_the_config() {
    let many: Vec<String> = (0..10).map(|i| format!("X-Pad-{i}: {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let request = to_http_request(&variant("", &many));
    // 15 header lines: 15 pass, 14 are too many, as in the engine.
    let failure = UpgradeRequest::from_request(&request, &Config::new().with_max_headers(14));
    assert_eq!(failure.unwrap_err(), HandshakeFailure::TooManyHeaders);
    assert!(UpgradeRequest::from_request(&request, &Config::new().with_max_headers(15)).is_ok());
}

#[test]
fn accept_refuses_what_the_engine_refuses_and_unoffered_subprotocols() {
    let head = variant("", &["Sec-WebSocket-Protocol: chat"]);
    let request = to_http_request(&head);
    let upgrade = UpgradeRequest::from_request(&request, &Config::new()).unwrap();
    let invalid = Error::Usage(Misuse::InvalidHeader);
    let unoffered = Error::Usage(Misuse::SubprotocolNotOffered);
    let cases: [(Accept<'_>, Error); 8] = [
        (Accept::new().with_subprotocol("other"), unoffered),
        (Accept::new().with_subprotocol("ch at"), unoffered),
        (Accept::new().with_headers(&[("Upgrade", "h2c")]), invalid),
        (
            Accept::new().with_headers(&[("Sec-WebSocket-Accept", "x")]),
            invalid,
        ),
        (
            Accept::new().with_headers(&[("Content-Length", "5")]),
            invalid,
        ),
        (
            Accept::new().with_headers(&[("Transfer-Encoding", "chunked")]),
            invalid,
        ),
        (Accept::new().with_headers(&[("Bad Name", "x")]), invalid),
        (
            Accept::new().with_headers(&[("X-Split", "a\r\nb")]),
            invalid,
        ),
    ];
    assert!(
        upgrade
            .accept(&Accept::new().with_subprotocol("chat"))
            .is_ok()
    );
    for (accept, expected) in cases {
        assert_eq!(upgrade.accept(&accept).unwrap_err(), expected, "{accept:?}");
        // The engine refuses the same answers with the same error.
        let mut server = Connection::server(Config::new(), Instant::from_millis(0));
        let mut buf = head.clone();
        let received = server.receive(Instant::from_millis(0), &mut buf).unwrap();
        assert!(matches!(received.event, Some(Event::UpgradeRequest(_))));
        let mut out = [0u8; 512];
        let engine = server.accept(Instant::from_millis(0), &accept, &mut out);
        assert_eq!(engine, Err(expected), "engine {accept:?}");
    }
}

#[test]
fn http2_error_responses_drop_connection() {
    let response = connect_error_response(HandshakeFailure::UnsupportedVersion);
    assert_eq!(response.status(), 426);
    assert_eq!(response.headers()["sec-websocket-version"], "13");
    assert!(response.headers().get("connection").is_none());
    assert_eq!(error_response(HandshakeFailure::NotGet).status(), 405);
    assert_eq!(error_response(HandshakeFailure::HeadTooLarge).status(), 431);
}

// ---- client side ----

fn masks() -> impl FnMut() -> MaskKey {
    let mut n = 0u32;
    move || {
        n = n.wrapping_add(0x9e37_79b9);
        MaskKey(n.to_be_bytes())
    }
}

#[test]
fn client_request_matches_what_the_engine_writes() {
    let protocols = ["chat", "superchat"];
    let extra = [("Authorization", "Bearer t"), ("Cookie", "a=b")];
    let request = ClientRequest::new(
        "example.com:8080",
        "/chat?room=1",
        Key(*b"16 random bytes!"),
    )
    .with_origin("https://example.com")
    .with_subprotocols(&protocols)
    .with_headers(&extra);
    let mut client = Connection::client(Config::new(), masks(), Instant::from_millis(0));
    let mut out = [0u8; 1024];
    let n = client
        .connect(Instant::from_millis(0), &request, &mut out)
        .unwrap();
    let engine = to_http_request(&out[..n]);
    let http = client_request(&request).unwrap();
    assert_eq!(http.method(), engine.method());
    assert_eq!(http.uri(), engine.uri());
    assert_eq!(http.version(), http::Version::HTTP_11);
    assert_eq!(http_headers(http.headers()), http_headers(engine.headers()));
    // And the server side accepts it.
    let upgrade = UpgradeRequest::from_request(&http, &Config::new()).unwrap();
    assert_eq!(upgrade.subprotocols().collect::<Vec<_>>(), protocols);

    let bad = ClientRequest::new("example.com", "no-slash", Key([0; 16]));
    assert_eq!(
        client_request(&bad).unwrap_err(),
        Error::Usage(Misuse::InvalidHeader)
    );
}

/// Response heads, each run through the engine's client and through `validate_response`.
fn response_table(accept: &str) -> Vec<(&'static str, String)> {
    let ok = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
    );
    let end = |extra: &str| format!("{ok}{extra}\r\n");
    vec![
        ("good", end("")),
        ("good with chat", end("Sec-WebSocket-Protocol: chat\r\n")),
        (
            "unoffered protocol",
            end("Sec-WebSocket-Protocol: other\r\n"),
        ),
        (
            "protocol twice",
            end("Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"),
        ),
        (
            "extension",
            end("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
        ),
        (
            "accept twice",
            end(&format!("Sec-WebSocket-Accept: {accept}\r\n")),
        ),
        (
            "wrong accept",
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {KEY}\r\n\r\n"
            ),
        ),
        (
            "no upgrade",
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ),
        ),
        (
            "no connection",
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ),
        ),
        (
            "403",
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".into(),
        ),
        ("HTTP/1.0", ok.replace("HTTP/1.1", "HTTP/1.0") + "\r\n"),
    ]
}

#[test]
fn validate_response_agrees_with_the_engines_client() {
    let key = Key(*b"16 random bytes!");
    let protocols = ["chat"];
    let request = ClientRequest::new("example.com", "/", key).with_subprotocols(&protocols);
    let accept = key.accept_key();
    let mut outcomes = Vec::new();
    for (name, head) in response_table(accept.as_str()) {
        let now = Instant::from_millis(0);
        let mut client = Connection::client(Config::new(), masks(), now);
        let mut out = [0u8; 1024];
        client.connect(now, &request, &mut out).unwrap();
        let mut buf = head.clone().into_bytes();
        let engine = match client.receive(now, &mut buf) {
            Ok(r) => match r.event {
                Some(Event::Established(response)) => Ok(response.subprotocol().map(str::to_owned)),
                // The engine hands a rejection over as an event (with its body); the http
                // path reports it as the failure it is, the response being the caller's.
                Some(Event::Rejected(rejection)) => {
                    Err(Error::Handshake(HandshakeFailure::Rejected {
                        status: rejection.status(),
                    }))
                }
                other => panic!("{name}: {other:?}"),
            },
            Err(e) => Err(e),
        };
        let mut storage = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Response::new(&mut storage);
        parsed.parse(head.as_bytes()).unwrap();
        let version = if parsed.version == Some(1) {
            http::Version::HTTP_11
        } else {
            http::Version::HTTP_10
        };
        let mut builder = http::Response::builder()
            .status(parsed.code.unwrap())
            .version(version);
        for h in parsed.headers.iter() {
            builder = builder.header(h.name, h.value);
        }
        let response = builder.body(()).unwrap();
        let http = validate_response(&response, &request).map(|p| p.map(str::to_owned));
        assert_eq!(http, engine, "{name}");
        outcomes.push((name, http));
    }
    let get = |name: &str| outcomes.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    assert_eq!(get("good"), Ok(None));
    assert_eq!(get("good with chat"), Ok(Some("chat".into())));
    let failure = |f| Err(Error::Handshake(f));
    assert_eq!(
        get("unoffered protocol"),
        failure(HandshakeFailure::UnofferedSubprotocol)
    );
    assert_eq!(
        get("extension"),
        failure(HandshakeFailure::UnofferedExtension)
    );
    assert_eq!(get("wrong accept"), failure(HandshakeFailure::BadAccept));
    assert_eq!(
        get("403"),
        failure(HandshakeFailure::Rejected { status: 403 })
    );
}

// ---- the same table through a real hyper server ----

/// A hyper HTTP/1 server whose only route validates with `wsmachine::http`.
async fn hyper_server() -> std::net::SocketAddr {
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let service = service_fn(|request: http::Request<hyper::body::Incoming>| async move {
                let response = match UpgradeRequest::from_request(&request, &Config::new()) {
                    Ok(upgrade) => upgrade.accept(&Accept::new()).unwrap(),
                    Err(failure) => error_response(failure),
                };
                Ok::<_, std::convert::Infallible>(response.map(|()| String::new()))
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .with_upgrades(),
            );
        }
    });
    addr
}

#[tokio::test]
async fn hyper_answers_the_table_with_the_engines_statuses() {
    let addr = hyper_server().await;
    for (name, head, expected) in table() {
        let sent = head.clone();
        let status = tokio::task::spawn_blocking(move || {
            let mut tcp = std::net::TcpStream::connect(addr).unwrap();
            tcp.write_all(&sent).unwrap();
            let mut response = Vec::new();
            let mut buf = [0u8; 1024];
            // Read up to the end of the head; the connection may stay open after a 101.
            while !response.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = tcp.read(&mut buf).unwrap();
                assert!(n > 0, "{name}: closed early");
                response.extend_from_slice(&buf[..n]);
            }
            parse_response(&response)
        })
        .await
        .unwrap();
        assert_eq!(status.0, expected, "{name}: {status:?}");
        // On the wire: the engine's header lines, in its order, plus hyper's Date.
        let (engine_status, engine_headers, _) = engine(&head, &Accept::new());
        let mut wire: Vec<_> = status.1.into_iter().filter(|(n, _)| n != "date").collect();
        if name == "HTTP/1.0" {
            // hyper appends its HTTP/1.0 keep-alive token to our `Connection: close`.
            let connection = wire.iter_mut().find(|(n, _)| n == "connection").unwrap();
            assert_eq!(connection.1, "close, keep-alive");
            connection.1 = "close".into();
        }
        assert_eq!((status.0, wire), (engine_status, engine_headers), "{name}");
    }
}

// ---- random requests: one rule set, so never a different status ----

/// Header lines, good and bad, that a random request picks from.
const POOL: &[&str] = &[
    "Host: example.com",
    "Host: other.example",
    "host: \u{e9}t\u{e9}.example",
    "Upgrade: websocket",
    "upgrade: WebSocket, h2c",
    "Upgrade: h2c",
    "Connection: Upgrade",
    "connection: keep-alive, upgrade",
    "Connection: keep-alive",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==",
    "Sec-WebSocket-Key: short",
    "Sec-WebSocket-Version: 13",
    "sec-websocket-version: 8",
    "Sec-WebSocket-Version: 13, 8",
    "Origin: https://example.com",
    "Sec-WebSocket-Protocol: chat, superchat",
    "Sec-WebSocket-Protocol: a,,b",
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
    "Sec-WebSocket-Extensions: x; y=\"z",
    "Content-Length: 0",
    "Content-Length: 7",
    "Transfer-Encoding: chunked",
    "Cookie: a=b",
    "X-Anything: caf\u{e9}",
];

static STATUSES: std::sync::Mutex<std::collections::BTreeSet<u16>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

#[test]
fn random_requests_reach_every_status() {
    random_requests_get_the_same_status_and_response();
    let seen = STATUSES.lock().unwrap().clone();
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [101, 400, 405, 426]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    #[test]
    fn random_requests_get_the_same_status_and_response(
        method in proptest::sample::select(vec!["GET", "GET", "GET", "POST", "HEAD"]),
        version in proptest::sample::select(vec!["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]),
        keep in proptest::array::uniform5(proptest::bool::weighted(0.85)),
        picks in proptest::collection::vec(0..POOL.len(), 0..6),
        rotate in 0..12usize,
    ) {
        // Mostly the good request, with some lines dropped and some from the pool added.
        let mut headers: Vec<&str> = GOOD.iter().zip(keep).filter(|(_, k)| *k).map(|(h, _)| *h).collect();
        headers.extend(picks.iter().map(|&i| POOL[i]));
        let by = rotate % (headers.len() + 1);
        headers.rotate_left(by);
        let head = head(&format!("{method} /p?q {version}"), &headers);
        let (status, response, failure) = engine(&head, &Accept::new());
        let (http_status, http_response, http_failure) = via_http(&head, &Accept::new());
        // Between headers of different names, HeaderMap order stands in for wire order:
        // the failure reported may differ, never the status or the response.
        proptest::prop_assert_eq!((status, &response), (http_status, &http_response));
        proptest::prop_assert_eq!(failure.is_some(), http_failure.is_some());
        STATUSES.lock().unwrap().insert(status);
    }
}
