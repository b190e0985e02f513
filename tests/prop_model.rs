//! The engine, fed in arbitrary chunkings, agrees with the reference model (tests/model):
//! same messages, same control frames, same outcome and close code.
//!
//! Streams are mostly valid (messages fragmented at arbitrary byte offsets, controls
//! interleaved, close codes from the whole range) with occasional corruptions (a flipped
//! bit, a cut, an inserted byte), so both the delivery and the violation paths run.
//! Run with `cargo test --features _fuzzing`.
#![cfg(feature = "_fuzzing")]

mod common;
mod model;

use proptest::prelude::*;
use wsmachine::fuzzing::{MODEL_CONFIG, Outcome, engine_transcript};
use wsmachine::{Config, Role};

#[derive(Clone, Debug)]
enum Msg {
    Text(String, Vec<usize>),
    Binary(Vec<u8>, Vec<usize>),
    Control(u8, Vec<u8>),
    Raw(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Corruption {
    None,
    FlipBit(usize),
    Cut(usize),
    Insert(usize, u8),
}

fn msg() -> impl Strategy<Value = Msg> {
    let cuts = || prop::collection::vec(0usize..400, 0..4);
    prop_oneof![
        4 => (".{0,60}", cuts()).prop_map(|(s, c)| Msg::Text(s, c)),
        3 => (prop::collection::vec(any::<u8>(), 0..300), cuts()).prop_map(|(b, c)| Msg::Binary(b, c)),
        2 => (prop::sample::select(vec![8u8, 9, 10]), prop::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(op, p)| Msg::Control(op, p)),
        1 => (prop::sample::select(vec![0u16, 999, 1000, 1001, 1004, 1005, 1015, 3000, 4999, 5000]), ".{0,10}")
            .prop_map(|(code, reason)| {
                let mut p = code.to_be_bytes().to_vec();
                p.extend_from_slice(reason.as_bytes());
                Msg::Control(8, p)
            }),
        1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Msg::Raw),
    ]
}

fn corruption() -> impl Strategy<Value = Corruption> {
    prop_oneof![
        6 => Just(Corruption::None),
        1 => any::<usize>().prop_map(Corruption::FlipBit),
        1 => any::<usize>().prop_map(Corruption::Cut),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Corruption::Insert(i, b)),
    ]
}

/// One frame as `role`'s peer sends it (clients mask with a key from `seed`).
fn frame(to: Role, fin: bool, opcode: u8, payload: &[u8], seed: u8) -> Vec<u8> {
    let from = if to == Role::Server {
        Role::Client
    } else {
        Role::Server
    };
    let key = [seed, seed.wrapping_mul(3), 0xa5, seed ^ 0x5a];
    common::frame_with_key(from, fin, opcode, payload, key)
}

fn fragments(to: Role, opcode: u8, payload: &[u8], cuts: &[usize], seed: u8) -> Vec<u8> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(payload.len())).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    let mut first = true;
    for end in cuts.into_iter().chain([payload.len()]) {
        let last = end == payload.len();
        let op = if first { opcode } else { 0 };
        out.extend(frame(to, last, op, &payload[start..end], seed));
        first = false;
        start = end;
        if last {
            break;
        }
    }
    out
}

fn stream(to: Role, msgs: &[Msg], corruption: &Corruption) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let seed = i as u8;
        match m {
            Msg::Text(s, cuts) => out.extend(fragments(to, 1, s.as_bytes(), cuts, seed)),
            Msg::Binary(b, cuts) => out.extend(fragments(to, 2, b, cuts, seed)),
            Msg::Control(op, p) => out.extend(frame(to, true, *op, p, seed)),
            Msg::Raw(bytes) => out.extend_from_slice(bytes),
        }
    }
    let len = out.len();
    if len > 0 {
        match *corruption {
            Corruption::None => {}
            Corruption::FlipBit(i) => out[i / 8 % len] ^= 1 << (i % 8),
            Corruption::Cut(i) => out.truncate(i % len),
            Corruption::Insert(i, b) => out.insert(i % len, b),
        }
    }
    out
}

fn check(role: Role, config: Config, bytes: &[u8], sizes: &[usize]) -> Outcome {
    let expected = model::decode(role, &config, bytes);
    let whole = engine_transcript(role, config, bytes, &[]);
    assert_eq!(whole, expected, "whole");
    let split = engine_transcript(role, config, bytes, sizes);
    assert_eq!(split, expected, "split {sizes:?}");
    expected.outcome
}

proptest! {
    #[test]
    fn server_agrees_with_model(
        msgs in prop::collection::vec(msg(), 0..8),
        corruption in corruption(),
        sizes in prop::collection::vec(1usize..40, 0..4),
    ) {
        let bytes = stream(Role::Server, &msgs, &corruption);
        check(Role::Server, MODEL_CONFIG, &bytes, &sizes);
        check(Role::Server, Config::new(), &bytes, &sizes);
    }

    #[test]
    fn client_agrees_with_model(
        msgs in prop::collection::vec(msg(), 0..8),
        corruption in corruption(),
        sizes in prop::collection::vec(1usize..40, 0..4),
    ) {
        let bytes = stream(Role::Client, &msgs, &corruption);
        check(Role::Client, MODEL_CONFIG, &bytes, &sizes);
        check(Role::Client, Config::new(), &bytes, &sizes);
    }

    #[test]
    fn arbitrary_bytes_agree_with_model(
        bytes in prop::collection::vec(any::<u8>(), 0..64),
        sizes in prop::collection::vec(1usize..8, 0..4),
    ) {
        check(Role::Server, MODEL_CONFIG, &bytes, &sizes);
        check(Role::Client, MODEL_CONFIG, &bytes, &sizes);
    }
}

/// The generator reaches every outcome (otherwise the properties above prove little).
#[test]
fn generated_streams_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (prop::collection::vec(msg(), 0..8), corruption());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..300 {
        let (msgs, corruption) = strategy.new_tree(&mut runner).unwrap().current();
        let bytes = stream(Role::Server, &msgs, &corruption);
        let outcome = check(Role::Server, MODEL_CONFIG, &bytes, &[3]);
        seen.insert(format!("{outcome:?}"));
    }
    for expected in [
        "Closed",
        "Incomplete",
        "Violation(1002)",
        "Violation(1007)",
        "Violation(1009)",
    ] {
        assert!(
            seen.contains(expected),
            "{expected} never reached: {seen:?}"
        );
    }
}
