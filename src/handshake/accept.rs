//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept`
//! ([RFC 6455 §4.2.2](https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2) item 5.4).

#[cfg(not(target_os = "none"))]
use super::b64;
#[cfg(all(
    not(target_os = "none"),
    not(all(feature = "sha1-hw", any(target_arch = "x86", target_arch = "x86_64")))
))]
use super::hash;

#[cfg(target_os = "none")]
use super::small;

/// The GUID RFC 6455 appends to the key before hashing.
pub(super) const GUID: &[u8; 36] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A client's 16-byte handshake nonce (`Sec-WebSocket-Key` before base64).
///
/// RFC 6455 §4.1 asks for a fresh random value per connection: fill it from a CSPRNG.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Key(pub [u8; 16]);

impl Key {
    /// Decodes a `Sec-WebSocket-Key` value: canonical base64 of exactly 16 bytes.
    pub fn parse(encoded: &[u8]) -> Option<Self> {
        if encoded.len() != 24 {
            return None;
        }
        #[cfg(target_os = "none")]
        return small::decode_key(encoded).map(Self);
        // The key is public (sent in clear text): a fast, non-constant-time decoder.
        #[cfg(not(target_os = "none"))]
        return b64::decode_key(encoded).map(Self);
    }

    /// The base64 form sent in `Sec-WebSocket-Key` (24 bytes).
    pub fn encode(&self) -> [u8; 24] {
        #[cfg(target_os = "none")]
        {
            let mut out = [0u8; 24];
            small::encode(&self.0, &mut out);
            out
        }
        #[cfg(not(target_os = "none"))]
        b64::encode(&self.0)
    }

    /// The `Sec-WebSocket-Accept` value a server must answer this key with.
    pub fn accept_key(&self) -> AcceptKey {
        accept_key(&self.encode())
    }
}

/// A `Sec-WebSocket-Accept` value: base64 of SHA-1(key ‖ GUID), 28 ASCII bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// The value as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The value as bytes.
    pub const fn as_bytes(&self) -> &[u8; 28] {
        &self.0
    }
}

/// Computes `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` value as sent (base64 text).
///
/// For HTTP stacks that do their own upgrade and need only this one value:
///
/// ```
/// // RFC 6455 §1.3
/// let accept = wsmachine::accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(accept.as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> AcceptKey {
    // Firmware: small code (see `small`); hosted: faster code.
    #[cfg(target_os = "none")]
    {
        let mut out = [0u8; 28];
        let mut sha = small::Sha1::new();
        sha.update(key);
        sha.update(GUID);
        small::encode(&sha.digest(), &mut out);
        AcceptKey(out)
    }
    #[cfg(not(target_os = "none"))]
    {
        #[cfg(all(feature = "sha1-hw", any(target_arch = "x86", target_arch = "x86_64")))]
        let digest: [u8; 20] = {
            // SHA-NI when the CPU has it (run-time detection inside `sha1`).
            use sha1::Digest as _;
            let mut sha = sha1::Sha1::new();
            sha.update(key);
            sha.update(GUID);
            sha.finalize().into()
        };
        // The engine's keys are 24 bytes (`Key::parse`): the two-block SHA-1 made for them.
        #[cfg(not(all(feature = "sha1-hw", any(target_arch = "x86", target_arch = "x86_64"))))]
        let digest = if let Ok(key) = <&[u8; 24]>::try_from(key) {
            hash::key_and_guid(key)
        } else {
            let mut sha = sha1_smol::Sha1::new();
            sha.update(key);
            sha.update(GUID);
            sha.digest().bytes()
        };
        // The accept value is public too (the 101 carries it): the fast encoder.
        AcceptKey(b64::encode(&digest))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn rfc_6455_section_1_3_example() {
        let key = Key::parse(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap();
        assert_eq!(&key.0, b"the sample nonce");
        assert_eq!(key.accept_key().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    /// Keys every decoder must refuse: wrong lengths, wrong decoded sizes, padding,
    /// alphabet and position errors (also used by `b64`'s tests against base64ct).
    pub(crate) const BAD_KEYS: &[&[u8]] = &[
        b"",
        b"x",
        b"dGhlIHNhbXBsZSBub25jZQ=",        // 23 characters
        b"dGhlIHNhbXBsZSBub25jZQ===",      // 25 characters
        b"dGhlIHNhbXBsZSBub25jZQAA",       // 24 characters, 18 bytes
        b"dGhlIHNhbXBsZSBub25jZQA=",       // 24 characters, 17 bytes
        b"dGhlIHNhbXBsZSBub25jZ===",       // decodes to 15
        b"dGhlIHNhbXBsZSBub25jZR==",       // non-zero bits under the padding
        b"dGhlIHNhbXBsZSBub2!jZQ==",       // outside the alphabet
        b"dGhlIHNhbXBsZSBub2-jZQ==",       // the URL-safe alphabet
        b"dGhlIHNhbX=sZSBub25jZQ==",       // '=' in the middle
        b"=GhlIHNhbXBsZSBub25jZQ==",       // '=' first
        b"dGhlIHNhbXBsZSBub25jZQ= ",       // a space for padding
        b" dGhlIHNhbXBsZSBub25jZQ==",      // leading space (25)
        b"dGhlIHNhbXBsZSBub25jZ\xc3\xa9=", // non-ASCII
        b"dGhlIHNhbXBsZSBub25jZQ\xc3\xa9", // non-ASCII for padding
    ];

    /// Whichever SHA-1 this build uses (the `sha1` crate with `sha1-hw` on x86, `hash.rs`
    /// elsewhere, `small` on bare metal) gives what `sha1_smol` and base64ct give, for
    /// engine keys and for keys of other lengths (`accept_key` takes any bytes).
    #[test]
    fn accept_key_matches_the_reference_sha1_and_base64() {
        use base64ct::Encoding as _;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in (0..=80).chain([24; 200]) {
            let key: std::vec::Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    b'!' + (seed % 94) as u8
                })
                .collect();
            let mut sha = sha1_smol::Sha1::new();
            sha.update(&key);
            sha.update(GUID);
            let mut want = [0u8; 28];
            let want = base64ct::Base64::encode(&sha.digest().bytes(), &mut want).unwrap();
            assert_eq!(accept_key(&key).as_str(), want, "{key:?}");
        }
    }

    #[test]
    fn key_must_decode_to_exactly_16_bytes() {
        for &bad in BAD_KEYS {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn key_round_trips_and_every_alphabet_character_decodes() {
        let mut seen = [false; 256];
        for start in 0..=255u8 {
            let key = Key(core::array::from_fn(|i| {
                start.wrapping_add(i as u8).wrapping_mul(37)
            }));
            let encoded = key.encode();
            assert_eq!(Key::parse(&encoded), Some(key));
            for c in encoded {
                seen[usize::from(c)] = true;
            }
        }
        // The 64 characters and '='.
        assert_eq!(seen.iter().filter(|&&s| s).count(), 65);
    }
}
