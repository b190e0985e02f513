//! A chat room with live presence: one page and its WebSocket endpoint on one port.
//!
//! `cargo run --example chat` then open http://127.0.0.1:3000 in two tabs
//! (`cargo run --example chat -- 127.0.0.1:8080` picks another address).
//!
//! - `GET /` serves the page (`examples/chat/index.html`, embedded in the binary);
//!   `GET /ws` is the WebSocket; anything else is 404. The server peeks at the request
//!   head only to route: an upgrade for `/ws` goes to the engine whole.
//! - The JSON protocol is `tests/browser/chat_protocol.md`: clients send `join` and
//!   `say`; the server sends `welcome`, `joined`, `left`, `message` and `error`.
//! - One tokio task per connection; every broadcast is sent to each member's channel
//!   under the room lock, so every page sees broadcasts in the same order.
//! - Malformed JSON, unknown types and binary messages close with 1008, messages over
//!   16 KiB with 1009 (invalid UTF-8 gets 1007 from the engine). Idle peers are pinged
//!   every 15 s and dropped 10 s after an unanswered ping.

mod tokio_support;

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_support::{Read, Ws, queue};
use wsmachine::{
    Accept, CloseCode, Config, Connection, Event, Message, MessageAssembler, NoMask, Reject,
};

const PAGE: &str = include_str!("chat/index.html");
const MAX_MESSAGE_LEN: usize = 16 * 1024;
const MAX_HEAD_LEN: usize = 8 * 1024;
const NICK_MAX: usize = 32;
const TEXT_MAX: usize = 1000;

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("chat listening on http://{}", listener.local_addr()?);
    let room = Arc::new(Mutex::new(Room::default()));
    let epoch = std::time::Instant::now();
    loop {
        let (stream, peer) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move {
            if let Err(e) = route(stream, &room, epoch).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// Who is in the room: joined members by id, and the next id to hand out.
#[derive(Default)]
struct Room {
    next_id: u64,
    members: BTreeMap<u64, Member>,
}

struct Member {
    nick: String,
    outbox: mpsc::UnboundedSender<String>,
}

impl Room {
    fn users(&self) -> Value {
        self.members
            .iter()
            .map(|(id, m)| json!({"id": id, "nick": m.nick}))
            .collect()
    }

    fn user(&self, id: u64) -> Value {
        let nick = self.members.get(&id).map_or("", |m| m.nick.as_str());
        json!({"id": id, "nick": nick})
    }

    /// Sends `message` to every member except `skip`.
    fn broadcast(&self, message: &Value, skip: Option<u64>) {
        let text = message.to_string();
        for (id, member) in &self.members {
            if Some(*id) != skip {
                let _ = member.outbox.send(text.clone());
            }
        }
    }

    fn leave(&mut self, id: u64) {
        let user = self.user(id);
        if self.members.remove(&id).is_some() {
            self.broadcast(
                &json!({"type": "left", "user": user, "users": self.users()}),
                None,
            );
        }
    }
}

fn lock(room: &Mutex<Room>) -> std::sync::MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads the request head and routes: the page, the WebSocket, or 404.
async fn route(
    mut stream: TcpStream,
    room: &Mutex<Room>,
    epoch: std::time::Instant,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD_LEN {
            return respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain",
                b"",
            )
            .await;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        // The engine validates the upgrade itself (and answers 400/426 when it is not one).
        (_, "/ws") => websocket(stream, &head, room, epoch).await,
        ("GET", "/" | "/index.html") => {
            respond(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                PAGE.as_bytes(),
            )
            .await
        }
        _ => respond(&mut stream, "404 Not Found", "text/plain", b"not found\n").await,
    }
}

async fn respond(stream: &mut TcpStream, status: &str, kind: &str, body: &[u8]) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

/// What a received event asks the connection task to do, once the engine call is done.
enum Action {
    Text(String),
    Close(CloseCode),
    Gone,
}

/// One member's connection: its engine, its outbox, its place in the room.
async fn websocket(
    stream: TcpStream,
    head: &[u8],
    room: &Mutex<Room>,
    epoch: std::time::Instant,
) -> io::Result<()> {
    let config = Config::new()
        .with_max_message_len(MAX_MESSAGE_LEN as u64)
        .with_keepalive(Some(Duration::from_secs(15)))
        .with_pong_timeout(Duration::from_secs(10));
    let conn = Connection::server(config, tokio_support::now(epoch));
    let mut ws = Ws::with_bytes(conn, stream, epoch, head);
    let id = {
        let mut room = lock(room);
        room.next_id += 1;
        room.next_id
    };
    let (outbox, mut inbox) = mpsc::unbounded_channel();
    let mut storage = vec![0u8; MAX_MESSAGE_LEN];
    let mut assembler = MessageAssembler::new(&mut storage);
    let mut joined = false;
    let result = loop {
        let mut actions = Vec::new();
        let processed = ws.process(|conn, out, event| {
            match &event {
                Event::UpgradeRequest(request) if request.path() == "/ws" => {
                    return queue(out, |buf| {
                        conn.accept(tokio_support::now(epoch), &Accept::new(), buf)
                    });
                }
                Event::UpgradeRequest(_) => {
                    return queue(out, |buf| conn.reject(&Reject::new(404), buf));
                }
                Event::Binary(_) => actions.push(Action::Close(CloseCode::PolicyViolation)),
                Event::Close(_) => actions.push(Action::Gone),
                _ => {}
            }
            match assembler.push(&event) {
                Ok(Some(Message::Text(text))) => actions.push(Action::Text(text.to_owned())),
                Ok(_) => {}
                Err(_) => actions.push(Action::Close(CloseCode::MessageTooBig)),
            }
            Ok(())
        });
        for action in actions {
            if !ws.conn.is_open() {
                break;
            }
            let close = match action {
                Action::Text(text) => on_text(&mut ws, room, id, &mut joined, &outbox, &text),
                Action::Close(code) => Some(code),
                Action::Gone => None,
            };
            if let Some(code) = close {
                let conn = &mut ws.conn;
                let _ = queue(&mut ws.out, |buf| {
                    conn.close(tokio_support::now(epoch), code, "", buf)
                });
            }
        }
        // Gone from the room the moment the connection stops being open.
        if joined && !ws.conn.is_open() {
            lock(room).leave(id);
            joined = false;
        }
        if let Err(e) = ws.flush().await {
            break Err(e);
        }
        if processed.is_err() || ws.finished {
            break Ok(());
        }
        tokio::select! {
            read = ws.read() => match read {
                Ok(Read::Eof) => break Ok(()),
                Ok(Read::Bytes | Read::Timeout) => {}
                Err(e) => break Err(e),
            },
            Some(text) = inbox.recv() => {
                let conn = &mut ws.conn;
                if conn.is_open() {
                    let _ = queue(&mut ws.out, |buf| conn.send_text(&text, buf));
                }
            }
        }
    };
    if joined {
        lock(room).leave(id);
    }
    result
}

/// Handles one client message; returns a close code when the client broke the protocol.
fn on_text(
    ws: &mut Ws<NoMask>,
    room: &Mutex<Room>,
    id: u64,
    joined: &mut bool,
    outbox: &mpsc::UnboundedSender<String>,
    text: &str,
) -> Option<CloseCode> {
    let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
        return Some(CloseCode::PolicyViolation);
    };
    let field = |name: &str| message.get(name).and_then(Value::as_str);
    match (field("type"), *joined) {
        (Some("join"), false) => {
            let nick = field("nick").unwrap_or("");
            if !(1..=NICK_MAX).contains(&nick.chars().count()) {
                send_error(ws, "nickname must be 1 to 32 characters");
                return Some(CloseCode::PolicyViolation);
            }
            let mut room = lock(room);
            room.members.insert(
                id,
                Member {
                    nick: nick.to_owned(),
                    outbox: outbox.clone(),
                },
            );
            *joined = true;
            let (user, users) = (room.user(id), room.users());
            let _ = outbox.send(json!({"type": "welcome", "id": id, "users": users}).to_string());
            room.broadcast(
                &json!({"type": "joined", "user": user, "users": users}),
                Some(id),
            );
            None
        }
        (Some("say"), true) => {
            let said = field("text").unwrap_or("");
            if !(1..=TEXT_MAX).contains(&said.chars().count()) {
                send_error(ws, "a message must be 1 to 1000 characters");
                return None;
            }
            let room = lock(room);
            room.broadcast(
                &json!({"type": "message", "from": room.user(id), "text": said}),
                None,
            );
            None
        }
        // Unknown or missing type, `say` before `join`, a second `join`.
        _ => Some(CloseCode::PolicyViolation),
    }
}

fn send_error(ws: &mut Ws<NoMask>, message: &str) {
    let text = json!({"type": "error", "message": message}).to_string();
    let conn = &mut ws.conn;
    let _ = queue(&mut ws.out, |buf| conn.send_text(&text, buf));
}
