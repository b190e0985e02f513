//! Encode → decode is the identity for arbitrary messages, fragmentations and mask keys,
//! in both directions, including the zero-copy `begin_frame` path.

use proptest::prelude::*;
use wsmachine::{Config, Connection, Event, Instant, MaskKey, MessageKind, Role};

#[derive(Clone, Debug)]
enum Piece {
    Text(String, Vec<usize>),
    Binary(Vec<u8>, Vec<usize>),
    Ping(Vec<u8>),
    ZeroCopy(Vec<u8>),
}

fn piece() -> impl Strategy<Value = Piece> {
    let cuts = proptest::collection::vec(0usize..64, 0..4);
    prop_oneof![
        ("\\PC{0,60}", cuts.clone()).prop_map(|(s, c)| Piece::Text(s, c)),
        (proptest::collection::vec(any::<u8>(), 0..200), cuts)
            .prop_map(|(b, c)| Piece::Binary(b, c)),
        proptest::collection::vec(any::<u8>(), 0..=125).prop_map(Piece::Ping),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Piece::ZeroCopy),
    ]
}

/// Splits `data` at the given cut points (as offsets modulo the length, sorted).
fn fragments(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| if data.is_empty() { 0 } else { c % data.len() })
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(data[start..p.max(start)].to_vec());
        start = p.max(start);
    }
    out.push(data[start..].to_vec());
    out
}

#[derive(Debug, PartialEq)]
enum Got {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

fn run(
    sender_role: Role,
    pieces: &[Piece],
    keys: Vec<[u8; 4]>,
    read: usize,
) -> (Vec<Got>, Vec<Got>) {
    let mut keys = keys.into_iter().cycle();
    let mask = move || MaskKey(keys.next().unwrap_or([1, 2, 3, 4]));
    let mut sender = Connection::upgraded(Config::new(), sender_role, mask, Instant::ZERO);
    let receiver_role = if sender_role.is_client() {
        Role::Server
    } else {
        Role::Client
    };
    let mut receiver = Connection::upgraded(
        Config::new(),
        receiver_role,
        || MaskKey([9; 4]),
        Instant::ZERO,
    );
    let mut wire = Vec::new();
    let mut want = Vec::new();
    let mut out = vec![0u8; 1024];
    for piece in pieces {
        match piece {
            Piece::Text(text, cuts) => {
                let frags = fragments(text.as_bytes(), cuts);
                for (i, f) in frags.iter().enumerate() {
                    let n = sender
                        .send_fragment(MessageKind::Text, f, i + 1 == frags.len(), &mut out)
                        .unwrap();
                    wire.extend_from_slice(&out[..n]);
                }
                want.push(Got::Text(text.clone()));
            }
            Piece::Binary(data, cuts) => {
                let frags = fragments(data, cuts);
                for (i, f) in frags.iter().enumerate() {
                    let n = sender
                        .send_fragment(MessageKind::Binary, f, i + 1 == frags.len(), &mut out)
                        .unwrap();
                    wire.extend_from_slice(&out[..n]);
                }
                want.push(Got::Binary(data.clone()));
            }
            Piece::Ping(payload) => {
                let n = sender.send_ping(payload, &mut out).unwrap();
                wire.extend_from_slice(&out[..n]);
                want.push(Got::Ping(payload.clone()));
            }
            Piece::ZeroCopy(data) => {
                let n = sender
                    .begin_frame(MessageKind::Binary, data.len() as u64, true, &mut out)
                    .unwrap();
                wire.extend_from_slice(&out[..n]);
                let mut payload = data.clone();
                let (a, b) = payload.split_at_mut(data.len() / 3);
                sender.frame_payload(a).unwrap();
                sender.frame_payload(b).unwrap();
                wire.extend_from_slice(&payload);
                want.push(Got::Binary(data.clone()));
            }
        }
    }
    let mut got = Vec::new();
    let (mut text, mut binary) = (String::new(), Vec::new());
    for chunk in wire.chunks_mut(read) {
        let mut buf = &mut chunk[..];
        loop {
            let received = receiver.receive(Instant::ZERO, buf).unwrap();
            let consumed = received.consumed;
            let Some(event) = received.event else { break };
            match event {
                Event::Text(c) => {
                    c.push_to(&mut text).unwrap();
                    if c.is_last() {
                        got.push(Got::Text(std::mem::take(&mut text)));
                    }
                }
                Event::Binary(c) => {
                    binary.extend_from_slice(c.as_bytes());
                    if c.is_last() {
                        got.push(Got::Binary(std::mem::take(&mut binary)));
                    }
                }
                Event::Ping(p) => got.push(Got::Ping(p.as_bytes().to_vec())),
                other => panic!("unexpected {other:?}"),
            }
            buf = &mut buf[consumed..];
        }
    }
    (got, want)
}

proptest! {
    #[test]
    fn client_to_server_roundtrip(pieces in proptest::collection::vec(piece(), 0..8),
                                  keys in proptest::collection::vec(any::<[u8; 4]>(), 1..4),
                                  read in 1usize..100) {
        let (got, want) = run(Role::Client, &pieces, keys, read);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn server_to_client_roundtrip(pieces in proptest::collection::vec(piece(), 0..8), read in 1usize..100) {
        let (got, want) = run(Role::Server, &pieces, vec![[0; 4]], read);
        prop_assert_eq!(got, want);
    }
}
