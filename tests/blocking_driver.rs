//! The blocking driver over loopback TCP: echo, close, limits, EOF, keepalive through the
//! socket's read timeout.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use wsmachine::blocking::{Error, Message, Options, WebSocket};
use wsmachine::{Accept, CloseCode, Config};

/// A server thread running `serve` on one accepted WebSocket, and its URL.
fn server(
    options: Options,
    serve: impl FnOnce(WebSocket<TcpStream>) + Send + 'static,
) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let ws = WebSocket::accept_with(stream, options, |_| Ok(Accept::new())).unwrap();
        serve(ws);
    });
    (url, handle)
}

fn echo(mut ws: WebSocket<TcpStream>) {
    while let Some(message) = ws.recv() {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
            ws.send(m).unwrap();
        }
    }
}

#[test]
fn messages_echo_and_close_cleanly() {
    let (url, handle) = server(Options::new(), echo);
    let mut ws = wsmachine::blocking::connect(&url).unwrap();
    for message in [
        Message::text("héllo 🦀"),
        Message::binary(vec![1u8; 300_000]),
        Message::text(""),
    ] {
        ws.send(message.clone()).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), message);
    }
    ws.send(Message::Ping("p".into())).unwrap();
    assert_eq!(ws.recv().unwrap().unwrap(), Message::Pong("p".into()));
    ws.close(CloseCode::Normal, "done").unwrap();
    let closed = ws.closed().unwrap();
    assert!(closed.clean);
    assert_eq!(closed.code, CloseCode::Normal);
    handle.join().unwrap();
}

#[test]
fn oversized_message_closes_with_1009() {
    let (url, handle) = server(Options::new().with_max_message_len(100), |mut ws| {
        let error = ws.recv().unwrap().unwrap_err();
        assert_eq!(error.close_code(), Some(CloseCode::MessageTooBig));
        assert!(ws.recv().is_none());
    });
    let mut ws = wsmachine::blocking::connect(&url).unwrap();
    ws.send(Message::binary(vec![0u8; 101])).unwrap();
    let close = ws.recv().unwrap().unwrap();
    assert!(
        matches!(close, Message::Close(Some((CloseCode::MessageTooBig, _)))),
        "{close:?}"
    );
    handle.join().unwrap();
}

#[test]
fn truncated_stream_reports_1006() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut ws = WebSocket::accept(stream.try_clone().unwrap()).unwrap();
        let _ = &mut ws;
        // Half an unmasked server text frame (header says 5 bytes), then EOF.
        stream.write_all(&[0x81, 0x05, b'h', b'e']).unwrap();
        stream.shutdown(std::net::Shutdown::Both).unwrap();
    });
    let mut ws = wsmachine::blocking::connect(&format!("ws://{addr}/")).unwrap();
    peer.join().unwrap();
    match ws.recv() {
        Some(Err(Error::Abnormal(closed))) => assert_eq!(closed.code, CloseCode::Abnormal),
        other => panic!("expected 1006, got {other:?}"),
    }
    assert!(ws.recv().is_none());
}

#[test]
fn keepalive_runs_on_the_read_timeout_and_a_silent_peer_is_dropped() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The peer accepts, then never reads again, so the ping is never answered.
    let silent = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let ws = WebSocket::accept(stream).unwrap();
        thread::sleep(Duration::from_secs(2));
        drop(ws);
    });
    let config = Config::new()
        .with_keepalive(Some(Duration::from_millis(200)))
        .with_pong_timeout(Duration::from_millis(300));
    let options = Options::new().with_config(config);
    let stream = TcpStream::connect(addr).unwrap();
    let host = addr.to_string();
    let request = wsmachine::ClientRequest::new(&host, "/", options.new_key());
    let mut ws = WebSocket::connect(stream, &request, options).unwrap();
    // A plain stream has no timeout hook: give it one, as the module docs ask.
    ws.get_ref()
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let start = Instant::now();
    match ws.recv() {
        Some(Err(Error::Abnormal(closed))) => assert_eq!(closed.code, CloseCode::Abnormal),
        other => panic!("expected a pong timeout, got {other:?}"),
    }
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_millis(1500),
        "{waited:?}"
    );
    silent.join().unwrap();
}

#[test]
fn bad_url_is_refused() {
    assert!(matches!(
        wsmachine::blocking::connect("wss://x/"),
        Err(Error::InvalidUrl)
    ));
}

/// Large binary messages read whole are handed out as the read buffer's own bytes: the
/// bytes after them in the same read (the next messages, pipelined) must stay intact.
#[test]
fn pipelined_large_and_small_messages_arrive_intact() {
    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed ^ (i >> 8) as u8)
            .collect()
    }
    let messages = [
        Message::binary(pattern(40_000, 1)),
        Message::text("small one"),
        Message::binary(pattern(65_536, 2)),
        Message::binary(pattern(17, 3)),
        Message::binary(pattern(20_000, 4)),
        Message::text("é".repeat(12_000)),
        Message::binary(pattern(100_000, 5)),
        Message::binary(pattern(16_384, 6)),
    ];
    for read_buffer in [64 * 1024 + 14, 1024 * 1024] {
        let options = Options::new().with_read_buffer(512, read_buffer);
        let (url, handle) = server(options, echo);
        let authority = url.trim_start_matches("ws://").trim_end_matches('/');
        let stream = TcpStream::connect(authority).unwrap();
        let request = wsmachine::ClientRequest::new(authority, "/", options.new_key());
        let mut ws = WebSocket::connect(stream, &request, options).unwrap();
        // All sent before any is read (≈ 270 KB, within loopback's socket buffers), so reads
        // carry several messages and message tails.
        for message in &messages {
            ws.send(message.clone()).unwrap();
        }
        for (i, message) in messages.iter().enumerate() {
            let got = ws.recv().unwrap().unwrap();
            assert!(got == *message, "message {i} (read buffer {read_buffer})");
        }
        ws.close(CloseCode::Normal, "").unwrap();
        handle.join().unwrap();
    }
}
