//! Incremental UTF-8 validation with a 4-byte stash for a code point split across reads.
//!
//! Text arrives in pieces that may cut a code point anywhere. [`Utf8Validator::feed`]
//! validates each piece once, fails on the first byte that can never become valid (so
//! `F0 90 | 80 28` fails when the `28` arrives), returns the valid part as a borrowed
//! `&str`, and keeps the 1–3 bytes of a trailing incomplete code point by value; the code
//! point they complete in the next piece is handed out as a `char`.

use core::fmt;

/// The input is not UTF-8 (or ended inside a code point).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Utf8Error;

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid utf-8")
    }
}

impl core::error::Error for Utf8Error {}

/// Streaming UTF-8 validator: feed pieces, then [`finish`](Self::finish) at message end.
///
/// ```
/// use wsmachine::Utf8Validator;
///
/// let euro = "€".as_bytes(); // E2 82 AC
/// let mut v = Utf8Validator::new();
/// let first = v.feed(&euro[..2]).unwrap();
/// assert_eq!(first.as_str(), Some(""));
/// let second = v.feed(&euro[2..]).unwrap();
/// assert_eq!(second.as_str(), None); // "€" was carried over: read it whole
/// assert_eq!(second.parts(), (Some('€'), ""));
/// assert_eq!(std::format!("{second}"), "€");
/// assert!(v.finish().is_ok());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Utf8Validator {
    // INVARIANT: `stash[..len]` is a valid but incomplete UTF-8 prefix, `len < 4`.
    stash: [u8; 4],
    len: u8,
}

/// The validated text of one [`Utf8Validator::feed`] call.
///
/// Zero-copy where it can be: the text borrows the input, except for a code point completed
/// from bytes of earlier calls (held by value as a `char`) in front of it. Every
/// accessor yields the whole text: [`as_str`](Self::as_str) when nothing was carried over,
/// else [`parts`](Self::parts), [`chars`](Self::chars), [`push_to`](Self::push_to) or
/// `Display`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Utf8Chunk<'a> {
    // Perf (issue 12, W1): a `char`, not the code point's bytes, so that no accessor
    // returns a reference into the chunk; one pins the chunk, and the event holding it, in
    // memory and turns a caller's moves into copies (22.9 vs about 17 ns per frame).
    carried: Option<char>,
    text: &'a str,
}

impl<'a> Utf8Chunk<'a> {
    /// The same carried code point with other text: lets an adapter re-borrow the text
    /// from its buffer.
    #[cfg(any(feature = "embedded-io", feature = "embedded-io-async"))]
    pub(crate) const fn with_text<'b>(&self, text: &'b str) -> Utf8Chunk<'b> {
        Utf8Chunk {
            carried: self.carried,
            text,
        }
    }
}

impl Utf8Validator {
    /// A validator at a code point boundary.
    pub const fn new() -> Self {
        Self {
            stash: [0; 4],
            len: 0,
        }
    }

    /// Whether the input so far ends on a code point boundary.
    pub const fn is_boundary(&self) -> bool {
        self.len == 0
    }

    /// Validates the next piece of input.
    ///
    /// # Errors
    /// [`Utf8Error`] at the first byte that cannot be part of valid UTF-8. The validator is
    /// then in an unspecified state.
    #[inline]
    pub fn feed<'a>(&mut self, input: &'a [u8]) -> Result<Utf8Chunk<'a>, Utf8Error> {
        // Not on firmware, where `feed_split` alone is less code and decides the same.
        if cfg!(not(target_os = "none")) && self.len == 0 && input.last().is_none_or(|&b| b < 0x80)
        {
            // Fast path: nothing stashed and the input ends in ASCII, so no code point can
            // be left unfinished: one validation of the whole input decides.
            return Ok(Utf8Chunk {
                carried: None,
                text: validate(input)?,
            });
        }
        self.feed_split(input)
    }

    /// [`feed`](Self::feed) when a code point may straddle this input's ends.
    fn feed_split<'a>(&mut self, input: &'a [u8]) -> Result<Utf8Chunk<'a>, Utf8Error> {
        let mut carried = None;
        let mut rest = input;
        if self.len > 0 {
            let len = usize::from(self.len);
            let need = sequence_len(self.stash[0]).saturating_sub(len);
            let take = need.min(rest.len());
            let (head, tail) = rest.split_at(take);
            let total = len + take;
            let Some(dst) = self.stash.get_mut(len..total) else {
                return Err(Utf8Error);
            };
            crate::copy_bytes(dst, head);
            rest = tail;
            match core::str::from_utf8(self.stash.get(..total).unwrap_or_default()) {
                Ok(code_point) => {
                    carried = code_point.chars().next();
                    self.len = 0;
                }
                Err(e) if e.error_len().is_none() => {
                    // Still incomplete: `input` was too short to finish the code point.
                    self.len = u8::try_from(total).map_err(|_| Utf8Error)?;
                    return Ok(Utf8Chunk { carried, text: "" });
                }
                Err(_) => return Err(Utf8Error),
            }
        }
        // Split off a trailing incomplete code point so the body is validated exactly once.
        let split = rest.len() - incomplete_tail_len(rest);
        let Some((body, tail)) = rest.split_at_checked(split) else {
            return Err(Utf8Error);
        };
        let text = validate(body)?;
        if !tail.is_empty() {
            match core::str::from_utf8(tail) {
                Err(e) if e.error_len().is_none() => {}
                _ => return Err(Utf8Error),
            }
            let Some(dst) = self.stash.get_mut(..tail.len()) else {
                return Err(Utf8Error);
            };
            crate::copy_bytes(dst, tail);
            self.len = u8::try_from(tail.len()).map_err(|_| Utf8Error)?;
        }
        Ok(Utf8Chunk { carried, text })
    }

    /// Ends the text: an unfinished code point is an error.
    ///
    /// # Errors
    /// [`Utf8Error`] if the input ended inside a code point.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let complete = self.len == 0;
        *self = Self::new();
        if complete { Ok(()) } else { Err(Utf8Error) }
    }
}

impl<'a> Utf8Chunk<'a> {
    /// A whole text (a complete message's payload) as one chunk: it must be UTF-8 from
    /// end to end, so no code point can be carried in or out.
    ///
    /// # Errors
    /// [`Utf8Error`] if `bytes` is not UTF-8 (an unfinished last code point included).
    #[cfg(not(target_os = "none"))] // the receive fast path's, which bare metal leaves out
    #[inline]
    pub(crate) fn whole(bytes: &'a [u8]) -> Result<Self, Utf8Error> {
        Ok(Self {
            carried: None,
            text: validate(bytes)?,
        })
    }
}

impl<'a> Utf8Chunk<'a> {
    /// The empty chunk.
    pub const EMPTY: Self = Self {
        carried: None,
        text: "",
    };

    /// The whole text as one borrowed `&str`, when no code point was carried over from
    /// earlier input (the common case); `None` when there was: use [`parts`](Self::parts),
    /// [`push_to`](Self::push_to), [`chars`](Self::chars) or `Display` then.
    #[inline]
    pub const fn as_str(&self) -> Option<&'a str> {
        match self.carried {
            None => Some(self.text),
            Some(_) => None,
        }
    }

    /// The whole text in its two parts, to be used together: the code point completed from
    /// earlier input (`None` if there was none), then the text borrowed from the input.
    ///
    /// ```
    /// # let chunk = wsmachine::Utf8Chunk::EMPTY;
    /// let mut text = String::new();
    /// let (carried, borrowed) = chunk.parts();
    /// text.extend(carried);
    /// text.push_str(borrowed);
    /// ```
    #[inline]
    pub const fn parts(&self) -> (Option<char>, &'a str) {
        (self.carried, self.text)
    }

    /// Every character of the text, the carried-over code point first.
    pub fn chars(&self) -> core::iter::Chain<core::option::IntoIter<char>, core::str::Chars<'a>> {
        self.carried.into_iter().chain(self.text.chars())
    }

    /// Appends the whole text to `out` (a `String`, a `heapless::String`, a formatter).
    ///
    /// # Errors
    /// Whatever `out` returns (for example a full fixed-capacity string).
    pub fn push_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        if let Some(c) = self.carried {
            out.write_char(c)?;
        }
        out.write_str(self.text)
    }

    /// Total length in bytes of the whole text.
    pub const fn len(&self) -> usize {
        let carried = match self.carried {
            Some(c) => c.len_utf8(),
            None => 0,
        };
        carried + self.text.len()
    }

    /// Whether there is no text at all.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The part borrowed from the input, without the carried code point: for the crate's
    /// adapters, which re-borrow it from their buffer and keep the chunk's carried part.
    #[cfg(any(feature = "embedded-io", feature = "embedded-io-async"))]
    pub(crate) const fn borrowed(&self) -> &'a str {
        self.text
    }

    /// The carried code point and the borrowed text, for [`TextChunk`](crate::TextChunk)'s
    /// flat layout.
    #[inline]
    pub(crate) const fn raw(&self) -> (Option<char>, &'a str) {
        (self.carried, self.text)
    }

    /// The inverse of [`raw`](Self::raw).
    #[inline]
    pub(crate) const fn from_raw(carried: Option<char>, text: &'a str) -> Self {
        Self { carried, text }
    }
}

impl fmt::Display for Utf8Chunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.push_to(f)
    }
}

/// Length of the UTF-8 sequence a lead byte announces (1 for bytes that are not leads).
const fn sequence_len(lead: u8) -> usize {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
    }
}

/// How many bytes at the end of `bytes` start a code point that the input does not finish.
fn incomplete_tail_len(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let Some(&byte) = bytes.get(bytes.len() - back) else {
            return 0;
        };
        if byte & 0xc0 == 0x80 {
            continue; // continuation byte: keep looking for the lead
        }
        return if sequence_len(byte) > back { back } else { 0 };
    }
    0
}

/// Validates a whole piece: the one place the validator is chosen.
///
/// With the `simdutf8` feature (a default) on x86_64 and aarch64, pieces of
/// [`SIMD_MIN_LEN`] bytes or more go to `simdutf8::basic` (hosted x86_64: AVX2 or SSE4.2
/// picked at run time, the manifest giving simdutf8 its `std` there; bare-metal x86_64:
/// from the compile-time target features; aarch64: NEON). Shorter pieces, every piece on
/// other targets (so embedded builds carry no SIMD code) and every piece without the
/// feature go to `core::str::from_utf8`, whose setup is cheaper.
#[inline] // short pieces (W1's 16-byte messages) pay no call around `from_utf8`
fn validate(bytes: &[u8]) -> Result<&str, Utf8Error> {
    #[cfg(all(
        feature = "simdutf8",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    if bytes.len() >= SIMD_MIN_LEN {
        // `basic`: callers need only valid or not (`feed_split` finds split code points
        // itself); `compat` would also locate the error, work no caller uses.
        return simdutf8::basic::from_utf8(bytes).map_err(|_| Utf8Error);
    }
    core::str::from_utf8(bytes).map_err(|_| Utf8Error)
}

/// Bytes the engine already validated (chunks copied together, or an event located and
/// borrowed again), as `&str`.
///
/// Safe code has no way to make a `&str` from bytes without checking them, so this is a
/// second check; it runs on the same fast validator as the first. Invalid bytes (which the
/// callers rule out) give the empty string.
pub(crate) fn revalidate(bytes: &[u8]) -> &str {
    validate(bytes).unwrap_or_default()
}

/// Below this many bytes the SIMD validator's setup costs more than it saves.
#[cfg(all(
    feature = "simdutf8",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
const SIMD_MIN_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn feed_all(pieces: &[&[u8]]) -> Result<String, Utf8Error> {
        let mut v = Utf8Validator::new();
        let mut out = String::new();
        for piece in pieces {
            let chunk = v.feed(piece)?;
            chunk.push_to(&mut out).unwrap();
        }
        v.finish()?;
        Ok(out)
    }

    #[test]
    fn every_split_of_multibyte_text_roundtrips() {
        let text = "aé€😀z κόσμε 中文";
        let bytes = text.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                let got = feed_all(&[&bytes[..i], &bytes[i..j], &bytes[j..]]).unwrap();
                assert_eq!(got, text, "split {i} {j}");
            }
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(feed_all(&singles).unwrap(), text);
    }

    #[test]
    fn every_accessor_yields_the_whole_text_of_a_chunk() {
        // Code points of 2, 3 and 4 bytes split at every place, each around ASCII.
        for text in ["aéb", "a€b", "a😀b", "é", "😀😀"] {
            let bytes = text.as_bytes();
            for at in 0..=bytes.len() {
                let mut v = Utf8Validator::new();
                let mut whole = String::new();
                for piece in [&bytes[..at], &bytes[at..]] {
                    let chunk = v.feed(piece).unwrap();
                    let (carried, borrowed) = chunk.parts();
                    let mut joined: String = carried.into_iter().collect();
                    joined.push_str(borrowed);
                    assert_eq!(chunk.chars().collect::<String>(), joined, "{text} at {at}");
                    assert_eq!(std::format!("{chunk}"), joined);
                    assert_eq!(chunk.len(), joined.len());
                    assert_eq!(chunk.is_empty(), joined.is_empty());
                    // Only a carried code point keeps the text from being one `&str`.
                    assert_eq!(chunk.as_str(), carried.is_none().then_some(borrowed));
                    let debug = std::format!("{chunk:?}");
                    assert!(
                        debug.contains(&std::format!("carried: {carried:?}")),
                        "{debug}"
                    );
                    whole.push_str(&joined);
                }
                v.finish().unwrap();
                assert_eq!(whole, text, "{text} at {at}");
            }
        }
    }

    #[test]
    fn fails_at_first_impossible_byte_across_pieces() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[0xf0, 0x90]).is_ok());
        assert!(v.feed(&[0x80]).is_ok());
        assert_eq!(v.feed(&[0x28]), Err(Utf8Error));
    }

    #[test]
    fn rejects_overlongs_surrogates_and_out_of_range() {
        for bad in [
            &[0xc0, 0x80][..],
            &[0xc1, 0xbf],
            &[0xe0, 0x80, 0x80],
            &[0xe0, 0x9f, 0xbf],
            &[0xf0, 0x80, 0x80, 0x80],
            &[0xf0, 0x8f, 0xbf, 0xbf],
            &[0xed, 0xa0, 0x80],
            &[0xed, 0xbf, 0xbf],
            &[0xf4, 0x90, 0x80, 0x80],
            &[0xf5],
            &[0xff],
            &[0x80],
            &[0xc2, 0x41],
        ] {
            assert_eq!(feed_all(&[bad]), Err(Utf8Error), "{bad:x?}");
            // Fail fast: the first two bytes already decide for these, byte by byte too.
            let singles: Vec<&[u8]> = bad.chunks(1).collect();
            assert_eq!(feed_all(&singles), Err(Utf8Error), "{bad:x?} byte by byte");
        }
    }

    #[test]
    fn surrogate_lead_fails_before_the_third_byte() {
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&[0xed, 0xa0]), Err(Utf8Error));
    }

    #[test]
    fn truncated_code_point_fails_at_finish() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(&[0xe2, 0x82]).is_ok());
        assert!(!v.is_boundary());
        assert_eq!(v.finish(), Err(Utf8Error));
    }
}
