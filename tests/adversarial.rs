//! The adversarial catalogue (RFC6455-RULES.md §A–H and issue 4): one named test per hostile
//! input, each asserting the exact outcome (error variant, close code or HTTP status) and
//! that nothing else was delivered, fed whole and byte by byte where that means something.

mod common;

use std::time::Duration;

use common::*;
use wsmachine::{
    CloseCode, Config, Error, Event, HandshakeFailure, Instant, ProtocolViolation, Role,
};

const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Feeds `input` to a fresh upgraded `role`, whole and byte by byte; both must agree.
fn upgraded_run(role: Role, config: Config, input: &[u8]) -> (Vec<Ev>, Vec<u8>) {
    let whole = feed(&mut upgraded(role, config), input, &[0], None);
    let bytewise = feed(&mut upgraded(role, config), input, &[1], None);
    assert_eq!(whole, bytewise, "whole vs byte by byte");
    whole
}

fn peer(role: Role) -> Role {
    if role.is_server() {
        Role::Client
    } else {
        Role::Server
    }
}

/// `role` receiving `input` fails with exactly `violation`, delivers nothing before it
/// except `before`, and queues exactly one Close with the violation's code.
#[track_caller]
fn fails(role: Role, input: &[u8], before: &[Ev], violation: ProtocolViolation, code: u16) {
    let (events, wire) = upgraded_run(role, Config::new(), input);
    let mut expected = before.to_vec();
    expected.push(Ev::Error(Error::Protocol(violation)));
    assert_eq!(events, expected);
    assert_eq!(
        Error::Protocol(violation).close_code(),
        Some(CloseCode(code))
    );
    let close = frame(role, true, 0x8, &code.to_be_bytes());
    assert!(wire.ends_with(&close), "close {code} not queued: {wire:?}");
}

fn both_roles(input: impl Fn(Role) -> Vec<u8>, violation: ProtocolViolation, code: u16) {
    for role in [Role::Server, Role::Client] {
        fails(role, &input(role), &[], violation, code);
    }
}

/// A server fed `request` whole and byte by byte fails with `failure` and answers `status`.
#[track_caller]
fn rejects(request: &[u8], failure: HandshakeFailure, status: u16) {
    for chunks in [[0], [1]] {
        let (events, wire) = feed(&mut server(Config::new()), request, &chunks, None);
        assert_eq!(events, [Ev::Error(Error::Handshake(failure))], "{chunks:?}");
        let line = format!("HTTP/1.1 {status} ");
        assert!(
            wire.starts_with(line.as_bytes()),
            "{}",
            String::from_utf8_lossy(&wire)
        );
    }
    assert_eq!(Error::Handshake(failure).http_status(), Some(status));
}

fn with(from: &str, to: &str) -> Vec<u8> {
    assert!(REQUEST.contains(from));
    REQUEST.replacen(from, to, 1).into_bytes()
}

// ---- A. chunking ----

#[test]
fn request_head_fed_one_byte_at_a_time_succeeds_with_linear_work() {
    let mut request = REQUEST.replace("\r\n\r\n", "\r\n");
    for i in 0..20 {
        request.push_str(&format!("X-Padding-{i}: {}\r\n", "v".repeat(300)));
    }
    request.push_str("\r\n");
    let mut conn = server(Config::new().with_max_head_len(16 * 1024));
    let mut buf = Vec::new();
    let mut max_examined = 0;
    for &b in request.as_bytes() {
        buf.push(b);
        max_examined = conn.head_bytes_examined();
        let received = conn.receive(Instant::ZERO, &mut buf).unwrap();
        if received.event.is_some() {
            assert_eq!(received.consumed, request.len());
            break;
        }
        max_examined = max_examined.max(conn.head_bytes_examined());
    }
    assert!(request.len() > 5000);
    assert!(
        max_examined <= 2 * request.len(),
        "{max_examined} for {}",
        request.len()
    );
}

#[test]
fn empty_input_changes_nothing() {
    let mut conn = upgraded(Role::Server, Config::new());
    let received = conn.receive(Instant::ZERO, &mut []).unwrap();
    assert_eq!((received.consumed, received.event), (0, None));
    assert!(conn.is_open());
}

// ---- B. opening handshake ----

#[test]
fn head_of_1_mib_without_terminator_gets_431_at_the_limit() {
    let mut conn = server(Config::new());
    let mut head = b"GET / HTTP/1.1\r\nX: ".to_vec();
    head.resize(1 << 20, b'a');
    let mut buf = Vec::new();
    let mut offered = 0;
    let error = loop {
        buf.extend_from_slice(&head[offered..offered + 1000]);
        offered += 1000;
        match conn.receive(Instant::ZERO, &mut buf) {
            Ok(received) => assert_eq!((received.consumed, received.event), (0, None)),
            Err(error) => break error,
        }
    };
    assert_eq!(error, Error::Handshake(HandshakeFailure::HeadTooLarge));
    assert!(
        offered <= conn.config().max_head_len() + 1000,
        "read on to {offered}"
    );
    let mut wire = Vec::new();
    assert!(drain(&mut conn, &mut wire));
    assert!(wire.starts_with(b"HTTP/1.1 431 "));
}

#[test]
fn ten_thousand_header_lines_get_431() {
    let mut request = b"GET / HTTP/1.1\r\n".to_vec();
    for _ in 0..10_000 {
        request.extend_from_slice(b"a: b\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let (events, wire) = feed(&mut server(Config::new()), &request, &[0], None);
    // 60 KB of lines pass the 8 KiB head limit first: 431 either way.
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(HandshakeFailure::HeadTooLarge))]
    );
    assert!(wire.starts_with(b"HTTP/1.1 431 "));
    let mut few = b"GET / HTTP/1.1\r\n".to_vec();
    for _ in 0..40 {
        few.extend_from_slice(b"a: b\r\n");
    }
    few.extend_from_slice(b"\r\n");
    rejects(&few, HandshakeFailure::TooManyHeaders, 431);
}

#[test]
fn http_1_0_is_rejected_with_400() {
    rejects(
        &with("HTTP/1.1", "HTTP/1.0"),
        HandshakeFailure::NotHttp11,
        400,
    );
}

#[test]
fn post_is_rejected_with_405() {
    rejects(&with("GET", "POST"), HandshakeFailure::NotGet, 405);
}

#[test]
fn missing_host_is_rejected_with_400() {
    rejects(
        &with("Host: server.example.com\r\n", ""),
        HandshakeFailure::MissingHost,
        400,
    );
}

#[test]
fn keys_of_15_or_17_bytes_or_bad_base64_are_rejected_with_400() {
    for key in [
        "dGhlIHNhbXBsZSBub25jZQ=",  // 23 chars
        "AAAAAAAAAAAAAAAAAAAA",     // 15 bytes
        "AAAAAAAAAAAAAAAAAAAAAAA=", // 17 bytes
        "dGhlIHNhbXBsZSBub2!jZQ==", // bad alphabet
        "",
    ] {
        let request = with("dGhlIHNhbXBsZSBub25jZQ==", key);
        rejects(&request, HandshakeFailure::BadKey, 400);
    }
}

#[test]
fn two_key_headers_are_rejected_with_400() {
    let request = with(
        "\r\n\r\n",
        "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    rejects(&request, HandshakeFailure::BadKey, 400);
}

#[test]
fn version_8_gets_426_with_the_supported_version() {
    let request = with("Version: 13", "Version: 8");
    rejects(&request, HandshakeFailure::UnsupportedVersion, 426);
    let (_, wire) = feed(&mut server(Config::new()), &request, &[0], None);
    let text = String::from_utf8(wire).unwrap();
    assert!(text.contains("Sec-WebSocket-Version: 13\r\n"), "{text}");
}

#[test]
fn connection_keep_alive_only_is_rejected_with_400() {
    let request = with("Connection: Upgrade", "Connection: keep-alive");
    rejects(&request, HandshakeFailure::MissingConnectionUpgrade, 400);
}

#[test]
fn nul_or_bare_cr_in_a_header_is_rejected_with_400() {
    rejects(
        &with("Host: server", "Host: ser\0ver"),
        HandshakeFailure::Malformed,
        400,
    );
    rejects(
        &with("Host: server", "Host: ser\rver"),
        HandshakeFailure::Malformed,
        400,
    );
}

#[test]
fn upgrade_request_with_a_body_is_rejected_with_400() {
    for header in ["Content-Length: 5", "Transfer-Encoding: chunked"] {
        let request = with("\r\n\r\n", &format!("\r\n{header}\r\n\r\n"));
        rejects(&request, HandshakeFailure::UnexpectedBody, 400);
    }
}

#[test]
fn pipelined_request_after_a_rejection_is_never_parsed() {
    let mut input = with("Version: 13", "Version: 8");
    input.extend_from_slice(REQUEST.as_bytes());
    let mut conn = server(Config::new());
    let (events, wire) = feed(&mut conn, &input, &[0], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(
            HandshakeFailure::UnsupportedVersion
        ))]
    );
    assert_eq!(wire.windows(9).filter(|w| w == b"HTTP/1.1 ").count(), 1);
    let mut again = REQUEST.as_bytes().to_vec();
    assert_eq!(
        conn.receive(Instant::ZERO, &mut again),
        Err(Error::Handshake(HandshakeFailure::UnsupportedVersion))
    );
}

#[test]
fn response_without_101_reports_its_status() {
    let (mut conn, _) = client(Config::new(), &[]);
    let (events, wire) = feed(&mut conn, b"HTTP/1.1 403 Forbidden\r\n\r\n", &[1], None);
    let rejected = Error::Handshake(HandshakeFailure::Rejected { status: 403 });
    assert_eq!(
        events,
        [
            Ev::Rejected {
                status: 403,
                body: vec![],
                complete: false
            },
            Ev::Error(rejected)
        ]
    );
    assert!(wire.is_empty());
}

#[test]
fn rejected_client_sees_the_body_in_any_split() {
    let response = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\n\r\nlog in first";
    for split in [0, 1, 3, 7] {
        let (mut conn, _) = client(Config::new(), &[]);
        let mut input = response.to_vec();
        input.extend_from_slice(b"\x81\x01x"); // never read as a frame
        let (events, wire) = feed(&mut conn, &input, &[split], None);
        assert_eq!(
            events[0],
            Ev::Rejected {
                status: 401,
                body: b"log in first".to_vec(),
                complete: true
            },
            "split {split}"
        );
        assert_eq!(
            events[1..],
            [Ev::Error(Error::Handshake(HandshakeFailure::Rejected {
                status: 401
            }))]
        );
        assert!(wire.is_empty());
        assert_eq!(conn.closed().map(|c| c.clean), Some(false));
    }
}

#[test]
fn rejected_body_is_cut_at_the_head_limit() {
    let config = Config::new().with_max_head_len(64);
    let head = b"HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\n";
    let mut input = head.to_vec();
    input.extend_from_slice(&[b'z'; 100]);
    let (mut conn, _) = client(config, &[]);
    let (events, _) = feed(&mut conn, &input, &[5], None);
    assert_eq!(
        events[0],
        Ev::Rejected {
            status: 500,
            body: vec![b'z'; 64 - head.len()],
            complete: false
        }
    );
}

#[test]
fn response_with_a_wrong_accept_key_fails() {
    let (mut conn, _) = client(Config::new(), &[]);
    let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: xxxPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let (events, wire) = feed(&mut conn, response, &[1], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(HandshakeFailure::BadAccept))]
    );
    assert!(wire.is_empty());
}

// ---- C. frame header ----

fn header(role_to: Role, b0: u8, len7: u8, ext: &[u8]) -> Vec<u8> {
    let mut out = vec![b0, len7 | if role_to.is_server() { 0x80 } else { 0 }];
    out.extend_from_slice(ext);
    if role_to.is_server() {
        out.extend_from_slice(&[1, 2, 3, 4]);
    }
    out
}

#[test]
fn length_with_the_top_bit_set_fails_with_1002() {
    for ext in [0x8000_0000_0000_0000u64, u64::MAX] {
        both_roles(
            |r| header(r, 0x82, 127, &ext.to_be_bytes()),
            ProtocolViolation::LengthMsbSet,
            1002,
        );
    }
}

#[test]
fn length_of_2_pow_62_fails_with_1009_before_any_payload() {
    both_roles(
        |r| header(r, 0x82, 127, &(1u64 << 62).to_be_bytes()),
        ProtocolViolation::FrameTooLarge,
        1009,
    );
}

#[test]
fn non_minimal_lengths_fail_with_1002() {
    // Decision (documented on ProtocolViolation::NonMinimalLength): strict, as §5.2 says MUST.
    both_roles(
        |r| header(r, 0x82, 126, &125u16.to_be_bytes()),
        ProtocolViolation::NonMinimalLength,
        1002,
    );
    both_roles(
        |r| header(r, 0x82, 127, &0xffffu64.to_be_bytes()),
        ProtocolViolation::NonMinimalLength,
        1002,
    );
}

#[test]
fn unmasked_client_frame_fails_with_1002() {
    fails(
        Role::Server,
        &frame(Role::Server, true, 1, b"hi"),
        &[],
        ProtocolViolation::UnmaskedClientFrame,
        1002,
    );
}

#[test]
fn masked_server_frame_fails_with_1002() {
    fails(
        Role::Client,
        &frame(Role::Client, true, 1, b"hi"),
        &[],
        ProtocolViolation::MaskedServerFrame,
        1002,
    );
}

#[test]
fn each_rsv_bit_fails_with_1002() {
    for rsv in [0x40, 0x20, 0x10, 0x70] {
        for opcode in [0x1, 0x2, 0x8, 0x9] {
            both_roles(
                |r| {
                    let mut f = frame(peer(r), true, opcode, b"");
                    f[0] |= rsv;
                    f
                },
                ProtocolViolation::ReservedBits,
                1002,
            );
        }
    }
}

#[test]
fn every_reserved_opcode_fails_with_1002_before_its_payload() {
    for opcode in (0x3..=0x7).chain(0xb..=0xf) {
        // A huge declared length: the opcode is refused on the first byte.
        both_roles(
            |r| header(r, 0x80 | opcode, 127, &(1u64 << 40).to_be_bytes()),
            ProtocolViolation::ReservedOpcode(opcode),
            1002,
        );
    }
}

#[test]
fn ping_of_126_bytes_fails_with_1002() {
    both_roles(
        |r| frame(peer(r), true, 0x9, &[0; 126]),
        ProtocolViolation::ControlFrameTooLong,
        1002,
    );
}

#[test]
fn fragmented_ping_fails_with_1002() {
    both_roles(
        |r| frame(peer(r), false, 0x9, b"x"),
        ProtocolViolation::FragmentedControlFrame,
        1002,
    );
}

#[test]
fn zero_mask_key_is_valid() {
    let input = [0x81, 0x82, 0, 0, 0, 0, b'h', b'i'];
    let (events, _) = upgraded_run(Role::Server, Config::new(), &input);
    assert_eq!(events, [Ev::Text("hi".into())]);
}

// ---- D. fragmentation ----

#[test]
fn continuation_with_no_message_fails_with_1002() {
    for fin in [true, false] {
        both_roles(
            |r| frame(peer(r), fin, 0x0, &[0xff, 0xfe]),
            ProtocolViolation::UnexpectedContinuation,
            1002,
        );
    }
}

#[test]
fn new_data_frame_inside_a_fragmented_message_fails_with_1002() {
    for opcode in [1, 2] {
        both_roles(
            |r| {
                let mut f = frame(peer(r), false, 1, b"a");
                f.extend(frame(peer(r), true, opcode, b"b"));
                f
            },
            ProtocolViolation::ExpectedContinuation,
            1002,
        );
    }
}

#[test]
fn ping_between_fragments_has_its_pong_ready_before_the_message_completes() {
    let mut conn = upgraded(Role::Server, Config::new());
    let mut input = frame(Role::Client, false, 1, b"hel");
    input.extend(frame(Role::Client, true, 0x9, b"p"));
    let (events, wire) = feed(&mut conn, &input, &[0], None);
    assert_eq!(events, [Ev::Ping(b"p".to_vec())]);
    assert_eq!(wire, frame(Role::Server, true, 0xa, b"p"));
    // "hel" went out as the message's first chunk; the log merges per call.
    let (events, _) = feed(&mut conn, &frame(Role::Client, true, 0, b"lo"), &[0], None);
    assert_eq!(events, [Ev::Text("lo".into())]);
}

#[test]
fn a_million_one_byte_fragments_hit_the_fragment_limit_with_1008() {
    let mut input = frame(Role::Client, false, 2, b"x");
    let piece = frame(Role::Client, false, 0, b"x");
    let empty = frame(Role::Client, false, 0, b"");
    for i in 0..1_000_000 {
        input.extend_from_slice(if i % 2 == 0 { &piece } else { &empty });
    }
    let limit = Config::new().max_fragments();
    assert_eq!(limit, 131_072);
    let mut conn = upgraded(Role::Server, Config::new());
    // Work is bounded by the limit itself: the engine fails at fragment 131,073 and reads
    // nothing after it (asserted by the single error event below), so no wall-clock check.
    let (events, wire) = feed(&mut conn, &input, &[0], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Protocol(
            ProtocolViolation::TooManyFragments
        ))]
    );
    assert!(wire.ends_with(&frame(Role::Server, true, 0x8, &1008u16.to_be_bytes())));
    // Empty fragments count too, and Autobahn 9.3/9.4's 65,536 fragments pass.
    let mut ok = frame(Role::Client, false, 2, b"");
    for _ in 0..65_534 {
        ok.extend_from_slice(&empty);
    }
    ok.extend(frame(Role::Client, true, 0, b"!"));
    let (events, _) = feed(&mut upgraded(Role::Server, Config::new()), &ok, &[0], None);
    assert_eq!(events, [Ev::Binary(b"!".to_vec())]);
    let small = Config::new().with_max_fragments(3);
    let mut four = frame(Role::Client, false, 2, b"");
    four.extend(frame(Role::Client, false, 0, b""));
    four.extend(frame(Role::Client, false, 0, b""));
    four.extend(frame(Role::Client, true, 0, b""));
    let (events, _) = feed(&mut upgraded(Role::Server, small), &four, &[1], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Protocol(
            ProtocolViolation::TooManyFragments
        ))]
    );
}

// ---- E. UTF-8 ----

#[test]
fn invalid_utf8_split_across_fragments_and_reads_fails_at_the_first_bad_byte() {
    // F0 90 | 80 28: the 28 decides; the first fragment is already delivered.
    let mut input = frame(Role::Client, false, 1, &[b'a', 0xf0, 0x90]);
    let second = frame(Role::Client, true, 0, &[0x80, 0x28, b'z', b'z']);
    input.extend_from_slice(&second);
    let mut conn = upgraded(Role::Server, Config::new());
    let mut buf = input.clone();
    let first = conn.receive(Instant::ZERO, &mut buf).unwrap();
    assert!(matches!(first.event, Some(Event::Text(t)) if t.as_str() == Some("a") && t.is_first()));
    let consumed = first.consumed;
    // Next read ends right after the 0x28: the failure comes now, not at message end.
    let end = input.len() - 2;
    let mut rest = input[consumed..end].to_vec();
    assert_eq!(
        conn.receive(Instant::ZERO, &mut rest),
        Err(Error::Protocol(ProtocolViolation::InvalidUtf8))
    );
    fails(
        Role::Server,
        &input,
        &[],
        ProtocolViolation::InvalidUtf8,
        1007,
    );
}

#[test]
fn overlong_surrogate_and_above_max_code_points_fail_with_1007() {
    for bad in [
        &[0xc0, 0x80][..],
        &[0xc1, 0xbf],
        &[0xe0, 0x80, 0x80],
        &[0xf0, 0x80, 0x80, 0x80],
        &[0xed, 0xa0, 0x80],
        &[0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80],
        &[0xf4, 0x90, 0x80, 0x80],
        &[0xf5],
        &[0xff],
        &[0x80],
        &[0xc2, b'a'],
    ] {
        both_roles(
            |r| frame(peer(r), true, 1, bad),
            ProtocolViolation::InvalidUtf8,
            1007,
        );
    }
}

#[test]
fn text_message_ending_inside_a_code_point_fails_with_1007() {
    both_roles(
        |r| frame(peer(r), true, 1, &[b'a', 0xe2, 0x82]),
        ProtocolViolation::InvalidUtf8,
        1007,
    );
}

#[test]
fn invalid_utf8_in_binary_and_ping_is_fine() {
    let mut input = frame(Role::Client, true, 2, &[0xff, 0xfe]);
    input.extend(frame(Role::Client, true, 9, &[0xff]));
    let (events, wire) = upgraded_run(Role::Server, Config::new(), &input);
    assert_eq!(events, [Ev::Binary(vec![0xff, 0xfe]), Ev::Ping(vec![0xff])]);
    assert_eq!(wire, frame(Role::Server, true, 0xa, &[0xff]));
}

// ---- F. close ----

#[test]
fn close_payload_of_one_byte_fails_with_1002() {
    both_roles(
        |r| frame(peer(r), true, 8, &[3]),
        ProtocolViolation::ClosePayloadTooShort,
        1002,
    );
}

#[test]
fn invalid_close_codes_fail_with_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        both_roles(
            |r| frame(peer(r), true, 8, &code.to_be_bytes()),
            ProtocolViolation::InvalidCloseCode(code),
            1002,
        );
    }
}

#[test]
fn valid_close_codes_are_echoed() {
    for code in [
        1000u16, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 3999, 4000, 4999,
    ] {
        for role in [Role::Server, Role::Client] {
            let (events, wire) = upgraded_run(
                role,
                Config::new(),
                &frame(peer(role), true, 8, &code.to_be_bytes()),
            );
            assert_eq!(events, [Ev::Close(code, String::new())]);
            assert_eq!(wire, frame(role, true, 8, &code.to_be_bytes()));
        }
    }
}

#[test]
fn empty_close_reports_1005_and_is_answered_empty() {
    let (events, wire) = upgraded_run(
        Role::Server,
        Config::new(),
        &frame(Role::Client, true, 8, b""),
    );
    assert_eq!(events, [Ev::Close(1005, String::new())]);
    assert_eq!(wire, frame(Role::Server, true, 8, b""));
}

#[test]
fn close_reason_that_is_not_utf8_fails_with_1007() {
    both_roles(
        |r| frame(peer(r), true, 8, &[0x03, 0xe8, 0xff]),
        ProtocolViolation::InvalidCloseReason,
        1007,
    );
}

#[test]
fn data_ping_and_second_close_after_close_are_ignored() {
    let mut input = frame(Role::Client, true, 8, &1000u16.to_be_bytes());
    input.extend(frame(Role::Client, true, 1, b"late"));
    input.extend(frame(Role::Client, true, 9, b"late"));
    input.extend(frame(Role::Client, true, 8, &1001u16.to_be_bytes()));
    input.extend_from_slice(&[0xff; 20]);
    let (events, wire) = upgraded_run(Role::Server, Config::new(), &input);
    assert_eq!(events, [Ev::Close(1000, String::new())]);
    assert_eq!(
        wire,
        frame(Role::Server, true, 8, &1000u16.to_be_bytes()),
        "no pong after close"
    );
}

// ---- G. ping and output pressure ----

#[test]
fn a_hundred_thousand_pings_in_one_read_leave_one_pending_pong() {
    let mut input = Vec::new();
    for i in 0..100_000u32 {
        input.extend(frame(Role::Client, true, 9, &i.to_be_bytes()));
    }
    let mut conn = upgraded(Role::Server, Config::new());
    let mut buf = input.clone();
    let mut offset = 0;
    let mut pings = 0;
    // The application reads every event but never drains output (a peer that never reads).
    loop {
        let received = conn.receive(Instant::ZERO, &mut buf[offset..]).unwrap();
        offset += received.consumed;
        if received.event.is_none() {
            break;
        }
        pings += 1;
    }
    assert_eq!((pings, offset), (100_000, input.len()));
    let mut wire = Vec::new();
    drain(&mut conn, &mut wire);
    assert_eq!(
        wire,
        frame(Role::Server, true, 0xa, &99_999u32.to_be_bytes()),
        "only the latest pong"
    );
}

#[test]
fn unsolicited_pongs_are_reported_and_change_nothing() {
    let mut input = frame(Role::Client, true, 0xa, b"a");
    input.extend(frame(Role::Client, true, 0xa, b"a"));
    let (events, wire) = upgraded_run(Role::Server, Config::new(), &input);
    assert_eq!(events, [Ev::Pong(b"a".to_vec()), Ev::Pong(b"a".to_vec())]);
    assert!(wire.is_empty());
}

#[test]
fn masked_payload_split_at_every_offset_mod_4_gives_identical_bytes() {
    let payload: Vec<u8> = (0..=255).collect();
    let input = frame(Role::Client, true, 2, &payload);
    for first in 1..=8 {
        for size in [1, 2, 3, 4, 5, 7] {
            let (events, _) = feed(
                &mut upgraded(Role::Server, Config::new()),
                &input,
                &[first, size],
                None,
            );
            assert_eq!(events, [Ev::Binary(payload.clone())], "{first} {size}");
        }
    }
}

// ---- H. time ----

#[test]
fn peer_that_sends_close_and_never_closes_tcp_hits_the_close_timeout() {
    let config = Config::new().with_close_timeout(Some(Duration::from_secs(10)));
    let mut conn = upgraded(Role::Client, config);
    let (events, wire) = feed(
        &mut conn,
        &frame(Role::Server, true, 8, &1000u16.to_be_bytes()),
        &[0],
        None,
    );
    assert_eq!(events, [Ev::Close(1000, String::new())]);
    assert_eq!(wire, frame(Role::Client, true, 8, &1000u16.to_be_bytes()));
    // The client waits for the server's TCP close, but not forever.
    let deadline = conn.poll_timeout().expect("a close deadline");
    assert_eq!(
        conn.handle_timeout(Instant::from_millis(deadline.as_millis() - 1)),
        None
    );
    let _ = conn.handle_timeout(deadline);
    let mut out = [0u8; 256];
    let transmit = conn
        .poll_transmit(&mut out)
        .unwrap()
        .expect("close the transport");
    assert!(transmit.close_transport_after && transmit.len == 0);
}

#[test]
fn peer_that_never_answers_our_close_times_out_with_1006() {
    let mut conn = upgraded(Role::Server, Config::new());
    let mut out = [0u8; 64];
    let _ = conn
        .close(Instant::ZERO, CloseCode::Normal, "", &mut out)
        .unwrap();
    let deadline = conn.poll_timeout().expect("a close deadline");
    let closed = conn.handle_timeout(deadline).expect("timed out");
    assert_eq!((closed.code, closed.clean), (CloseCode::Abnormal, false));
}

#[test]
fn slow_handshake_hits_the_handshake_timeout() {
    let mut conn = server(Config::new());
    let mut buf = b"GET / HT".to_vec();
    let _ = conn.receive(Instant::from_millis(5), &mut buf).unwrap();
    let deadline = conn.poll_timeout().expect("a handshake deadline");
    assert_eq!(deadline, Instant::from_millis(10_000));
    let closed = conn.handle_timeout(deadline).expect("timed out");
    assert!(!closed.clean);
}

/// Regression (fuzz campaign, handshake_response): an `HTTP/1.0 101` was accepted.
#[test]
fn response_with_http_1_0_fails_as_malformed() {
    let (mut conn, _) = client(Config::new(), &[]);
    let response = b"HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let (events, wire) = feed(&mut conn, response, &[0], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(HandshakeFailure::Malformed))]
    );
    assert!(wire.is_empty());
}

/// Regression (fuzz corpus, frames_vs_model): a 64-bit length with its top bit set on a
/// masked frame waited for the masking key before failing.
#[test]
fn length_top_bit_fails_before_the_masking_key_arrives() {
    let mut conn = upgraded(Role::Server, Config::new());
    let mut input = vec![0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        conn.receive(Instant::ZERO, &mut input),
        Err(Error::Protocol(ProtocolViolation::LengthMsbSet))
    );
}

/// Regression (fuzz campaign, handshake_response): after a leading empty line, which the
/// parser skips, the header views took the status line for a header and saw no headers.
#[test]
fn heads_after_a_leading_empty_line_expose_their_headers() {
    let (mut conn, _) = client(Config::new(), &[]);
    let mut response = b"\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        .to_vec();
    let received = conn.receive(Instant::ZERO, &mut response).unwrap();
    let Some(Event::Established(response)) = received.event else {
        panic!("{:?}", received.event);
    };
    assert_eq!(
        response.header("sec-websocket-accept"),
        Some(&b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="[..])
    );
    let mut conn = server(Config::new());
    let mut request = format!("\r\n{REQUEST}").into_bytes();
    let received = conn.receive(Instant::ZERO, &mut request).unwrap();
    let Some(Event::UpgradeRequest(request)) = received.event else {
        panic!("{:?}", received.event);
    };
    assert_eq!(request.header("host"), Some(&b"server.example.com"[..]));
}

#[test]
fn fragments_each_under_the_frame_limit_but_over_the_message_limit_get_1009_at_the_crossing_header()
{
    let config = Config::new()
        .with_max_frame_len(100)
        .with_max_message_len(250);
    for role in [Role::Server, Role::Client] {
        let from = peer(role);
        let mut input = frame(from, false, 0x2, &[1; 100]);
        input.extend(frame(from, false, 0x0, &[2; 100]));
        // The third fragment's header alone crosses 250: no payload byte is needed.
        let third = frame(from, true, 0x0, &[3; 100]);
        input.extend_from_slice(&third[..if from.is_client() { 6 } else { 2 }]);
        let (events, wire) = upgraded_run(role, config, &input);
        let error = Error::Protocol(ProtocolViolation::MessageTooLarge);
        assert_eq!(events.last(), Some(&Ev::Error(error)));
        assert!(
            !events.iter().any(|e| matches!(e, Ev::Binary(_))),
            "nothing whole was delivered"
        );
        assert!(wire.ends_with(&frame(role, true, 0x8, &1009u16.to_be_bytes())));
    }
}

#[test]
fn simultaneous_close_ends_both_sides_without_a_third_close() {
    let (mut client, mut server) = open_pair(Config::new(), &[], &wsmachine::Accept::new());
    let mut out = [0u8; 64];
    let n = client
        .close(Instant::ZERO, CloseCode::Normal, "c", &mut out)
        .unwrap();
    let from_client = out[..n].to_vec();
    let n = server
        .close(Instant::ZERO, CloseCode::GoingAway, "s", &mut out)
        .unwrap();
    let from_server = out[..n].to_vec();
    // Each receives the other's Close as the answer to its own.
    let (events, wire) = feed(&mut server, &from_client, &[0], None);
    assert_eq!(events, [Ev::Close(1000, "c".into())]);
    assert!(wire.is_empty(), "no third Close");
    let (events, wire) = feed(&mut client, &from_server, &[0], None);
    assert_eq!(events, [Ev::Close(1001, "s".into())]);
    assert!(wire.is_empty(), "no third Close");
    assert!(client.is_closed() && server.is_closed());
    assert!(client.closed().unwrap().clean && server.closed().unwrap().clean);
}

#[test]
fn eof_in_the_middle_of_a_frame_reports_1006() {
    for role in [Role::Server, Role::Client] {
        let mut conn = upgraded(role, Config::new());
        let whole = frame(peer(role), true, 0x1, b"truncated");
        let (events, _) = feed(&mut conn, &whole[..whole.len() - 3], &[0], None);
        assert!(events.is_empty(), "the message never completed");
        let closed = conn.receive_eof(Instant::from_millis(1));
        assert_eq!((closed.code, closed.clean), (CloseCode::Abnormal, false));
    }
}

#[test]
fn request_target_of_64_kib_gets_431_at_the_head_limit() {
    // ADV-B3 proposes 414; the 8 KiB head limit answers first, with 431, before the target
    // is ever parsed (documented choice: one limit for the whole head).
    let target = format!("/{}", "a".repeat(64 * 1024));
    let request = REQUEST.replacen("/chat", &target, 1);
    let (events, wire) = feed(&mut server(Config::new()), request.as_bytes(), &[0], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(HandshakeFailure::HeadTooLarge))]
    );
    assert!(wire.starts_with(b"HTTP/1.1 431 "));
}

#[test]
fn unclosed_quoted_extension_parameter_of_64_kib_is_rejected_in_linear_time() {
    // ADV-B15 (CVE-2020-7662 class): with a head limit large enough to parse it, the
    // malformed list is refused with 400 after one linear pass.
    let value = format!("a; b=\"{}", "\\c".repeat(32 * 1024));
    let request = REQUEST.replacen(
        "\r\n\r\n",
        &format!("\r\nSec-WebSocket-Extensions: {value}\r\n\r\n"),
        1,
    );
    let config = Config::new().with_max_head_len(128 * 1024);
    let (events, wire) = feed(&mut server(config), request.as_bytes(), &[4096], None);
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(
            HandshakeFailure::InvalidHeaderValue
        ))]
    );
    assert!(wire.starts_with(b"HTTP/1.1 400 "));
}

#[test]
fn origin_is_exposed_for_the_application_to_refuse_with_403() {
    // ADV-B16: Origin policy belongs to the application; the engine hands it over and sends
    // whatever status the application picks. A repeated Origin is a 400.
    let request = REQUEST.replacen("\r\n\r\n", "\r\nOrigin: https://evil.example\r\n\r\n", 1);
    let mut server = server(Config::new());
    let mut buf = request.into_bytes();
    let received = server.receive(Instant::ZERO, &mut buf).unwrap();
    let Some(Event::UpgradeRequest(req)) = received.event else {
        panic!("no request")
    };
    assert_eq!(req.origin(), Some("https://evil.example"));
    let mut out = [0u8; 256];
    let n = server
        .reject(&wsmachine::Reject::new(403), &mut out)
        .unwrap();
    assert!(out[..n].starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    let twice = REQUEST.replacen("\r\n\r\n", "\r\nOrigin: a\r\nOrigin: b\r\n\r\n", 1);
    rejects(twice.as_bytes(), HandshakeFailure::DuplicateHeader, 400);
}

/// `role` receiving one whole unfragmented `opcode` frame of `payload` (whole and byte by
/// byte) delivers it, or fails with 1009 if it exceeds the frame or message limit.
#[track_caller]
fn meets_limits(role: Role, (max_frame, max_message): (u64, u64), opcode: u8, payload: &[u8]) {
    let config = Config::new()
        .with_max_frame_len(max_frame)
        .with_max_message_len(max_message);
    let (events, wire) = upgraded_run(role, config, &frame(peer(role), true, opcode, payload));
    let len = payload.len() as u64;
    let want = if len > max_frame {
        Ev::Error(Error::Protocol(ProtocolViolation::FrameTooLarge))
    } else if len > max_message {
        Ev::Error(Error::Protocol(ProtocolViolation::MessageTooLarge))
    } else if opcode == 0x1 {
        Ev::Text(String::from_utf8(payload.to_vec()).unwrap())
    } else {
        Ev::Binary(payload.to_vec())
    };
    let failed = matches!(want, Ev::Error(_));
    assert_eq!(events, [want], "{max_frame} {max_message} {role:?} {len}");
    assert_eq!(
        wire.ends_with(&frame(role, true, 0x8, &1009u16.to_be_bytes())),
        failed
    );
}

#[test]
fn whole_data_frames_meet_every_limit_at_every_length_taken_whole_or_byte_by_byte() {
    // A whole frame of at most 125 bytes in one read takes the receive fast path; byte
    // by byte it takes the frame loop (`upgraded_run` checks both agree). Each length
    // against limits just below, at and above it.
    let limits = [
        (0, 64),
        (16, 16),
        (17, 16),
        (16, 17),
        (124, 1 << 20),
        (1 << 20, 125),
    ];
    for (max_frame, max_message) in limits {
        for role in [Role::Server, Role::Client] {
            for len in [0, 1, 15, 16, 17, 123, 124, 125] {
                let payload = vec![b'a'; len];
                for opcode in [0x1, 0x2] {
                    meets_limits(role, (max_frame, max_message), opcode, &payload);
                }
            }
        }
    }
    // 16-bit lengths (the second fast path when whole, the loop byte by byte), texts up to
    // and past one 32 KiB block, against limits just below, at and above them.
    let limits = [
        (1 << 20, 1 << 20),
        (126, 1 << 20),
        (1 << 20, 126),
        (4096, 4097),
        (4097, 4096),
    ];
    for (max_frame, max_message) in limits {
        for role in [Role::Server, Role::Client] {
            for len in [126, 127, 4095, 4096, 4097, 32 * 1024, 32 * 1024 + 1, 0xffff] {
                if len > 4097 && max_frame.min(max_message) < 1 << 20 {
                    continue; // refused like 4097; byte by byte, 64 KiB frames are slow
                }
                let payload: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                for opcode in [0x1, 0x2] {
                    meets_limits(role, (max_frame, max_message), opcode, &payload);
                }
            }
        }
    }
    // Whole in the buffer: a non-minimal 16-bit length still fails with 1002, and text
    // with a bad byte anywhere (or a code point cut at its end) with 1007.
    for role in [Role::Server, Role::Client] {
        let mut input = frame(peer(role), true, 0x2, &[0; 125]);
        let masked = usize::from(role.is_server()) * 4;
        input.splice(1..2, [(input[1] & 0x80) | 126, 0, 125]);
        assert_eq!(input.len(), 4 + masked + 125);
        fails(role, &input, &[], ProtocolViolation::NonMinimalLength, 1002);
        for bad in [0, 100, 199] {
            let mut text = vec![b'a'; 200];
            text[bad] = 0xff;
            let input = frame(peer(role), true, 0x1, &text);
            fails(role, &input, &[], ProtocolViolation::InvalidUtf8, 1007);
        }
        let mut cut = vec![b'a'; 199];
        cut.push(0xe4); // the first byte of a 3-byte code point
        fails(
            role,
            &frame(peer(role), true, 0x1, &cut),
            &[],
            ProtocolViolation::InvalidUtf8,
            1007,
        );
    }
    // No fragment allowed: even a whole one-frame message fails, with 1008.
    let config = Config::new().with_max_fragments(0);
    for role in [Role::Server, Role::Client] {
        let input = frame(peer(role), true, 0x1, b"hi");
        let (events, wire) = upgraded_run(role, config, &input);
        assert_eq!(
            events,
            [Ev::Error(Error::Protocol(
                ProtocolViolation::TooManyFragments
            ))]
        );
        assert!(wire.ends_with(&frame(role, true, 0x8, &1008u16.to_be_bytes())));
    }
}
