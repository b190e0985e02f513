//! Masking ([RFC 6455 §5.3](https://www.rfc-editor.org/rfc/rfc6455#section-5.3)): byte `i` of
//! a payload is XORed with byte `i mod 4` of the frame's key.
//!
//! [`Masker`] remembers its phase, so a payload masked in any number of pieces gives the
//! same bytes as one pass. The bulk runs eight bytes at a time in safe code.

/// A frame's 4-byte masking key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct MaskKey(pub [u8; 4]);

/// Where clients get a fresh, unpredictable masking key for every frame.
///
/// RFC 6455 §10.3 asks for keys from a strong entropy source: seed a CSPRNG from the
/// platform (`getrandom`, a hardware RNG) and hand it here. Closures work too:
///
/// ```
/// use wsmachine::{MaskKey, MaskSource};
///
/// let mut counter = 0u32; // for tests only: predictable keys are not safe on a network
/// let mut source = move || { counter += 1; MaskKey(counter.to_be_bytes()) };
/// assert_eq!(source.next_mask_key(), MaskKey([0, 0, 0, 1]));
/// ```
pub trait MaskSource {
    /// Whether every key is the all-zero key, known at compile time (only [`NoMask`] says
    /// so): the engine then writes that key without asking for one and copies payloads
    /// instead of XORing them with zeros, so a program whose connections all use `NoMask`
    /// (servers) links no masking code for sending. The bytes on the wire are the same.
    const ZERO_KEYS: bool = false;

    /// The key for the next frame.
    fn next_mask_key(&mut self) -> MaskKey;
}

impl<F: FnMut() -> MaskKey> MaskSource for F {
    fn next_mask_key(&mut self) -> MaskKey {
        self()
    }
}

/// The mask source of servers, which never mask: it yields the all-zero key.
///
/// A client must not use it: its frames would be valid but predictable (§10.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoMask;

impl MaskSource for NoMask {
    const ZERO_KEYS: bool = true;

    fn next_mask_key(&mut self) -> MaskKey {
        MaskKey([0; 4])
    }
}

/// A masking key and the position within it: XOR a payload in any number of pieces.
///
/// ```
/// use wsmachine::{MaskKey, Masker};
///
/// let key = MaskKey([0x37, 0xfa, 0x21, 0x3d]);
/// let mut data = *b"Hello";
/// let mut masker = Masker::new(key);
/// masker.apply(&mut data[..3]);
/// masker.apply(&mut data[3..]);
/// assert_eq!(data, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Masker {
    // INVARIANT: `key` is the frame key rotated left by the number of bytes masked so far,
    // so `key[0]` always applies to the next byte.
    key: [u8; 4],
}

impl Masker {
    /// A masker at the start of a payload.
    pub const fn new(key: MaskKey) -> Self {
        Self { key: key.0 }
    }

    /// XORs `data` in place, continuing where the previous call stopped.
    // Firmware: one copy, called from the frame loop and the encoder (inlined, it was
    // +260 B in the loop and +80 B in the encoder of the client firmware).
    #[cfg_attr(not(target_os = "none"), inline)]
    #[cfg_attr(target_os = "none", inline(never))]
    pub fn apply(&mut self, data: &mut [u8]) {
        let word = self.word();
        // LLVM vectorises this loop to full-width XORs (checked in the benches: W3 runs at
        // the in-place u64 XOR limit); wider hand-made blocks only slowed short payloads.
        let (words, tail) = data.as_chunks_mut::<8>();
        for chunk in words {
            *chunk = (u64::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
        }
        // Fewer than 8 bytes left; the word's bytes are the key twice, in phase.
        for (byte, key) in tail.iter_mut().zip(word.to_ne_bytes()) {
            *byte ^= key;
        }
        self.advance(data.len());
    }

    /// Copies `src` into `dst` masked, continuing where the previous call stopped.
    ///
    /// Only `min(src.len(), dst.len())` bytes are written (callers size them equal).
    pub fn apply_copy(&mut self, src: &[u8], dst: &mut [u8]) {
        let len = src.len().min(dst.len());
        let (Some(src), Some(dst)) = (src.get(..len), dst.get_mut(..len)) else {
            return;
        };
        let word = self.word();
        let (dst_words, dst_tail) = dst.as_chunks_mut::<8>();
        let (src_words, src_tail) = src.as_chunks::<8>();
        for (d, s) in dst_words.iter_mut().zip(src_words) {
            *d = (u64::from_ne_bytes(*s) ^ word).to_ne_bytes();
        }
        for ((d, s), key) in dst_tail.iter_mut().zip(src_tail).zip(word.to_ne_bytes()) {
            *d = s ^ key;
        }
        self.advance(len);
    }

    /// The key as a word (see `word`) for the eight payload bytes that start `offset`
    /// bytes after the masker's position, the masker itself unmoved.
    #[cfg(not(target_os = "none"))] // the receive fast path's (see `connection::receive`)
    #[inline]
    pub(crate) fn word_at(self, offset: usize) -> u64 {
        let mut at = self;
        at.advance(offset);
        at.word()
    }

    fn word(&self) -> u64 {
        // The key twice, as bytes [a, b, c, d, a, b, c, d] in memory order on either
        // endianness; one 32-bit load and a shift (byte by byte, LLVM built it with
        // multiplies: about 25 instructions per frame on W1's 16-byte messages).
        let key = u64::from(u32::from_ne_bytes(self.key));
        key | key << 32
    }

    fn advance(&mut self, len: usize) {
        // Eight-byte words keep the phase; only the length mod 4 moves it. Rotating the
        // little-endian word right by a byte moves every key byte one place to the front.
        let shift = match len % 4 {
            0 => 0,
            1 => 8,
            2 => 16,
            _ => 24,
        };
        self.key = u32::from_le_bytes(self.key)
            .rotate_right(shift)
            .to_le_bytes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn reference(key: [u8; 4], data: &[u8]) -> Vec<u8> {
        data.iter()
            .enumerate()
            .map(|(i, b)| b ^ key[i % 4])
            .collect()
    }

    #[test]
    fn masking_in_pieces_matches_one_pass_at_every_split() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let data: Vec<u8> = (0..=255u8).cycle().take(77).collect();
        let want = reference(key, &data);
        for a in 0..data.len() {
            for b in a..data.len() {
                let mut got = data.clone();
                let mut masker = Masker::new(MaskKey(key));
                let (x, rest) = got.split_at_mut(a);
                let (y, z) = rest.split_at_mut(b - a);
                masker.apply(x);
                masker.apply(y);
                masker.apply(z);
                assert_eq!(got, want, "split {a} {b}");
            }
        }
    }

    #[test]
    fn apply_copy_matches_apply() {
        let key = [9, 8, 7, 6];
        let data: Vec<u8> = (0..100u8).collect();
        for split in 0..data.len() {
            let mut out = std::vec![0; data.len()];
            let mut masker = Masker::new(MaskKey(key));
            masker.apply_copy(&data[..split], &mut out[..split]);
            masker.apply_copy(&data[split..], &mut out[split..]);
            assert_eq!(out, reference(key, &data));
        }
    }
}
