//! Fatal errors repeat and deliver nothing more; usage errors change nothing.

mod common;

use common::*;
use wsmachine::{CloseCode, Config, Error, Instant, MessageKind, Misuse, ProtocolViolation, Role};

#[test]
fn protocol_error_is_sticky_and_nothing_is_delivered_after_it() {
    let mut client = upgraded(Role::Client, Config::new());
    let mut wire = frame(Role::Server, true, 0x3, b"");
    wire.extend(frame(Role::Server, true, 0x1, b"after"));
    let err = client.receive(Instant::ZERO, &mut wire).unwrap_err();
    assert_eq!(err, Error::Protocol(ProtocolViolation::ReservedOpcode(3)));
    for _ in 0..3 {
        let mut more = frame(Role::Server, true, 0x1, b"more");
        assert_eq!(client.receive(Instant::ZERO, &mut more).unwrap_err(), err);
    }
    let mut out = [0u8; 256];
    assert!(matches!(
        client.send_text("x", &mut out),
        Err(Error::Usage(Misuse::ConnectionClosed))
    ));
}

#[test]
fn usage_errors_change_nothing() {
    let mut client = upgraded(Role::Client, Config::new());
    let mut out = [0u8; 256];
    let before = format!("{client:?}");
    assert_eq!(
        client.send_ping(&[0; 126], &mut out),
        Err(Error::Usage(Misuse::ControlPayloadTooLong))
    );
    assert_eq!(
        client.close(Instant::ZERO, CloseCode::NoStatus, "", &mut out),
        Err(Error::Usage(Misuse::InvalidCloseCode(CloseCode::NoStatus)))
    );
    assert_eq!(
        client.close(Instant::ZERO, CloseCode::Abnormal, "", &mut out),
        Err(Error::Usage(Misuse::InvalidCloseCode(CloseCode::Abnormal)))
    );
    assert_eq!(
        client.close(Instant::ZERO, CloseCode::TlsHandshake, "", &mut out),
        Err(Error::Usage(Misuse::InvalidCloseCode(
            CloseCode::TlsHandshake
        )))
    );
    assert_eq!(
        client.close(Instant::ZERO, CloseCode(999), "", &mut out),
        Err(Error::Usage(Misuse::InvalidCloseCode(CloseCode(999))))
    );
    assert_eq!(
        client.close(Instant::ZERO, CloseCode(5000), "", &mut out),
        Err(Error::Usage(Misuse::InvalidCloseCode(CloseCode(5000))))
    );
    assert_eq!(
        client.close(Instant::ZERO, CloseCode::Normal, &"x".repeat(124), &mut out),
        Err(Error::Usage(Misuse::ReasonTooLong))
    );
    assert_eq!(
        client.send_text("hello", &mut out[..3]),
        Err(Error::BufferTooSmall { required: 11 })
    );
    assert_eq!(format!("{client:?}"), before, "no state changed");
    assert!(client.is_open());
}

#[test]
fn client_cannot_send_before_the_handshake_completes() {
    let (mut client, _) = client(Config::new(), &[]);
    let mut out = [0u8; 64];
    assert_eq!(
        client.send_text("early", &mut out),
        Err(Error::Usage(Misuse::HandshakeIncomplete))
    );
    assert_eq!(
        client.send_ping(b"", &mut out),
        Err(Error::Usage(Misuse::HandshakeIncomplete))
    );
}

#[test]
fn no_data_after_close_was_sent() {
    let mut server = upgraded(Role::Server, Config::new());
    let mut out = [0u8; 64];
    server
        .close(Instant::ZERO, CloseCode::Normal, "", &mut out)
        .unwrap();
    assert_eq!(
        server.send_text("late", &mut out),
        Err(Error::Usage(Misuse::CloseAlreadySent))
    );
    assert_eq!(
        server.close(Instant::ZERO, CloseCode::Normal, "", &mut out),
        Err(Error::Usage(Misuse::CloseAlreadySent))
    );
}

#[test]
fn fragment_rules_are_enforced_when_sending() {
    let mut server = upgraded(Role::Server, Config::new());
    let mut out = [0u8; 64];
    server
        .send_fragment(MessageKind::Text, b"a", false, &mut out)
        .unwrap();
    assert_eq!(
        server.send_fragment(MessageKind::Binary, b"b", true, &mut out),
        Err(Error::Usage(Misuse::MessageInProgress))
    );
    assert_eq!(
        server.send_text("whole", &mut out),
        Err(Error::Usage(Misuse::MessageInProgress))
    );
    // Control frames may interleave.
    server.send_ping(b"", &mut out).unwrap();
    let n = server
        .send_fragment(MessageKind::Text, b"b", true, &mut out)
        .unwrap();
    assert_eq!(&out[..n], frame(Role::Server, true, 0x0, b"b"));
}

#[test]
fn zero_copy_frame_blocks_other_output_until_paid() {
    let mut client = upgraded(Role::Client, Config::new());
    let mut out = [0u8; 64];
    // A ping arrives and queues a pong; then a zero-copy frame starts.
    let mut ping = frame(Role::Server, true, 0x9, b"p");
    let _ = client.receive(Instant::ZERO, &mut ping).unwrap();
    let n = client
        .begin_frame(MessageKind::Binary, 4, true, &mut out)
        .unwrap();
    assert_eq!(n, 6);
    assert_eq!(
        client.poll_transmit(&mut out).unwrap(),
        None,
        "no pong inside the frame"
    );
    assert_eq!(
        client.send_ping(b"", &mut out),
        Err(Error::Usage(Misuse::FrameInProgress))
    );
    let mut payload = *b"abcd";
    assert_eq!(
        client.frame_payload(&mut [0; 5]),
        Err(Error::Usage(Misuse::PayloadExceedsFrame))
    );
    client.frame_payload(&mut payload).unwrap();
    assert_ne!(&payload, b"abcd", "client payload is masked in place");
    assert!(
        client.poll_transmit(&mut out).unwrap().is_some(),
        "the pong follows the frame"
    );
}
