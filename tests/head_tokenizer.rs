//! The engine's own HTTP/1.1 head tokenizer against httparse (its predecessor, kept as the
//! oracle): the same tokens or the same failure for hand-picked heads, the fuzz corpora
//! and generated heads built from valid and broken pieces.
//! Run with `cargo test --features _fuzzing --test head_tokenizer`.
#![cfg(feature = "_fuzzing")]

mod head_oracle;

use std::path::Path;

use proptest::prelude::*;
use wsmachine::fuzzing::{self, tokenizer_vs};
use wsmachine::{HandshakeFailure, Role};

const GOOD_REQUEST: &str = "GET /chat?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n";

fn check(role: Role, head: &[u8]) {
    // A first byte below 8 would set the small header limit; these heads start with text.
    tokenizer_vs(role, head, head_oracle::tokenize);
}

#[test]
fn hand_picked_requests_agree_with_httparse() {
    let cases: &[&[u8]] = &[
        GOOD_REQUEST.as_bytes(),
        b"\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\n\n",
        b"GET / HTTP/1.1\r\nHost:a\r\nX:\r\nY: \t\r\n\r\n",
        b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.2\r\nHost: a\r\n\r\n",
        b"GET / http/1.1\r\n\r\n",
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1 \r\n\r\n",
        b"GET /\x7f HTTP/1.1\r\n\r\n",
        b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
        b"GET /\xc3 HTTP/1.1\r\n\r\n",
        b"G\xc3\xa9T / HTTP/1.1\r\n\r\n",
        b" GET / HTTP/1.1\r\n\r\n",
        b"GET HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        b"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\x00\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: caf\xc3\xa9 \xff\r\n\r\n",
        b"GET / HTTP/1.1\r\n: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nA:b:c\r\n\r\n",
        b"GET / HTTP/1.1\r\nH\xc3\xa9: a\r\n\r\n",
        b"GET / HTTP/1.1\r\n\rX: y\r\n\r\n",
        b"\r\r\nGET / HTTP/1.1\r\n\r\n",
        b"\r\n\r\n",
    ];
    for head in cases {
        check(Role::Server, head);
    }
}

#[test]
fn hand_picked_responses_agree_with_httparse() {
    let cases: &[&[u8]] = &[
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        b"HTTP/1.1 101\r\n\r\n",
        b"HTTP/1.1 101 \r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\n",
        b"HTTP/1.1 1010 X\r\n\r\n",
        b"HTTP/1.1 10 X\r\n\r\n",
        b"HTTP/1.1 1a1 X\r\n\r\n",
        b"HTTP/1.1  101 X\r\n\r\n",
        b"HTTP/1.1 101 X\x01\r\n\r\n",
        b"HTTP/1.1 101 \xff\xfe\tok\r\n\r\n",
        b"HTTP/1.1 101 X\r\r\n\r\n",
        b"HTTP/1.1 101X\r\n\r\n",
        b"HTTP/1.1\r\n\r\n",
        b"HTTP/2 101\r\n\r\n",
        b"\nHTTP/1.1 404 Not Found\nContent-Length: 0\n\n",
        b"HTTP/1.1 101 OK\r\nA : b\r\n\r\n",
        b"HTTP/1.1 101 OK\r\nA: b\r\n c\r\n\r\n",
    ];
    for head in cases {
        check(Role::Client, head);
    }
}

#[test]
fn header_limit_counts_well_formed_lines_only() {
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    for _ in 0..3 {
        head.extend_from_slice(b"A: b\r\n");
    }
    head.extend_from_slice(b"\r\n");
    for max in 0..5 {
        let ours = fuzzing::tokenize(Role::Server, &head, max);
        assert_eq!(ours, head_oracle::tokenize(Role::Server, &head, max));
        assert_eq!(ours.is_ok(), max >= 3, "max {max}");
    }
    // A malformed line past the limit is malformed, as with httparse.
    let head = b"GET / HTTP/1.1\r\nA: b\r\nB : c\r\n\r\n";
    let ours = fuzzing::tokenize(Role::Server, head, 1);
    assert_eq!(ours, Err(HandshakeFailure::Malformed));
    assert_eq!(ours, head_oracle::tokenize(Role::Server, head, 1));
}

#[test]
fn fuzz_corpora_agree_with_httparse() {
    for (target, role) in [
        ("handshake_request", Role::Server),
        ("handshake_response", Role::Client),
        ("server_session", Role::Server),
        ("client_session", Role::Client),
    ] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        for entry in std::fs::read_dir(&dir).unwrap() {
            // A fuzzer running beside the test may remove a file between listing and reading.
            let Ok(data) = std::fs::read(entry.unwrap().path()) else {
                continue;
            };
            tokenizer_vs(role, &data, head_oracle::tokenize);
        }
    }
}

fn one_of(choices: &'static [&'static [u8]]) -> impl Strategy<Value = &'static [u8]> {
    prop::sample::select(choices)
}

const SP: &[&[u8]] = &[b" ", b" ", b" ", b"  ", b"\t", b""];
const EOL: &[&[u8]] = &[b"\r\n", b"\r\n", b"\n", b"\r\r\n", b"\r"];
const VERSION: &[&[u8]] = &[
    b"HTTP/1.1",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"HTTP/1.2",
    b"http/1.1",
    b"HTTP/1.1 ",
    b"HTTP/2",
];

/// A request line made of valid and broken parts.
fn request_line() -> impl Strategy<Value = Vec<u8>> {
    let method = one_of(&[b"GET", b"GET", b"POST", b"G\xc3\xa9T", b"", b"GE(T"]);
    let target = one_of(&[b"/", b"/a?b=c", b"", b"/\x7f", b"/\xc3\xa9", b"/\xc3", b"*"]);
    let parts = (
        method,
        one_of(SP),
        target,
        one_of(SP),
        one_of(VERSION),
        one_of(EOL),
    );
    parts.prop_map(|(m, s1, t, s2, v, e)| [m, s1, t, s2, v, e].concat())
}

/// A status line made of valid and broken parts.
fn status_line() -> impl Strategy<Value = Vec<u8>> {
    let code = one_of(&[b"101", b"101", b"200", b"10", b"1010", b"1a1", b""]);
    let reason = one_of(&[
        b" Switching Protocols",
        b"",
        b" ",
        b"X",
        b" \xff\t",
        b" \x01",
    ]);
    let parts = (one_of(VERSION), one_of(SP), code, reason, one_of(EOL));
    parts.prop_map(|(v, s, c, r, e)| [v, s, c, r, e].concat())
}

/// A header line made of valid and broken parts.
fn header_line() -> impl Strategy<Value = Vec<u8>> {
    let name = one_of(&[
        b"Host",
        b"x-a",
        b"",
        b"H\xc3\xa9",
        b" Host",
        b"Host ",
        b"\tA",
    ]);
    let colon = one_of(&[b":", b": ", b":\t", b"", b" :"]);
    let value = one_of(&[
        b"a", b"", b" \t", b"a \x00", b"a\x7f", b"\xff", b"a\rb", b"a:b", b"\"",
    ]);
    let parts = (name, colon, value, one_of(EOL));
    parts.prop_map(|(n, c, v, e)| [n, c, v, e].concat())
}

fn generated_head(start: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let leading = one_of(&[b"", b"", b"\r\n", b"\n", b"\r"]);
    let end = one_of(&[b"\r\n", b"\n"]);
    let headers = prop::collection::vec(header_line(), 0..10);
    (leading, start, headers, end).prop_map(|(leading, start, headers, end)| {
        [leading.to_vec(), start, headers.concat(), end.to_vec()].concat()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn generated_requests_agree_with_httparse(
        head in generated_head(request_line())
    ) {
        check(Role::Server, &head);
    }

    #[test]
    fn generated_responses_agree_with_httparse(
        head in generated_head(status_line())
    ) {
        check(Role::Client, &head);
    }

    #[test]
    fn arbitrary_bytes_agree_with_httparse(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(Role::Server, &bytes);
        check(Role::Client, &bytes);
    }
}
