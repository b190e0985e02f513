//! The room: members, their bounded outboxes, and broadcasts encoded once per protocol.
//!
//! A member is either a plain WebSocket client (`/ws`, JSON objects with a `type` field,
//! `tests/browser/chat_protocol.md`) or a Socket.IO socket (`42["event",{...}]`). Each
//! broadcast is encoded at most once per protocol and shared ([`Item`]) by every outbox;
//! with `deflate-compress` its permessage-deflate form is also made once, on first use,
//! for every member that negotiated it (`PreparedMessage`).
//! An outbox is bounded in bytes: a push that would exceed the bound marks the member as
//! overflowed instead, the room drops it (and tells the others it left), and its
//! connection closes it with 1008 (WebSocket) or ends the Engine.IO session.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value, json};
use tokio::sync::Notify;

/// Locks a mutex, ignoring poisoning (a panicking task must not take the room down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Why a push was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The outbox would exceed its byte bound: the member is now overflowed.
    Full,
    /// The outbox was closed before.
    Closed,
}

/// One encoded message, shared by every outbox it is pushed to.
#[derive(Clone)]
pub(crate) struct Item(Arc<Shared>);

struct Shared {
    text: Box<str>,
    /// Compressed once for all members that take it (RFC 7692 with no context takeover).
    #[cfg(feature = "deflate-compress")]
    prepared: std::sync::OnceLock<wsmachine::deflate::PreparedMessage>,
}

impl Item {
    /// The message as a permessage-deflate broadcast, compressed on the first call.
    #[cfg(feature = "deflate-compress")]
    pub(crate) fn prepared(&self) -> &wsmachine::deflate::PreparedMessage {
        use wsmachine::deflate::{Deflater, PreparedMessage};
        // One compressor for the whole room (about 320 KB), not one per member.
        static DEFLATER: Mutex<Option<Deflater>> = Mutex::new(None);
        self.0.prepared.get_or_init(|| {
            let mut deflater = lock(&DEFLATER);
            let deflater = deflater.get_or_insert_with(|| Deflater::new(15, true));
            PreparedMessage::text(&self.0.text, deflater)
        })
    }
}

impl std::ops::Deref for Item {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0.text
    }
}

impl From<String> for Item {
    fn from(text: String) -> Self {
        Self(Arc::new(Shared {
            text: text.into(),
            #[cfg(feature = "deflate-compress")]
            prepared: std::sync::OnceLock::new(),
        }))
    }
}

impl From<&str> for Item {
    fn from(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Item>,
    bytes: usize,
    overflowed: bool,
    closed: bool,
}

/// A member's outgoing messages, bounded in bytes; the connection task drains it.
pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    limit: usize,
    /// Wakes the task that drains the outbox (a push, an overflow, a close).
    pub(crate) ready: Notify,
}

impl Outbox {
    pub(crate) fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Queue::default()),
            limit,
            ready: Notify::new(),
        })
    }

    /// Queues `item` unless that would take the outbox past its bound.
    pub(crate) fn push(&self, item: Item) -> Result<(), Refused> {
        let mut q = lock(&self.queue);
        if q.closed || q.overflowed {
            return Err(Refused::Closed);
        }
        if q.bytes + item.len() > self.limit {
            q.overflowed = true;
            q.items.clear();
            q.bytes = 0;
            drop(q);
            self.ready.notify_one();
            return Err(Refused::Full);
        }
        q.bytes += item.len();
        q.items.push_back(item);
        drop(q);
        self.ready.notify_one();
        Ok(())
    }

    /// Takes everything queued (the queue's storage too: an idle member holds none).
    pub(crate) fn drain(&self) -> VecDeque<Item> {
        let mut q = lock(&self.queue);
        q.bytes = 0;
        std::mem::take(&mut q.items)
    }

    /// Whether anything is queued.
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.queue).items.is_empty()
    }

    /// The member fell behind by more than the bound.
    pub(crate) fn overflowed(&self) -> bool {
        lock(&self.queue).overflowed
    }

    /// No more pushes; wakes the drainer.
    pub(crate) fn close(&self) {
        lock(&self.queue).closed = true;
        self.ready.notify_one();
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.queue).closed
    }
}

/// Which wire encoding a member reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `{"type":"message",...}` text messages on `/ws`.
    Plain,
    /// Socket.IO EVENT packets, `42["message",{...}]`.
    SocketIo,
}

struct Member {
    nick: String,
    kind: Kind,
    outbox: Arc<Outbox>,
    /// Joined quietly (load generators, bots): not listed, not announced, and sent no
    /// presence events, so that N such members cost O(N) instead of O(N^2) notices.
    quiet: bool,
}

/// Who is in the room: joined members by id, and the next id to hand out.
#[derive(Default)]
pub(crate) struct Room {
    next_id: u64,
    members: BTreeMap<u64, Member>,
}

/// One event, encoded lazily once per protocol.
struct Encoded<'a> {
    name: &'a str,
    payload: &'a Map<String, Value>,
    plain: Option<Item>,
    sio: Option<Item>,
}

impl Encoded<'_> {
    fn get(&mut self, kind: Kind) -> Item {
        let (name, payload) = (self.name, self.payload);
        match kind {
            Kind::Plain => self
                .plain
                .get_or_insert_with(|| plain_text(name, payload).into())
                .clone(),
            Kind::SocketIo => self
                .sio
                .get_or_insert_with(|| sio_event(name, payload).into())
                .clone(),
        }
    }
}

/// The plain room's encoding: the payload with a `type` field.
pub(crate) fn plain_text(name: &str, payload: &Map<String, Value>) -> String {
    let mut object = payload.clone();
    object.insert("type".into(), Value::String(name.into()));
    Value::Object(object).to_string()
}

/// A Socket.IO EVENT packet for namespace `/` inside an Engine.IO MESSAGE packet.
pub(crate) fn sio_event(name: &str, payload: &Map<String, Value>) -> String {
    let mut object = payload.clone();
    // Socket.IO clients get the member count ready-made; the plain protocol stays as it was.
    if let Some(Value::Array(users)) = object.get("users") {
        let count = users.len();
        object.insert("count".into(), count.into());
    }
    format!("42{}", json!([name, object]))
}

impl Room {
    /// A fresh member id (ids are never reused while the server runs).
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

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

    /// Adds a member: `welcome` to it, `joined` to everyone else (a quiet member gets a
    /// `welcome` with the member `count` instead of the list, and is not announced).
    pub(crate) fn join(
        &mut self,
        id: u64,
        nick: &str,
        kind: Kind,
        outbox: Arc<Outbox>,
        quiet: bool,
    ) {
        self.members.insert(
            id,
            Member {
                nick: nick.to_owned(),
                kind,
                outbox,
                quiet,
            },
        );
        if quiet {
            let welcome = object(json!({"id": id, "count": self.members.len()}));
            self.send_to(id, "welcome", &welcome);
            return;
        }
        let (user, users) = (self.user(id), self.users());
        let welcome = object(json!({"id": id, "users": users}));
        self.send_to(id, "welcome", &welcome);
        let joined = object(json!({"user": user, "users": users}));
        self.broadcast("joined", &joined, Some(id));
    }

    /// Sends `text` from member `id` to everyone, the sender included.
    pub(crate) fn say(&mut self, id: u64, text: &str) {
        let message = object(json!({"from": self.user(id), "text": text}));
        self.broadcast("message", &message, None);
    }

    /// Removes a member (if present) and tells the others.
    pub(crate) fn leave(&mut self, id: u64) {
        let mut gone = vec![id];
        while let Some(id) = gone.pop() {
            let user = self.user(id);
            if let Some(member) = self.members.remove(&id) {
                if member.quiet {
                    continue;
                }
                let left = object(json!({"user": user, "users": self.users()}));
                gone.extend(self.deliver("left", &left, None));
            }
        }
    }

    fn send_to(&mut self, id: u64, name: &str, payload: &Map<String, Value>) {
        let Some(member) = self.members.get(&id) else {
            return;
        };
        let mut encoded = Encoded {
            name,
            payload,
            plain: None,
            sio: None,
        };
        if member.outbox.push(encoded.get(member.kind)) == Err(Refused::Full) {
            self.leave(id);
        }
    }

    /// Sends to every member except `skip`; members whose outbox overflows are dropped.
    fn broadcast(&mut self, name: &str, payload: &Map<String, Value>, skip: Option<u64>) {
        let overflowed = self.deliver(name, payload, skip);
        for id in overflowed {
            self.leave(id);
        }
    }

    /// Pushes to every outbox; returns the members that overflowed.
    fn deliver(&self, name: &str, payload: &Map<String, Value>, skip: Option<u64>) -> Vec<u64> {
        let mut encoded = Encoded {
            name,
            payload,
            plain: None,
            sio: None,
        };
        let mut overflowed = Vec::new();
        for (id, member) in &self.members {
            let presence = name != "message";
            if Some(*id) == skip || (presence && member.quiet) {
                continue;
            }
            if member.outbox.push(encoded.get(member.kind)) == Err(Refused::Full) {
                overflowed.push(*id);
            }
        }
        overflowed
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Checks a nickname: 1 to 32 Unicode scalar values.
pub(crate) fn valid_nick(nick: &str) -> bool {
    (1..=32).contains(&nick.chars().count())
}

/// Checks a message: 1 to 1000 Unicode scalar values.
pub(crate) fn valid_text(text: &str) -> bool {
    (1..=1000).contains(&text.chars().count())
}
