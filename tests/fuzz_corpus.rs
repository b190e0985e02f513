//! Every fuzz harness over its checked-in corpus (fuzz/corpus/<target>/), as ordinary
//! tests, so stable CI exercises the same assertions without cargo-fuzz.
//! Run with `cargo test --features _fuzzing --test fuzz_corpus`.
#![cfg(feature = "_fuzzing")]

mod model;

use std::path::Path;

use wsmachine::fuzzing;

fn each_input(target: &str, harness: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| harness(&data)));
        assert!(result.is_ok(), "{} failed", path.display());
        count += 1;
    }
    assert!(count > 0, "empty corpus {}", dir.display());
}

#[test]
fn server_session_corpus() {
    each_input("server_session", fuzzing::server_session);
}

#[test]
fn client_session_corpus() {
    each_input("client_session", fuzzing::client_session);
}

#[test]
fn frames_vs_model_corpus() {
    each_input("frames_vs_model", |data| {
        fuzzing::frames_vs_model(data, model::decode)
    });
}

#[test]
fn roundtrip_corpus() {
    each_input("roundtrip", fuzzing::roundtrip);
}

#[test]
fn handshake_request_corpus() {
    each_input("handshake_request", fuzzing::handshake_request);
}

#[test]
fn handshake_response_corpus() {
    each_input("handshake_response", fuzzing::handshake_response);
}

#[test]
fn utf8_corpus() {
    each_input("utf8", fuzzing::utf8);
}
