//! The API the drivers build on (issue 10): precise misuse, whole text chunks, pending
//! output and in-progress accessors, the rejected body, and the handshake checks on what
//! the application may write (offered subprotocols only, no `Transfer-Encoding`).

mod common;

use common::*;
use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Error, Event, Instant, Misuse, Reject, Role,
};

const NOW: Instant = Instant::from_millis(0);

/// A server holding a request that offers `offer` (a `Sec-WebSocket-Protocol` value, or none).
fn server_with_request(offer: Option<&str>) -> wsmachine::Connection<wsmachine::NoMask> {
    let mut conn = server(Config::new());
    let mut head = String::from(
        "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
    );
    if let Some(offer) = offer {
        head.push_str(&format!("Sec-WebSocket-Protocol: {offer}\r\n"));
    }
    head.push_str("\r\n");
    let mut buf = head.into_bytes();
    let received = conn.receive(NOW, &mut buf).unwrap();
    assert!(matches!(received.event, Some(Event::UpgradeRequest(_))));
    conn
}

#[test]
fn server_refuses_a_subprotocol_the_client_did_not_offer() {
    for offer in [Some("a, b"), None, Some("cc"), Some("xc")] {
        let mut conn = server_with_request(offer);
        let mut out = [0xeeu8; 512];
        let accept = Accept::new().with_subprotocol("c");
        assert_eq!(
            conn.accept(NOW, &accept, &mut out),
            Err(Error::Usage(Misuse::SubprotocolNotOffered)),
            "{offer:?}"
        );
        assert!(out.iter().all(|&b| b == 0xee), "nothing written");
        // The decision is still pending: a valid answer goes through.
        let n = conn.accept(NOW, &Accept::new(), &mut out).unwrap();
        assert!(out[..n].starts_with(b"HTTP/1.1 101"));
    }
    let mut conn = server_with_request(Some("a, b"));
    let mut out = [0u8; 512];
    let n = conn
        .accept(NOW, &Accept::new().with_subprotocol("b"), &mut out)
        .unwrap();
    let response = String::from_utf8_lossy(&out[..n]);
    assert!(
        response.contains("Sec-WebSocket-Protocol: b\r\n"),
        "{response}"
    );
}

#[test]
fn a_long_offer_is_still_checked() {
    let names: Vec<String> = (0..12).map(|i| format!("vendor.protocol.v{i}")).collect();
    let offer = names.join(", ");
    assert!(offer.len() > 125, "longer than the exact stash");
    for name in &names {
        let mut conn = server_with_request(Some(&offer));
        let mut out = [0u8; 512];
        conn.accept(NOW, &Accept::new().with_subprotocol(name), &mut out)
            .unwrap();
    }
    let mut conn = server_with_request(Some(&offer));
    let mut out = [0u8; 512];
    assert_eq!(
        conn.accept(
            NOW,
            &Accept::new().with_subprotocol("vendor.protocol.v12"),
            &mut out
        ),
        Err(Error::Usage(Misuse::SubprotocolNotOffered))
    );
}

#[test]
fn transfer_encoding_is_refused_like_content_length() {
    let invalid = Err(Error::Usage(Misuse::InvalidHeader));
    for name in ["Transfer-Encoding", "transfer-encoding", "Content-Length"] {
        let headers = [(name, "chunked")];
        let mut out = [0xeeu8; 512];
        let mut conn = server_with_request(None);
        assert_eq!(
            conn.accept(NOW, &Accept::new().with_headers(&headers), &mut out),
            invalid,
            "{name}"
        );
        assert_eq!(
            conn.reject(&Reject::new(403).with_headers(&headers), &mut out),
            invalid,
            "{name}"
        );
        assert!(out.iter().all(|&b| b == 0xee), "nothing written");
        let (mut client, _) = client(Config::new(), &[]);
        let mut fresh = wsmachine::Connection::client(Config::new(), test_mask as TestMask, NOW);
        let request = ClientRequest::new("a", "/", KEY).with_headers(&headers);
        assert_eq!(fresh.connect(NOW, &request, &mut out), invalid, "{name}");
        assert!(out.iter().all(|&b| b == 0xee), "nothing written");
        assert_eq!(
            client.connect(NOW, &ClientRequest::new("a", "/", KEY), &mut out),
            Err(Error::Usage(Misuse::NotIdle))
        );
    }
}

#[test]
fn misuse_names_the_failed_precondition() {
    let mut out = [0u8; 256];
    let mut idle = wsmachine::Connection::client(Config::new(), test_mask as TestMask, NOW);
    assert_eq!(
        idle.receive(NOW, &mut [0u8; 4]),
        Err(Error::Usage(Misuse::NotConnecting))
    );
    assert_eq!(
        idle.send_text("x", &mut out),
        Err(Error::Usage(Misuse::HandshakeIncomplete))
    );
    let mut srv = server(Config::new());
    assert_eq!(
        srv.accept(NOW, &Accept::new(), &mut out),
        Err(Error::Usage(Misuse::NoRequestPending))
    );
    assert_eq!(
        srv.reject(&Reject::new(403), &mut out),
        Err(Error::Usage(Misuse::NoRequestPending))
    );
    // After the peer's Close only `close` may answer it.
    let mut conn = upgraded(Role::Server, Config::new());
    let mut close = frame(
        Role::Client,
        true,
        0x8,
        &close_payload(CloseCode::Normal, ""),
    );
    let _ = conn.receive(NOW, &mut close).unwrap();
    assert_eq!(
        conn.send_text("x", &mut out),
        Err(Error::Usage(Misuse::CloseReceived))
    );
    assert_eq!(
        conn.send_ping(b"", &mut out),
        Err(Error::Usage(Misuse::CloseReceived))
    );
    conn.close(NOW, CloseCode::GoingAway, "", &mut out).unwrap();
    assert_eq!(
        conn.send_text("x", &mut out),
        Err(Error::Usage(Misuse::ConnectionClosed))
    );
}

#[test]
fn pending_transmit_len_is_what_poll_transmit_writes() {
    for role in [Role::Client, Role::Server] {
        let mut conn = upgraded(role, Config::new());
        assert_eq!(conn.pending_transmit_len(), 0);
        assert!(!conn.wants_transport_closed());
        let peer = if role.is_client() {
            Role::Server
        } else {
            Role::Client
        };
        let mut ping = frame(peer, true, 0x9, b"hello");
        let _ = conn.receive(NOW, &mut ping).unwrap();
        let mut close = frame(peer, true, 0x8, &close_payload(CloseCode::Normal, "x"));
        let _ = conn.receive(NOW, &mut close).unwrap();
        let expected = conn.pending_transmit_len();
        let mut wire = Vec::new();
        drain(&mut conn, &mut wire);
        assert_eq!(expected, wire.len(), "{role:?}");
        assert!(expected > 0);
        assert_eq!(conn.pending_transmit_len(), 0);
    }
    // The server's own HTTP error response.
    let mut conn = server(Config::new());
    let mut bad = b"POST / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
    assert!(conn.receive(NOW, &mut bad).is_err());
    let expected = conn.pending_transmit_len();
    assert!(conn.wants_transport_closed());
    let mut wire = Vec::new();
    assert!(drain(&mut conn, &mut wire));
    assert_eq!(expected, wire.len());
    assert!(!conn.wants_transport_closed());
}

#[test]
fn receive_in_progress_reports_a_cut_frame_or_message() {
    let mut conn = upgraded(Role::Server, Config::new());
    assert!(!conn.receive_in_progress());
    let whole = frame(Role::Client, true, 0x2, b"abcdef");
    // A header cut short, then a payload cut short, then the frame's end.
    for (cut, in_progress) in [(1, true), (8, true), (whole.len(), false)] {
        let mut conn = upgraded(Role::Server, Config::new());
        let mut piece = whole[..cut].to_vec();
        let _ = conn.receive(NOW, &mut piece).unwrap();
        assert_eq!(conn.receive_in_progress(), in_progress, "cut at {cut}");
    }
    // A fragmented message between its frames.
    let mut first = frame(Role::Client, false, 0x1, b"ab");
    let _ = conn.receive(NOW, &mut first).unwrap();
    assert!(conn.receive_in_progress());
    let mut last = frame(Role::Client, true, 0x0, b"cd");
    let _ = conn.receive(NOW, &mut last).unwrap();
    assert!(!conn.receive_in_progress());
}

#[test]
fn a_text_chunk_with_a_carried_code_point_reads_whole() {
    let mut conn = upgraded(Role::Client, Config::new());
    let wire = frame(Role::Server, true, 0x1, "a€b".as_bytes());
    // Cut inside "€" (bytes 3..6 of the frame's payload start at offset 2).
    let (head, tail) = wire.split_at(2 + 2);
    let mut first = head.to_vec();
    let received = conn.receive(NOW, &mut first).unwrap();
    let Some(Event::Text(chunk)) = received.event else {
        panic!("{:?}", received.event)
    };
    assert_eq!(chunk.as_str(), Some("a"));
    let mut second = tail.to_vec();
    let received = conn.receive(NOW, &mut second).unwrap();
    let Some(Event::Text(chunk)) = received.event else {
        panic!("{:?}", received.event)
    };
    assert_eq!(
        chunk.as_str(),
        None,
        "the carried code point is not in the buffer"
    );
    assert_eq!(chunk.parts(), (Some('€'), "b"));
    assert_eq!(
        format!("{chunk:?}"),
        r#"TextChunk { text: "b", is_first: false, is_last: true, carried: Some('€') }"#
    );
    assert_eq!(chunk.to_string(), "€b");
    assert_eq!(chunk.chars().collect::<String>(), "€b");
    assert_eq!(chunk.len(), "€b".len());
    let mut text = String::new();
    chunk.push_to(&mut text).unwrap();
    assert_eq!(text, "€b");
    // A fixed-capacity sink that refuses what does not fit sees the refusal.
    struct Capped(String, usize);
    impl std::fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            if self.0.len() + s.len() > self.1 {
                return Err(std::fmt::Error);
            }
            self.0.push_str(s);
            Ok(())
        }
    }
    let mut small = Capped(String::new(), 3);
    assert!(chunk.push_to(&mut small).is_err(), "a full sink reports it");
}
