//! Small-code SHA-1 and base64 for firmware (`target_os = "none"`).
//!
//! The handshake hashes about 60 bytes once per connection, so on a microcontroller code
//! size matters more than speed: a rolled SHA-1 (16-word circular schedule) and a plain
//! base64 save about 3 KB of flash against `sha1_smol` and `base64ct`, which are 2-3x
//! faster and stay the hosted choice. Host tests check both against the crates.

/// Streaming SHA-1 (FIPS 180-4), one byte at a time.
pub(crate) struct Sha1 {
    state: [u32; 5],
    /// The block being filled, as big-endian words: `compress` then runs the message
    /// schedule in place, with no second 64-byte array on the stack.
    block: [u32; 16],
    /// Bytes hashed so far. 32 bits (the handshake hashes 60 bytes): a word-aligned state
    /// is zeroed and copied by the word routines the firmware links anyway, not the
    /// 8-byte ones (-330 B on the client firmware).
    len: u32,
}

impl Sha1 {
    /// The initial state.
    pub(crate) const fn new() -> Self {
        Self {
            state: [
                0x6745_2301,
                0xEFCD_AB89,
                0x98BA_DCFE,
                0x1032_5476,
                0xC3D2_E1F0,
            ],
            block: [0; 16],
            len: 0,
        }
    }

    /// Hashes `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        for &byte in data {
            self.push(byte);
        }
    }

    fn push(&mut self, byte: u8) {
        // `& 15` keeps the index in bounds; `get_mut` keeps the code panic-free regardless.
        let at = (self.len & 63) as usize;
        if let Some(word) = self.block.get_mut((at >> 2) & 15) {
            let shift = 24 - 8 * (at & 3);
            // The first byte of a word starts it afresh (the block is reused).
            let kept = if at & 3 == 0 { 0 } else { *word };
            *word = kept | u32::from(byte) << shift;
        }
        self.len = self.len.wrapping_add(1);
        if self.len & 63 == 0 {
            self.compress();
        }
    }

    fn compress(&mut self) {
        let w = &mut self.block;
        let [mut a, mut b, mut c, mut d, mut e] = self.state;
        for t in 0..80usize {
            let slot = t & 15;
            let word = if t < 16 {
                w.get(slot).copied().unwrap_or_default()
            } else {
                let at = |back: usize| w.get((t + 16 - back) & 15).copied().unwrap_or_default();
                let word = (at(3) ^ at(8) ^ at(14) ^ at(16)).rotate_left(1);
                if let Some(s) = w.get_mut(slot) {
                    *s = word;
                }
                word
            };
            let (f, k) = match t / 20 {
                0 => ((b & c) | (!b & d), 0x5A82_7999),
                1 => (b ^ c ^ d, 0x6ED9_EBA1),
                2 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d, e]) {
            *s = s.wrapping_add(v);
        }
    }

    /// Pads, finishes and returns the 20-byte digest.
    pub(crate) fn digest(&mut self) -> [u8; 20] {
        let bits = u64::from(self.len).wrapping_mul(8);
        self.push(0x80);
        while self.len & 63 != 56 {
            self.push(0);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; 20];
        // A plain loop: `flat_map` over the words linked core's flatten adapter (64 B).
        for (i, o) in out.iter_mut().enumerate() {
            let word = self.state.get(i / 4).copied().unwrap_or_default();
            *o = (word >> (24 - 8 * (i % 4))) as u8;
        }
        out
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Padded standard base64 of `input` into `out`, which must hold exactly
/// `4 * ceil(len / 3)` bytes (callers pass fixed sizes: 16 → 24, 20 → 28).
pub(crate) fn encode(input: &[u8], out: &mut [u8]) {
    for (group, chunk) in out.chunks_exact_mut(4).zip(input.chunks(3)) {
        let byte = |i: usize| chunk.get(i).copied().map_or(0, u32::from);
        let n = byte(0) << 16 | byte(1) << 8 | byte(2);
        for (i, o) in group.iter_mut().enumerate() {
            *o = if i > chunk.len() {
                b'='
            } else {
                let sextet = (n >> (18 - 6 * i)) & 63;
                ALPHABET.get(sextet as usize).copied().unwrap_or(b'=')
            };
        }
    }
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Decodes a 24-byte `Sec-WebSocket-Key` to its 16 bytes: canonical padded base64 only
/// (22 alphabet characters, `==`, and zero bits under the padding), as `base64ct` does.
pub(crate) fn decode_key(encoded: &[u8]) -> Option<[u8; 16]> {
    let (body, pad) = encoded.split_at_checked(22)?;
    if pad != b"==" {
        return None;
    }
    let mut out = [0u8; 16];
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut at = 0usize;
    for &c in body {
        acc = acc << 6 | sextet(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            *out.get_mut(at)? = u8::try_from(acc >> bits).ok()?;
            at += 1;
            acc &= (1 << bits) - 1;
        }
    }
    // 22 characters carry 132 bits: 128 of key and 4 that must be zero.
    (at == 16 && acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64, Encoding};
    use std::vec::Vec;

    fn pseudo_random(seed: u32, len: usize) -> impl Iterator<Item = u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..len).map(move |_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
    }

    #[test]
    fn sha1_matches_sha1_smol_at_every_length_around_block_edges() {
        for len in 0..300 {
            let data: Vec<u8> = pseudo_random(len as u32, len).collect();
            let mut small = Sha1::new();
            // Split updates too, so that streaming across blocks is covered.
            let (a, b) = data.split_at(len / 3);
            small.update(a);
            small.update(b);
            assert_eq!(
                small.digest(),
                sha1_smol::Sha1::from(&data).digest().bytes(),
                "{len}"
            );
        }
    }

    #[test]
    fn encode_matches_base64ct() {
        for seed in 0..200 {
            let key: Vec<u8> = pseudo_random(seed, 16).collect();
            let digest: Vec<u8> = pseudo_random(seed + 1000, 20).collect();
            let (mut a, mut b) = ([0u8; 24], [0u8; 24]);
            encode(&key, &mut a);
            Base64::encode(&key, &mut b).unwrap();
            assert_eq!(a, b);
            let (mut a, mut b) = ([0u8; 28], [0u8; 28]);
            encode(&digest, &mut a);
            Base64::encode(&digest, &mut b).unwrap();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn decode_key_agrees_with_base64ct_on_valid_and_invalid_keys() {
        let mut encoded = [0u8; 24];
        for seed in 0..200 {
            let key: Vec<u8> = pseudo_random(seed, 16).collect();
            encode(&key, &mut encoded);
            assert_eq!(decode_key(&encoded).map(Vec::from), Some(key));
            // Every byte value at every position: both decoders accept or refuse alike.
            for pos in [0, 7, 20, 21, 22, 23] {
                for byte in 0..=255u8 {
                    let mut bad = encoded;
                    bad[pos] = byte;
                    let mut out = [0u8; 16];
                    let reference = Base64::decode(bad, &mut out)
                        .ok()
                        .filter(|d| d.len() == 16)
                        .map(|d| <[u8; 16]>::try_from(d).unwrap());
                    assert_eq!(decode_key(&bad), reference, "{:?}", bad);
                }
            }
        }
    }
}
