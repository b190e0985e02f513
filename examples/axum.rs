//! A WebSocket echo route `/ws` on axum: `wsmachine::http` checks the upgrade (subprotocol
//! `chat` if offered), hyper hands over the stream, the tokio driver runs it.
//! `cargo run --features http,tokio --example axum -- 127.0.0.1:3000`
use axum::{Router, body::Body, extract::Request, response::Response, routing::any};
use hyper_util::rt::TokioIo;
use wsmachine::tokio::{Message, Options, WebSocket};
use wsmachine::{Config, Role, http::UpgradeRequest, http::error_response};

async fn ws(request: Request) -> Response {
    let response = match UpgradeRequest::from_request(&request, &Config::new()) {
        Ok(ws) => ws.accept(&ws.negotiate(&["chat"])).unwrap(),
        Err(failure) => return error_response(failure).map(|()| Body::empty()),
    };
    tokio::spawn(async move {
        let io = TokioIo::new(hyper::upgrade::on(request).await?);
        let mut ws = WebSocket::from_upgraded(io, Role::Server, Options::new());
        while let Some(Ok(message)) = ws.recv().await {
            if let m @ (Message::Text(_) | Message::Binary(_)) = message {
                let _ = ws.send(m).await; // a failed send ends the next recv
            }
        }
        Ok::<_, hyper::Error>(())
    });
    response.map(|()| Body::empty())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on ws://{}/ws", listener.local_addr()?);
    axum::serve(listener, Router::new().route("/ws", any(ws))).await
}
