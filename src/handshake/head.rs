//! The HTTP/1.1 head: an incremental end-of-head scan (each byte examined a bounded number
//! of times however the peer splits it, no quadratic re-scan for a byte-at-a-time peer),
//! then one tokenizing pass over the whole head (RFC 9112 §2–§5).
//!
//! The tokenizer is as strict as httparse 1.x with its default configuration (which it
//! replaces, and which the tests and fuzz targets still check it against): one SP between
//! the parts of the start line, tokens for the method and header names, no whitespace
//! before a colon, no obs-fold, no bare CR, no controls but HTAB in values; CRLF or a
//! bare LF ends a line. It is written without indexing, so the firmware link check proves
//! it panic-free, and it keeps no header table: header lines are checked and counted here,
//! then walked again by [`HeaderIter`] (no stack that grows with `max_headers`).

use super::{HeaderIter, is_field_value, is_token, trim};
use crate::error::HandshakeFailure;

/// Finds the blank line ending an HTTP head across calls that present a growing buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct HeadScanner {
    // INVARIANT: no head terminator starts before `resume` in the bytes seen so far.
    resume: usize,
    /// Bytes examined so far, for the linear-work tests.
    examined: usize,
}

impl HeadScanner {
    pub(crate) const fn new() -> Self {
        Self {
            resume: 0,
            examined: 0,
        }
    }

    /// The length of the head (terminator included) if `buf` holds all of it.
    ///
    /// `buf` must start with the same bytes as on earlier calls. Accepts CRLF CRLF, and the
    /// bare LF forms RFC 9112 §2.2 allows a recipient to accept.
    pub(crate) fn find_end(&mut self, buf: &[u8]) -> Option<usize> {
        let mut at = self.resume;
        // Perf (W7): hosts test eight positions per step, with no new search from each LF
        // (a head is mostly short lines); the byte loop below finishes the last bytes.
        #[cfg(not(target_os = "none"))]
        if let Some(end) = self.find_end_by_words(buf, &mut at) {
            return Some(end);
        }
        while let Some(offset) = buf.get(at..).and_then(|rest| find_byte(rest, b'\n')) {
            self.examined += offset + 1;
            let lf = at + offset;
            match (buf.get(lf + 1), buf.get(lf + 2)) {
                (Some(b'\n'), _) => return Some(lf + 2),
                (Some(b'\r'), Some(b'\n')) => return Some(lf + 3),
                (None, _) | (Some(b'\r'), None) => {
                    self.resume = lf; // decide once more bytes arrive
                    return None;
                }
                _ => at = lf + 1,
            }
        }
        self.examined += buf.len().saturating_sub(at);
        self.resume = buf.len();
        None
    }

    /// Looks for a terminator starting in each 8-byte word from `*at` while 10 bytes are
    /// left (the word and the two bytes a terminator may need after it), advancing `*at`
    /// past the words that start none.
    #[cfg(not(target_os = "none"))]
    fn find_end_by_words(&mut self, buf: &[u8], at: &mut usize) -> Option<usize> {
        const LF: u64 = LOW * 0x0a;
        const CR: u64 = LOW * 0x0d;
        /// The top bit of the lowest zero lane, maybe of lanes above it, nothing if none.
        const fn zero(x: u64) -> u64 {
            x.wrapping_sub(LOW) & !x & HIGH
        }
        let start = *at;
        let mut rest = buf.get(start..).unwrap_or_default();
        // The word at `from` in a window (in bounds for 0..=2: the fallback is never taken).
        let word = |window: &[u8; 10], from: usize| {
            window
                .get(from..from + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                .map_or(0, u64::from_le_bytes)
        };
        while let Some(window) = rest.first_chunk::<10>() {
            let x = word(window, 0) ^ LF;
            if zero(x) != 0 {
                // Lane i is LF; the words one and two bytes on hold the bytes after it.
                let (next, after) = (word(window, 1), word(window, 2));
                // LF LF, or LF CR LF: each test's lowest flagged lane is a true match (see
                // `find_byte`), so the lower of the two is the first terminator.
                let hits = zero(x | (next ^ LF)) | zero(x | (next ^ CR) | (after ^ LF));
                if hits != 0 {
                    let lf = *at + lane(hits);
                    self.examined += lf + 1 - start;
                    let bare = buf.get(lf + 1) == Some(&b'\n');
                    return Some(if bare { lf + 2 } else { lf + 3 });
                }
            }
            *at += 8;
            rest = rest.get(8..).unwrap_or_default();
        }
        self.examined += *at - start;
        None
    }

    pub(crate) const fn examined(&self) -> usize {
        self.examined
    }
}

/// A tokenized request line (RFC 9112 §3): `method SP request-target SP HTTP-version`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestLine<'a> {
    pub(crate) method: &'a [u8],
    pub(crate) target: &'a str,
    /// `HTTP/1.1` (true) or `HTTP/1.0` (false); any other version is malformed.
    pub(crate) http11: bool,
}

/// A tokenized status line (RFC 9112 §4): `HTTP-version SP 3DIGIT [SP reason-phrase]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StatusLine {
    pub(crate) http11: bool,
    pub(crate) status: u16,
}

/// Tokenizes a complete request head (as [`HeadScanner`] cut it); the header lines are
/// checked and counted against `max_headers`, and come back ready to walk.
///
/// # Errors
/// [`HandshakeFailure::Malformed`] for any syntax error, or
/// [`HandshakeFailure::TooManyHeaders`] when a well-formed header line beyond
/// `max_headers` is found first.
#[cfg(feature = "_fuzzing")] // the engine uses `request_with`
pub(crate) fn request(
    head: &[u8],
    max_headers: usize,
) -> Result<(RequestLine<'_>, HeaderIter<'_>), HandshakeFailure> {
    request_with(head, max_headers, |_, _| {}).map(|(line, headers, _)| (line, headers))
}

/// [`request`], handing `each` every checked header line's name and trimmed value as it
/// goes, so a caller validating the values needs no second walk over the lines; also
/// returns the length of the head, up to and including the empty line that ends it (the
/// whole of `head` when [`HeadScanner`] cut it; `head` may also run past it, see
/// [`ends_a_head`]).
///
/// # Errors
/// As [`request`]; lines before the failing one have been handed to `each` then.
pub(crate) fn request_with<'a>(
    head: &'a [u8],
    max_headers: usize,
    each: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<(RequestLine<'a>, HeaderIter<'a>, usize), HandshakeFailure> {
    let (line, headers) = start_line(head);
    let line = line
        .and_then(request_line)
        .ok_or(HandshakeFailure::Malformed)?;
    let after = check_fields(headers, max_headers, each)?;
    #[cfg(not(target_os = "none"))]
    let len = head.len() - after.len();
    #[cfg(target_os = "none")]
    let ((), len) = (after, head.len());
    Ok((line, headers, len))
}

/// Whether `buf` certainly holds a whole head, so the tokenizer may find its end itself
/// and [`HeadScanner`]'s pass is not needed: `buf` ends with a head terminator (so the
/// first one is somewhere in it) and does not start with an empty line (which the scanner
/// would take as the end, and the tokenizer would skip as RFC 9112 §2.2 allows).
// Perf (W7): a browser's request arrives whole in one read; the scan for its end was a
// pass over every byte before the tokenizer's (about 1,200 instructions of 10,800).
#[cfg(not(target_os = "none"))]
pub(crate) fn ends_a_head(buf: &[u8]) -> bool {
    !matches!(buf.first(), None | Some(b'\r' | b'\n'))
        && (buf.ends_with(b"\n\n") || buf.ends_with(b"\n\r\n"))
}

/// Tokenizes a complete response head; as [`request`] otherwise.
pub(crate) fn response(
    head: &[u8],
    max_headers: usize,
) -> Result<(StatusLine, HeaderIter<'_>), HandshakeFailure> {
    let (line, headers) = start_line(head);
    let line = line
        .and_then(status_line)
        .ok_or(HandshakeFailure::Malformed)?;
    check_fields(headers, max_headers, |_, _| {})?;
    Ok((line, headers))
}

/// The first non-empty line (RFC 9112 §2.2: a recipient SHOULD ignore empty lines before
/// the start line) and the header lines after it.
pub(super) fn start_line(head: &[u8]) -> (Option<&[u8]>, HeaderIter<'_>) {
    let mut rest = head;
    while let Some(line) = next_line(&mut rest) {
        if !line.is_empty() {
            return (Some(line), HeaderIter { rest });
        }
    }
    (None, HeaderIter { rest })
}

fn request_line(line: &[u8]) -> Option<RequestLine<'_>> {
    let (method, rest) = split_at_byte(line, b' ')?;
    let (target, version) = split_at_byte(rest, b' ')?;
    // The target's bytes are VCHAR or obs-text (httparse's set), and must be UTF-8 to be a
    // `&str`; an empty target is malformed.
    let target_ok = !target.is_empty() && target.iter().all(|&b| b > b' ' && b != 0x7f);
    if !is_token(method) || !target_ok {
        return None;
    }
    Some(RequestLine {
        method,
        target: core::str::from_utf8(target).ok()?,
        http11: http_version(version)?,
    })
}

fn status_line(line: &[u8]) -> Option<StatusLine> {
    let (version, rest) = line.split_at_checked(8)?;
    let http11 = http_version(version)?;
    let [b' ', d0, d1, d2, reason @ ..] = rest else {
        return None;
    };
    let mut status = 0u16;
    for d in [*d0, *d1, *d2] {
        if !d.is_ascii_digit() {
            return None;
        }
        status = status * 10 + u16::from(d - b'0');
    }
    // The reason phrase is optional; when present it follows one SP.
    match reason {
        [] => Some(StatusLine { http11, status }),
        [b' ', phrase @ ..] if is_field_value(phrase) => Some(StatusLine { http11, status }),
        _ => None,
    }
}

fn http_version(version: &[u8]) -> Option<bool> {
    match version {
        b"HTTP/1.1" => Some(true),
        b"HTTP/1.0" => Some(false),
        _ => None,
    }
}

/// What [`check_fields`] returns: on hosts the bytes after the head's empty line (they may
/// tokenize bytes that run past the head, see [`ends_a_head`]); nothing on firmware, which
/// tokenizes the scanner's head only (flash: 60 B).
#[cfg(not(target_os = "none"))]
type After<'a> = &'a [u8];
#[cfg(target_os = "none")]
type After<'a> = ();

/// Checks every header line up to the empty line that ends the head, handing each one's
/// name and trimmed value to `each`.
fn check_fields<'a>(
    headers: HeaderIter<'a>,
    max_headers: usize,
    mut each: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<After<'a>, HandshakeFailure> {
    let mut rest = headers.rest;
    let mut count = 0usize;
    loop {
        // Flash: bare metal keeps the two-pass walk (cut the line, then check its parts),
        // which takes less code.
        #[cfg(target_os = "none")]
        let (name, value, after) = {
            let line = next_line(&mut rest).ok_or(HandshakeFailure::Malformed)?;
            if line.is_empty() {
                return Ok(());
            }
            let (name, value) = field(line).ok_or(HandshakeFailure::Malformed)?;
            (name, value, rest)
        };
        #[cfg(not(target_os = "none"))]
        let (name, value, after) = match next_field(rest) {
            Line::End(after) => return Ok(after),
            Line::Bad => return Err(HandshakeFailure::Malformed),
            Line::Field { name, value, rest } => (name, value, rest),
        };
        // Here, not after `each`: keeping `after` across the call cost 68 B of server flash.
        rest = after;
        // DoS: the count is bounded by `max_headers` (at most `MAX_HEADERS`); httparse
        // also tokenized the line before finding no room for it.
        if count == max_headers {
            return Err(HandshakeFailure::TooManyHeaders);
        }
        count += 1;
        each(name, value);
    }
}

/// What [`next_field`] found at the start of the bytes left.
#[cfg(not(target_os = "none"))]
enum Line<'a> {
    /// The empty line ending the head, and the bytes after it.
    End(&'a [u8]),
    /// A header line: `name` is a token, `value` is a field value without surrounding
    /// OWS, and `rest` starts after the line ending.
    Field {
        name: &'a [u8],
        value: &'a [u8],
        rest: &'a [u8],
    },
    /// Not `token ":" OWS field-value OWS` followed by CRLF or LF (RFC 9112 §5: no
    /// whitespace before the colon, so obs-fold continuation lines, which start with
    /// whitespace, fail too), or no line ending at all.
    Bad,
}

/// Tokenizes the line at the start of `rest` in one walk: the colon, then the value up
/// to its first control byte, which must be the line ending (HTAB aside). The name stays
/// bytes (a token is ASCII; a `&str` would cost a UTF-8 pass per line).
// Perf (W7): the walk does not look for the line's end first and then check the value
// (two passes over most of the head's bytes): the CR or LF ending the line is the first
// control byte after the colon, found by the same search that checks the value.
// Inlined into the header loop: returning the `Line` through memory cost about 50
// instructions per header line.
#[cfg(not(target_os = "none"))]
#[inline(always)]
fn next_field(rest: &[u8]) -> Line<'_> {
    if let [b'\n', after @ ..] | [b'\r', b'\n', after @ ..] = rest {
        return Line::End(after);
    }
    // A colon past the line's end leaves a CR or LF in the name: not a token.
    let Some((name, after)) = split_at_byte(rest, b':') else {
        return Line::Bad;
    };
    if !is_token(name) {
        return Line::Bad;
    }
    let mut at = 0;
    let (end, next) = loop {
        let Some(found) = after.get(at..).and_then(find_control) else {
            return Line::Bad;
        };
        let control = at + found;
        match after.get(control..) {
            Some([b'\t', ..]) => at = control + 1,
            Some([b'\r', b'\n', ..]) => break (control, control + 2),
            Some([b'\n', ..]) => break (control, control + 1),
            _ => return Line::Bad, // a bare CR or another control
        }
    };
    match (after.get(..end), after.get(next..)) {
        (Some(value), Some(rest)) => Line::Field {
            name,
            value: trim(value),
            rest,
        },
        _ => Line::Bad,
    }
}

/// A line of a head [`check_fields`] already accepted, cut at its colon without checking
/// its bytes again (the walks over headers run several times per handshake).
pub(super) fn checked_field(line: &[u8]) -> Option<(&str, &[u8])> {
    let (name, value) = split_at_byte(line, b':')?;
    Some((core::str::from_utf8(name).ok()?, trim(value)))
}

/// Cuts the next line off `rest`, without its LF or CRLF; `None` when no LF is left.
pub(super) fn next_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (line, tail) = split_at_byte(rest, b'\n')?;
    *rest = tail;
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

/// The bytes before and after the first `byte`.
pub(super) fn split_at_byte(bytes: &[u8], byte: u8) -> Option<(&[u8], &[u8])> {
    let at = find_byte(bytes, byte)?;
    let (before, after) = bytes.split_at_checked(at)?;
    Some((before, after.get(1..)?))
}

/// One header line (line ending removed) as its name and its value without surrounding
/// OWS, if it is `token ":" OWS field-value OWS`: bare metal's second pass, and the host
/// tests' oracle for [`next_field`].
#[cfg(any(test, target_os = "none"))]
fn field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let (name, value) = split_at_byte(line, b':')?;
    if !is_token(name) || !is_field_value(value) {
        return None;
    }
    Some((name, trim(value)))
}

/// Eight ones, one per byte lane of a `u64`.
#[cfg(not(target_os = "none"))]
const LOW: u64 = 0x0101_0101_0101_0101;
/// The top bit of every byte lane.
#[cfg(not(target_os = "none"))]
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The index of the first `byte` in `bytes`.
// Perf (W7): the head is searched for LF and colons several times; eight bytes per step
// (the "has a zero byte" test on the XOR with `byte` in every lane, whose lowest flagged
// lane is always a true match: a false one needs a borrow from a true one below it), then
// bytes. Flash: bare-metal targets keep the byte loop.
#[inline]
fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    #[cfg(not(target_os = "none"))]
    {
        let pattern = LOW * u64::from(byte);
        let (words, tail) = bytes.as_chunks::<8>();
        for (i, word) in words.iter().enumerate() {
            let x = u64::from_le_bytes(*word) ^ pattern;
            let hits = x.wrapping_sub(LOW) & !x & HIGH;
            if hits != 0 {
                return Some(i * 8 + lane(hits));
            }
        }
        let at = words.len() * 8;
        tail.iter().position(|&b| b == byte).map(|i| at + i)
    }
    #[cfg(target_os = "none")]
    bytes.iter().position(|&b| b == byte)
}

/// The index of the first control byte (below SP, or DEL) in `bytes`: the end of a field
/// value, or a byte no field value may hold (HTAB aside, which the caller skips).
// Perf (W7): values are most of a head (User-Agent, Cookie); eight bytes per step with two
// exact-lowest-lane tests ("less than 0x20", and "zero" after an XOR with DEL), whose
// lowest flagged lane is the first match for the same reason as in `find_byte`; bytes from
// 0x80 (obs-text) flag neither.
#[cfg(not(target_os = "none"))]
#[inline]
fn find_control(bytes: &[u8]) -> Option<usize> {
    let (words, tail) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word);
        let del = x ^ (LOW * 0x7f);
        let hits = (x.wrapping_sub(LOW * 0x20) & !x | del.wrapping_sub(LOW) & !del) & HIGH;
        if hits != 0 {
            return Some(i * 8 + lane(hits));
        }
    }
    let at = words.len() * 8;
    tail.iter()
        .position(|&b| b < 0x20 || b == 0x7f)
        .map(|i| at + i)
}

/// The byte index of the lowest lane flagged in `hits` (the first in memory order, as the
/// words are read little-endian).
#[cfg(not(target_os = "none"))]
#[inline]
const fn lane(hits: u64) -> usize {
    (hits.trailing_zeros() / 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_agrees_with_position_everywhere() {
        let mut bytes = [b'a'; 40];
        assert_eq!(find_byte(&bytes, b'\n'), None);
        for at in 0..bytes.len() {
            bytes[at] = b'\n';
            for start in 0..=at {
                let want = bytes[start..].iter().position(|&b| b == b'\n');
                assert_eq!(find_byte(&bytes[start..], b'\n'), want, "{start} {at}");
            }
            // A lane just above or below the byte (0x09, 0x0b, 0x8a) is not a match.
            bytes[at] = [0x09, 0x0b, 0x8a][at % 3];
        }
        assert_eq!(find_byte(&bytes, b'\n'), None);
        assert_eq!(find_byte(b"", b':'), None);
    }

    #[test]
    fn find_control_agrees_with_position_for_every_byte_everywhere() {
        let is_control = |b: u8| b < 0x20 || b == 0x7f;
        for byte in 0..=255u8 {
            // Around it: bytes just off the edges (SP, '~', 0x80, 0xff) that never match.
            let mut bytes = [0u8; 27];
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = [b' ', b'~', 0x80, 0xff][i % 4];
            }
            assert_eq!(find_control(&bytes), None);
            for at in 0..bytes.len() {
                let mut with = bytes;
                with[at] = byte;
                // A second control later must not hide the first.
                with[bytes.len() - 1] = b'\n';
                for start in 0..=at {
                    let want = with[start..].iter().position(|&b| is_control(b));
                    assert_eq!(find_control(&with[start..]), want, "{byte} {start} {at}");
                }
            }
        }
    }

    /// A xorshift stream over `alphabet`: many inputs, reproducible.
    fn random_bytes(seed: u32, alphabet: &'static [u8]) -> impl Iterator<Item = u8> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        core::iter::repeat_with(move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            alphabet[x as usize % alphabet.len()]
        })
    }

    /// The head's end by definition: after the first LF followed by LF or CRLF.
    fn reference_end(buf: &[u8]) -> Option<usize> {
        (0..buf.len()).find_map(|i| match &buf[i..] {
            [b'\n', b'\n', ..] => Some(i + 2),
            [b'\n', b'\r', b'\n', ..] => Some(i + 3),
            _ => None,
        })
    }

    #[test]
    fn find_end_agrees_with_the_definition_however_the_bytes_arrive() {
        // Line endings in every word lane and across word edges, bytes that differ from LF
        // or CR in a bit or two (0x0b, 0x0c, 0x0e, 0x8a, 0x8d), and obs-text.
        const ALPHABET: &[u8] = b"\n\n\r\r\raaaaa b:\x0b\x0c\x0e\x8a\x8d\xff";
        for seed in 0..20_000 {
            let mut bytes = random_bytes(seed, ALPHABET);
            let len = 1 + seed as usize % 90;
            let buf: std::vec::Vec<u8> = bytes.by_ref().take(len).collect();
            let want = reference_end(&buf);
            assert_eq!(HeadScanner::new().find_end(&buf), want, "{buf:?}");
            // The same bytes in growing prefixes of random steps.
            let mut scanner = HeadScanner::new();
            let mut n = 0;
            let got = loop {
                n = (n + 1 + usize::from(bytes.next().unwrap()) % 11).min(buf.len());
                if let Some(end) = scanner.find_end(&buf[..n]) {
                    break Some(end);
                }
                if n == buf.len() {
                    break None;
                }
            };
            assert_eq!(got, want, "{buf:?}");
            assert!(scanner.examined() <= 2 * buf.len() + 8, "{buf:?}");
        }
    }

    /// Header lines as `(name, value)`.
    type Fields<'a> = std::vec::Vec<(&'a [u8], &'a [u8])>;

    /// `check_fields` with bare metal's two-pass walk: the oracle for the hosts' one.
    fn two_pass_fields(
        mut rest: &[u8],
        max_headers: usize,
    ) -> Result<(Fields<'_>, &[u8]), HandshakeFailure> {
        let mut fields = std::vec::Vec::new();
        loop {
            let line = next_line(&mut rest).ok_or(HandshakeFailure::Malformed)?;
            if line.is_empty() {
                return Ok((fields, rest));
            }
            let (name, value) = field(line).ok_or(HandshakeFailure::Malformed)?;
            if fields.len() == max_headers {
                return Err(HandshakeFailure::TooManyHeaders);
            }
            fields.push((name, value));
        }
    }

    #[test]
    fn header_walk_agrees_with_the_two_pass_walk_on_random_heads() {
        // Long values (several words), every control that matters, obs-text, DEL, colons,
        // OWS around values and before colons, bare CRs and LFs.
        const ALPHABET: &[u8] =
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\
              AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-------------------------------------------\
              :::::::::::::::::::::: \t\t\t\r\r\r\r\r\n\n\n\n\n\n\x00\x1f\x7f\x80\xff\"(/";
        let mut valid = 0;
        for seed in 0..20_000 {
            let len = seed as usize % 200;
            let mut head: std::vec::Vec<u8> = random_bytes(seed, ALPHABET).take(len).collect();
            if seed % 2 == 0 {
                head.extend_from_slice(b"\r\n\r\n");
            }
            for max in [0, 2, 100] {
                let mut ours = std::vec::Vec::new();
                let verdict = check_fields(HeaderIter { rest: &head }, max, |n, v| {
                    ours.push((n, v));
                });
                let want = two_pass_fields(&head, max);
                match want {
                    Ok((fields, after)) => {
                        assert_eq!(verdict, Ok(after), "{head:?}");
                        assert_eq!(ours, fields, "{head:?}");
                        valid += 1;
                    }
                    Err(e) => assert_eq!(verdict, Err(e), "{head:?}"),
                }
            }
        }
        assert!(valid > 1_000, "only {valid} heads were valid");
    }

    /// `request_with`'s verdict as comparable values: the target, the version, the header
    /// lines and the head's length.
    fn tokenized(
        buf: &[u8],
        max_headers: usize,
    ) -> Result<(std::string::String, bool, Fields<'_>, usize), HandshakeFailure> {
        let mut fields = std::vec::Vec::new();
        let (line, _, len) = request_with(buf, max_headers, |n, v| fields.push((n, v)))?;
        Ok((line.target.into(), line.http11, fields, len))
    }

    #[test]
    fn a_whole_head_is_cut_by_the_tokenizer_as_by_the_scanner() {
        // What `receive_request` relies on when `ends_a_head` lets it skip the scanner:
        // on bytes that end with a terminator and start with no empty line, tokenizing all
        // of them gives what tokenizing the scanner's head gives, and its length. Random
        // lines (some bad), terminators inside, and tails that end with one.
        const ALPHABET: &[u8] =
            b"aaaaaaaaaaaaaaaaaaaaAAAAAAA------:::::  \t\r\r\r\n\n\n\n\x00\x7f\xff/";
        let tails: [&[u8]; 4] = [b"", b"\x81\x85\r\n\r\n", b"x\n\n", b"\n\r\n"];
        let mut whole = 0;
        for seed in 0..20_000 {
            let mut buf = std::vec::Vec::from(&b"GET /a HTTP/1.1\r\n"[..]);
            if seed % 7 == 0 {
                buf = std::vec::Vec::from(&b"GET / HTTP/1.0\n"[..]);
            }
            buf.extend(random_bytes(seed, ALPHABET).take(seed as usize % 120));
            buf.extend_from_slice(if seed % 3 == 0 { b"\n\n" } else { b"\r\n\r\n" });
            buf.extend_from_slice(tails[seed as usize % tails.len()]);
            if !ends_a_head(&buf) {
                continue;
            }
            let end = reference_end(&buf).expect("a terminator ends the bytes");
            for max in [1, 100] {
                let scanned = tokenized(&buf[..end], max);
                assert_eq!(tokenized(&buf, max), scanned, "{buf:?}");
                if let Ok((.., len)) = scanned {
                    assert_eq!(len, end, "{buf:?}");
                    whole += 1;
                }
            }
        }
        assert!(whole > 1_000, "only {whole} heads were valid");
        // An empty line first: the scanner ends the head there, so `ends_a_head` must not
        // let the tokenizer (which skips it) decide.
        assert!(!ends_a_head(b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(!ends_a_head(b"\nGET / HTTP/1.1\n\n"));
        assert!(!ends_a_head(b"GET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(ends_a_head(b"GET / HTTP/1.1\nHost: a\n\n"));
    }

    const HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";

    #[test]
    fn finds_end_whole_and_byte_by_byte_in_linear_work() {
        assert_eq!(HeadScanner::new().find_end(HEAD), Some(27));
        let mut scanner = HeadScanner::new();
        let end = (1..=HEAD.len()).find_map(|n| scanner.find_end(&HEAD[..n]));
        assert_eq!(end, Some(27));
        assert!(
            scanner.examined() <= 2 * 27,
            "examined {}",
            scanner.examined()
        );
    }

    #[test]
    fn accepts_bare_lf_terminators() {
        assert_eq!(
            HeadScanner::new().find_end(b"GET / HTTP/1.1\nHost: a\n\n"),
            Some(24)
        );
    }

    #[test]
    fn no_terminator_means_none() {
        assert_eq!(
            HeadScanner::new().find_end(b"GET / HTTP/1.1\r\nHost: a\r\n"),
            None
        );
    }
}
