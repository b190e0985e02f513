//! The blocking `embedded-io` adapter: a client socket and a server socket on two threads,
//! joined by an in-memory pipe that can hand out one byte per read.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

use embedded_io::{ErrorKind, ErrorType, Read, Write};
use wsmachine::io::Error;
use wsmachine::io::embedded_io::Socket;
use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Event, HandshakeFailure, Instant, Key,
    MaskKey, Message, ProtocolViolation, Reject,
};

/// One direction of the pipe.
#[derive(Default)]
struct Channel {
    bytes: Mutex<(VecDeque<u8>, bool)>, // (queued bytes, writer gone)
    ready: Condvar,
}

/// One end of an in-memory duplex pipe; dropping it is EOF for the other end.
struct End {
    incoming: Arc<Channel>,
    outgoing: Arc<Channel>,
    max_read: usize,
}

fn pipe(max_read: usize) -> (End, End) {
    let (a, b) = (Arc::new(Channel::default()), Arc::new(Channel::default()));
    let one = End {
        incoming: a.clone(),
        outgoing: b.clone(),
        max_read,
    };
    let other = End {
        incoming: b,
        outgoing: a,
        max_read,
    };
    (one, other)
}

impl ErrorType for End {
    type Error = ErrorKind;
}

impl Read for End {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        let mut guard = self.incoming.bytes.lock().unwrap();
        while guard.0.is_empty() && !guard.1 {
            guard = self.incoming.ready.wait(guard).unwrap();
        }
        let n = buf.len().min(guard.0.len()).min(self.max_read);
        for (dst, src) in buf.iter_mut().zip(guard.0.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

impl Write for End {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let mut guard = self.outgoing.bytes.lock().unwrap();
        if guard.1 {
            return Err(ErrorKind::BrokenPipe);
        }
        guard.0.extend(buf);
        self.outgoing.ready.notify_all();
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

impl Drop for End {
    fn drop(&mut self) {
        for channel in [&self.incoming, &self.outgoing] {
            channel.bytes.lock().unwrap().1 = true;
            channel.ready.notify_all();
        }
    }
}

fn clock() -> Instant {
    Instant::ZERO
}

fn masks() -> MaskKey {
    MaskKey([1, 2, 3, 4])
}

const KEY: Key = Key(*b"0123456789abcdef");

/// The tests' client socket: function-pointer mask source and clock.
type ClientSocket<'b> = Socket<'b, End, fn() -> MaskKey, fn() -> Instant>;

/// A client socket on `end`, through the opening handshake of a request for `/`.
fn connected<'b>(end: End, rx: &'b mut [u8], tx: &'b mut [u8]) -> ClientSocket<'b> {
    let conn = Connection::client(Config::new(), masks as fn() -> MaskKey, clock());
    let mut ws = Socket::new(conn, end, clock as fn() -> Instant, rx, tx);
    ws.connect(&ClientRequest::new("localhost", "/", KEY))
        .unwrap();
    ws
}

/// An echo server on its own thread; returns how its connection ended.
fn echo_server(end: End, config: Config) -> thread::JoinHandle<Result<u16, Error<ErrorKind>>> {
    thread::spawn(move || {
        let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 256], [0u8; 4096]);
        let conn = Connection::server(config, clock());
        let mut ws = Socket::new(conn, end, clock, &mut rx, &mut tx);
        ws.accept(|request| {
            assert_eq!(request.path(), "/echo");
            if request.subprotocols().any(|p| p == "chat") {
                Ok(Accept::new().with_subprotocol("chat"))
            } else {
                Err(Reject::new(403))
            }
        })?;
        while let Some(message) = ws.read_message(&mut msg)? {
            match message {
                Message::Text(text) => ws.send_text(text)?,
                Message::Binary(data) => ws.send_binary(data)?,
            }
        }
        Ok(ws.closed().unwrap().code.0)
    })
}

fn session(max_read: usize) {
    let (client_end, server_end) = pipe(max_read);
    let server = echo_server(server_end, Config::new());
    let (mut rx, mut tx, mut msg) = ([0u8; 512], [0u8; 256], [0u8; 4096]);
    let conn = Connection::client(Config::new(), masks, clock());
    let mut ws = Socket::new(conn, client_end, clock, &mut rx, &mut tx);
    let request = ClientRequest::new("localhost", "/echo", KEY).with_subprotocols(&["x", "chat"]);
    assert_eq!(ws.connect(&request).unwrap(), Some("chat"));

    ws.send_text("héllo wörld").unwrap();
    assert_eq!(
        ws.read_message(&mut msg).unwrap(),
        Some(Message::Text("héllo wörld"))
    );
    // Larger than `tx`: sent as one frame copied through `tx` piece by piece.
    let big: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    ws.send_binary(&big).unwrap();
    assert_eq!(
        ws.read_message(&mut msg).unwrap(),
        Some(Message::Binary(&big[..]))
    );
    let long_text = "ü".repeat(700);
    ws.send_text(&long_text).unwrap();
    assert_eq!(
        ws.read_message(&mut msg).unwrap(),
        Some(Message::Text(&long_text[..]))
    );
    ws.send_ping(b"are you there").unwrap();
    match ws.read_event().unwrap() {
        Some(Event::Pong(p)) => assert_eq!(p.as_bytes(), b"are you there"),
        other => panic!("expected pong, got {other:?}"),
    }

    ws.close(CloseCode::Normal, "done").unwrap();
    assert_eq!(ws.read_message(&mut msg).unwrap(), None);
    let closed = ws.closed().unwrap();
    assert!(closed.clean, "{closed:?}");
    assert_eq!(closed.code, CloseCode::Normal);
    assert_eq!(server.join().unwrap().unwrap(), 1000);
}

#[test]
fn echo_session_whole_reads() {
    session(usize::MAX);
}

#[test]
fn echo_session_one_byte_per_read() {
    session(1);
}

#[test]
fn server_rejection_reaches_the_client_with_its_status() {
    let (client_end, server_end) = pipe(7);
    let server = echo_server(server_end, Config::new());
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let conn = Connection::client(Config::new(), masks, clock());
    let mut ws = Socket::new(conn, client_end, clock, &mut rx, &mut tx);
    let request = ClientRequest::new("localhost", "/echo", KEY);
    assert_eq!(
        ws.connect(&request),
        Err(Error::Connection(wsmachine::Error::Handshake(
            HandshakeFailure::Rejected { status: 403 }
        )))
    );
    assert_eq!(server.join().unwrap(), Err(Error::Rejected));
}

#[test]
fn oversized_message_is_closed_with_1009() {
    let (client_end, server_end) = pipe(usize::MAX);
    let server = thread::spawn(move || {
        let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 256], [0u8; 16]);
        let conn = Connection::server(Config::new(), clock());
        let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
        ws.accept(|_| Ok(Accept::new())).unwrap();
        let error = ws.read_message(&mut msg).unwrap_err();
        // Keep reading to finish the closing handshake.
        while ws.read_message(&mut msg).unwrap().is_some() {}
        error
    });
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let mut ws = connected(client_end, &mut rx, &mut tx);
    ws.send_text("this message is longer than sixteen bytes")
        .unwrap();
    match ws.read_event().unwrap() {
        Some(Event::Close(frame)) => assert_eq!(frame.code, CloseCode::MessageTooBig),
        other => panic!("expected Close 1009, got {other:?}"),
    }
    assert!(ws.read_event().unwrap().is_none());
    assert_eq!(
        server.join().unwrap(),
        Error::Connection(wsmachine::Error::Protocol(
            ProtocolViolation::MessageTooLarge
        ))
    );
}

#[test]
fn read_event_streams_a_message_larger_than_rx() {
    let (client_end, server_end) = pipe(100);
    let server = thread::spawn(move || {
        let (mut rx, mut tx) = ([0u8; 300], [0u8; 256]);
        let conn = Connection::server(Config::new(), clock());
        let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
        ws.accept(|_| Ok(Accept::new())).unwrap();
        let (mut text, mut chunks) = (String::new(), 0);
        while let Some(event) = ws.read_event().unwrap() {
            if let Event::Text(chunk) = event {
                chunk.push_to(&mut text).unwrap();
                chunks += 1;
            }
        }
        (text, chunks)
    });
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 200]);
    let mut ws = connected(client_end, &mut rx, &mut tx);
    let sent = "€uro ".repeat(400); // 2,800 bytes, code points split across reads
    ws.send_text(&sent).unwrap();
    ws.close(CloseCode::Normal, "").unwrap();
    while ws.read_event().unwrap().is_some() {}
    let (text, chunks) = server.join().unwrap();
    assert_eq!(text, sent);
    assert!(chunks > 5, "{chunks} chunks");
}

/// What the server saw through `read_event_with`: the text and binary bytes in order, the
/// chunks, the pings, the Close code.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    text: String,
    binary: Vec<u8>,
    chunks: usize,
    pings: Vec<Vec<u8>>,
    close: Option<CloseCode>,
}

impl Seen {
    fn record(&mut self, event: Event<'_>) {
        match event {
            Event::Text(chunk) => {
                chunk.push_to(&mut self.text).unwrap();
                self.chunks += 1;
            }
            Event::Binary(chunk) => {
                self.binary.extend_from_slice(chunk.as_bytes());
                self.chunks += 1;
            }
            Event::Ping(p) => self.pings.push(p.as_bytes().to_vec()),
            Event::Close(frame) => self.close = Some(frame.code),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn read_event_with_hands_over_every_event_of_a_stream_larger_than_rx() {
    for max_read in [1, 7, usize::MAX] {
        let (client_end, server_end) = pipe(max_read);
        let server = thread::spawn(move || {
            let (mut rx, mut tx) = ([0u8; 300], [0u8; 256]);
            let conn = Connection::server(Config::new(), clock());
            let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
            ws.accept(|_| Ok(Accept::new())).unwrap();
            let mut seen = Seen::default();
            while ws
                .read_event_with(|event| seen.record(event))
                .unwrap()
                .is_some()
            {}
            seen
        });
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 200]);
        let mut ws = connected(client_end, &mut rx, &mut tx);
        let sent = "€uro ".repeat(400); // 2,800 bytes, code points split across reads
        let data: Vec<u8> = (0..700u32).map(|i| (i % 251) as u8).collect();
        ws.send_text(&sent).unwrap();
        ws.send_ping(b"are you there").unwrap();
        ws.send_binary(&data).unwrap();
        // The pong, before this side's Close (after it, only the peer's Close is delivered).
        match ws.read_event().unwrap() {
            Some(Event::Pong(p)) => assert_eq!(p.as_bytes(), b"are you there"),
            other => panic!("expected the pong, got {other:?}"),
        }
        ws.close(CloseCode::Normal, "").unwrap();
        while ws.read_event().unwrap().is_some() {}
        let seen = server.join().unwrap();
        assert_eq!(seen.text, sent);
        assert_eq!(seen.binary, data);
        assert!(seen.chunks > 5, "{} chunks", seen.chunks);
        assert_eq!(seen.pings, [b"are you there".to_vec()]);
        assert_eq!(seen.close, Some(CloseCode::Normal));
    }
}

#[test]
fn eof_ends_the_connection_with_1006() {
    let (client_end, server_end) = pipe(usize::MAX);
    let server = thread::spawn(move || {
        let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 256], [0u8; 64]);
        let conn = Connection::server(Config::new(), clock());
        let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
        ws.accept(|_| Ok(Accept::new())).unwrap();
        assert_eq!(ws.read_message(&mut msg).unwrap(), None);
        ws.closed().unwrap()
    });
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let ws = connected(client_end, &mut rx, &mut tx);
    drop(ws);
    let closed = server.join().unwrap();
    assert_eq!(closed.code, CloseCode::Abnormal);
    assert!(!closed.clean);
}

#[test]
fn close_arms_its_deadline_from_the_socket_clock() {
    let (client_end, _server_end) = pipe(1024);
    let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
    let config = Config::new().with_close_timeout(Some(std::time::Duration::from_secs(10)));
    let conn = Connection::upgraded(config, wsmachine::Role::Client, masks, Instant::ZERO);
    // The socket's clock says 60 s, the engine's last input was at 0.
    let late = || Instant::from_millis(60_000);
    let mut ws = Socket::new(conn, client_end, late, &mut rx, &mut tx);
    ws.close(CloseCode::Normal, "").unwrap();
    assert_eq!(ws.poll_timeout(), Some(Instant::from_millis(70_000)));
}
