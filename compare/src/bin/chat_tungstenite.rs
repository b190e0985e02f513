//! The chat room of `examples/chat.rs` (plain WebSocket protocol only,
//! `tests/browser/chat_protocol.md`, quiet joins included) on tokio-tungstenite, for
//! `chat-load` to compare against. Dev-only: the comparison peer, written the way a
//! tokio-tungstenite user would (a reader loop and a writer task per connection, an
//! unbounded channel per member, the broadcast encoded once and shared).
//!
//! usage: chat_tungstenite [ADDR [READ_BUFFER]]   (default 127.0.0.1:3001; READ_BUFFER sets
//! `WebSocketConfig::read_buffer_size`, default: tungstenite's own, 128 KiB)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

struct Member {
    nick: String,
    quiet: bool,
    outbox: mpsc::UnboundedSender<Utf8Bytes>,
}

#[derive(Default)]
struct Room {
    next_id: u64,
    members: BTreeMap<u64, Member>,
}

impl Room {
    fn users(&self) -> Value {
        self.members
            .iter()
            .filter(|(_, m)| !m.quiet)
            .map(|(id, m)| json!({"id": id, "nick": m.nick}))
            .collect()
    }

    fn user(&self, id: u64) -> Value {
        let nick = self.members.get(&id).map_or("", |m| m.nick.as_str());
        json!({"id": id, "nick": nick})
    }

    fn broadcast(&self, message: &Value, skip: Option<u64>, presence: bool) {
        let text = Utf8Bytes::from(message.to_string());
        for (id, member) in &self.members {
            if Some(*id) != skip && !(presence && member.quiet) {
                let _ = member.outbox.send(text.clone());
            }
        }
    }

    fn leave(&mut self, id: u64) {
        let user = self.user(id);
        if let Some(member) = self.members.remove(&id)
            && !member.quiet
        {
            let left = json!({"type": "left", "user": user, "users": self.users()});
            self.broadcast(&left, None, true);
        }
    }
}

fn lock(room: &Mutex<Room>) -> std::sync::MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3001".into());
    let listener = TcpListener::bind(&addr).await?;
    let mut config = WebSocketConfig::default().max_message_size(Some(16 * 1024));
    if let Some(size) = std::env::args().nth(2).and_then(|v| v.parse().ok()) {
        config = config.read_buffer_size(size);
    }
    println!(
        "chat-tungstenite listening on http://{}",
        listener.local_addr()?
    );
    let room = Arc::new(Mutex::new(Room::default()));
    loop {
        let (stream, _) = listener.accept().await?;
        let room = room.clone();
        tokio::spawn(async move { member(stream, &room, config).await });
    }
}

async fn member(stream: TcpStream, room: &Mutex<Room>, config: WebSocketConfig) {
    let _ = stream.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut sink, mut incoming) = ws.split();
    let (outbox, mut inbox) = mpsc::unbounded_channel::<Utf8Bytes>();
    let writer = tokio::spawn(async move {
        while let Some(text) = inbox.recv().await {
            let closing = text.as_str().is_empty();
            let message = if closing {
                Message::Close(Some(CloseFrame {
                    code: CloseCode::Policy,
                    reason: "".into(),
                }))
            } else {
                Message::Text(text)
            };
            if sink.send(message).await.is_err() || closing {
                break;
            }
        }
    });
    let id = {
        let mut room = lock(room);
        room.next_id += 1;
        room.next_id
    };
    let mut joined = false;
    while let Some(Ok(message)) = incoming.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
            _ => {
                let _ = outbox.send(Utf8Bytes::from_static(""));
                break;
            }
        };
        if !on_text(room, id, &mut joined, &outbox, text.as_str()) {
            // An empty text tells the writer to close with 1008 (as the wsmachine room).
            let _ = outbox.send(Utf8Bytes::from_static(""));
            break;
        }
    }
    if joined {
        lock(room).leave(id);
    }
    drop(outbox);
    let _ = writer.await;
}

/// One client message; `false` when it broke the protocol.
fn on_text(
    room: &Mutex<Room>,
    id: u64,
    joined: &mut bool,
    outbox: &mpsc::UnboundedSender<Utf8Bytes>,
    text: &str,
) -> bool {
    let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    let field = |name: &str| message.get(name).and_then(Value::as_str);
    match (field("type"), *joined) {
        (Some("join"), false) => {
            let nick = field("nick").unwrap_or("");
            if !(1..=32).contains(&nick.chars().count()) {
                return false;
            }
            let quiet = message.get("quiet") == Some(&Value::Bool(true));
            let mut room = lock(room);
            room.members.insert(
                id,
                Member {
                    nick: nick.to_owned(),
                    quiet,
                    outbox: outbox.clone(),
                },
            );
            *joined = true;
            if quiet {
                let welcome = json!({"type": "welcome", "id": id, "count": room.members.len()});
                let _ = outbox.send(welcome.to_string().into());
                return true;
            }
            let (user, users) = (room.user(id), room.users());
            let welcome = json!({"type": "welcome", "id": id, "users": users});
            let _ = outbox.send(welcome.to_string().into());
            let joined = json!({"type": "joined", "user": user, "users": users});
            room.broadcast(&joined, Some(id), true);
            true
        }
        (Some("say"), true) => {
            let said = field("text").unwrap_or("");
            if (1..=1000).contains(&said.chars().count()) {
                let room = lock(room);
                let message = json!({"type": "message", "from": room.user(id), "text": said});
                room.broadcast(&message, None, false);
            } else {
                let error =
                    json!({"type": "error", "message": "a message must be 1 to 1000 characters"});
                let _ = outbox.send(error.to_string().into());
            }
            true
        }
        _ => false,
    }
}
