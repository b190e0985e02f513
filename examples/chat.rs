//! A chat room with live presence, for plain WebSocket clients and Socket.IO clients alike.
//!
//! `cargo run --example chat` then open http://127.0.0.1:3000 in two tabs (the plain
//! WebSocket page) or http://127.0.0.1:3000/sio (the same room through the official
//! Socket.IO browser client); `cargo run --example chat -- 127.0.0.1:8080` picks another
//! address.
//!
//! - `GET /` serves the plain page (`examples/chat/index.html`), `GET /ws` is its WebSocket
//!   (JSON protocol: `tests/browser/chat_protocol.md`).
//! - `/socket.io/` speaks Engine.IO v4 / Socket.IO v5 (`examples/chat/eio.rs`): WebSocket,
//!   HTTP long-polling and the upgrade between them. Events: the client emits `join`
//!   (nickname) and `say` (text); the server emits `welcome`, `joined`, `left`, `message`
//!   (the plain protocol's payloads plus `count`, the member count) and `error`.
//!   `GET /sio` is a page using it; `GET /socket.io/socket.io.min.js` serves the client
//!   from `tests/socketio/node_modules` (npm package `socket.io-client`).
//! - Both kinds of member share one room (`examples/chat/room.rs`). Each member's outbox is
//!   bounded in bytes (`CHAT_QUEUE_BYTES`, default 256 KiB): a member that stops reading
//!   is dropped from the room when it overflows, and its WebSocket closes with **1008**
//!   "slow consumer" (a polling session ends); the others are not slowed down.
//! - Malformed JSON, unknown types and binary messages on `/ws` close with 1008, messages
//!   over 16 KiB with 1009 (invalid UTF-8 gets 1007 from the engine).
//! - permessage-deflate: `--features deflate` accepts the browsers' offer and inflates what
//!   they send; `--features deflate-compress` also sends the room's broadcasts compressed,
//!   each compressed once for all members (`PreparedMessage`, with the server's answer
//!   carrying `server_no_context_takeover`); direct replies go plain.
//! - WebSocket keepalive: a Ping after `CHAT_KEEPALIVE_SECS` idle seconds (default 15,
//!   `0` turns it off), the peer dropped 10 s after an unanswered one. Engine.IO's own
//!   heartbeat: `CHAT_PING_INTERVAL_MS` (25000) and `CHAT_PING_TIMEOUT_MS` (20000).

#[path = "chat/eio.rs"]
mod eio;
#[path = "chat/room.rs"]
mod room;
mod tokio_support;
#[path = "chat/transport.rs"]
mod transport;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsmachine::CloseCode;

use eio::{Reply, Route};
use room::{Kind, Outbox, Room, lock, valid_nick, valid_text};

const PAGE: &str = include_str!("chat/index.html");
const SIO_PAGE: &str = include_str!("chat/sio.html");
const SIO_CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/socketio/node_modules/socket.io-client/dist/socket.io.min.js"
);
const MAX_MESSAGE_LEN: usize = 16 * 1024;
const MAX_HEAD_LEN: usize = 8 * 1024;

/// What every connection shares.
struct App {
    room: Arc<Mutex<Room>>,
    eio: Arc<eio::Server>,
    keepalive: Option<Duration>,
    queue_bytes: usize,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = TcpListener::bind(&addr).await?;
    let keepalive = match env_u64("CHAT_KEEPALIVE_SECS", 15) {
        0 => None,
        secs => Some(Duration::from_secs(secs)),
    };
    let queue_bytes =
        usize::try_from(env_u64("CHAT_QUEUE_BYTES", 256 * 1024)).unwrap_or(usize::MAX);
    let room = Arc::new(Mutex::new(Room::default()));
    let settings = eio::Settings {
        ping_interval: Duration::from_millis(env_u64("CHAT_PING_INTERVAL_MS", 25_000)),
        ping_timeout: Duration::from_millis(env_u64("CHAT_PING_TIMEOUT_MS", 20_000)),
        max_payload: MAX_MESSAGE_LEN,
        queue_bytes,
    };
    let app = Arc::new(App {
        eio: eio::Server::new(room.clone(), settings),
        room,
        keepalive,
        queue_bytes,
    });
    println!(
        "chat listening on http://{} (keepalive {:?}, queue {} bytes)",
        listener.local_addr()?,
        keepalive,
        queue_bytes
    );
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: the room goes on, new connections wait.
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        let task = async move {
            if let Err(e) = serve(stream, &app).await {
                eprintln!("{peer}: {e}");
            }
        };
        tokio::spawn(task);
    }
}

/// One parsed request head.
struct Head {
    method: String,
    target: String,
    /// Bytes of the head, up to and including the blank line.
    len: usize,
    content_length: Option<usize>,
    chunked: bool,
    close: bool,
}

/// Parses a complete request head, `Err` with the status to answer.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>, &'static str> {
    let mut headers = [httparse::EMPTY_HEADER; 48];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err("400 Bad Request"),
    };
    let mut head = Head {
        method: request.method.unwrap_or("").to_owned(),
        target: request.path.unwrap_or("").to_owned(),
        len,
        content_length: None,
        chunked: false,
        close: request.version == Some(0),
    };
    for h in request.headers.iter() {
        let value = String::from_utf8_lossy(h.value).to_ascii_lowercase();
        if h.name.eq_ignore_ascii_case("content-length") {
            head.content_length = Some(value.trim().parse().map_err(|_| "400 Bad Request")?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = true;
        } else if h.name.eq_ignore_ascii_case("connection") {
            head.close = value.contains("close");
        }
    }
    Ok(Some(head))
}

/// Serves one TCP connection: HTTP requests (kept alive) until one becomes a WebSocket.
async fn serve(mut stream: TcpStream, app: &Arc<App>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    loop {
        let head = loop {
            match parse_head(&buf) {
                Ok(Some(head)) => break head,
                Ok(None) if buf.len() > MAX_HEAD_LEN => {
                    let reply = plain("431 Request Header Fields Too Large", "");
                    return respond(&mut stream, &reply, true).await;
                }
                Ok(None) => {}
                Err(status) => return respond(&mut stream, &plain(status, ""), true).await,
            }
            if !read_more(&mut stream, &mut buf).await? {
                return Ok(());
            }
        };
        let (path, query) = head.target.split_once('?').unwrap_or((&head.target, ""));
        let route = match (head.method.as_str(), path) {
            // The engine validates the upgrade itself (and answers 400/426 when it is not one).
            // A task of its own: this one's HTTP state is not kept for the WebSocket's life.
            (_, "/ws") => {
                tokio::spawn(plain_member(stream, buf, app.clone()));
                return Ok(());
            }
            (method, "/socket.io/") => app.eio.route(method, &eio::Query::parse(query)),
            ("GET", "/" | "/index.html") => Route::Reply(html(PAGE)),
            ("GET", "/sio") => Route::Reply(html(SIO_PAGE)),
            ("GET", "/socket.io/socket.io.min.js") => Route::Reply(client_script()),
            // Browsers ask for it on every page: no icon, and no 404 in their consoles.
            ("GET", "/favicon.ico") => Route::Reply(plain("204 No Content", "")),
            _ => Route::Reply(plain("404 Not Found", "not found\n")),
        };
        let reply = match route {
            Route::Reply(reply) => reply,
            Route::WebSocket(session) => {
                return match app.eio.websocket(session) {
                    Ok(mut socket) => {
                        let config = transport::config(MAX_MESSAGE_LEN, app.keepalive);
                        let mut ws = transport::accept(stream, buf, config);
                        tokio::spawn(async move {
                            let run = transport::drive(&mut ws, MAX_MESSAGE_LEN, &mut socket);
                            if let Err(e) = run.await {
                                eprintln!("socket.io websocket: {e}");
                            }
                        });
                        Ok(())
                    }
                    Err(reply) => respond(&mut stream, &reply, true).await,
                };
            }
            Route::Poll(session) => {
                // A client that hangs up mid-poll frees its connection now, not at the
                // poll's timeout (a pipelined request is left for later).
                let hang_up = async {
                    let mut byte = [0u8; 1];
                    if let Ok(1..) = stream.peek(&mut byte).await {
                        std::future::pending::<()>().await;
                    }
                };
                match app.eio.poll(&session, hang_up).await {
                    Some(reply) => reply,
                    None => return Ok(()),
                }
            }
            Route::Post(session) => {
                let max = app.eio.settings().max_payload;
                let Some(length) = head.content_length.filter(|_| !head.chunked) else {
                    let reply = Reply::error("411 Length Required", 3, "Bad request");
                    return respond(&mut stream, &reply, true).await;
                };
                if length > max {
                    // Socket.IO servers answer 413 and end the session's transport.
                    let reply = app.eio.too_large(&session);
                    return respond(&mut stream, &reply, true).await;
                }
                while buf.len() < head.len + length {
                    if !read_more(&mut stream, &mut buf).await? {
                        return Ok(());
                    }
                }
                app.eio.post(&session, &buf[head.len..head.len + length])
            }
        };
        respond(&mut stream, &reply, head.close).await?;
        if head.close {
            return Ok(());
        }
        let used = head.len + head.content_length.unwrap_or(0);
        buf.drain(..used.min(buf.len()));
    }
}

/// Reads more bytes into `buf`; `false` at EOF. (Into the heap: a stack buffer here would
/// be part of every connection's future, idle or not.)
async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.reserve(1024);
    Ok(stream.read_buf(buf).await? > 0)
}

fn plain(status: &'static str, body: &str) -> Reply {
    Reply {
        status,
        kind: "text/plain",
        body: body.as_bytes().to_vec(),
    }
}

fn html(page: &str) -> Reply {
    Reply {
        status: "200 OK",
        kind: "text/html; charset=utf-8",
        body: page.as_bytes().to_vec(),
    }
}

fn client_script() -> Reply {
    match std::fs::read(SIO_CLIENT) {
        Ok(body) => Reply {
            status: "200 OK",
            kind: "application/javascript",
            body,
        },
        Err(_) => plain(
            "404 Not Found",
            "socket.io client missing: run `npm ci` in tests/socketio\n",
        ),
    }
}

async fn respond(stream: &mut TcpStream, reply: &Reply, close: bool) -> io::Result<()> {
    let connection = if close { "close" } else { "keep-alive" };
    // A 204 has no body and, by RFC 9110, no Content-Length.
    let length = if reply.status.starts_with("204") {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", reply.body.len())
    };
    let head = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\n{length}\
         Cache-Control: no-store\r\nConnection: {connection}\r\n\r\n",
        reply.status, reply.kind,
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&reply.body);
    stream.write_all(&bytes).await?;
    if close {
        stream.shutdown().await?;
        // Read what the client is still sending (an oversize body, say) before closing, so
        // that the close is a FIN after the answer and not a reset that could destroy it.
        let mut sink = Vec::with_capacity(4096);
        let drain = async {
            let mut total = 0;
            while total < 1 << 20 {
                sink.clear();
                match stream.read_buf(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    }
    Ok(())
}

/// A member of the plain room on `/ws`.
struct PlainMember {
    app: Arc<App>,
    id: u64,
    joined: bool,
    outbox: Arc<Outbox>,
}

/// Not an `async fn`, for the reason given at `transport::accept`.
fn plain_member(stream: TcpStream, head: Vec<u8>, app: Arc<App>) -> impl Future<Output = ()> {
    let id = lock(&app.room).next_id();
    let mut ws = transport::accept(
        stream,
        head,
        transport::config(MAX_MESSAGE_LEN, app.keepalive),
    );
    let mut member = PlainMember {
        outbox: Outbox::new(app.queue_bytes),
        app,
        id,
        joined: false,
    };
    async move {
        let result = transport::drive(&mut ws, MAX_MESSAGE_LEN, &mut member).await;
        if member.joined {
            lock(&member.app.room).leave(id);
        }
        if let Err(e) = result {
            eprintln!("ws member {id}: {e}");
        }
    }
}

fn error_text(message: &str) -> String {
    json!({"type": "error", "message": message}).to_string()
}

impl transport::Peer for PlainMember {
    fn on_text(
        &mut self,
        text: &str,
        reply: &mut Vec<String>,
    ) -> Result<(), (CloseCode, &'static str)> {
        let bad = (CloseCode::PolicyViolation, "");
        let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
            return Err(bad);
        };
        let field = |name: &str| message.get(name).and_then(Value::as_str);
        match (field("type"), self.joined) {
            (Some("join"), false) => {
                let nick = field("nick").unwrap_or("");
                if !valid_nick(nick) {
                    reply.push(error_text("nickname must be 1 to 32 characters"));
                    return Err(bad);
                }
                self.joined = true;
                let quiet = message.get("quiet") == Some(&Value::Bool(true));
                let outbox = self.outbox.clone();
                lock(&self.app.room).join(self.id, nick, Kind::Plain, outbox, quiet);
                Ok(())
            }
            (Some("say"), true) => {
                let said = field("text").unwrap_or("");
                if valid_text(said) {
                    lock(&self.app.room).say(self.id, said);
                } else {
                    reply.push(error_text("a message must be 1 to 1000 characters"));
                }
                Ok(())
            }
            // Unknown or missing type, `say` before `join`, a second `join`.
            _ => Err(bad),
        }
    }

    fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }
}
