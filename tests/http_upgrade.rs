//! Both roles through hyper: a hyper client upgrades with `wsmachine::http::client_request`
//! and `validate_response`, a hyper server with `UpgradeRequest`; the tokio driver runs the
//! upgraded streams on both sides (`WebSocket::from_upgraded`). Then RFC 8441 the same way
//! over hyper's HTTP/2.

use http::uri::Scheme;
use hyper::body::Incoming;
use hyper::ext::Protocol;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use wsmachine::http::{
    ConnectRequest, UpgradeRequest, client_request, connect_error_response, connect_request,
    error_response, validate_connect_response, validate_response,
};
use wsmachine::tokio::{Message, Options, WebSocket};
use wsmachine::{ClientRequest, CloseCode, Config, Error, HandshakeFailure, Key, Role};

/// A hyper server echoing on `/ws` (subprotocol `chat`), as examples/hyper.rs does.
async fn server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let service = service_fn(|request: http::Request<Incoming>| async move {
                let response = match UpgradeRequest::from_request(&request, &Config::new()) {
                    Ok(ws) => ws.accept(&ws.negotiate(&["chat"])).unwrap(),
                    Err(failure) => return Ok(error_response(failure).map(|()| String::new())),
                };
                tokio::spawn(async move {
                    let io = TokioIo::new(hyper::upgrade::on(request).await.unwrap());
                    let mut ws = WebSocket::from_upgraded(io, Role::Server, Options::new());
                    while let Some(message) = ws.recv().await {
                        if let m @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                            ws.send(m).await.unwrap();
                        }
                    }
                });
                Ok::<_, hyper::Error>(response.map(|()| String::new()))
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service);
            tokio::spawn(conn.with_upgrades());
        }
    });
    addr
}

/// Sends `request` with a hyper client on a fresh connection; returns the response.
async fn send(addr: std::net::SocketAddr, request: http::Request<()>) -> http::Response<Incoming> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn.with_upgrades());
    sender
        .send_request(request.map(|()| String::new()))
        .await
        .unwrap()
}

#[tokio::test]
async fn hyper_client_and_server_both_on_wsmachine_http() {
    let addr = server().await;
    let host = addr.to_string();
    let protocols = ["v2", "chat"];
    let ws_request =
        ClientRequest::new(&host, "/ws", Key(*b"0123456789abcdef")).with_subprotocols(&protocols);
    let response = send(addr, client_request(&ws_request).unwrap()).await;
    assert_eq!(validate_response(&response, &ws_request), Ok(Some("chat")));
    let io = TokioIo::new(hyper::upgrade::on(response).await.unwrap());
    let mut ws = WebSocket::from_upgraded(io, Role::Client, Options::new());
    for message in [
        Message::Text("hi".into()),
        Message::Binary(vec![7; 70_000].into()),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().unwrap(), message);
    }
    ws.close(CloseCode::Normal, "done").await.unwrap();
    while let Some(message) = ws.recv().await {
        assert!(matches!(message.unwrap(), Message::Close(_)));
    }
    assert!(ws.closed().unwrap().clean);
}

#[tokio::test]
async fn a_bad_request_from_a_hyper_client_gets_the_engines_426() {
    let addr = server().await;
    let host = addr.to_string();
    let ws_request = ClientRequest::new(&host, "/ws", Key([9; 16]));
    let mut request = client_request(&ws_request).unwrap();
    request.headers_mut().remove("sec-websocket-version");
    let response = send(addr, request).await;
    assert_eq!(response.headers()["sec-websocket-version"], "13");
    assert_eq!(
        validate_response(&response, &ws_request),
        Err(Error::Handshake(HandshakeFailure::Rejected { status: 426 }))
    );
}

// ---- RFC 8441 through hyper's HTTP/2 on both sides ----

/// The server's finished WebSockets.
type Finished = std::sync::Arc<std::sync::Mutex<Vec<WebSocket<TokioIo<hyper::upgrade::Upgraded>>>>>;

/// A hyper HTTP/2 server with extended CONNECT: the echo runs on each CONNECT stream.
///
/// Each finished WebSocket is kept, not dropped: with hyper 1.12, dropping a server's
/// upgraded CONNECT stream right after the closing handshake makes the client's writes on
/// the *other* streams of that connection fail (`BodyWrite`, `NO_ERROR`); the same
/// sequence over the h2 crate alone (tests/http_h2.rs) is fine.
async fn h2_server() -> (std::net::SocketAddr, Finished) {
    let finished = Finished::default();
    let kept = finished.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let finished = finished.clone();
            let service = service_fn(move |request: http::Request<Incoming>| {
                let finished = finished.clone();
                async move {
                    let protocol = request.extensions().get::<Protocol>().map(Protocol::as_str);
                    let response =
                        match ConnectRequest::from_request(&request, protocol, &Config::new()) {
                            Ok(ws) => ws.accept(&ws.negotiate(&["chat"])).unwrap(),
                            Err(failure) => {
                                return Ok(connect_error_response(failure).map(|()| String::new()));
                            }
                        };
                    tokio::spawn(async move {
                        let io = TokioIo::new(hyper::upgrade::on(request).await.unwrap());
                        let mut ws = WebSocket::from_upgraded(io, Role::Server, Options::new());
                        while let Some(message) = ws.recv().await {
                            if let m @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                                ws.send(m).await.unwrap();
                            }
                        }
                        assert!(ws.closed().unwrap().clean);
                        finished.lock().unwrap().push(ws);
                    });
                    Ok::<_, hyper::Error>(response.map(|()| String::new()))
                }
            });
            let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .enable_connect_protocol()
                .serve_connection(TokioIo::new(tcp), service);
            tokio::spawn(conn);
        }
    });
    (addr, kept)
}

#[tokio::test]
async fn extended_connect_through_hyper_on_both_sides() {
    let (addr, finished) = h2_server().await;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let host = addr.to_string();
    let protocols = ["chat"];
    let mut sockets = Vec::new();
    for i in 0..3 {
        let ws_request =
            ClientRequest::new(&host, "/ws", Key([i; 16])).with_subprotocols(&protocols);
        let mut request = connect_request(&ws_request, Scheme::HTTP).unwrap();
        request
            .extensions_mut()
            .insert(Protocol::from_static("websocket"));
        let mut sender = sender.clone();
        // The first request may go out before the server's SETTINGS enabled extended CONNECT.
        let response = loop {
            let attempt = request.clone().map(|()| String::new());
            match sender.send_request(attempt).await {
                Ok(response) => break response,
                Err(e) if e.to_string().contains("connect") => tokio::task::yield_now().await,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(
            validate_connect_response(&response, &ws_request),
            Ok(Some("chat"))
        );
        let io = TokioIo::new(hyper::upgrade::on(response).await.unwrap());
        sockets.push(WebSocket::from_upgraded(io, Role::Client, Options::new()));
    }
    // Three WebSockets multiplexed on one TCP connection, interleaved.
    for round in 0..3 {
        for (i, ws) in sockets.iter_mut().enumerate() {
            let message = Message::Text(format!("stream {i} round {round}"));
            ws.send(message.clone()).await.unwrap();
            assert_eq!(ws.recv().await.unwrap().unwrap(), message);
        }
    }
    for mut ws in sockets {
        ws.close(CloseCode::Normal, "done").await.unwrap();
        while let Some(message) = ws.recv().await {
            assert!(matches!(message.unwrap(), Message::Close(_)));
        }
        assert!(ws.closed().unwrap().clean);
    }
    // The server saw three clean closing handshakes.
    for _ in 0..1000 {
        if finished.lock().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let finished = finished.lock().unwrap();
    assert_eq!(finished.len(), 3);
    assert!(finished.iter().all(|ws| ws.closed().unwrap().clean));
}
