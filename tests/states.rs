//! Walks every edge of the state diagram in `src/connection/state.rs`, so the diagram
//! cannot drift from the code.

mod common;

use common::*;
use wsmachine::{Accept, CloseCode, Config, Event, Instant, Reject, Role, State};

const NOW: Instant = Instant::ZERO;

#[test]
fn server_await_request_to_await_decision_to_open() {
    let (_, mut request) = client(Config::new(), &[]);
    let mut server = server(Config::new());
    assert_eq!(server.state(), State::Connecting);
    let received = server.receive(NOW, &mut request).unwrap();
    assert!(matches!(received.event, Some(Event::UpgradeRequest(_))));
    assert_eq!(server.state(), State::Connecting, "awaiting the decision");
    server
        .accept(Instant::ZERO, &Accept::new(), &mut [0; 512])
        .unwrap();
    assert_eq!(server.state(), State::Open);
}

#[test]
fn server_await_decision_reject_to_closed() {
    let (_, mut request) = client(Config::new(), &[]);
    let mut server = server(Config::new());
    let _ = server.receive(NOW, &mut request).unwrap();
    let mut out = [0; 512];
    let n = server.reject(&Reject::new(403), &mut out).unwrap();
    assert!(out[..n].starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    assert_eq!(server.state(), State::Closed);
    let t = server.poll_transmit(&mut out).unwrap().unwrap();
    assert!(t.close_transport_after);
}

#[test]
fn client_idle_to_await_response_to_open() {
    let mut client = wsmachine::Connection::client(Config::new(), test_mask as TestMask, NOW);
    assert_eq!(client.state(), State::Connecting);
    let request = wsmachine::ClientRequest::new("h", "/", KEY);
    let n = client
        .connect(Instant::ZERO, &request, &mut [0; 512])
        .unwrap();
    assert!(n > 0);
    assert_eq!(client.state(), State::Connecting);
    let (_, request) = self::client(Config::new(), &[]);
    let (_, response) = feed(&mut server(Config::new()), &request, &[0], None);
    let (events, _) = feed(&mut client, &response, &[0], None);
    assert!(matches!(events[..], [Ev::Established { .. }]));
    assert_eq!(client.state(), State::Open);
}

#[test]
fn upgraded_starts_open() {
    assert_eq!(upgraded(Role::Server, Config::new()).state(), State::Open);
    assert_eq!(upgraded(Role::Client, Config::new()).state(), State::Open);
}

#[test]
fn open_close_sent_then_peer_close_to_closed() {
    let mut server = upgraded(Role::Server, Config::new());
    server
        .close(Instant::ZERO, CloseCode::Normal, "", &mut [0; 64])
        .unwrap();
    assert_eq!(server.state(), State::Closing);
    let mut reply = frame(
        Role::Client,
        true,
        0x8,
        &close_payload(CloseCode::Normal, ""),
    );
    let _ = server.receive(NOW, &mut reply).unwrap();
    assert_eq!(server.state(), State::Closed);
}

#[test]
fn open_peer_close_to_close_received_then_echo_to_closed() {
    let mut client = upgraded(Role::Client, Config::new());
    let mut close = frame(
        Role::Server,
        true,
        0x8,
        &close_payload(CloseCode::GoingAway, ""),
    );
    let _ = client.receive(NOW, &mut close).unwrap();
    assert_eq!(
        client.state(),
        State::Closing,
        "echo queued, not yet transmitted"
    );
    let t = client.poll_transmit(&mut [0; 64]).unwrap().unwrap();
    assert!(t.len > 0);
    assert_eq!(client.state(), State::Closed);
}

#[test]
fn any_violation_to_failed_which_reads_as_closed() {
    let mut server = upgraded(Role::Server, Config::new());
    let mut bad = frame(Role::Client, false, 0x9, b"");
    assert!(server.receive(NOW, &mut bad).is_err());
    assert_eq!(server.state(), State::Closed);
}

#[test]
fn eof_and_timeout_lead_to_closed() {
    let mut server = upgraded(Role::Server, Config::new());
    let _ = server.receive_eof(NOW);
    assert_eq!(server.state(), State::Closed);
    let mut fresh = self::server(Config::new());
    assert!(fresh.handle_timeout(Instant::from_millis(10_000)).is_some());
    assert_eq!(fresh.state(), State::Closed);
}
