//! The opening handshake ([RFC 6455 §4](https://www.rfc-editor.org/rfc/rfc6455#section-4)):
//! views of the peer's HTTP head and the inputs the application answers with.

mod accept;
// Hosted base64 for the key and the accept value (firmware's is in `small`).
#[cfg(not(target_os = "none"))]
mod b64;
pub(crate) mod client;
// Hosted SHA-1 of a 24-byte key and the GUID (firmware's is in `small`; `sha1-hw` on x86
// uses the `sha1` crate, SHA-NI when the CPU has it, instead).
#[cfg(all(
    not(target_os = "none"),
    any(
        test,
        not(all(feature = "sha1-hw", any(target_arch = "x86", target_arch = "x86_64")))
    )
))]
mod hash;
pub(crate) mod head;
pub(crate) mod server;
// Firmware's SHA-1 and base64; host tests check it against the hosted crates.
#[cfg(any(test, target_os = "none"))]
mod small;

pub use accept::{AcceptKey, Key, accept_key};
pub use client::ClientRequest;
pub(crate) use client::rejected_body_len;
pub use server::{Accept, Reject};

use crate::error::{Error, Misuse};

/// A validated upgrade request, borrowing the receive buffer.
///
/// Everything RFC 6455 requires has been checked; what is left to the application is
/// policy: the path, the `Origin` (check it against your site to stop cross-site
/// WebSocket hijacking, RFC 6455 §10.2), cookies or authorization, and the subprotocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Request<'a> {
    head: &'a [u8],
    target: &'a str,
    host: &'a str,
    origin: Option<&'a str>,
}

/// A validated `101 Switching Protocols` response, borrowing the receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Response<'a> {
    head: &'a [u8],
    subprotocol: Option<&'a str>,
}

/// A response other than `101`, borrowing the receive buffer: the server refused.
///
/// The body is the `Content-Length` bytes after the head, as many as fit in
/// `max_head_len` together with the head (the engine waits for them); a response without
/// `Content-Length` (close-delimited or chunked) is reported with an empty body and
/// [`is_body_complete`](Self::is_body_complete) false.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rejection<'a> {
    pub(crate) head: &'a [u8],
    pub(crate) status: u16,
    pub(crate) body: &'a [u8],
    pub(crate) body_complete: bool,
}

impl<'a> Rejection<'a> {
    /// The HTTP status (never 101).
    pub const fn status(&self) -> u16 {
        self.status
    }

    /// The body bytes the engine holds (see the type's docs for how much that is).
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Whether [`body`](Self::body) is the whole body the response announced.
    pub const fn is_body_complete(&self) -> bool {
        self.body_complete
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        find_header(self.headers(), name)
    }

    /// Every header line as `(name, value)`, in order.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter::new(self.head)
    }
}

impl<'a> Request<'a> {
    /// The head's length in bytes, its ending empty line included.
    pub(crate) const fn head_len(&self) -> usize {
        self.head.len()
    }

    /// The path of the request target, without the query.
    pub fn path(&self) -> &'a str {
        self.split_query().map_or(self.target, |(path, _)| path)
    }

    /// The query of the request target (after `?`), if any.
    pub fn query(&self) -> Option<&'a str> {
        self.split_query().map(|(_, query)| query)
    }

    /// The target cut at its first `?`. A byte search: `str::split_once` with a `char`
    /// links core's char searcher and `memchr` (about 70 B of firmware flash).
    fn split_query(&self) -> Option<(&'a str, &'a str)> {
        let at = self.target.bytes().position(|b| b == b'?')?;
        Some((self.target.get(..at)?, self.target.get(at + 1..)?))
    }

    /// The `Host` header.
    pub const fn host(&self) -> &'a str {
        self.host
    }

    /// The `Origin` header, sent by browsers.
    pub const fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// The subprotocols offered, in the client's order of preference.
    pub fn subprotocols(&self) -> impl Iterator<Item = &'a str> + 'a {
        list_items(self.headers(), "sec-websocket-protocol")
    }

    /// The extension offers (`name; params`), one per list item; none is ever accepted.
    pub fn extensions(&self) -> impl Iterator<Item = &'a str> + 'a {
        list_items(self.headers(), "sec-websocket-extensions")
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        find_header(self.headers(), name)
    }

    /// Every header line as `(name, value)`, in order, values without surrounding whitespace.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter::new(self.head)
    }
}

impl<'a> Response<'a> {
    /// Always 101: other statuses end in [`HandshakeFailure::Rejected`](crate::HandshakeFailure).
    pub const fn status(&self) -> u16 {
        101
    }

    /// The subprotocol the server selected, one the client offered.
    pub const fn subprotocol(&self) -> Option<&'a str> {
        self.subprotocol
    }

    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        find_header(self.headers(), name)
    }

    /// Every header line as `(name, value)`, in order.
    pub fn headers(&self) -> HeaderIter<'a> {
        HeaderIter::new(self.head)
    }
}

/// The header lines of an HTTP head already validated by the tokenizer.
#[derive(Clone, Copy, Debug)]
pub struct HeaderIter<'a> {
    // INVARIANT: starts at a line boundary after the start line.
    rest: &'a [u8],
}

impl<'a> HeaderIter<'a> {
    fn new(head: &'a [u8]) -> Self {
        head::start_line(head).1
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for HeaderIter<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "HeaderIter")
    }
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let field = head::next_line(&mut self.rest).and_then(head::checked_field);
        if field.is_none() {
            // The empty line ending the head: nothing after it is a header.
            self.rest = &[];
        }
        field
    }
}

fn find_header<'a>(mut headers: HeaderIter<'a>, name: &str) -> Option<&'a [u8]> {
    headers
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Comma-separated items of every header named `name`, trimmed, empty items skipped (and
/// items that are not UTF-8: values may hold obs-text).
fn list_items<'a>(headers: HeaderIter<'a>, name: &'static str) -> ListItems<'a> {
    ListItems {
        lines: headers.rest,
        name,
        rest: &[],
    }
}

/// [`list_items`]' iterator. Hand-written over the head's lines: the adapter chain it
/// replaces (filter, flat_map, map, filter_map over [`HeaderIter`]) linked about 500 B of
/// firmware flash. Split and trimmed as bytes: HTTP's OWS is only SP and HTAB, and `str`
/// patterns would link core's char searcher (with a panic path) into firmware.
struct ListItems<'a> {
    /// The header lines not yet looked at.
    lines: &'a [u8],
    name: &'static str,
    /// What is left of the current header's value.
    rest: &'a [u8],
}

impl<'a> Iterator for ListItems<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            while self.rest.is_empty() {
                // The tokenizer checked every line; the empty one ends the head (and the
                // iterator: nothing after it is a header).
                let Some(line) = head::next_line(&mut self.lines).filter(|line| !line.is_empty())
                else {
                    self.lines = &[];
                    return None;
                };
                if let Some((name, value)) = head::split_at_byte(line, b':')
                    && eq_lower(name, self.name.as_bytes())
                {
                    self.rest = value;
                }
            }
            let (item, rest) = head::split_at_byte(self.rest, b',').unwrap_or((self.rest, &[]));
            self.rest = rest;
            if let Ok(item) = core::str::from_utf8(trim(item))
                && !item.is_empty()
            {
                return Some(item);
            }
        }
    }
}

/// Whether a comma-separated header value holds `token` (ASCII case-insensitive).
pub(crate) fn has_token(value: &[u8], token: &str) -> bool {
    // Perf (W7): the usual value is the token alone (`Upgrade: websocket`, `Connection:
    // Upgrade`), which the list walk would also accept; it cost about 250 instructions.
    // Flash: bare metal has the walk only.
    #[cfg(not(target_os = "none"))]
    if eq_lower(value, token.as_bytes()) {
        return true;
    }
    value
        .split(|&b| b == b',')
        .any(|item| eq_lower(trim(item), token.as_bytes()))
}

/// Whether `check` holds for every part of `bytes` cut at each `separator` (empty parts
/// included), as `split(..).all(..)` would say. A loop: the slice `Split` iterator and its
/// `all` cost more flash.
pub(crate) fn all_parts(
    mut bytes: &[u8],
    separator: u8,
    mut check: impl FnMut(&[u8]) -> bool,
) -> bool {
    while let Some((part, rest)) = head::split_at_byte(bytes, separator) {
        if !check(part) {
            return false;
        }
        bytes = rest;
    }
    check(bytes)
}

/// ASCII case-insensitive equality of `input` with `lower`, a lowercase name of letters,
/// digits and `-` (a header name, or a token the handshake looks for), for input that holds
/// no control byte but HTAB: header names and values as the tokenizer (or `http`) checked
/// them. For those bytes `b | 0x20 == l` holds exactly when `b` is `l` or its uppercase
/// letter: the only other byte that `| 0x20` maps to `l` is a control.
// Perf (W7): eight bytes per step; core's `eq_ignore_ascii_case` cost about 100
// instructions per comparison of a 7- to 24-byte name.
#[cfg_attr(not(target_os = "none"), inline)]
pub(crate) fn eq_lower(input: &[u8], lower: &[u8]) -> bool {
    debug_assert!(
        lower
            .iter()
            .all(|&l| matches!(l, b'a'..=b'z' | b'0'..=b'9' | b'-'))
    );
    input.len() == lower.len() && same_lower(input, lower)
}

/// [`eq_lower`] on two slices of one length, eight bytes per step.
#[cfg(not(target_os = "none"))]
fn same_lower(input: &[u8], lower: &[u8]) -> bool {
    let (words, tail) = input.as_chunks::<8>();
    let (lower_words, lower_tail) = lower.as_chunks::<8>();
    let case = u64::from_ne_bytes([0x20; 8]);
    words
        .iter()
        .zip(lower_words)
        .all(|(w, l)| u64::from_ne_bytes(*w) | case == u64::from_ne_bytes(*l))
        && tail.iter().zip(lower_tail).all(|(b, l)| b | 0x20 == *l)
}

/// [`eq_lower`] on two slices of one length. Flash: bare metal compares bytes.
#[cfg(target_os = "none")]
fn same_lower(input: &[u8], lower: &[u8]) -> bool {
    input.iter().zip(lower).all(|(b, l)| b | 0x20 == *l)
}

/// `value` without leading and trailing spaces and tabs (HTTP's OWS).
pub(crate) fn trim(value: &[u8]) -> &[u8] {
    // Perf (W7): slice patterns, no iterator set-up: most values have one SP before them
    // and none after, so this is a few compares per header.
    let mut value = trim_start(value);
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// `value` without leading spaces and tabs.
#[inline]
pub(crate) fn trim_start(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    value
}

/// RFC 9110 `tchar`: the bytes allowed in a token such as a header name or subprotocol.
pub(crate) const fn is_tchar(b: u8) -> bool {
    // Perf (W7): one bit test per byte (header names are checked byte by byte) instead of
    // a chain of range compares; 32-bit words keep it cheap on 32-bit targets too.
    let word = match b >> 5 {
        0 => TCHARS_0,
        1 => TCHARS_32,
        2 => TCHARS_64,
        3 => TCHARS_96,
        _ => 0,
    };
    (word >> (b & 31)) & 1 != 0
}

/// Bit `i` set where byte `first + i` is a `tchar` (folded at compile time).
const fn tchar_bits(first: u8) -> u32 {
    let mut word = 0;
    let mut bit = 0;
    while bit < 32 {
        let b = first + bit;
        if matches!(b, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^'
            | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
        {
            word |= 1 << bit;
        }
        bit += 1;
    }
    word
}

const TCHARS_0: u32 = tchar_bits(0);
const TCHARS_32: u32 = tchar_bits(32);
const TCHARS_64: u32 = tchar_bits(64);
const TCHARS_96: u32 = tchar_bits(96);

/// Whether `s` is a non-empty token.
pub(crate) fn is_token(s: &[u8]) -> bool {
    // Perf (W7): one table load per byte of every header name, with no early exit, so the
    // loop unrolls (a bad byte is rare and the verdict is the same). Flash: bare-metal
    // targets skip the 256-byte table and test the bits.
    #[cfg(not(target_os = "none"))]
    return !s.is_empty()
        && s.iter().fold(true, |ok, &b| {
            ok & TCHAR_TABLE.get(usize::from(b)).copied().unwrap_or(false)
        });
    #[cfg(target_os = "none")]
    return !s.is_empty() && s.iter().all(|&b| is_tchar(b));
}

/// How many bytes `s` starts with are `tchar`s, by [`TCHAR_TABLE`].
#[cfg(not(target_os = "none"))]
pub(crate) fn tchar_len(s: &[u8]) -> usize {
    s.iter()
        .take_while(|&&b| TCHAR_TABLE.get(usize::from(b)).copied().unwrap_or(false))
        .count()
}

/// `is_tchar` of every byte value, for [`is_token`].
#[cfg(not(target_os = "none"))]
#[allow(clippy::indexing_slicing)] // compile-time evaluation: a bad index fails the build
static TCHAR_TABLE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0u8;
    loop {
        table[b as usize] = is_tchar(b);
        if b == u8::MAX {
            break table;
        }
        b += 1;
    }
};

/// Whether `s` may be sent as a header value: no CR, LF, NUL or other controls but tab.
pub(crate) fn is_field_value(s: &[u8]) -> bool {
    // Perf (W7): no early exit, so LLVM checks 16 bytes per step (values are most of a
    // head: User-Agent, Cookie); a bad byte is rare and the verdict is the same.
    s.iter()
        .fold(true, |ok, &b| ok & (b == b'\t' || (b >= 0x20 && b != 0x7f)))
}

/// Validates application-supplied extra headers, refusing the ones the handshake owns and
/// the ones that announce a body (a 101, a response with its own `Content-Length` and an
/// upgrade request carry none; RFC 9112 §6.1, and our own server rejects such a request).
pub(crate) fn check_extra_headers(headers: &[(&str, &str)]) -> Result<(), Error> {
    const OWNED: [&str; 8] = [
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-accept",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
    ];
    for (name, value) in headers {
        let owned = OWNED.iter().any(|o| o.eq_ignore_ascii_case(name));
        let lengthy = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        if owned || lengthy || !is_token(name.as_bytes()) || !is_field_value(value.as_bytes()) {
            return Err(Error::Usage(Misuse::InvalidHeader));
        }
    }
    Ok(())
}

/// Writes text into a caller buffer while it fits, and counts all of it: one pass says
/// both what was written and how much room the whole needs.
pub(crate) struct Writer<'o> {
    /// `None` once a piece did not fit: from then on the writer only counts.
    out: Option<&'o mut [u8]>,
    len: usize,
}

impl<'o> Writer<'o> {
    pub(crate) const fn new(out: &'o mut [u8]) -> Self {
        Self {
            out: Some(out),
            len: 0,
        }
    }

    pub(crate) fn put(&mut self, bytes: &[u8]) -> &mut Self {
        let end = self.len + bytes.len();
        match self
            .out
            .as_deref_mut()
            .and_then(|out| out.get_mut(self.len..end))
        {
            Some(dst) => crate::copy_bytes(dst, bytes),
            None => self.out = None,
        }
        self.len = end;
        self
    }

    pub(crate) fn put_u16(&mut self, value: u16) -> &mut Self {
        self.put_usize(usize::from(value))
    }

    pub(crate) fn put_usize(&mut self, value: usize) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut n = value;
        let mut at = digits.len();
        loop {
            at -= 1;
            if let Some(d) = digits.get_mut(at) {
                *d = b'0' + (n % 10).to_le_bytes()[0];
            }
            n /= 10;
            if n == 0 || at == 0 {
                break;
            }
        }
        self.put(digits.get(at..).unwrap_or_default())
    }
}

/// Runs `build` once into `out`: its length if all of it fit, or
/// [`Error::BufferTooSmall`] with the length it needs (what fit before is in `out` then,
/// an incomplete response no caller may send: the error gives no length to send).
// Perf (W7): one pass; counting first, then writing, ran `build` twice (about 180
// instructions of the 101).
pub(crate) fn write_all(
    out: &mut [u8],
    build: impl FnOnce(&mut Writer<'_>),
) -> Result<usize, Error> {
    let mut writer = Writer::new(out);
    build(&mut writer);
    match writer.out {
        Some(_) => Ok(writer.len),
        None => Err(Error::BufferTooSmall {
            required: writer.len,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lists_are_case_insensitive_and_trimmed() {
        assert!(has_token(b"keep-alive, Upgrade", "upgrade"));
        assert!(has_token(b"UPGRADE", "upgrade"));
        assert!(!has_token(b"keep-alive", "upgrade"));
        assert!(!has_token(b"upgrades", "upgrade"));
        assert!(has_token(b"Upgrade", "upgrade"));
        assert!(has_token(b" upgrade\t", "upgrade"));
        assert!(has_token(b"a,,upgrade ,", "upgrade"));
        assert!(!has_token(b"", "upgrade"));
        assert!(!has_token(b"upgrade-x", "upgrade"));
        assert!(!has_token(b"up grade", "upgrade"));
    }

    #[test]
    fn list_items_trim_only_http_whitespace() {
        let head = "GET / HTTP/1.1\r\nSec-WebSocket-Protocol: \tchat , ,v2\t\r\nX: y\r\n\
                    sec-websocket-protocol: \u{a0}mqtt\r\n";
        let items: [Option<&str>; 4] = {
            let mut it = list_items(HeaderIter::new(head.as_bytes()), "sec-websocket-protocol");
            [it.next(), it.next(), it.next(), it.next()]
        };
        // A no-break space is not OWS: the item keeps it and matches nothing.
        assert_eq!(items, [Some("chat"), Some("v2"), Some("\u{a0}mqtt"), None]);
    }

    #[test]
    fn list_items_skip_only_the_items_that_are_not_utf8_and_stop_at_the_head_end() {
        let head = b"GET / HTTP/1.1\r\nsec-websocket-protocol: a, \xff,,b\r\n\
                     Sec-WebSocket-Protocol:\r\nSEC-WEBSOCKET-PROTOCOL: c\r\n\r\n\
                     Sec-WebSocket-Protocol: after-the-head\r\n";
        let mut list = list_items(HeaderIter::new(head), "sec-websocket-protocol");
        let items: std::vec::Vec<&str> = list.by_ref().collect();
        assert_eq!(items, ["a", "b", "c"]);
        assert_eq!(list.next(), None, "nothing after the head's end, ever");
    }

    #[test]
    fn eq_lower_is_eq_ignore_ascii_case_on_checked_bytes() {
        // Every byte a checked name or value may hold (no control but HTAB), at every
        // position of every name and token the handshake compares, both case forms.
        let bytes: std::vec::Vec<u8> = (0..=255u8).filter(|&b| b == b'\t' || b >= 0x20).collect();
        let names = [
            "host",
            "upgrade",
            "websocket",
            "connection",
            "sec-websocket-key",
            "sec-websocket-version",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
            "sec-websocket-accept",
            "content-length",
            "transfer-encoding",
            "origin",
            "x2",
        ];
        for name in names {
            let lower = name.as_bytes();
            assert!(eq_lower(name.to_ascii_uppercase().as_bytes(), lower));
            assert!(!eq_lower(&lower[1..], lower) && !eq_lower(lower, &lower[1..]));
            for at in 0..lower.len() {
                for &b in &bytes {
                    let mut input = lower.to_vec();
                    input[at] = b;
                    assert_eq!(
                        eq_lower(&input, lower),
                        input.eq_ignore_ascii_case(lower),
                        "{name} {at} {b:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn writer_counts_then_writes() {
        let mut buf = [0u8; 16];
        let n = write_all(&mut buf, |w| {
            w.put(b"a=").put_u16(426).put(b" ").put_usize(0);
        })
        .unwrap();
        assert_eq!(&buf[..n], b"a=426 0");
        assert_eq!(
            write_all(&mut buf[..3], |w| {
                w.put(b"abcd");
            }),
            Err(Error::BufferTooSmall { required: 4 })
        );
    }
}
