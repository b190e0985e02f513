//! The async `embedded-io-async` adapter: a client socket and a server socket joined on
//! one thread (`embassy_futures`), through an in-memory pipe that can hand out one byte
//! per read.

use core::cell::RefCell;
use core::future::poll_fn;
use core::task::Poll;
use std::collections::VecDeque;
use std::rc::Rc;

use embassy_futures::block_on;
use embassy_futures::join::join;
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use wsmachine::io::Error;
use wsmachine::io::embedded_io_async::Socket;
use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Event, HandshakeFailure, Instant, Key,
    MaskKey, Message, ProtocolViolation, Reject,
};

/// One direction of the pipe: queued bytes, and whether the writer is gone.
type Channel = Rc<RefCell<(VecDeque<u8>, bool)>>;

/// One end of an in-memory duplex pipe; dropping it is EOF for the other end.
struct End {
    incoming: Channel,
    outgoing: Channel,
    max_read: usize,
}

fn pipe(max_read: usize) -> (End, End) {
    let (a, b) = (Channel::default(), Channel::default());
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
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        poll_fn(|cx| {
            let mut channel = self.incoming.borrow_mut();
            if channel.0.is_empty() && !channel.1 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let n = buf.len().min(channel.0.len()).min(self.max_read);
            for (dst, src) in buf.iter_mut().zip(channel.0.drain(..n)) {
                *dst = src;
            }
            Poll::Ready(Ok(n))
        })
        .await
    }
}

impl Write for End {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        let mut channel = self.outgoing.borrow_mut();
        if channel.1 {
            return Err(ErrorKind::BrokenPipe);
        }
        channel.0.extend(buf);
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        Ok(())
    }
}

impl Drop for End {
    fn drop(&mut self) {
        self.incoming.borrow_mut().1 = true;
        self.outgoing.borrow_mut().1 = true;
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
async fn connected<'b>(end: End, rx: &'b mut [u8], tx: &'b mut [u8]) -> ClientSocket<'b> {
    let conn = Connection::client(Config::new(), masks as fn() -> MaskKey, clock());
    let mut ws = Socket::new(conn, end, clock as fn() -> Instant, rx, tx);
    ws.connect(&ClientRequest::new("localhost", "/", KEY))
        .await
        .unwrap();
    ws
}

async fn echo_server(end: End) -> Result<u16, Error<ErrorKind>> {
    let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 256], [0u8; 4096]);
    let conn = Connection::server(Config::new(), clock());
    let mut ws = Socket::new(conn, end, clock, &mut rx, &mut tx);
    ws.accept(|request| {
        if request.subprotocols().any(|p| p == "chat") {
            Ok(Accept::new().with_subprotocol("chat"))
        } else {
            Err(Reject::new(403))
        }
    })
    .await?;
    while let Some(message) = ws.read_message(&mut msg).await? {
        match message {
            Message::Text(text) => ws.send_text(text).await?,
            Message::Binary(data) => ws.send_binary(data).await?,
        }
    }
    Ok(ws.closed().unwrap().code.0)
}

async fn echo_client(end: End) {
    let (mut rx, mut tx, mut msg) = ([0u8; 512], [0u8; 256], [0u8; 4096]);
    let conn = Connection::client(Config::new(), masks, clock());
    let mut ws = Socket::new(conn, end, clock, &mut rx, &mut tx);
    let request = ClientRequest::new("localhost", "/echo", KEY).with_subprotocols(&["chat"]);
    assert_eq!(ws.connect(&request).await.unwrap(), Some("chat"));

    ws.send_text("héllo").await.unwrap();
    assert_eq!(
        ws.read_message(&mut msg).await.unwrap(),
        Some(Message::Text("héllo"))
    );
    let big: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    ws.send_binary(&big).await.unwrap();
    assert_eq!(
        ws.read_message(&mut msg).await.unwrap(),
        Some(Message::Binary(&big[..]))
    );
    ws.send_ping(b"ping?").await.unwrap();
    match ws.read_event().await.unwrap() {
        Some(Event::Pong(p)) => assert_eq!(p.as_bytes(), b"ping?"),
        other => panic!("expected pong, got {other:?}"),
    }
    ws.close(CloseCode::Normal, "bye").await.unwrap();
    assert_eq!(ws.read_message(&mut msg).await.unwrap(), None);
    let closed = ws.closed().unwrap();
    assert!(
        closed.clean && closed.code == CloseCode::Normal,
        "{closed:?}"
    );
}

fn session(max_read: usize) {
    let (client_end, server_end) = pipe(max_read);
    let ((), server) = block_on(join(echo_client(client_end), echo_server(server_end)));
    assert_eq!(server.unwrap(), 1000);
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
    let (client_end, server_end) = pipe(5);
    let client = async move {
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
        let conn = Connection::client(Config::new(), masks, clock());
        let mut ws = Socket::new(conn, client_end, clock, &mut rx, &mut tx);
        ws.connect(&ClientRequest::new("localhost", "/", KEY)).await
    };
    let (client, server) = block_on(join(client, echo_server(server_end)));
    assert_eq!(
        client,
        Err(Error::Connection(wsmachine::Error::Handshake(
            HandshakeFailure::Rejected { status: 403 }
        )))
    );
    assert_eq!(server, Err(Error::Rejected));
}

#[test]
fn oversized_message_is_closed_with_1009() {
    let (client_end, server_end) = pipe(usize::MAX);
    let server = async move {
        let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 256], [0u8; 16]);
        let conn = Connection::server(Config::new(), clock());
        let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
        ws.accept(|_| Ok(Accept::new())).await.unwrap();
        let error = ws.read_message(&mut msg).await.unwrap_err();
        while ws.read_message(&mut msg).await.unwrap().is_some() {}
        error
    };
    let client = async move {
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
        let mut ws = connected(client_end, &mut rx, &mut tx).await;
        ws.send_text("longer than sixteen bytes, surely")
            .await
            .unwrap();
        let code = match ws.read_event().await.unwrap() {
            Some(Event::Close(frame)) => frame.code,
            other => panic!("expected Close, got {other:?}"),
        };
        assert!(ws.read_event().await.unwrap().is_none());
        code
    };
    let (code, error) = block_on(join(client, server));
    assert_eq!(code, CloseCode::MessageTooBig);
    assert_eq!(
        error,
        Error::Connection(wsmachine::Error::Protocol(
            ProtocolViolation::MessageTooLarge
        ))
    );
}

#[test]
fn read_event_with_hands_over_chunks_and_read_message_skips_the_rest() {
    for max_read in [1, 5, usize::MAX] {
        let (client_end, server_end) = pipe(max_read);
        let server = async move {
            let (mut rx, mut tx, mut msg) = ([0u8; 200], [0u8; 256], [0u8; 64]);
            let conn = Connection::server(Config::new(), clock());
            let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
            ws.accept(|_| Ok(Accept::new())).await.unwrap();
            // The first chunk of a text larger than `rx`, taken where it lies.
            let first = ws
                .read_event_with(|event| match event {
                    Event::Text(chunk) => (chunk.to_string(), chunk.is_first(), chunk.is_last()),
                    other => panic!("expected text, got {other:?}"),
                })
                .await
                .unwrap()
                .unwrap();
            // The rest of that message is skipped; the next message comes whole.
            let next = match ws.read_message(&mut msg).await.unwrap() {
                Some(Message::Binary(data)) => data.to_vec(),
                other => panic!("expected binary, got {other:?}"),
            };
            let ping = ws
                .read_event_with(|event| match event {
                    Event::Ping(p) => p.as_bytes().to_vec(),
                    other => panic!("expected ping, got {other:?}"),
                })
                .await
                .unwrap();
            let close = ws
                .read_event_with(|event| match event {
                    Event::Close(frame) => frame.code,
                    other => panic!("expected Close, got {other:?}"),
                })
                .await
                .unwrap();
            let after = ws.read_event_with(|_| ()).await.unwrap();
            (first, next, ping, close, after)
        };
        let client = async move {
            let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
            let mut ws = connected(client_end, &mut rx, &mut tx).await;
            ws.send_text(&"é".repeat(300)).await.unwrap(); // 600 bytes
            ws.send_binary(b"next").await.unwrap();
            ws.send_ping(b"p").await.unwrap();
            match ws.read_event().await.unwrap() {
                Some(Event::Pong(p)) => assert_eq!(p.as_bytes(), b"p"),
                other => panic!("expected the pong, got {other:?}"),
            }
            ws.close(CloseCode::Normal, "").await.unwrap();
            while ws.read_event().await.unwrap().is_some() {}
        };
        let (((text, is_first, is_last), next, ping, close, after), ()) =
            block_on(join(server, client));
        assert!(is_first && !is_last, "a first chunk only");
        assert!(text.len() < 600, "{} bytes", text.len()); // empty with 1-byte reads
        assert!(text.chars().all(|c| c == 'é'));
        assert_eq!(next, b"next");
        assert_eq!(ping.as_deref(), Some(&b"p"[..]));
        assert_eq!(close, Some(CloseCode::Normal));
        assert_eq!(after, None, "f is not called once the connection is over");
    }
}

#[test]
fn eof_ends_the_connection_with_1006() {
    let (client_end, server_end) = pipe(3);
    let server = async move {
        let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 256], [0u8; 64]);
        let conn = Connection::server(Config::new(), clock());
        let mut ws = Socket::new(conn, server_end, clock, &mut rx, &mut tx);
        ws.accept(|_| Ok(Accept::new())).await.unwrap();
        assert_eq!(ws.read_message(&mut msg).await.unwrap(), None);
        ws.closed().unwrap()
    };
    let client = async move {
        let (mut rx, mut tx) = ([0u8; 512], [0u8; 256]);
        let ws = connected(client_end, &mut rx, &mut tx).await;
        drop(ws); // EOF for the server
    };
    let ((), closed) = block_on(join(client, server));
    assert_eq!(closed.code, CloseCode::Abnormal);
    assert!(!closed.clean);
}
