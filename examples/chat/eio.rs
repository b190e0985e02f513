//! Engine.IO v4 and Socket.IO v5 for the chat room, enough for the official
//! `socket.io-client` to join unchanged: namespace `/`, events with JSON arguments and
//! acknowledgements; the WebSocket and HTTP long-polling transports and the upgrade from
//! polling to WebSocket.
//!
//! - A session (`sid`) owns one bounded [`Outbox`] of Engine.IO packets, drained by
//!   whichever transport holds the session: a long-poll `GET` (packets joined with the
//!   0x1e record separator) or the WebSocket (one packet per text message).
//! - A heartbeat task per session sends `2` every `pingInterval` and ends the session when
//!   no `3` comes back within `pingTimeout`.
//! - Upgrade: the WebSocket opened with the session's `sid` answers `2probe` with `3probe`
//!   and releases the pending poll with a `6` (noop); the client's `5` moves the session to
//!   the WebSocket, which then drains the outbox.
//! - Errors answer as Socket.IO servers do: HTTP 400 with `{"code":N,"message":...}`
//!   (0 transport unknown, 1 session ID unknown, 2 bad handshake method, 3 bad request,
//!   5 unsupported protocol version), 413 for a body over `maxPayload`. A malformed packet
//!   or a second concurrent poll ends that session (the room keeps running).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;
use wsmachine::CloseCode;

use crate::room::{Item, Kind, Outbox, Room, lock, valid_nick, valid_text};
use crate::transport::Peer;

/// Engine.IO settings announced in the open packet.
#[derive(Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    /// The largest polling body accepted (and announced as `maxPayload`), bytes.
    pub(crate) max_payload: usize,
    /// Bound of each session's outbox, bytes.
    pub(crate) queue_bytes: usize,
}

/// Which transport carries a session's packets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Transport {
    Polling,
    WebSocket,
}

#[derive(Default)]
struct SioState {
    /// Connected to namespace `/`.
    connected: bool,
    /// Joined the room as this member id.
    member: Option<u64>,
}

struct State {
    transport: Transport,
    /// A long-poll `GET` is waiting.
    polling: bool,
    /// A `POST` is being handled.
    posting: bool,
    /// A WebSocket probe is in progress.
    upgrading: bool,
    /// Why the session ended, once it has.
    closed: Option<&'static str>,
    sio: SioState,
}

/// One Engine.IO session.
pub(crate) struct Session {
    sid: String,
    outbox: Arc<Outbox>,
    state: Mutex<State>,
    pong: Notify,
}

/// Every live session, and the room they join.
pub(crate) struct Server {
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    room: Arc<Mutex<Room>>,
    settings: Settings,
}

/// An HTTP answer: status line, content type, body.
pub(crate) struct Reply {
    pub(crate) status: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    fn text(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: "200 OK",
            kind: "text/plain; charset=UTF-8",
            body: body.into(),
        }
    }

    /// A Socket.IO error answer: `{"code":N,"message":"..."}`.
    pub(crate) fn error(status: &'static str, code: u8, message: &str) -> Self {
        Self {
            status,
            kind: "application/json",
            body: json!({"code": code, "message": message})
                .to_string()
                .into_bytes(),
        }
    }

    fn bad_request() -> Self {
        Self::error("400 Bad Request", 3, "Bad request")
    }
}

/// A request to `/socket.io/`, as far as routing needs it.
pub(crate) struct Query<'a> {
    pub(crate) eio: Option<&'a str>,
    pub(crate) transport: Option<&'a str>,
    pub(crate) sid: Option<&'a str>,
}

impl<'a> Query<'a> {
    pub(crate) fn parse(query: &'a str) -> Self {
        let mut q = Self {
            eio: None,
            transport: None,
            sid: None,
        };
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "EIO" => q.eio = Some(value),
                "transport" => q.transport = Some(value),
                "sid" => q.sid = Some(value),
                _ => {}
            }
        }
        q
    }
}

/// What the router does with a `/socket.io/` request.
pub(crate) enum Route {
    /// Answer with this (the connection may stay open).
    Reply(Reply),
    /// Hand the stream to the WebSocket transport: a new session, or an upgrade of one.
    WebSocket(Option<Arc<Session>>),
    /// A long-poll `GET` on this session.
    Poll(Arc<Session>),
    /// A `POST` of packets on this session.
    Post(Arc<Session>),
}

/// A malformed packet: the session ends.
struct ParseError;

fn random_sid() -> String {
    // Two independently keyed SipHash outputs: unguessable enough for a demo's session ids.
    let a = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let b = std::collections::hash_map::RandomState::new().hash_one(a);
    format!("{a:016x}{b:04x}").chars().take(20).collect()
}

impl Server {
    pub(crate) fn new(room: Arc<Mutex<Room>>, settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            sessions: Mutex::new(HashMap::new()),
            room,
            settings,
        })
    }

    /// The settings the server announces.
    pub(crate) fn settings(&self) -> Settings {
        self.settings
    }

    /// Routes a request on `/socket.io/` by method, `EIO`, `transport` and `sid`.
    pub(crate) fn route(self: &Arc<Self>, method: &str, query: &Query<'_>) -> Route {
        if query.eio != Some("4") {
            return Route::Reply(Reply::error(
                "400 Bad Request",
                5,
                "Unsupported protocol version",
            ));
        }
        let session = match query.sid {
            None => None,
            Some(sid) => match lock(&self.sessions).get(sid) {
                Some(session) => Some(session.clone()),
                None => {
                    return Route::Reply(Reply::error("400 Bad Request", 1, "Session ID unknown"));
                }
            },
        };
        match (query.transport, method, session) {
            (Some("websocket"), "GET", session) => Route::WebSocket(session),
            (Some("polling"), "GET", None) => Route::Reply(self.open_polling()),
            (Some("polling"), "GET", Some(session)) => Route::Poll(session),
            (Some("polling"), "POST", Some(session)) => Route::Post(session),
            (Some("polling" | "websocket"), _, _) => {
                Route::Reply(Reply::error("400 Bad Request", 2, "Bad handshake method"))
            }
            _ => Route::Reply(Reply::error("400 Bad Request", 0, "Transport unknown")),
        }
    }

    /// Creates a session, registers it and starts its heartbeat.
    fn create(self: &Arc<Self>, transport: Transport) -> Arc<Session> {
        let session = Arc::new(Session {
            sid: random_sid(),
            outbox: Outbox::new(self.settings.queue_bytes),
            state: Mutex::new(State {
                transport,
                polling: false,
                posting: false,
                upgrading: false,
                closed: None,
                sio: SioState::default(),
            }),
            pong: Notify::new(),
        });
        let open = json!({
            "sid": session.sid,
            "upgrades": if transport == Transport::Polling { vec!["websocket"] } else { vec![] },
            "pingInterval": self.settings.ping_interval.as_millis() as u64,
            "pingTimeout": self.settings.ping_timeout.as_millis() as u64,
            "maxPayload": self.settings.max_payload,
        });
        let _ = session.outbox.push(format!("0{open}").into());
        lock(&self.sessions).insert(session.sid.clone(), session.clone());
        let (server, beat) = (self.clone(), session.clone());
        tokio::spawn(async move { server.heartbeat(&beat).await });
        session
    }

    fn open_polling(self: &Arc<Self>) -> Reply {
        let session = self.create(Transport::Polling);
        Reply::text(join(session.outbox.drain()))
    }

    async fn heartbeat(&self, session: &Session) {
        loop {
            tokio::time::sleep(self.settings.ping_interval).await;
            if lock(&session.state).closed.is_some() {
                return;
            }
            if session.outbox.push("2".into()).is_err() {
                self.close(session, "transport error");
                return;
            }
            let answered =
                tokio::time::timeout(self.settings.ping_timeout, session.pong.notified());
            if answered.await.is_err() {
                self.close(session, "ping timeout");
                return;
            }
        }
    }

    /// Ends a session: out of the table and the room, its transports woken to finish.
    fn close(&self, session: &Session, reason: &'static str) {
        let member = {
            let mut state = lock(&session.state);
            if state.closed.is_some() {
                return;
            }
            state.closed = Some(reason);
            state.sio.member.take()
        };
        lock(&self.sessions).remove(&session.sid);
        if let Some(id) = member {
            lock(&self.room).leave(id);
        }
        session.outbox.close();
    }

    /// A long-poll `GET`: the queued packets, or waits for some; `None` when `hang_up`
    /// (the client went away) comes first.
    pub(crate) async fn poll(
        &self,
        session: &Arc<Session>,
        hang_up: impl Future<Output = ()>,
    ) -> Option<Reply> {
        {
            let mut state = lock(&session.state);
            if state.transport != Transport::Polling {
                return Some(Reply::bad_request());
            }
            if state.polling {
                drop(state);
                // Engine.IO servers treat an overlapping poll as a transport error.
                self.close(session, "overlapping poll");
                return Some(Reply::bad_request());
            }
            state.polling = true;
        }
        // The heartbeat pushes a ping every interval, so a poll never waits much longer.
        let limit = self.settings.ping_interval + self.settings.ping_timeout;
        let wait = tokio::time::timeout(limit, async {
            loop {
                let notified = session.outbox.ready.notified();
                if session.outbox.overflowed() {
                    self.close(session, "slow consumer");
                }
                let packets = session.outbox.drain();
                if !packets.is_empty() {
                    return join(packets);
                }
                if session.outbox.is_closed() {
                    return "1".into();
                }
                if lock(&session.state).transport != Transport::Polling {
                    return "6".into();
                }
                notified.await;
            }
        });
        let body = tokio::select! {
            body = wait => Some(body.unwrap_or_else(|_| "6".into())),
            () = hang_up => None,
        };
        lock(&session.state).polling = false;
        body.map(Reply::text)
    }

    /// A `POST`: every packet in the body, in order.
    pub(crate) fn post(&self, session: &Arc<Session>, body: &[u8]) -> Reply {
        {
            let mut state = lock(&session.state);
            if state.transport != Transport::Polling || state.closed.is_some() {
                return Reply::bad_request();
            }
            if state.posting {
                drop(state);
                self.close(session, "overlapping post");
                return Reply::bad_request();
            }
            state.posting = true;
        }
        let result = match std::str::from_utf8(body) {
            Ok(text) => text
                .split('\u{1e}')
                .try_for_each(|packet| self.packet(session, packet)),
            Err(_) => Err(ParseError),
        };
        lock(&session.state).posting = false;
        match result {
            Ok(()) => Reply {
                status: "200 OK",
                kind: "text/html",
                body: b"ok".to_vec(),
            },
            Err(ParseError) => {
                self.close(session, "parse error");
                Reply::bad_request()
            }
        }
    }

    /// A `POST` body over `maxPayload`: 413, and the session ends.
    pub(crate) fn too_large(&self, session: &Session) -> Reply {
        self.close(session, "payload too large");
        Reply::error("413 Payload Too Large", 3, "Payload too large")
    }

    /// One Engine.IO packet from the client.
    fn packet(&self, session: &Session, packet: &str) -> Result<(), ParseError> {
        let mut chars = packet.chars();
        let kind = chars.next();
        let data = chars.as_str();
        match (kind, data) {
            (Some('1'), "") => {
                self.close(session, "client close");
                Ok(())
            }
            (Some('2'), "") => {
                let _ = session.outbox.push("3".into());
                Ok(())
            }
            (Some('3'), "") => {
                session.pong.notify_one();
                Ok(())
            }
            (Some('4'), data) => self.socket_io(session, data),
            (Some('6'), "") => Ok(()),
            _ => Err(ParseError),
        }
    }

    /// One Socket.IO packet (the data of an Engine.IO message).
    fn socket_io(&self, session: &Session, packet: &str) -> Result<(), ParseError> {
        let mut chars = packet.chars();
        let kind = chars.next().ok_or(ParseError)?;
        let rest = chars.as_str();
        // A namespace other than `/` is written before a comma: "/admin,".
        if rest.starts_with('/') {
            let (nsp, _) = rest.split_once(',').unwrap_or((rest, ""));
            if kind == '0' {
                let refused = json!({"message": "Invalid namespace"});
                let _ = session.outbox.push(format!("44{nsp},{refused}").into());
                return Ok(());
            }
            return Err(ParseError);
        }
        let connected = lock(&session.state).sio.connected;
        match kind {
            // CONNECT, with an optional auth object.
            '0' => {
                if !rest.is_empty() && !matches!(serde_json::from_str(rest), Ok(Value::Object(_))) {
                    return Err(ParseError);
                }
                if connected {
                    return Err(ParseError);
                }
                lock(&session.state).sio.connected = true;
                let sid = random_sid();
                let _ = session
                    .outbox
                    .push(format!("40{}", json!({"sid": sid})).into());
                Ok(())
            }
            // DISCONNECT from `/`: out of the room, the Engine.IO session stays.
            '1' if rest.is_empty() && connected => {
                let member = {
                    let mut state = lock(&session.state);
                    state.sio.connected = false;
                    state.sio.member.take()
                };
                if let Some(id) = member {
                    lock(&self.room).leave(id);
                }
                Ok(())
            }
            // EVENT, with an optional acknowledgement id.
            '2' if connected => {
                let digits =
                    rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                let (ack, args) = rest.split_at(digits);
                let ack: Option<u64> = if ack.is_empty() {
                    None
                } else {
                    Some(ack.parse().map_err(|_| ParseError)?)
                };
                let Ok(Value::Array(args)) = serde_json::from_str::<Value>(args) else {
                    return Err(ParseError);
                };
                let Some(Value::String(name)) = args.first() else {
                    return Err(ParseError);
                };
                let outcome = self.event(session, name, args.get(1));
                let reply = match (ack, outcome) {
                    (Some(id), Ok(())) => format!("43{id}{}", json!([{"ok": true}])),
                    (Some(id), Err(e)) => format!("43{id}{}", json!([{"ok": false, "error": e}])),
                    (None, Ok(())) => return Ok(()),
                    (None, Err(e)) => format!("42{}", json!(["error", {"message": e}])),
                };
                let _ = session.outbox.push(reply.into());
                Ok(())
            }
            // ACK of a server event: the chat asks for none, so there is nothing to match.
            '3' if connected => Ok(()),
            _ => Err(ParseError),
        }
    }

    /// A chat event: `join` (nick) or `say` (text). `Err` is the message for the client.
    fn event(
        &self,
        session: &Session,
        name: &str,
        arg: Option<&Value>,
    ) -> Result<(), &'static str> {
        let text = arg.and_then(Value::as_str);
        let member = lock(&session.state).sio.member;
        match (name, member) {
            ("join", None) => {
                let nick = text
                    .filter(|n| valid_nick(n))
                    .ok_or("nickname must be 1 to 32 characters")?;
                let mut room = lock(&self.room);
                let id = room.next_id();
                lock(&session.state).sio.member = Some(id);
                room.join(id, nick, Kind::SocketIo, session.outbox.clone(), false);
                Ok(())
            }
            ("join", Some(_)) => Err("already joined"),
            ("say", Some(id)) => {
                let said = text
                    .filter(|t| valid_text(t))
                    .ok_or("a message must be 1 to 1000 characters")?;
                lock(&self.room).say(id, said);
                Ok(())
            }
            ("say", None) => Err("join first"),
            _ => Err("unknown event"),
        }
    }

    /// The WebSocket transport of a session: a fresh one, or an upgrade of `existing`.
    pub(crate) fn websocket(
        self: &Arc<Self>,
        existing: Option<Arc<Session>>,
    ) -> Result<EioSocket, Reply> {
        let (session, upgrading) = match existing {
            None => (self.create(Transport::WebSocket), false),
            Some(session) => {
                let mut state = lock(&session.state);
                if state.transport != Transport::Polling || state.upgrading {
                    return Err(Reply::bad_request());
                }
                state.upgrading = true;
                drop(state);
                (session, true)
            }
        };
        Ok(EioSocket {
            server: self.clone(),
            outbox: session.outbox.clone(),
            session,
            upgrading,
            probed: false,
            deadline: tokio::time::Instant::now() + UPGRADE_TIMEOUT,
        })
    }
}

/// How long a probe may take from the WebSocket's open to the client's `5`.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

fn join(packets: std::collections::VecDeque<Item>) -> String {
    let mut body = String::new();
    for (i, packet) in packets.iter().enumerate() {
        if i > 0 {
            body.push('\u{1e}');
        }
        body.push_str(packet);
    }
    body
}

/// A session on a WebSocket (from the start, or being upgraded to it).
pub(crate) struct EioSocket {
    server: Arc<Server>,
    session: Arc<Session>,
    outbox: Arc<Outbox>,
    /// Still polling: the WebSocket is a probe until the client's `5`.
    upgrading: bool,
    probed: bool,
    deadline: tokio::time::Instant,
}

impl Peer for EioSocket {
    fn on_text(
        &mut self,
        text: &str,
        reply: &mut Vec<String>,
    ) -> Result<(), (CloseCode, &'static str)> {
        if self.upgrading {
            return match (text, self.probed) {
                ("2probe", false) => {
                    self.probed = true;
                    reply.push("3probe".into());
                    // Releases the pending poll, so that the client can pause polling.
                    let _ = self.session.outbox.push("6".into());
                    Ok(())
                }
                ("5", true) => {
                    let mut state = lock(&self.session.state);
                    state.transport = Transport::WebSocket;
                    state.upgrading = false;
                    drop(state);
                    self.upgrading = false;
                    self.outbox.ready.notify_one();
                    Ok(())
                }
                _ => Err((CloseCode::PolicyViolation, "bad upgrade")),
            };
        }
        self.server
            .packet(&self.session, text)
            .map_err(|ParseError| {
                self.server.close(&self.session, "parse error");
                (CloseCode::PolicyViolation, "parse error")
            })
    }

    fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    fn draining(&self) -> bool {
        !self.upgrading
    }

    fn ended(&self) -> Option<(CloseCode, &'static str)> {
        if self.upgrading && tokio::time::Instant::now() >= self.deadline {
            return Some((CloseCode::PolicyViolation, "upgrade timeout"));
        }
        lock(&self.session.state)
            .closed
            .map(|reason| (CloseCode::Normal, reason))
    }

    fn deadline(&self) -> Option<tokio::time::Instant> {
        self.upgrading.then_some(self.deadline)
    }
}

impl Drop for EioSocket {
    fn drop(&mut self) {
        if self.upgrading {
            // A failed probe: the session goes on polling.
            lock(&self.session.state).upgrading = false;
        } else {
            self.server.close(&self.session, "transport close");
        }
    }
}
