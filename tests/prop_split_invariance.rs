//! Any chunking of the input gives the same events and the same output bytes (DESIGN
//! invariant 3), for both roles, from the first handshake byte.

mod common;

use common::*;
use proptest::prelude::*;
use wsmachine::{Accept, CloseCode, Config, Role};

/// A client → server conversation: the handshake request, then masked frames.
fn client_to_server(messages: &[(bool, Vec<u8>)], fragment: usize, close: bool) -> Vec<u8> {
    let (_, mut wire) = client(Config::new(), &["chat"]);
    for (is_text, payload) in messages {
        let opcode = if *is_text { 0x1 } else { 0x2 };
        let pieces: Vec<&[u8]> = if payload.is_empty() {
            vec![&[]]
        } else {
            payload.chunks(fragment.max(1)).collect()
        };
        for (i, piece) in pieces.iter().enumerate() {
            let op = if i == 0 { opcode } else { 0x0 };
            wire.extend(frame(Role::Client, i + 1 == pieces.len(), op, piece));
            if i == 0 {
                wire.extend(frame(Role::Client, true, 0x9, b"ping between fragments"));
            }
        }
    }
    if close {
        wire.extend(frame(
            Role::Client,
            true,
            0x8,
            &close_payload(CloseCode::Normal, "done"),
        ));
    }
    wire
}

fn messages() -> impl Strategy<Value = Vec<(bool, Vec<u8>)>> {
    let text = "[a-zé€😀中 ]{0,40}".prop_map(|s: String| (true, s.into_bytes()));
    let binary = proptest::collection::vec(any::<u8>(), 0..300).prop_map(|b| (false, b));
    proptest::collection::vec(prop_oneof![text, binary], 0..6)
}

fn chunkings() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..40, 1..8)
}

proptest! {
    #[test]
    fn server_events_and_output_do_not_depend_on_chunking(
        msgs in messages(),
        fragment in 1usize..50,
        close in any::<bool>(),
        chunks in chunkings(),
        corrupt_at in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut wire = client_to_server(&msgs, fragment, close);
        if let Some(index) = corrupt_at {
            let i = index.index(wire.len());
            wire[i] ^= 0x5a; // sometimes the stream breaks a rule: errors must be split-invariant too
        }
        let accept = Accept::new().with_subprotocol("chat");
        let (whole_events, whole_out) = feed(&mut server(Config::new()), &wire, &[0], Some(&accept));
        let (bytes_events, bytes_out) = feed(&mut server(Config::new()), &wire, &[1], Some(&accept));
        let (split_events, split_out) = feed(&mut server(Config::new()), &wire, &chunks, Some(&accept));
        prop_assert_eq!(&whole_events, &bytes_events);
        prop_assert_eq!(&whole_events, &split_events);
        prop_assert_eq!(&whole_out, &bytes_out);
        prop_assert_eq!(&whole_out, &split_out);
        if corrupt_at.is_none() {
            let texts = whole_events.iter().filter(|e| matches!(e, Ev::Text(_) | Ev::Binary(_))).count();
            prop_assert_eq!(texts, msgs.len());
        }
    }

    #[test]
    fn client_events_and_output_do_not_depend_on_chunking(
        msgs in messages(),
        fragment in 1usize..50,
        chunks in chunkings(),
    ) {
        // Server → client: a 101 followed by unmasked frames in the same stream.
        let (_, request) = client(Config::new(), &[]);
        let (_, response) = feed(&mut server(Config::new()), &request, &[0], None);
        let mut wire = response;
        for (is_text, payload) in &msgs {
            let pieces: Vec<&[u8]> = if payload.is_empty() { vec![&[]] } else { payload.chunks(fragment).collect() };
            for (i, piece) in pieces.iter().enumerate() {
                let op = if i > 0 { 0x0 } else if *is_text { 0x1 } else { 0x2 };
                wire.extend(frame(Role::Server, i + 1 == pieces.len(), op, piece));
            }
        }
        wire.extend(frame(Role::Server, true, 0x9, b"hi"));
        let (whole_events, whole_out) = feed(&mut client(Config::new(), &[]).0, &wire, &[0], None);
        let (split_events, split_out) = feed(&mut client(Config::new(), &[]).0, &wire, &chunks, None);
        let (byte_events, byte_out) = feed(&mut client(Config::new(), &[]).0, &wire, &[1], None);
        prop_assert_eq!(&whole_events, &split_events);
        prop_assert_eq!(&whole_events, &byte_events);
        prop_assert_eq!(&whole_out, &split_out);
        prop_assert_eq!(&whole_out, &byte_out);
        prop_assert_eq!(whole_events.len(), msgs.len() + 2); // Established, messages, Ping
    }
}
