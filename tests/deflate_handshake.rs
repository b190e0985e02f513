//! permessage-deflate in the opening handshake: the client's offer, the server's answer,
//! the negotiated parameters on both ends, and the answers a client must refuse.
#![cfg(feature = "deflate")]

mod common;

use common::{Ev, client, feed, open_pair, server};
use wsmachine::deflate::{DeflateConfig, Params};
use wsmachine::{Accept, Config, Error, HandshakeFailure, Instant};

const ACCEPT_KEY: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; // of common::KEY ("the sample nonce")

fn config(deflate: DeflateConfig) -> Config {
    Config::new().with_deflate(Some(deflate))
}

fn header<'a>(head: &'a str, name: &str) -> Vec<&'a str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

#[test]
fn client_offers_what_its_config_says() {
    let (_, request) = client(config(DeflateConfig::new()), &[]);
    let request = String::from_utf8(request).unwrap();
    assert_eq!(
        header(&request, "sec-websocket-extensions"),
        ["permessage-deflate; client_max_window_bits"]
    );
    let small = DeflateConfig::new()
        .with_inflate_window_bits(10)
        .with_deflate_window_bits(12)
        .with_server_no_context_takeover(true)
        .with_client_no_context_takeover(true);
    let (_, request) = client(config(small), &[]);
    let request = String::from_utf8(request).unwrap();
    assert_eq!(
        header(&request, "sec-websocket-extensions"),
        [
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12; \
          server_no_context_takeover; client_no_context_takeover"
        ]
    );
    // Without deflate in the config nothing is offered.
    let (_, request) = client(Config::new(), &[]);
    assert!(
        header(
            &String::from_utf8(request).unwrap(),
            "sec-websocket-extensions"
        )
        .is_empty()
    );
}

#[test]
fn both_ends_agree_on_the_parameters() {
    let cases = [
        (DeflateConfig::new(), DeflateConfig::new(), Params::DEFAULT),
        (
            DeflateConfig::new().with_inflate_window_bits(10),
            DeflateConfig::new().with_inflate_window_bits(12),
            Params {
                server_max_window_bits: 10,
                client_max_window_bits: 12,
                ..Params::DEFAULT
            },
        ),
        (
            DeflateConfig::new().with_client_no_context_takeover(true),
            DeflateConfig::new()
                .with_deflate_window_bits(9)
                .with_server_no_context_takeover(true),
            Params {
                server_max_window_bits: 9,
                client_max_window_bits: 15,
                server_no_context_takeover: true,
                client_no_context_takeover: true,
            },
        ),
    ];
    for (client_side, server_side, expected) in cases {
        let (mut c, request) = client(config(client_side), &[]);
        let mut s = server(config(server_side));
        let (events, response) = feed(&mut s, &request, &[0], Some(&Accept::new()));
        assert!(matches!(events.as_slice(), [Ev::Request { .. }]));
        let (events, _) = feed(&mut c, &response, &[0], None);
        assert!(
            matches!(events.as_slice(), [Ev::Established { .. }]),
            "{events:?}"
        );
        assert_eq!(s.deflate_params(), Some(expected));
        assert_eq!(c.deflate_params(), Some(expected));
    }
}

#[test]
fn deflate_stays_off_unless_both_ends_want_it() {
    let on = config(DeflateConfig::new());
    for (client_config, server_config) in [(on, Config::new()), (Config::new(), on)] {
        let (mut c, request) = client(client_config, &[]);
        let mut s = server(server_config);
        let (_, response) = feed(&mut s, &request, &[0], Some(&Accept::new()));
        let head = String::from_utf8(response.clone()).unwrap();
        assert!(header(&head, "sec-websocket-extensions").is_empty());
        let (events, _) = feed(&mut c, &response, &[0], None);
        assert!(matches!(events.as_slice(), [Ev::Established { .. }]));
        assert_eq!((c.deflate_params(), s.deflate_params()), (None, None));
    }
    let (c, s) = open_pair(Config::new(), &[], &Accept::new());
    assert_eq!((c.deflate_params(), s.deflate_params()), (None, None));
}

#[test]
fn server_answers_the_first_offer_it_can_honour() {
    // A 12-bit budget declines the unlimited client and takes the second offer, split over
    // two header lines with a quoted value.
    let mut s = server(config(DeflateConfig::new().with_inflate_window_bits(12)));
    let request: &str = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16, permessage-deflate\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"14\"; server_no_context_takeover\r\n\r\n";
    let (events, response) = feed(&mut s, request.as_bytes(), &[0], Some(&Accept::new()));
    assert!(matches!(events.as_slice(), [Ev::Request { .. }]));
    let head = String::from_utf8(response).unwrap();
    assert_eq!(
        header(&head, "sec-websocket-extensions"),
        ["permessage-deflate; client_max_window_bits=12; server_no_context_takeover"]
    );
    assert_eq!(
        s.deflate_params(),
        Some(Params {
            server_max_window_bits: 15,
            client_max_window_bits: 12,
            server_no_context_takeover: true,
            client_no_context_takeover: false,
        })
    );
}

#[test]
fn server_declines_offers_it_cannot_honour_and_opens_without_deflate() {
    for offer in [
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=abc",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; mystery",
        "x-webkit-deflate-frame",
    ] {
        let mut s = server(config(DeflateConfig::new()));
        let request = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: {offer}\r\n\r\n"
        );
        let (events, response) = feed(&mut s, request.as_bytes(), &[0], Some(&Accept::new()));
        assert!(matches!(events.as_slice(), [Ev::Request { .. }]), "{offer}");
        let head = String::from_utf8(response).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{offer}");
        assert!(
            header(&head, "sec-websocket-extensions").is_empty(),
            "{offer}"
        );
        assert_eq!(s.deflate_params(), None, "{offer}");
    }
}

fn response_with(extensions: &[&str]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT_KEY}\r\n"
    );
    for value in extensions {
        head.push_str(&format!("Sec-WebSocket-Extensions: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

#[test]
fn client_refuses_bad_answers_with_named_failures() {
    use HandshakeFailure::*;
    let offer = DeflateConfig::new().with_inflate_window_bits(12);
    let cases: &[(&[&str], HandshakeFailure)] = &[
        // The window-bits attacks: 0, 7, 16, not a number, a leading zero, no value.
        (
            &["permessage-deflate; server_max_window_bits=0"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; server_max_window_bits=7"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; client_max_window_bits=16"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; client_max_window_bits=abc"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; server_max_window_bits=012"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; server_max_window_bits"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; server_max_window_bits=9; client_max_window_bits"],
            InvalidExtensionParameter,
        ),
        (
            &["permessage-deflate; server_no_context_takeover=yes"],
            InvalidExtensionParameter,
        ),
        // Repeats, of a parameter or of the extension (in one line or two).
        (
            &["permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"],
            DuplicateExtensionParameter,
        ),
        (
            &[
                "permessage-deflate; server_max_window_bits=9, permessage-deflate; server_max_window_bits=9",
            ],
            DuplicateExtensionParameter,
        ),
        (
            &[
                "permessage-deflate; server_max_window_bits=9",
                "permessage-deflate; server_max_window_bits=9",
            ],
            DuplicateExtensionParameter,
        ),
        (&["permessage-deflate; x=1"], UnknownExtensionParameter),
        // More than offered: our inflater holds 12 bits; the server's default is 15.
        (&["permessage-deflate"], UnofferedExtensionParameter),
        (
            &["permessage-deflate; server_max_window_bits=13"],
            UnofferedExtensionParameter,
        ),
        (&["x-webkit-deflate-frame"], UnofferedExtension),
    ];
    for (answer, failure) in cases {
        let (mut c, _) = client(config(offer), &[]);
        let (events, _) = feed(&mut c, &response_with(answer), &[0], None);
        assert_eq!(
            events,
            [Ev::Error(Error::Handshake(*failure))],
            "{answer:?}"
        );
        assert!(c.is_closed());
        assert_eq!(c.deflate_params(), None);
    }
    // A bare offer (no `client_max_window_bits`) cannot be answered with a client window.
    let (mut c, _) = client(Config::new(), &[]);
    let (events, _) = feed(
        &mut c,
        &response_with(&["permessage-deflate; client_max_window_bits=10"]),
        &[0],
        None,
    );
    assert_eq!(
        events,
        [Ev::Error(Error::Handshake(UnofferedExtension))],
        "without deflate configured, any extension is unoffered"
    );
}

#[test]
fn client_accepts_the_answers_rfc_7692_allows() {
    let offer = DeflateConfig::new().with_inflate_window_bits(12);
    let (mut c, _) = client(config(offer), &[]);
    let answer = "permessage-deflate; server_max_window_bits=\"9\"; client_max_window_bits=10; \
                  server_no_context_takeover; client_no_context_takeover";
    let (events, _) = feed(&mut c, &response_with(&[answer]), &[0], None);
    assert!(
        matches!(events.as_slice(), [Ev::Established { .. }]),
        "{events:?}"
    );
    assert_eq!(
        c.deflate_params(),
        Some(Params {
            server_max_window_bits: 9,
            client_max_window_bits: 10,
            server_no_context_takeover: true,
            client_no_context_takeover: true,
        })
    );
    // A server may decline: no header, no deflate.
    let (mut c, _) = client(config(offer), &[]);
    let (events, _) = feed(&mut c, &response_with(&[]), &[0], None);
    assert!(matches!(events.as_slice(), [Ev::Established { .. }]));
    assert_eq!(c.deflate_params(), None);
}

#[test]
fn a_rejected_request_negotiates_nothing() {
    let (_, request) = client(config(DeflateConfig::new()), &[]);
    let mut s = server(config(DeflateConfig::new()));
    let mut buf = request.clone();
    let received = s.receive(Instant::ZERO, &mut buf).unwrap();
    assert!(received.event.is_some());
    assert_eq!(
        s.deflate_params(),
        None,
        "nothing is negotiated before accept"
    );
    let mut out = [0u8; 256];
    s.reject(&wsmachine::Reject::new(403), &mut out).unwrap();
    assert_eq!(s.deflate_params(), None);
}

#[test]
fn memory_budget_picks_the_largest_window_that_fits() {
    let state = size_of::<wsmachine::deflate::InflateState>();
    let bits = |bytes| {
        DeflateConfig::new()
            .with_memory_budget(bytes)
            .inflate_window_bits()
    };
    assert_eq!(bits(usize::MAX), 15);
    assert_eq!(bits(state + (1 << 15)), 15);
    assert_eq!(bits(state + (1 << 15) - 1), 14);
    assert_eq!(bits(state + (1 << 10)), 10);
    assert_eq!(bits(0), 9, "never below 9 bits");
    assert_eq!(
        DeflateConfig::new()
            .with_inflate_window_bits(8)
            .inflate_window_bits(),
        9
    );
    assert_eq!(
        DeflateConfig::new()
            .with_deflate_window_bits(20)
            .deflate_window_bits(),
        15
    );
}
