//! Arbitrary bytes into both roles, from the first handshake byte and upgraded, in any
//! chunking: no panic, bounded output, nothing delivered after an error, and the queued
//! Close frame (or HTTP error) well-formed. The checks live in the fuzz harnesses
//! (`wsmachine::fuzzing`); this drives them with proptest on stable.
//! Run with `cargo test --features _fuzzing`.
#![cfg(feature = "_fuzzing")]

use proptest::prelude::*;
use wsmachine::fuzzing::{self, ACCEPT, engine_transcript};
use wsmachine::{Config, Role};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn response() -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    )
    .into_bytes()
}

/// Split sizes as the harness's input prefix: a count byte, then the sizes.
fn with_splits(sizes: &[u8], stream: &[u8]) -> Vec<u8> {
    let mut data = vec![sizes.len() as u8];
    data.extend_from_slice(sizes);
    data.extend_from_slice(stream);
    data
}

proptest! {
    #[test]
    fn server_from_first_byte(sizes in prop::collection::vec(any::<u8>(), 0..7),
                              bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::server_session(&with_splits(&sizes, &bytes));
    }

    #[test]
    fn server_after_valid_request(sizes in prop::collection::vec(any::<u8>(), 0..7),
                                  bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut stream = REQUEST.to_vec();
        stream.extend_from_slice(&bytes);
        fuzzing::server_session(&with_splits(&sizes, &stream));
    }

    #[test]
    fn client_from_first_byte(sizes in prop::collection::vec(any::<u8>(), 0..7),
                              bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        fuzzing::client_session(&with_splits(&sizes, &bytes));
    }

    #[test]
    fn client_after_valid_response(sizes in prop::collection::vec(any::<u8>(), 0..7),
                                   bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut stream = response();
        stream.extend_from_slice(&bytes);
        fuzzing::client_session(&with_splits(&sizes, &stream));
    }

    #[test]
    fn upgraded_both_roles(sizes in prop::collection::vec(1usize..50, 0..5),
                           bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for role in [Role::Server, Role::Client] {
            let whole = engine_transcript(role, Config::new(), &bytes, &[]);
            prop_assert_eq!(engine_transcript(role, Config::new(), &bytes, &sizes), whole);
        }
    }

    #[test]
    fn heads_and_utf8(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::handshake_request(&bytes);
        fuzzing::handshake_response(&bytes);
        fuzzing::utf8(&bytes);
        fuzzing::roundtrip(&bytes);
    }
}
