//! RFC 6455 §5.7 example frames byte for byte, and the §1.3 accept key, typed from the RFC.

mod common;

use common::*;
use wsmachine::{
    Config, Connection, Event, FrameHeader, Instant, MaskKey, MessageKind, NoMask, Opcode, Role,
    accept_key,
};

const HELLO_UNMASKED: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
const HELLO_MASKED: [u8; 11] = [
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
];
const HEL: [u8; 5] = [0x01, 0x03, 0x48, 0x65, 0x6c];
const LO: [u8; 4] = [0x80, 0x02, 0x6c, 0x6f];
const PING_UNMASKED: [u8; 7] = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
const PONG_MASKED: [u8; 11] = [
    0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
];

fn out() -> Vec<u8> {
    vec![0; 70_000]
}

#[test]
fn section_1_3_accept_key() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ==").as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn single_frame_unmasked_text_is_what_a_server_sends() {
    let mut server = Connection::upgraded(Config::new(), Role::Server, NoMask, Instant::ZERO);
    let mut buf = out();
    let n = server.send_text("Hello", &mut buf).unwrap();
    assert_eq!(&buf[..n], HELLO_UNMASKED);
    let mut client = upgraded(Role::Client, Config::new());
    let (events, _) = feed(&mut client, &HELLO_UNMASKED, &[1], None);
    assert_eq!(events, [Ev::Text("Hello".into())]);
}

#[test]
fn single_frame_masked_text_is_what_a_client_sends() {
    // The RFC's example key is the fixture's mask key.
    assert_eq!(test_mask(), MaskKey([0x37, 0xfa, 0x21, 0x3d]));
    let mut client = upgraded(Role::Client, Config::new());
    let mut buf = out();
    let n = client.send_text("Hello", &mut buf).unwrap();
    assert_eq!(&buf[..n], HELLO_MASKED);
    let mut server = upgraded(Role::Server, Config::new());
    let (events, _) = feed(&mut server, &HELLO_MASKED, &[1], None);
    assert_eq!(events, [Ev::Text("Hello".into())]);
}

#[test]
fn fragmented_unmasked_text_hel_lo() {
    let mut server = upgraded(Role::Server, Config::new());
    let mut buf = out();
    let n = server
        .send_fragment(MessageKind::Text, b"Hel", false, &mut buf)
        .unwrap();
    assert_eq!(&buf[..n], HEL);
    let n = server
        .send_fragment(MessageKind::Text, b"lo", true, &mut buf)
        .unwrap();
    assert_eq!(&buf[..n], LO);
    let mut client = upgraded(Role::Client, Config::new());
    let wire = [&HEL[..], &LO[..]].concat();
    let (events, _) = feed(&mut client, &wire, &[0], None);
    assert_eq!(events, [Ev::Text("Hello".into())]);
}

#[test]
fn unmasked_ping_and_masked_pong() {
    let mut server = upgraded(Role::Server, Config::new());
    let mut buf = out();
    let n = server.send_ping(b"Hello", &mut buf).unwrap();
    assert_eq!(&buf[..n], PING_UNMASKED);
    // The client answers the RFC's ping with the RFC's masked pong, automatically.
    let mut client = upgraded(Role::Client, Config::new());
    let (events, wire) = feed(&mut client, &PING_UNMASKED, &[0], None);
    assert_eq!(events, [Ev::Ping(b"Hello".to_vec())]);
    assert_eq!(wire, PONG_MASKED);
}

#[test]
fn binary_256_and_65536_byte_headers() {
    let header = |len| FrameHeader {
        fin: true,
        rsv: 0,
        opcode: Opcode::Binary,
        mask: None,
        payload_len: len,
    };
    let mut buf = [0u8; 14];
    let n = header(256).encode(&mut buf).unwrap();
    assert_eq!(&buf[..n], [0x82, 0x7e, 0x01, 0x00]);
    let n = header(65536).encode(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        [0x82, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
    );
    // And a server engine sends exactly these headers.
    let mut server = upgraded(Role::Server, Config::new());
    for (len, head) in [
        (256, &[0x82, 0x7e, 0x01, 0x00][..]),
        (65536, &[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0][..]),
    ] {
        let mut out = out();
        let n = server.send_binary(&vec![7; len], &mut out).unwrap();
        assert_eq!(n, head.len() + len);
        assert_eq!(&out[..head.len()], head);
        let mut client = upgraded(Role::Client, Config::new());
        let mut wire = out[..n].to_vec();
        let received = client.receive(Instant::ZERO, &mut wire).unwrap();
        assert!(
            matches!(received.event, Some(Event::Binary(c)) if c.as_bytes().len() == len && c.is_last())
        );
    }
}
