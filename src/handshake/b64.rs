//! Table-driven base64 for the handshake's two values on hosted targets: the 16-byte
//! `Sec-WebSocket-Key` and the 20-byte SHA-1 behind `Sec-WebSocket-Accept`.
//!
//! Not constant-time, on purpose: both values travel in clear text in the HTTP heads, and
//! the key is a nonce that shows the server read a WebSocket handshake (RFC 6455 §1.3),
//! not a secret, so no secret flows through this code and its timing reveals nothing an
//! eavesdropper lacks. `base64ct` (constant-time: about 1,460 instructions for the two
//! values in the W7 profile) stays the reference the tests compare with; this costs about
//! 330.
//! Firmware uses `small`'s base64 instead (less flash than the 256-byte table).

/// The standard alphabet (RFC 4648 §4).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Marks a byte outside the alphabet in [`DECODE`]: its top bits are set, which no sextet
/// has, so one OR over all the looked-up values tells whether any input byte was bad.
const INVALID: u8 = 0xff;

/// Each byte's sextet, or [`INVALID`] (`=` included: padding is checked by position).
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)] // compile time: a bad
// index fails the build, and `i < 64` fits a byte
static DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The alphabet character of the low six bits of `bits`.
#[inline]
fn char_of(bits: u32) -> u8 {
    // `& 63` keeps the index in range; the compiler drops the fallback.
    ALPHABET.get((bits & 63) as usize).copied().unwrap_or(b'A')
}

/// Padded standard base64 of `input`; `OUT` must be `4 * ceil(IN / 3)`, or the build fails
/// (callers use 16 → 24 and 20 → 28, where `IN % 3` is 1 and 2: one or two `=`).
#[inline]
pub(crate) fn encode<const IN: usize, const OUT: usize>(input: &[u8; IN]) -> [u8; OUT] {
    // Checked when the build instantiates it: no run-time code.
    const { assert!(OUT == 4 * IN.div_ceil(3), "OUT must be the padded length") };
    let mut out = [b'='; OUT];
    let (groups, tail) = input.as_chunks::<3>();
    let (quads, rest) = out.as_chunks_mut::<4>();
    for ([a, b, c], quad) in groups.iter().zip(quads.iter_mut()) {
        let n = u32::from(*a) << 16 | u32::from(*b) << 8 | u32::from(*c);
        *quad = [
            char_of(n >> 18),
            char_of(n >> 12),
            char_of(n >> 6),
            char_of(n),
        ];
    }
    // The last, partial group: its missing bytes count as zero and their characters stay
    // `=` (`rest` is empty: `OUT` is a multiple of 4).
    let last = quads
        .get_mut(groups.len())
        .map_or(rest, |q| q.as_mut_slice());
    match *tail {
        [a] => {
            let n = u32::from(a) << 16;
            put(last, [char_of(n >> 18), char_of(n >> 12)]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            put(last, [char_of(n >> 18), char_of(n >> 12), char_of(n >> 6)]);
        }
        _ => {}
    }
    out
}

fn put<const N: usize>(dst: &mut [u8], chars: [u8; N]) {
    for (d, c) in dst.iter_mut().zip(chars) {
        *d = c;
    }
}

/// Decodes a `Sec-WebSocket-Key` value: canonical padded base64 of exactly 16 bytes (22
/// alphabet characters, `==`, zero bits under the padding), the same inputs `base64ct`
/// accepts with a 16-byte result; anything else is `None`.
pub(crate) fn decode_key(encoded: &[u8]) -> Option<[u8; 16]> {
    let (body, b"==") = encoded.split_first_chunk::<22>()? else {
        return None;
    };
    let mut sextets = [0u8; 22];
    let mut seen = 0u8;
    for (s, &c) in sextets.iter_mut().zip(body) {
        *s = DECODE.get(usize::from(c)).copied().unwrap_or(INVALID);
        seen |= *s;
    }
    if seen & 0xc0 != 0 {
        return None; // a byte outside the alphabet ('=' included)
    }
    let mut out = [0u8; 16];
    let (groups, [y, z]) = sextets.as_chunks::<4>() else {
        return None; // 22 = 5 * 4 + 2: never taken
    };
    for ([a, b, c, d], bytes) in groups.iter().zip(out.as_chunks_mut::<3>().0) {
        let n = u32::from(*a) << 18 | u32::from(*b) << 12 | u32::from(*c) << 6 | u32::from(*d);
        let [_, b0, b1, b2] = n.to_be_bytes();
        *bytes = [b0, b1, b2];
    }
    // The last two characters carry 12 bits: the key's 16th byte and 4 that must be zero
    // (RFC 4648 §3.5: a canonical encoding; base64ct refuses the others too).
    if z & 0x0f != 0 {
        return None;
    }
    let [_, last] = (u16::from(*y) << 2 | u16::from(*z) >> 4).to_be_bytes();
    if let Some(o) = out.last_mut() {
        *o = last;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};

    /// A xorshift stream: many inputs, reproducible.
    fn pseudo_random(seed: u32) -> impl Iterator<Item = u8> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        core::iter::repeat_with(move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
    }

    fn reference_decode(encoded: &[u8]) -> Option<[u8; 16]> {
        let mut out = [0u8; 16];
        let decoded = Base64::decode(encoded, &mut out).ok()?;
        <[u8; 16]>::try_from(decoded).ok()
    }

    #[test]
    fn encode_matches_base64ct_on_many_random_inputs() {
        for seed in 0..5_000 {
            let mut bytes = pseudo_random(seed);
            let key: [u8; 16] = core::array::from_fn(|_| bytes.next().unwrap());
            let digest: [u8; 20] = core::array::from_fn(|_| bytes.next().unwrap());
            let mut want = [0u8; 24];
            Base64::encode(&key, &mut want).unwrap();
            assert_eq!(encode::<16, 24>(&key), want, "{key:?}");
            let mut want = [0u8; 28];
            Base64::encode(&digest, &mut want).unwrap();
            assert_eq!(encode::<20, 28>(&digest), want, "{digest:?}");
        }
        assert_eq!(
            &encode::<16, 24>(b"the sample nonce"),
            b"dGhlIHNhbXBsZSBub25jZQ=="
        );
    }

    #[test]
    fn decode_key_round_trips_and_agrees_with_base64ct_on_random_text() {
        let (mut valid, mut invalid) = (0, 0);
        for seed in 0..20_000 {
            let mut bytes = pseudo_random(seed);
            let key: [u8; 16] = core::array::from_fn(|_| bytes.next().unwrap());
            assert_eq!(decode_key(&encode::<16, 24>(&key)), Some(key));
            // 24 random characters, mostly from the alphabet, `=` more often at the end,
            // now and then any byte: both decoders must agree on every one.
            let text: [u8; 24] = core::array::from_fn(|pos| {
                let b = bytes.next().unwrap();
                match (b % 32, pos) {
                    (0, _) => b,
                    (1..=16, 22..) | (1, _) => b'=',
                    // Zero bits under the padding, half of the time.
                    (2..=16, 21) => ALPHABET[usize::from(b % 4) * 16],
                    _ => ALPHABET[usize::from(b) % 64],
                }
            });
            let want = reference_decode(&text);
            assert_eq!(decode_key(&text), want, "{text:?}");
            if want.is_some() {
                valid += 1
            } else {
                invalid += 1
            }
            // Valid but for the last data character: canonical only when its low 4 bits
            // are zero.
            let mut text = encode::<16, 24>(&key);
            text[21] = ALPHABET[usize::from(bytes.next().unwrap()) % 64];
            assert_eq!(decode_key(&text), reference_decode(&text), "{text:?}");
        }
        // Both verdicts were exercised, many times.
        assert!(
            valid > 500 && invalid > 500,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn decode_key_agrees_with_base64ct_on_every_byte_at_every_position() {
        let valid = encode::<16, 24>(b"\x00\x10\x83\x10Q\x87 \x92\x8b0\xd3\x8fA\x14\x93Q");
        for pos in 0..24 {
            for byte in 0..=255u8 {
                let mut text = valid;
                text[pos] = byte;
                assert_eq!(decode_key(&text), reference_decode(&text), "{pos} {byte}");
            }
        }
    }

    #[test]
    fn decode_key_refuses_what_base64ct_refuses() {
        for &bad in crate::handshake::accept::tests::BAD_KEYS {
            assert_eq!(decode_key(bad), None, "{bad:?}");
            assert_eq!(reference_decode(bad), None, "{bad:?}");
        }
    }
}
