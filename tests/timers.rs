//! Time is an input: keepalive pings, pong deadline, closing-handshake and opening-handshake
//! timeouts, each driven by `handle_timeout(now)` and announced by `poll_timeout()`.

mod common;

use std::time::Duration;

use common::*;
use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Initiator, Instant, Role, State,
};

fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

#[test]
fn keepalive_sends_a_ping_after_silence_and_drops_a_dead_peer() {
    let config = Config::new()
        .with_keepalive(Some(Duration::from_secs(30)))
        .with_pong_timeout(Duration::from_secs(5));
    let mut server = upgraded(Role::Server, config);
    assert_eq!(server.poll_timeout(), Some(at(30_000)));
    assert_eq!(server.handle_timeout(at(29_999)), None);
    let mut wire = Vec::new();
    drain(&mut server, &mut wire);
    assert!(wire.is_empty(), "nothing is due before the interval");
    assert_eq!(server.handle_timeout(at(30_000)), None);
    drain(&mut server, &mut wire);
    assert_eq!(
        wire,
        frame(Role::Server, true, 0x9, b""),
        "a keepalive ping"
    );
    assert_eq!(server.poll_timeout(), Some(at(35_000)), "the pong deadline");
    let closed = server
        .handle_timeout(at(35_000))
        .expect("the pong deadline ends the connection");
    assert_eq!(
        (closed.code, closed.clean, closed.initiator),
        (CloseCode::Abnormal, false, Initiator::Local)
    );
    assert_eq!(server.state(), State::Closed);
    let mut out = [0u8; 64];
    let t = server.poll_transmit(&mut out).unwrap().unwrap();
    assert!(t.close_transport_after);
}

#[test]
fn any_received_frame_counts_as_liveness() {
    let config = Config::new().with_keepalive(Some(Duration::from_secs(30)));
    let mut server = upgraded(Role::Server, config);
    server.handle_timeout(at(30_000));
    let mut wire = Vec::new();
    drain(&mut server, &mut wire);
    // The pong (or anything else) arrives: the pong deadline is cleared, keepalive re-armed.
    let mut pong = frame(Role::Client, true, 0xa, b"");
    let received = server.receive(at(31_000), &mut pong).unwrap();
    assert!(received.event.is_some());
    assert_eq!(server.poll_timeout(), Some(at(61_000)));
    assert_eq!(server.handle_timeout(at(40_000)), None);
    assert!(server.is_open());
}

#[test]
fn closing_handshake_times_out_when_the_peer_never_answers() {
    let config = Config::new().with_close_timeout(Some(Duration::from_secs(10)));
    let mut client = upgraded(Role::Client, config);
    let mut out = [0u8; 64];
    client
        .close(Instant::ZERO, CloseCode::Normal, "", &mut out)
        .unwrap();
    assert_eq!(client.state(), State::Closing);
    assert_eq!(client.poll_timeout(), Some(at(10_000)));
    let closed = client.handle_timeout(at(10_000)).unwrap();
    assert_eq!((closed.code, closed.clean), (CloseCode::Abnormal, false));
    let t = client.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!((t.len, t.close_transport_after), (0, true));
}

#[test]
fn client_waits_for_the_server_to_close_tcp_then_gives_up() {
    let mut client = upgraded(Role::Client, Config::new());
    let mut out = [0u8; 64];
    client
        .close(Instant::ZERO, CloseCode::Normal, "", &mut out)
        .unwrap();
    let mut echo = frame(
        Role::Server,
        true,
        0x8,
        &close_payload(CloseCode::Normal, ""),
    );
    let received = client.receive(at(100), &mut echo).unwrap();
    assert!(received.event.is_some());
    assert_eq!(client.state(), State::Closed);
    // RFC 6455 §7.1.1: the client waits for the server's TCP close, with a deadline.
    assert_eq!(client.poll_transmit(&mut out).unwrap(), None);
    assert_eq!(client.poll_timeout(), Some(at(10_100)));
    assert_eq!(
        client.handle_timeout(at(10_100)),
        None,
        "the outcome was already clean"
    );
    let t = client.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!((t.len, t.close_transport_after), (0, true));
    assert!(client.closed().unwrap().clean);
}

#[test]
fn slow_handshake_times_out() {
    let config = Config::new().with_handshake_timeout(Some(Duration::from_secs(10)));
    let mut server = Connection::server(config, at(1_000));
    let mut partial = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    let received = server.receive(at(2_000), &mut partial).unwrap();
    assert_eq!((received.consumed, received.event), (0, None));
    assert_eq!(server.poll_timeout(), Some(at(11_000)));
    let closed = server.handle_timeout(at(11_000)).unwrap();
    assert_eq!(closed.code, CloseCode::Abnormal);
    assert!(server.is_closed());
}

#[test]
fn timers_can_be_switched_off() {
    let config = Config::new()
        .with_handshake_timeout(None)
        .with_close_timeout(None)
        .with_keepalive(None);
    let server = Connection::server(config, at(0));
    assert_eq!(server.poll_timeout(), None);
    let mut client = upgraded(Role::Client, config);
    let mut out = [0u8; 64];
    client
        .close(Instant::ZERO, CloseCode::Normal, "", &mut out)
        .unwrap();
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn eof_before_close_reports_1006() {
    let mut server = upgraded(Role::Server, Config::new());
    let closed = server.receive_eof(at(5));
    assert_eq!(
        (closed.code, closed.clean, closed.initiator),
        (CloseCode::Abnormal, false, Initiator::Remote)
    );
    assert!(server.is_closed());
}

// ---- commands take the time they run at (issue: deadlines armed from the last input) ----

#[test]
fn close_after_a_long_idle_waits_the_full_close_timeout_from_the_call() {
    let config = Config::new().with_close_timeout(Some(Duration::from_secs(10)));
    let mut server = upgraded(Role::Server, config);
    let mut out = [0u8; 64];
    // Idle since t = 0 (its last input); the application closes at t = 60 s.
    server
        .close(at(60_000), CloseCode::Normal, "", &mut out)
        .unwrap();
    assert_eq!(server.poll_timeout(), Some(at(70_000)));
    assert_eq!(
        server.handle_timeout(at(60_000)),
        None,
        "not dropped at once"
    );
    assert_eq!(server.state(), State::Closing);
    let closed = server.handle_timeout(at(70_000)).unwrap();
    assert_eq!((closed.code, closed.clean), (CloseCode::Abnormal, false));
}

#[test]
fn close_answering_the_peer_runs_the_client_wait_from_the_call() {
    let mut client = upgraded(Role::Client, Config::new());
    let mut close = frame(
        Role::Server,
        true,
        0x8,
        &close_payload(CloseCode::GoingAway, ""),
    );
    assert!(client.receive(at(0), &mut close).unwrap().event.is_some());
    let mut out = [0u8; 64];
    // The application answers with its own code instead of the automatic echo, later.
    client
        .close(at(30_000), CloseCode::Normal, "", &mut out)
        .unwrap();
    assert_eq!(client.state(), State::Closed);
    assert_eq!(client.poll_timeout(), Some(at(40_000)));
}

#[test]
fn accept_arms_keepalive_from_the_call_not_from_the_request() {
    let config = Config::new().with_keepalive(Some(Duration::from_secs(30)));
    let (_, request) = client(config, &[]);
    let mut server = server(config);
    let mut buf = request.clone();
    assert!(server.receive(at(0), &mut buf).unwrap().event.is_some());
    let mut out = [0u8; 512];
    // The application takes 20 s to decide (an authentication round trip, say).
    server.accept(at(20_000), &Accept::new(), &mut out).unwrap();
    assert_eq!(server.poll_timeout(), Some(at(50_000)));
    assert_eq!(server.handle_timeout(at(30_000)), None);
    let mut wire = Vec::new();
    drain(&mut server, &mut wire);
    assert!(
        wire.is_empty(),
        "no ping 30 s after the request, only 30 s after accept"
    );
}

#[test]
fn connect_arms_the_handshake_deadline_from_the_call() {
    let config = Config::new().with_handshake_timeout(Some(Duration::from_secs(10)));
    let mut client = Connection::client(config, test_mask as TestMask, at(0));
    let mut out = [0u8; 512];
    let request = ClientRequest::new("localhost", "/", KEY);
    client.connect(at(60_000), &request, &mut out).unwrap();
    assert_eq!(client.poll_timeout(), Some(at(70_000)));
    assert_eq!(client.handle_timeout(at(60_001)), None);
    assert_eq!(client.state(), State::Connecting);
}
