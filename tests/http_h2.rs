//! RFC 8441: WebSockets over HTTP/2 extended CONNECT, validated with `wsmachine::http` and
//! run for real over the `h2` crate: server with `enable_connect_protocol`, client sending
//! `CONNECT` with `:protocol = websocket`, then `Connection::upgraded` on the stream.

use bytes::Bytes;
use h2::ext::Protocol;
use http::uri::Scheme;
use wsmachine::http::{
    ConnectRequest, connect_error_response, connect_request, validate_connect_response,
};
use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Error, Event, HandshakeFailure, Instant,
    Key, MaskKey, MaskSource, NoMask, Role,
};

fn connect(uri: &str) -> http::request::Builder {
    http::Request::builder()
        .method(http::Method::CONNECT)
        .version(http::Version::HTTP_2)
        .uri(uri)
        .header("sec-websocket-version", "13")
}

#[test]
fn extended_connect_statuses() {
    let ws = Some("websocket");
    type Case = (
        &'static str,
        http::Request<()>,
        Option<&'static str>,
        Result<(), u16>,
    );
    let cases: Vec<Case> = vec![
        (
            "good",
            connect("https://example.com/chat").body(()).unwrap(),
            ws,
            Ok(()),
        ),
        (
            "protocol case-insensitive",
            connect("https://example.com/chat").body(()).unwrap(),
            Some("WebSocket"),
            Ok(()),
        ),
        (
            "GET",
            connect("https://example.com/chat")
                .method(http::Method::GET)
                .body(())
                .unwrap(),
            ws,
            Err(405),
        ),
        (
            "HTTP/1.1",
            connect("https://example.com/chat")
                .version(http::Version::HTTP_11)
                .body(())
                .unwrap(),
            ws,
            Err(400),
        ),
        (
            "no :protocol",
            connect("https://example.com/chat").body(()).unwrap(),
            None,
            Err(400),
        ),
        (
            ":protocol h2c",
            connect("https://example.com/chat").body(()).unwrap(),
            Some("h2c"),
            Err(400),
        ),
        (
            "no :authority",
            connect("/chat").body(()).unwrap(),
            ws,
            Err(400),
        ),
        (
            "Host instead of :authority",
            connect("/chat")
                .header("host", "example.com")
                .body(())
                .unwrap(),
            ws,
            Ok(()),
        ),
        (
            "no version",
            http::Request::builder()
                .method(http::Method::CONNECT)
                .version(http::Version::HTTP_2)
                .uri("https://example.com/chat")
                .body(())
                .unwrap(),
            ws,
            Err(426),
        ),
        (
            "version 8",
            connect("https://example.com/chat")
                .header("sec-websocket-version", "8")
                .body(())
                .unwrap(),
            ws,
            Err(426),
        ),
        (
            "a key",
            connect("https://example.com/chat")
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
                .body(())
                .unwrap(),
            ws,
            Err(400),
        ),
        (
            "bad protocol list",
            connect("https://example.com/chat")
                .header("sec-websocket-protocol", "a,,b")
                .body(())
                .unwrap(),
            ws,
            Err(400),
        ),
        (
            "Origin twice",
            connect("https://example.com/chat")
                .header("origin", "https://a")
                .header("origin", "https://b")
                .body(())
                .unwrap(),
            ws,
            Err(400),
        ),
        (
            "body",
            connect("https://example.com/chat")
                .header("content-length", "5")
                .body(())
                .unwrap(),
            ws,
            Err(400),
        ),
    ];
    for (name, request, protocol, expected) in cases {
        let result = ConnectRequest::from_request(&request, protocol, &Config::new());
        let got = match &result {
            Ok(connect) => {
                let response = connect.accept(&Accept::new()).unwrap();
                assert_eq!(response.status(), 200, "{name}");
                assert!(response.headers().is_empty(), "{name}");
                Ok(())
            }
            Err(failure) => {
                let response = connect_error_response(*failure);
                assert!(response.headers().get("connection").is_none());
                Err(response.status().as_u16())
            }
        };
        assert_eq!(got, expected, "{name}: {result:?}");
    }
}

#[test]
fn extended_connect_view_and_200() {
    let request = connect("https://example.com/chat?room=1")
        .header("origin", "https://example.com")
        .header("sec-websocket-protocol", "chat, superchat")
        .header("sec-websocket-extensions", "permessage-deflate")
        .body(())
        .unwrap();
    let (parts, ()) = request.into_parts();
    let connect = ConnectRequest::from_parts(&parts, Some("websocket"), &Config::new()).unwrap();
    assert_eq!(connect.path(), "/chat");
    assert_eq!(connect.query(), Some("room=1"));
    assert_eq!(connect.host(), "example.com");
    assert_eq!(connect.origin(), Some("https://example.com"));
    assert_eq!(
        connect.subprotocols().collect::<Vec<_>>(),
        ["chat", "superchat"]
    );
    assert_eq!(
        connect.extensions().collect::<Vec<_>>(),
        ["permessage-deflate"]
    );
    let cookie = [("set-cookie", "a=b")];
    let accept = Accept::new()
        .with_subprotocol("superchat")
        .with_headers(&cookie);
    let response = connect.accept(&accept).unwrap();
    assert_eq!(response.status(), 200);
    let headers: Vec<_> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
        .collect();
    assert_eq!(
        headers,
        [
            ("sec-websocket-protocol", "superchat"),
            ("set-cookie", "a=b")
        ]
    );
    assert!(
        connect
            .accept(&Accept::new().with_subprotocol("v9"))
            .is_err()
    );
    assert!(
        connect
            .accept(&Accept::new().with_headers(&[("connection", "close")]))
            .is_err()
    );
}

#[test]
fn client_side_request_and_response() {
    let protocols = ["chat"];
    let client = ClientRequest::new("example.com", "/chat", Key([1; 16]))
        .with_origin("https://example.com")
        .with_subprotocols(&protocols);
    let request = connect_request(&client, Scheme::HTTPS).unwrap();
    assert_eq!(request.method(), http::Method::CONNECT);
    assert_eq!(request.version(), http::Version::HTTP_2);
    assert_eq!(request.uri(), "https://example.com/chat");
    assert!(request.headers().get("sec-websocket-key").is_none());
    // What the client builds, the server accepts.
    let connect =
        ConnectRequest::from_request(&request, Some("websocket"), &Config::new()).unwrap();
    assert_eq!(connect.subprotocols().collect::<Vec<_>>(), protocols);

    let response = |status: u16, headers: &[(&str, &str)]| {
        let mut b = http::Response::builder()
            .status(status)
            .version(http::Version::HTTP_2);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap()
    };
    let check = |r: &http::Response<()>| {
        validate_connect_response(r, &client).map(|p| p.map(str::to_owned))
    };
    assert_eq!(check(&response(200, &[])), Ok(None));
    assert_eq!(
        check(&response(200, &[("sec-websocket-protocol", "chat")])),
        Ok(Some("chat".into()))
    );
    let fails = |f| Err(Error::Handshake(f));
    assert_eq!(
        check(&response(200, &[("sec-websocket-protocol", "x")])),
        fails(HandshakeFailure::UnofferedSubprotocol)
    );
    assert_eq!(
        check(&response(200, &[("sec-websocket-extensions", "x")])),
        fails(HandshakeFailure::UnofferedExtension)
    );
    assert_eq!(
        check(&response(200, &[("sec-websocket-accept", "x")])),
        fails(HandshakeFailure::BadAccept)
    );
    assert_eq!(
        check(&response(426, &[])),
        fails(HandshakeFailure::Rejected { status: 426 })
    );
}

// ---- over a real h2 connection ----

/// A WebSocket running on one h2 stream: the sans-IO engine between DATA frames.
struct H2Socket<M> {
    conn: Connection<M>,
    recv: h2::RecvStream,
    send: h2::SendStream<Bytes>,
    buf: Vec<u8>,
}

/// What a socket received, owned.
#[derive(Debug, PartialEq)]
enum Got {
    Text(String),
    Binary(Vec<u8>),
    Close(u16, String),
}

fn now() -> Instant {
    Instant::from_millis(0)
}

impl<M: MaskSource> H2Socket<M> {
    fn write(&mut self, bytes: &[u8]) {
        self.send
            .send_data(Bytes::copy_from_slice(bytes), false)
            .unwrap();
    }

    fn drain(&mut self) {
        let mut out = [0u8; 256];
        while let Some(t) = self.conn.poll_transmit(&mut out).unwrap() {
            self.write(&out[..t.len]);
            if t.close_transport_after {
                // The WebSocket is over: end the stream (RFC 8441 §5: END_STREAM).
                let _ = self.send.send_data(Bytes::new(), true);
            }
        }
    }

    fn send_text(&mut self, text: &str) {
        let mut out = vec![0u8; text.len() + 14];
        let n = self.conn.send_text(text, &mut out).unwrap();
        self.write(&out[..n]);
    }

    fn send_binary(&mut self, data: &[u8]) {
        let mut out = vec![0u8; data.len() + 14];
        let n = self.conn.send_binary(data, &mut out).unwrap();
        self.write(&out[..n]);
    }

    fn close(&mut self, code: CloseCode, reason: &str) {
        let mut out = [0u8; 256];
        let n = self.conn.close(now(), code, reason, &mut out).unwrap();
        self.write(&out[..n]);
    }

    /// The next whole message or Close, reading DATA frames as needed.
    async fn next(&mut self) -> Got {
        let mut text = String::new();
        let mut binary = Vec::new();
        loop {
            let mut got = None;
            loop {
                let received = self.conn.receive(now(), &mut self.buf).unwrap();
                let consumed = received.consumed;
                let event = match received.event {
                    None => None,
                    Some(Event::Text(chunk)) => {
                        chunk.push_to(&mut text).unwrap();
                        chunk
                            .is_last()
                            .then(|| Got::Text(std::mem::take(&mut text)))
                    }
                    Some(Event::Binary(chunk)) => {
                        binary.extend_from_slice(chunk.as_bytes());
                        chunk
                            .is_last()
                            .then(|| Got::Binary(std::mem::take(&mut binary)))
                    }
                    Some(Event::Close(frame)) => {
                        Some(Got::Close(frame.code.0, frame.reason.as_str().to_owned()))
                    }
                    Some(other) => panic!("unexpected {other:?}"),
                };
                let done = consumed == 0 && event.is_none();
                self.buf.drain(..consumed);
                self.drain();
                if event.is_some() {
                    got = event;
                    break;
                }
                if done {
                    break;
                }
            }
            if let Some(got) = got {
                return got;
            }
            let data = self.recv.data().await.expect("stream ended").unwrap();
            self.recv
                .flow_control()
                .release_capacity(data.len())
                .unwrap();
            self.buf.extend_from_slice(&data);
        }
    }
}

fn client_masks() -> impl FnMut() -> MaskKey {
    let mut n = 7u32;
    move || {
        n = n.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        MaskKey(n.to_be_bytes())
    }
}

/// An h2 server: every extended CONNECT that validates gets a 200 and an echo WebSocket;
/// others get `connect_error_response`. Each Close the server receives comes out of the
/// channel, once its echo is sent.
async fn h2_echo_server() -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Got>,
) {
    let (closes, closed) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut h2 = h2::server::Builder::new()
            .enable_connect_protocol()
            .handshake::<_, Bytes>(tcp)
            .await
            .unwrap();
        while let Some(stream) = h2.accept().await {
            let (request, mut respond) = stream.unwrap();
            let closes = closes.clone();
            tokio::spawn(async move {
                let protocol = request.extensions().get::<Protocol>().map(Protocol::as_str);
                let offered = ConnectRequest::from_request(&request, protocol, &Config::new());
                let connect = match offered {
                    Ok(connect) => connect,
                    Err(failure) => {
                        respond
                            .send_response(connect_error_response(failure), true)
                            .unwrap();
                        return;
                    }
                };
                let response = connect
                    .accept(&Accept::new().with_subprotocol("chat"))
                    .unwrap();
                let send = respond.send_response(response, false).unwrap();
                let conn = Connection::upgraded(Config::new(), Role::Server, NoMask, now());
                let recv = request.into_body();
                let mut ws = H2Socket {
                    conn,
                    recv,
                    send,
                    buf: Vec::new(),
                };
                loop {
                    match ws.next().await {
                        Got::Text(t) => ws.send_text(&t),
                        Got::Binary(b) => ws.send_binary(&b),
                        close @ Got::Close(..) => {
                            // The engine queued the echo and drain() sent it.
                            assert!(ws.conn.is_closed());
                            closes.send(close).unwrap();
                            break;
                        }
                    }
                }
            });
        }
    });
    (addr, closed)
}

#[tokio::test]
async fn websocket_over_h2_extended_connect() {
    let (addr, mut closed) = h2_echo_server().await;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move { connection.await.unwrap() });
    let mut client = client.ready().await.unwrap();
    // The server's SETTINGS_ENABLE_CONNECT_PROTOCOL arrives with its first SETTINGS frame.
    for _ in 0..1000 {
        if client.is_extended_connect_protocol_enabled() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert!(client.is_extended_connect_protocol_enabled());

    // A request without the version: 426 over h2, and the connection carries on.
    let mut bad = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(format!("http://{addr}/chat"))
        .body(())
        .unwrap();
    bad.extensions_mut()
        .insert(Protocol::from_static("websocket"));
    let (response, _) = client.send_request(bad, true).unwrap();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 426);
    assert_eq!(response.headers()["sec-websocket-version"], "13");

    // Two WebSockets on the same h2 connection, one stream each.
    let host = addr.to_string();
    let protocols = ["chat"];
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let ws_request =
            ClientRequest::new(&host, "/chat", Key([3; 16])).with_subprotocols(&protocols);
        let mut request = connect_request(&ws_request, Scheme::HTTP).unwrap();
        request
            .extensions_mut()
            .insert(Protocol::from_static("websocket"));
        let mut client = client.clone().ready().await.unwrap();
        let (response, send) = client.send_request(request, false).unwrap();
        let response = response.await.unwrap();
        assert_eq!(
            validate_connect_response(&response, &ws_request),
            Ok(Some("chat"))
        );
        let conn = Connection::upgraded(Config::new(), Role::Client, client_masks(), now());
        sockets.push(H2Socket {
            conn,
            recv: response.into_body(),
            send,
            buf: Vec::new(),
        });
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        let long = "é".repeat(40_000); // 80 KB: beyond one h2 window's initial share
        for msg in [format!("hello {i}"), long] {
            ws.send_text(&msg);
            assert_eq!(ws.next().await, Got::Text(msg));
        }
        ws.send_binary(&[0, 1, 2, 255]);
        assert_eq!(ws.next().await, Got::Binary(vec![0, 1, 2, 255]));
    }
    for ws in &mut sockets {
        ws.close(CloseCode::Normal, "bye");
        // The engine echoes the code alone.
        assert_eq!(ws.next().await, Got::Close(1000, String::new()));
        assert!(ws.conn.closed().unwrap().clean);
        assert_eq!(closed.recv().await, Some(Got::Close(1000, "bye".into())));
    }
}
