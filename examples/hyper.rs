//! WebSocket echo at `/ws` on plain hyper: `cargo run --features http,tokio --example hyper`.
use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use wsmachine::tokio::{Message, Options, WebSocket};
use wsmachine::{Config, Role, http::UpgradeRequest, http::error_response};

async fn route(request: Request<Incoming>) -> hyper::Result<Response<String>> {
    let ws = match UpgradeRequest::from_request(&request, &Config::new()) {
        Ok(ws) if ws.path() == "/ws" => ws,
        Ok(_) => return Ok(Response::builder().status(404).body(String::new()).unwrap()),
        Err(failure) => return Ok(error_response(failure).map(|()| String::new())),
    };
    let response = ws.accept(&ws.negotiate(&["chat"])).unwrap();
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
    Ok(response.map(|()| String::new()))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on ws://{}/ws", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        let conn = http1::Builder::new().serve_connection(TokioIo::new(tcp), service_fn(route));
        tokio::spawn(conn.with_upgrades());
    }
}
