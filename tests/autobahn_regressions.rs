//! Regression tests named after the Autobahn|Testsuite cases that failed during development.
//!
//! Both failures were in how the example driver drained the engine (it wrote the engine's
//! pongs after the whole read's echoes); the engine's contract, pinned here, is that a
//! pong is ready right after its ping's event, so a driver that drains after each event
//! (the README's drain rule) answers every ping, in order.

mod common;

use common::*;
use wsmachine::{Config, Event, Instant, MessageKind, Role};

/// Receives `wire` whole, draining `poll_transmit` after every event, echoing data chunks
/// as fragments the way `examples/echo_server.rs` does; returns everything written.
fn echo_with_per_event_drain(wire: &mut [u8]) -> Vec<u8> {
    let mut server = upgraded(Role::Server, Config::new());
    let mut written = Vec::new();
    let mut out = [0u8; 512];
    let mut buf = &mut wire[..];
    loop {
        let received = server.receive(Instant::ZERO, buf).unwrap();
        let consumed = received.consumed;
        let Some(event) = received.event else { break };
        if let Event::Text(chunk) = event {
            let mut code_point = [0; 4];
            let (carried, text) = chunk.parts();
            let carried = carried.map_or("", |c| c.encode_utf8(&mut code_point));
            for (piece, last) in [(carried, false), (text, chunk.is_last())] {
                if !piece.is_empty() || last {
                    let n = server
                        .send_fragment(MessageKind::Text, piece.as_bytes(), last, &mut out)
                        .unwrap();
                    written.extend_from_slice(&out[..n]);
                }
            }
        }
        drain(&mut server, &mut written);
        buf = &mut buf[consumed..];
    }
    written
}

#[test]
fn autobahn_2_10_ten_pings_in_one_read_each_get_their_pong() {
    let mut wire = Vec::new();
    for i in 0..10 {
        wire.extend(frame(
            Role::Client,
            true,
            0x9,
            format!("payload-{i}").as_bytes(),
        ));
    }
    let written = echo_with_per_event_drain(&mut wire);
    let want: Vec<u8> = (0..10)
        .flat_map(|i| frame(Role::Server, true, 0xa, format!("payload-{i}").as_bytes()))
        .collect();
    assert_eq!(written, want);
}

#[test]
fn autobahn_5_6_and_5_19_pong_goes_out_before_the_rest_of_a_fragmented_message() {
    let mut wire = frame(Role::Client, false, 0x1, b"fragment1");
    wire.extend(frame(Role::Client, true, 0x9, b"ping payload"));
    wire.extend(frame(Role::Client, true, 0x0, b"fragment2"));
    let written = echo_with_per_event_drain(&mut wire);
    let mut want = frame(Role::Server, false, 0x1, b"fragment1");
    want.extend(frame(Role::Server, true, 0xa, b"ping payload"));
    want.extend(frame(Role::Server, true, 0x0, b"fragment2"));
    assert_eq!(written, want);
}
