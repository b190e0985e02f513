//! The public type's contract: auto traits, footprint, and the receive path's block
//! delivery of large text keeping split invariance.

use std::fmt::Debug;
use std::mem::size_of;

use wsmachine::{
    Config, Connection, Event, FrameHeader, Instant, MaskKey, Masker, NoMask, Opcode, Role,
};

const NOW: Instant = Instant::from_millis(0);

fn assert_traits<T: Send + Sync + Unpin + Debug>() {}

#[test]
fn connection_is_send_sync_unpin_and_debug() {
    assert_traits::<Connection<NoMask>>();
    assert_traits::<Connection<fn() -> MaskKey>>();
    let mut counter = 0u32;
    let client = Connection::upgraded(
        Config::new(),
        Role::Client,
        move || {
            counter = counter.wrapping_add(1);
            MaskKey(counter.to_be_bytes())
        },
        NOW,
    );
    fn check<T: Send + Sync + Unpin>(_: &T) {}
    check(&client);
    assert!(format!("{:?}", Connection::server(Config::new(), NOW)).contains("Connection"));
}

/// Issue 5's budget for the whole engine state, control-frame stashes included.
const STATE_BUDGET: usize = 512;

fn client_with_closure() -> usize {
    let mut state = 1u32;
    let client = Connection::upgraded(
        Config::new(),
        Role::Client,
        move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            MaskKey(state.to_be_bytes())
        },
        NOW,
    );
    size_of_val(&client)
}

#[test]
fn footprint_fits_the_state_budget() {
    let server = size_of::<Connection<NoMask>>();
    let fn_client = size_of::<Connection<fn() -> MaskKey>>();
    let closure_client = client_with_closure();
    println!("size_of Connection<NoMask> (server, or upgraded either role): {server} bytes");
    println!("size_of Connection<fn() -> MaskKey> (client): {fn_client} bytes");
    println!("size_of client Connection with a capturing closure: {closure_client} bytes");
    assert!(server <= STATE_BUDGET, "server state is {server} B");
    assert!(fn_client <= STATE_BUDGET, "client state is {fn_client} B");
    assert!(
        closure_client <= STATE_BUDGET,
        "client state is {closure_client} B"
    );
}

fn masked_text_frames(text: &[u8], frame_len: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    let parts: Vec<&[u8]> = text.chunks(frame_len).collect();
    for (i, part) in parts.iter().enumerate() {
        let key = MaskKey([0x37, 0xfa, 0x21, i as u8]);
        let header = FrameHeader {
            fin: i + 1 == parts.len(),
            rsv: 0,
            opcode: if i == 0 {
                Opcode::Text
            } else {
                Opcode::Continuation
            },
            mask: Some(key),
            payload_len: part.len() as u64,
        };
        let mut head = [0u8; 14];
        let n = header.encode(&mut head).unwrap();
        wire.extend_from_slice(&head[..n]);
        let start = wire.len();
        wire.extend_from_slice(part);
        Masker::new(key).apply(&mut wire[start..]);
    }
    wire
}

/// Feeds `wire` in reads of `read_len` bytes; returns the text and the number of events.
fn receive_text(wire: &[u8], read_len: usize) -> (String, usize) {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let (mut text, mut events, mut done) = (String::new(), 0, false);
    for read in wire.chunks(read_len) {
        let mut buf = read.to_vec();
        let mut at = 0;
        loop {
            let received = conn.receive(NOW, &mut buf[at..]).unwrap();
            let consumed = received.consumed;
            match received.event {
                None => break,
                Some(Event::Text(chunk)) => {
                    assert!(!done, "text after the last chunk");
                    chunk.push_to(&mut text).unwrap();
                    done = chunk.is_last();
                    events += 1;
                }
                Some(other) => panic!("unexpected {other:?}"),
            }
            at += consumed;
        }
    }
    assert!(done, "message not finished");
    (text, events)
}

#[test]
fn large_text_arrives_in_blocks_and_whole_at_any_split() {
    let text: String = "κόσμε 中文 😀 ascii ".repeat(9000);
    let bytes = text.as_bytes();
    assert!(bytes.len() > 200_000);
    for frame_len in [bytes.len(), 70_001, 4096] {
        let wire = masked_text_frames(bytes, frame_len);
        for read_len in [wire.len(), 65_537, 32 * 1024 + 1, 1000, 7] {
            let (got, events) = receive_text(&wire, read_len);
            assert_eq!(got, text, "frame {frame_len}, read {read_len}");
            // Each event carries at most one cache-sized block (32 KiB) of text.
            assert!(events >= bytes.len() / (32 * 1024), "{events} events");
        }
    }
}
