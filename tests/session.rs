//! In-memory client ↔ server sessions through the public API only.

mod common;

use common::*;
use wsmachine::{
    Accept, CloseCode, Config, Error, HandshakeFailure, MessageKind, ProtocolViolation, Role, State,
};

fn send<M: wsmachine::MaskSource>(
    conn: &mut wsmachine::Connection<M>,
    f: impl FnOnce(&mut wsmachine::Connection<M>, &mut [u8]) -> Result<usize, Error>,
) -> Vec<u8> {
    let mut out = vec![0u8; 70_000];
    let n = f(conn, &mut out).unwrap();
    out.truncate(n);
    out
}

#[test]
fn handshake_negotiates_subprotocol() {
    let (mut client, request) = client(Config::new(), &["chat", "superchat"]);
    let mut server = server(Config::new());
    let accept = Accept::new().with_subprotocol("chat");
    let (events, response) = feed(&mut server, &request, &[0], Some(&accept));
    assert_eq!(
        events,
        [Ev::Request {
            path: "/chat".into(),
            subprotocols: vec!["chat".into(), "superchat".into()]
        }]
    );
    let text = String::from_utf8(response.clone()).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{text}"
    );
    let (events, _) = feed(&mut client, &response, &[0], None);
    assert_eq!(
        events,
        [Ev::Established {
            subprotocol: Some("chat".into())
        }]
    );
    assert_eq!((client.state(), server.state()), (State::Open, State::Open));
}

#[test]
fn text_binary_and_fragments_flow_both_ways() {
    let (mut client, mut server) = open_pair(Config::new(), &[], &Accept::new());
    let mut wire = send(&mut client, |c, o| c.send_text("héllo €", o));
    wire.extend(send(&mut client, |c, o| c.send_binary(&[0, 1, 2, 255], o)));
    wire.extend(send(&mut client, |c, o| {
        c.send_fragment(MessageKind::Text, "fr".as_bytes(), false, o)
    }));
    wire.extend(send(&mut client, |c, o| c.send_ping(b"mid", o)));
    wire.extend(send(&mut client, |c, o| {
        c.send_fragment(MessageKind::Text, &[0xe2, 0x82], false, o)
    }));
    wire.extend(send(&mut client, |c, o| {
        c.send_fragment(MessageKind::Text, &[0xac], true, o)
    }));
    let (events, replies) = feed(&mut server, &wire, &[1], None);
    assert_eq!(
        events,
        [
            Ev::Text("héllo €".into()),
            Ev::Binary(vec![0, 1, 2, 255]),
            Ev::Ping(b"mid".to_vec()),
            Ev::Text("fr€".into()),
        ]
    );
    // The server answered the ping automatically, and the pong reaches the client.
    let (events, _) = feed(&mut client, &replies, &[0], None);
    assert_eq!(events, [Ev::Pong(b"mid".to_vec())]);

    let wire = send(&mut server, |s, o| s.send_text("from server", o));
    let (events, _) = feed(&mut client, &wire, &[3], None);
    assert_eq!(events, [Ev::Text("from server".into())]);
}

#[test]
fn client_initiated_close_completes_and_server_closes_transport() {
    let (mut client, mut server) = open_pair(Config::new(), &[], &Accept::new());
    let wire = send(&mut client, |c, o| {
        c.close(wsmachine::Instant::ZERO, CloseCode::Normal, "bye", o)
    });
    assert_eq!(client.state(), State::Closing);
    let (events, echo) = feed(&mut server, &wire, &[0], None);
    assert_eq!(events, [Ev::Close(1000, "bye".into())]);
    assert_eq!(server.state(), State::Closed);
    assert_eq!(echo, frame(Role::Server, true, 0x8, &[0x03, 0xe8]));
    let closed = server.closed().unwrap();
    assert!(closed.clean);
    let (events, _) = feed(&mut client, &echo, &[0], None);
    assert_eq!(events, [Ev::Close(1000, String::new())]);
    assert_eq!(client.state(), State::Closed);
    // The client waits for the server's TCP close, then reports a clean end.
    let closed = client.receive_eof(wsmachine::Instant::from_millis(5));
    assert!(closed.clean && closed.code == CloseCode::Normal);
}

#[test]
fn server_initiated_close_signals_transport_close_after_reply() {
    let (mut client, mut server) = open_pair(Config::new(), &[], &Accept::new());
    let wire = send(&mut server, |s, o| {
        s.close(wsmachine::Instant::ZERO, CloseCode::GoingAway, "restart", o)
    });
    let (events, echo) = feed(&mut client, &wire, &[0], None);
    assert_eq!(events, [Ev::Close(1001, "restart".into())]);
    let mut echo = echo;
    let received = server.receive(wsmachine::Instant::ZERO, &mut echo).unwrap();
    assert!(
        matches!(received.event, Some(wsmachine::Event::Close(f)) if f.code == CloseCode::GoingAway)
    );
    assert_eq!(server.state(), State::Closed);
    let mut out = [0u8; 64];
    let t = server.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!((t.len, t.close_transport_after), (0, true));
    assert_eq!(server.poll_transmit(&mut out).unwrap(), None);
}

#[test]
fn peer_protocol_error_queues_close_1002_and_is_sticky() {
    let mut server = upgraded(Role::Server, Config::new());
    // An unmasked frame from a client.
    let (events, wire) = feed(
        &mut server,
        &frame(Role::Server, true, 0x1, b"hi"),
        &[0],
        None,
    );
    assert_eq!(
        events,
        [Ev::Error(Error::Protocol(
            ProtocolViolation::UnmaskedClientFrame
        ))]
    );
    assert_eq!(wire, frame(Role::Server, true, 0x8, &[0x03, 0xea]));
    let (events, wire) = feed(
        &mut server,
        &frame(Role::Client, true, 0x1, b"hi"),
        &[0],
        None,
    );
    assert_eq!(
        events,
        [Ev::Error(Error::Protocol(
            ProtocolViolation::UnmaskedClientFrame
        ))]
    );
    assert!(wire.is_empty());
    assert_eq!(server.state(), State::Closed);
}

#[test]
fn server_sees_client_error_with_1007() {
    let mut client = upgraded(Role::Client, Config::new());
    let (events, wire) = feed(
        &mut client,
        &frame(Role::Server, true, 0x1, &[0xff]),
        &[0],
        None,
    );
    assert_eq!(
        events,
        [Ev::Error(Error::Protocol(ProtocolViolation::InvalidUtf8))]
    );
    // The client masks its failure Close.
    assert_eq!(wire, frame(Role::Client, true, 0x8, &[0x03, 0xef]));
}

#[test]
fn bad_request_gets_http_error() {
    let mut server = server(Config::new());
    let request = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n";
    let (events, wire) = feed(&mut server, request, &[0], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(
            HandshakeFailure::UnsupportedVersion
        ))]
    );
    let text = String::from_utf8(wire).unwrap();
    assert!(
        text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{text}"
    );
    assert!(text.contains("Sec-WebSocket-Version: 13\r\n"), "{text}");
}

#[test]
fn client_rejects_wrong_accept_key() {
    let (mut client, _) = client(Config::new(), &[]);
    let response =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    let (events, _) = feed(&mut client, response, &[0], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(HandshakeFailure::BadAccept))]
    );
}
