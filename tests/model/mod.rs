//! The reference model: RFC 6455 frame decoding written for obviousness, not speed.
//!
//! It decodes the whole byte stream one upgraded endpoint receives (a server receiving
//! masked client frames, or a client receiving unmasked server frames) into the messages
//! (whole), control frames and the outcome. It shares no code with the engine: it reads
//! bytes with plain indexing over a `Vec`, keeps whole messages in memory and validates
//! text with `std::str::from_utf8` on the full message so far.
//!
//! Rules are checked as soon as the bytes that decide them are present, in wire order:
//! byte 0 (RSV, opcode), byte 1 (control FIN and length), the extended length (top bit,
//! minimal encoding), then, once the whole header including any masking key is in, the
//! masking direction and the message rules (continuation, frame/message/fragment limits).
//! A text message fails as soon as its bytes so far can no longer start valid UTF-8.
#![allow(dead_code, unreachable_pub)] // each including crate uses a different subset

use wsmachine::fuzzing::{Item, Outcome, Transcript};
use wsmachine::{Config, Role};

const PROTOCOL_ERROR: u16 = 1002;
const INVALID_PAYLOAD: u16 = 1007;
const POLICY_VIOLATION: u16 = 1008;
const MESSAGE_TOO_BIG: u16 = 1009;

/// Decodes everything `role` receives in `stream`, under `config`'s limits.
pub fn decode(role: Role, config: &Config, stream: &[u8]) -> Transcript {
    let mut items = Vec::new();
    let outcome = decode_into(role, config, stream, &mut items);
    Transcript { items, outcome }
}

/// A message being received: its kind (1 text, 2 binary), bytes so far, frames so far.
struct Partial {
    opcode: u8,
    bytes: Vec<u8>,
    frames: u64,
    declared_len: u64,
}

fn decode_into(role: Role, config: &Config, stream: &[u8], items: &mut Vec<Item>) -> Outcome {
    let mut at = 0; // index of the next unread byte
    let mut message: Option<Partial> = None;
    loop {
        // --- byte 0 ---
        let Some(&b0) = stream.get(at) else {
            return Outcome::Incomplete;
        };
        let fin = b0 & 0x80 != 0;
        let rsv = b0 & 0x70;
        let opcode = b0 & 0x0f;
        if rsv != 0 {
            return Outcome::Violation(PROTOCOL_ERROR);
        }
        let is_control = opcode >= 8;
        if ![0, 1, 2, 8, 9, 10].contains(&opcode) {
            return Outcome::Violation(PROTOCOL_ERROR);
        }
        // --- byte 1 ---
        let Some(&b1) = stream.get(at + 1) else {
            return Outcome::Incomplete;
        };
        let masked = b1 & 0x80 != 0;
        let len7 = u64::from(b1 & 0x7f);
        if is_control && (!fin || len7 > 125) {
            return Outcome::Violation(PROTOCOL_ERROR);
        }
        // --- extended length ---
        let ext_len = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let Some(ext) = stream.get(at + 2..at + 2 + ext_len) else {
            return Outcome::Incomplete;
        };
        let mut payload_len = len7;
        if ext_len > 0 {
            payload_len = ext.iter().fold(0u64, |acc, &b| acc * 256 + u64::from(b));
            if ext_len == 8 && payload_len >= 1 << 63 {
                return Outcome::Violation(PROTOCOL_ERROR);
            }
            let smallest = if ext_len == 2 { 126 } else { 65_536 };
            if payload_len < smallest {
                return Outcome::Violation(PROTOCOL_ERROR);
            }
        }
        // --- masking key ---
        let key_len = if masked { 4 } else { 0 };
        let header_len = 2 + ext_len + key_len;
        let Some(key) = stream.get(at + 2 + ext_len..at + header_len) else {
            return Outcome::Incomplete;
        };
        let key = key.to_vec();
        // --- rules needing the whole header ---
        let must_be_masked = matches!(role, Role::Server);
        if masked != must_be_masked {
            return Outcome::Violation(PROTOCOL_ERROR);
        }
        if !is_control {
            match (opcode, &message) {
                (0, None) => return Outcome::Violation(PROTOCOL_ERROR),
                (1 | 2, Some(_)) => return Outcome::Violation(PROTOCOL_ERROR),
                (1 | 2, None) => {
                    message = Some(Partial {
                        opcode,
                        bytes: Vec::new(),
                        frames: 0,
                        declared_len: 0,
                    });
                }
                _ => {}
            }
            let partial = message.as_mut().unwrap();
            if payload_len > config.max_frame_len() {
                return Outcome::Violation(MESSAGE_TOO_BIG);
            }
            partial.declared_len = partial.declared_len.saturating_add(payload_len);
            if partial.declared_len > config.max_message_len() {
                return Outcome::Violation(MESSAGE_TOO_BIG);
            }
            partial.frames += 1;
            if partial.frames > u64::from(config.max_fragments()) {
                return Outcome::Violation(POLICY_VIOLATION);
            }
        }
        // --- payload (possibly cut short by the end of the stream) ---
        at += header_len;
        let available = (stream.len() - at) as u64;
        let complete = available >= payload_len;
        let take = payload_len.min(available) as usize;
        let payload: Vec<u8> = stream[at..at + take]
            .iter()
            .enumerate()
            .map(|(i, b)| if masked { b ^ key[i % 4] } else { *b })
            .collect();
        at += take;
        if is_control {
            if !complete {
                return Outcome::Incomplete;
            }
            match opcode {
                9 => items.push(Item::Ping(payload)),
                10 => items.push(Item::Pong(payload)),
                _ => return close(&payload, items),
            }
            continue;
        }
        let partial = message.as_mut().unwrap();
        partial.bytes.extend_from_slice(&payload);
        if partial.opcode == 1 && !could_become_utf8(&partial.bytes) {
            return Outcome::Violation(INVALID_PAYLOAD);
        }
        if !complete {
            return Outcome::Incomplete;
        }
        if fin {
            let partial = message.take().unwrap();
            if partial.opcode == 1 {
                match String::from_utf8(partial.bytes) {
                    Ok(text) => items.push(Item::Text(text)),
                    Err(_) => return Outcome::Violation(INVALID_PAYLOAD),
                }
            } else {
                items.push(Item::Binary(partial.bytes));
            }
        }
    }
}

/// A Close payload: empty (1005), or a 2-byte code valid on the wire and a UTF-8 reason.
fn close(payload: &[u8], items: &mut Vec<Item>) -> Outcome {
    if payload.is_empty() {
        items.push(Item::Close(1005, String::new()));
        return Outcome::Closed;
    }
    if payload.len() == 1 {
        return Outcome::Violation(PROTOCOL_ERROR);
    }
    let code = u16::from(payload[0]) * 256 + u16::from(payload[1]);
    let valid = (1000..=1003).contains(&code)
        || (1007..=1014).contains(&code)
        || (3000..=4999).contains(&code);
    if !valid {
        return Outcome::Violation(PROTOCOL_ERROR);
    }
    match std::str::from_utf8(&payload[2..]) {
        Ok(reason) => {
            items.push(Item::Close(code, reason.to_string()));
            Outcome::Closed
        }
        Err(_) => Outcome::Violation(INVALID_PAYLOAD),
    }
}

/// Whether some continuation could make `bytes` valid UTF-8: any error must be "the
/// input ended too soon", not an invalid byte.
fn could_become_utf8(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}
