//! Workload data shared by `benches/throughput.rs` (against limits) and
//! `compare/benches/peers.rs` (against peer crates), so both measure the same bytes.

use wsmachine::{FrameHeader, MaskKey, Masker, Opcode};

/// A deterministic key sequence (benchmarks only: real clients need a CSPRNG).
pub(crate) fn lcg_keys(seed: u32) -> impl FnMut() -> MaskKey {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        MaskKey(state.to_be_bytes())
    }
}

/// Appends one masked client frame.
pub(crate) fn push_frame(
    wire: &mut Vec<u8>,
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    key: MaskKey,
) {
    let header = FrameHeader {
        fin,
        rsv: 0,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut head = [0u8; 14];
    let n = header.encode(&mut head).unwrap();
    wire.extend_from_slice(&head[..n]);
    let start = wire.len();
    wire.extend_from_slice(payload);
    Masker::new(key).apply(&mut wire[start..]);
}

pub(crate) fn chinese_text(len: usize) -> Vec<u8> {
    let sample = "我能吞下玻璃而不伤身体。天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。\
                  春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。";
    let mut text = String::with_capacity(len);
    'fill: loop {
        for c in sample.chars() {
            if text.len() + c.len_utf8() > len {
                break 'fill;
            }
            text.push(c);
        }
    }
    while text.len() < len {
        text.push(' ');
    }
    text.into_bytes()
}

pub(crate) fn binary_payload(len: usize, seed: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ seed) as u8)
        .collect()
}

/// A Chrome upgrade request, padded with a cookie to the 558 bytes.
pub(crate) fn browser_request() -> Vec<u8> {
    let head = "GET /chat?room=lobby HTTP/1.1\r\n\
        Host: chat.example.com\r\n\
        Connection: Upgrade\r\n\
        Pragma: no-cache\r\n\
        Cache-Control: no-cache\r\n\
        User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
        Chrome/131.0.0.0 Safari/537.36\r\n\
        Upgrade: websocket\r\n\
        Origin: https://chat.example.com\r\n\
        Sec-WebSocket-Version: 13\r\n\
        Accept-Encoding: gzip, deflate, br, zstd\r\n\
        Accept-Language: en-US,en;q=0.9\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
    let cookie = "Cookie: session=";
    let pad = 558 - head.len() - cookie.len() - 4;
    let request = format!("{head}{cookie}{}\r\n\r\n", "7".repeat(pad));
    assert_eq!(request.len(), 558);
    request.into_bytes()
}

/// W5's message `i`: 1 MiB of binary split into 1 KiB frames (Binary, then Continuations).
pub(crate) fn kib_fragments(i: usize) -> Vec<(Opcode, bool, Vec<u8>)> {
    const KIB: usize = 1024;
    let payload = binary_payload(KIB * KIB, i);
    let frames = payload.chunks(KIB).count();
    payload
        .chunks(KIB)
        .enumerate()
        .map(|(j, part)| {
            let opcode = match j {
                0 => Opcode::Binary,
                _ => Opcode::Continuation,
            };
            (opcode, j + 1 == frames, part.to_vec())
        })
        .collect()
}
