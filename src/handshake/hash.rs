//! SHA-1 (FIPS 180-4) of the one message the opening handshake hashes, on hosted targets:
//! a 24-byte `Sec-WebSocket-Key` followed by the 36-byte GUID.
//!
//! That message is always 60 bytes, so it always pads to the same two blocks: the key and
//! GUID with the 0x80 padding byte, then a block of zeros ending in the bit length 480.
//! The second block is the same for every key: its message schedule (with the round
//! constants added) is computed at compile time, leaving its 80 rounds only. The rounds
//! are unrolled five at a time, so the five working variables never move between
//! registers. In the W7 profile this takes 2,246 instructions where `sha1_smol` took 2,915
//! for the same two blocks. Other lengths (through the public `accept_key`) still go to `sha1_smol`;
//! firmware uses `small`'s rolled SHA-1 (less flash).

/// The initial hash value (FIPS 180-4 §5.3.1).
const H0: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// The round constants, one per 20 rounds (FIPS 180-4 §4.2.1).
const K: [u32; 4] = [0x5A82_7999, 0x6ED9_EBA1, 0x8F1B_BCDC, 0xCA62_C1D6];

/// Words 6..16 of the first block: the GUID's 36 bytes, then 0x80 and three zero bytes.
#[allow(clippy::indexing_slicing)] // compile time: a bad index fails the build
const GUID_WORDS: [u32; 10] = {
    let guid = super::accept::GUID;
    let mut words = [0u32; 10];
    let mut i = 0;
    while i < 36 {
        words[i / 4] |= (guid[i] as u32) << (24 - 8 * (i % 4));
        i += 1;
    }
    words[9] = 0x8000_0000;
    words
};

/// The second block's schedule with each round's constant added: 14 zero words, the
/// high and low words of the bit length (60 × 8 = 480), expanded at compile time.
#[allow(clippy::indexing_slicing)] // compile time: a bad index fails the build
static SECOND_BLOCK: [[u32; 20]; 4] = {
    let mut w = [0u32; 80];
    w[15] = 480;
    let mut t = 16;
    while t < 80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
        t += 1;
    }
    let mut out = [[0u32; 20]; 4];
    let mut t = 0;
    while t < 80 {
        out[t / 20][t % 20] = w[t].wrapping_add(K[t / 20]);
        t += 1;
    }
    out
};

/// SHA-1 of `key` followed by the GUID.
pub(crate) fn key_and_guid(key: &[u8; 24]) -> [u8; 20] {
    let mut block = [0u32; 16];
    let (key_words, guid_words) = block.split_at_mut(6);
    for (w, bytes) in key_words.iter_mut().zip(key.as_chunks::<4>().0) {
        *w = u32::from_be_bytes(*bytes);
    }
    for (w, g) in guid_words.iter_mut().zip(GUID_WORDS) {
        *w = g;
    }
    let mut state = H0;
    rounds(&mut state, &schedule(&block), K);
    // The constants are in the table already: add zero.
    rounds(&mut state, &SECOND_BLOCK, [0; 4]);
    let mut out = [0u8; 20];
    for (bytes, word) in out.as_chunks_mut::<4>().0.iter_mut().zip(state) {
        *bytes = word.to_be_bytes();
    }
    out
}

/// The 80-word message schedule of `block` (FIPS 180-4 §6.1.2 step 1), in rounds of 20.
#[inline]
fn schedule(block: &[u32; 16]) -> [[u32; 20]; 4] {
    let mut out = [[0u32; 20]; 4];
    let w = out.as_flattened_mut();
    for (slot, &word) in w.iter_mut().zip(block) {
        *slot = word;
    }
    for t in 16..80 {
        // In bounds for every t of the range: the compiler drops the fallbacks.
        let at = |back: usize| w.get(t - back).copied().unwrap_or(0);
        let word = (at(3) ^ at(8) ^ at(14) ^ at(16)).rotate_left(1);
        if let Some(slot) = w.get_mut(t) {
            *slot = word;
        }
    }
    out
}

/// The 80 rounds over one block's schedule `w`, adding `k` (FIPS 180-4 §6.1.2 steps 2–4).
#[inline(always)]
fn rounds(state: &mut [u32; 5], w: &[[u32; 20]; 4], k: [u32; 4]) {
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    let [w0, w1, w2, w3] = w;
    let [k0, k1, k2, k3] = k;
    // Five rounds with the variables' roles renamed, instead of moved, after each one:
    // after five the roles are back where they started.
    macro_rules! five {
        ($words:expr, $k:expr, $f:expr) => {
            for [x0, x1, x2, x3, x4] in $words.as_chunks::<5>().0 {
                let f = $f;
                e = e.wrapping_add(a.rotate_left(5)).wrapping_add(f(b, c, d));
                e = e.wrapping_add($k).wrapping_add(*x0);
                b = b.rotate_left(30);
                d = d.wrapping_add(e.rotate_left(5)).wrapping_add(f(a, b, c));
                d = d.wrapping_add($k).wrapping_add(*x1);
                a = a.rotate_left(30);
                c = c.wrapping_add(d.rotate_left(5)).wrapping_add(f(e, a, b));
                c = c.wrapping_add($k).wrapping_add(*x2);
                e = e.rotate_left(30);
                b = b.wrapping_add(c.rotate_left(5)).wrapping_add(f(d, e, a));
                b = b.wrapping_add($k).wrapping_add(*x3);
                d = d.rotate_left(30);
                a = a.wrapping_add(b.rotate_left(5)).wrapping_add(f(c, d, e));
                a = a.wrapping_add($k).wrapping_add(*x4);
                c = c.rotate_left(30);
            }
        };
    }
    five!(w0, k0, |x: u32, y: u32, z: u32| z ^ (x & (y ^ z))); // Ch
    five!(w1, k1, |x: u32, y: u32, z: u32| x ^ y ^ z); // Parity
    five!(w2, k2, |x: u32, y: u32, z: u32| (x & y) | (z & (x | y))); // Maj
    five!(w3, k3, |x: u32, y: u32, z: u32| x ^ y ^ z); // Parity
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn reference(key: &[u8]) -> [u8; 20] {
        let mut sha = sha1_smol::Sha1::new();
        sha.update(key);
        sha.update(super::super::accept::GUID);
        sha.digest().bytes()
    }

    #[test]
    fn matches_sha1_smol_on_many_random_keys() {
        let mut x = 0x9E37_79B9u32;
        for _ in 0..20_000 {
            let key: Vec<u8> = (0..24)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x.to_le_bytes()[0]
                })
                .collect();
            let key: [u8; 24] = key.try_into().unwrap();
            assert_eq!(key_and_guid(&key), reference(&key), "{key:?}");
        }
    }

    #[test]
    fn rfc_6455_section_1_3_digest() {
        // base64 of this digest is "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" (RFC 6455 §1.3).
        let digest = key_and_guid(b"dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(
            digest,
            [
                0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6, 0x46, 0x06, 0xcf, 0x38,
                0x59, 0x45, 0xb2, 0xbe, 0xc4, 0xea
            ]
        );
        // Extreme keys: all zero and all ones bits.
        for key in [[0u8; 24], [0xff; 24]] {
            assert_eq!(key_and_guid(&key), reference(&key));
        }
    }
}
