//! Server side: validate the upgrade request once, then write the 101 or an HTTP error.

use super::{
    AcceptKey, Key, Request, Writer, accept_key, all_parts, check_extra_headers, eq_lower,
    has_token, head, is_token, trim, write_all,
};
use crate::error::{Error, HandshakeFailure, Misuse};

/// The application's answer accepting an upgrade request.
///
/// ```
/// use wsmachine::Accept;
///
/// let accept = Accept::new().with_subprotocol("chat").with_headers(&[("Set-Cookie", "a=b")]);
/// # let _ = accept;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Accept<'a> {
    pub(crate) subprotocol: Option<&'a str>,
    pub(crate) headers: &'a [(&'a str, &'a str)],
}

impl<'a> Accept<'a> {
    /// Accept with no subprotocol and no extra headers.
    pub const fn new() -> Self {
        Self {
            subprotocol: None,
            headers: &[],
        }
    }

    /// Select a subprotocol; it must be one of [`Request::subprotocols`].
    pub const fn with_subprotocol(mut self, subprotocol: &'a str) -> Self {
        self.subprotocol = Some(subprotocol);
        self
    }

    /// Add response headers (cookies, for example); handshake headers are refused.
    pub const fn with_headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// The subprotocol selected, if any.
    pub const fn subprotocol(&self) -> Option<&'a str> {
        self.subprotocol
    }
}

/// The application's answer refusing an upgrade request: any 4xx or 5xx status.
///
/// ```
/// let forbidden = wsmachine::Reject::new(403).with_body(b"origin not allowed");
/// # let _ = forbidden;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reject<'a> {
    status: u16,
    headers: &'a [(&'a str, &'a str)],
    body: &'a [u8],
}

impl<'a> Reject<'a> {
    /// Reject with `status` (400–599), no extra headers and an empty body.
    pub const fn new(status: u16) -> Self {
        Self {
            status,
            headers: &[],
            body: &[],
        }
    }

    /// Add response headers.
    pub const fn with_headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// Add a body (sent with `Content-Length`).
    pub const fn with_body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The HTTP status of this rejection.
    pub const fn status(&self) -> u16 {
        self.status
    }
}

/// Parses and validates a complete request head ([§4.2.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1)).
///
/// Also says whether any `Sec-WebSocket-Protocol` header came (so the caller walks the
/// headers for the offer only when there is one).
///
/// `head` is the head as [`head::HeadScanner`] cut it, or bytes that
/// [`head::ends_a_head`] accepted; the request's head is cut at its end either way.
pub(crate) fn parse_request(
    head: &[u8],
    max_headers: usize,
) -> Result<(Request<'_>, AcceptKey, bool), HandshakeFailure> {
    // Perf (W7): the header values are checked in the tokenizer's own walk over the lines.
    // The failures keep their order: syntax first, then the start line, then the first
    // header that breaks a rule, then what is missing.
    let mut seen = Seen::default();
    let mut failure = None;
    let (line, _, len) = head::request_with(head, max_headers, |name, value| {
        if failure.is_none() {
            failure = seen.record(name, value).err();
        }
    })?;
    check_start(line.method == b"GET", line.http11)?;
    if let Some(failure) = failure {
        return Err(failure);
    }
    let checked = seen.finish()?;
    // Flash: firmware always parses the scanner's head, which `len` covers whole.
    #[cfg(target_os = "none")]
    let _ = len;
    #[cfg(not(target_os = "none"))]
    let head = head.get(..len).unwrap_or(head);
    let request = Request {
        head,
        target: line.target,
        host: checked.host,
        origin: checked.origin,
    };
    Ok((request, accept_key(checked.key), checked.subprotocols))
}

/// What a valid upgrade request carries, borrowed from wherever its headers live.
pub(crate) struct Checked<'h> {
    pub(crate) host: &'h str,
    pub(crate) origin: Option<&'h str>,
    /// A `Sec-WebSocket-Protocol` header came.
    pub(crate) subprotocols: bool,
    /// The `Sec-WebSocket-Key` value as sent (base64 text).
    pub(crate) key: &'h [u8],
}

/// The RFC 6455 §4.2.1 checks after the request line has been tokenized, in the order the
/// RFC lists them: the one rule set behind the engine's parser and `wsmachine::http`.
#[cfg(feature = "http")] // the engine's own parser checks in the tokenizer's walk
pub(crate) fn check_request<'h>(
    get: bool,
    http11: bool,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
) -> Result<Checked<'h>, HandshakeFailure> {
    check_start(get, http11)?;
    Seen::walk(headers)?.finish()
}

/// Item 1: an HTTP/1.1 or higher GET request.
const fn check_start(get: bool, http11: bool) -> Result<(), HandshakeFailure> {
    if !get {
        return Err(HandshakeFailure::NotGet);
    }
    if !http11 {
        return Err(HandshakeFailure::NotHttp11);
    }
    Ok(())
}

/// What the header walk found; one pass, no header looked up twice.
#[derive(Default)]
pub(crate) struct Seen<'h> {
    pub(crate) host: Option<&'h [u8]>,
    pub(crate) origin: Option<&'h [u8]>,
    key: Option<&'h [u8]>,
    /// How many `Sec-WebSocket-Key` lines there were.
    pub(crate) keys: u8,
    subprotocols: bool,
    versions: u8,
    version_13: bool,
    upgrade: bool,
    connection_upgrade: bool,
}

impl<'h> Seen<'h> {
    /// Validates every header the handshake reads, stopping at the first bad one.
    #[cfg(feature = "http")]
    pub(crate) fn walk(
        headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    ) -> Result<Self, HandshakeFailure> {
        let mut seen = Self::default();
        for (name, value) in headers {
            seen.record(name.as_bytes(), trim(value))?;
        }
        Ok(seen)
    }

    /// Items 2–6 of §4.2.1 once every header is recorded, in the order the RFC lists them.
    fn finish(self) -> Result<Checked<'h>, HandshakeFailure> {
        let host = self.host.ok_or(HandshakeFailure::MissingHost)?;
        if !self.upgrade {
            return Err(HandshakeFailure::MissingUpgrade);
        }
        if !self.connection_upgrade {
            return Err(HandshakeFailure::MissingConnectionUpgrade);
        }
        self.check_version()?;
        // §11.3.1: Sec-WebSocket-Key MUST NOT appear more than once.
        let (1, Some(key)) = (self.keys, self.key) else {
            return Err(HandshakeFailure::BadKey);
        };
        Ok(Checked {
            host: utf8(host)?,
            origin: self.origin.map(utf8).transpose()?,
            subprotocols: self.subprotocols,
            key,
        })
    }

    /// §4.2.2: an unsupported version gets 426 with the version we speak (§4.4).
    pub(crate) const fn check_version(&self) -> Result<(), HandshakeFailure> {
        if self.versions != 1 || !self.version_13 {
            return Err(HandshakeFailure::UnsupportedVersion);
        }
        Ok(())
    }

    /// Records one header line; `value` comes without surrounding OWS (the tokenizer
    /// trims it, and so does [`Seen::walk`]).
    fn record(&mut self, name: &[u8], value: &'h [u8]) -> Result<(), HandshakeFailure> {
        let is = |n: &str| eq_lower(name, n.as_bytes());
        if is("host") {
            set_once(&mut self.host, value)?;
        } else if is("upgrade") {
            self.upgrade |= has_token(value, "websocket");
        } else if is("connection") {
            self.connection_upgrade |= has_token(value, "upgrade");
        } else if is("sec-websocket-key") {
            self.keys = self.keys.saturating_add(1);
            self.key = Key::parse(value).map(|_| value);
        } else if is("sec-websocket-version") {
            // §4.3: exactly "13", no leading zeros, not a list.
            self.versions = self.versions.saturating_add(1);
            self.version_13 = value == b"13";
        } else if is("origin") {
            set_once(&mut self.origin, value)?;
        } else if is("sec-websocket-protocol") {
            // §4.1: 1#token; an empty item or a non-token is a malformed list.
            self.subprotocols = true;
            if !all_parts(value, b',', |item| is_token(trim(item))) {
                return Err(HandshakeFailure::InvalidHeaderValue);
            }
        } else if is("sec-websocket-extensions") {
            // §9.1: a malformed extension list MUST fail the handshake.
            if !is_extension_list(value) {
                return Err(HandshakeFailure::InvalidHeaderValue);
            }
        } else if is("transfer-encoding") || (is("content-length") && value != b"0") {
            // A body on the upgrade would otherwise be read as frames (request smuggling).
            return Err(HandshakeFailure::UnexpectedBody);
        }
        Ok(())
    }
}

fn set_once<'h>(slot: &mut Option<&'h [u8]>, value: &'h [u8]) -> Result<(), HandshakeFailure> {
    match slot.replace(value) {
        Some(_) => Err(HandshakeFailure::DuplicateHeader),
        None => Ok(()),
    }
}

pub(crate) fn utf8(value: &[u8]) -> Result<&str, HandshakeFailure> {
    core::str::from_utf8(value).map_err(|_| HandshakeFailure::InvalidHeaderValue)
}

/// `1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) )` with OWS around each
/// part, checked in one pass over the bytes; a quoted value must be a token once unquoted
/// (RFC 6455 §9.1). The same verdicts as [`is_extension_list_by_parts`], which the tests
/// hold it to.
// Perf (W7): a browser's `permessage-deflate; client_max_window_bits` took about 580
// instructions cut into parts and trimmed. Flash: bare metal keeps the parts walk.
#[cfg(not(target_os = "none"))]
fn is_extension_list(value: &[u8]) -> bool {
    /// The bytes after the token `s` starts with, if it starts with one.
    fn token(s: &[u8]) -> Option<&[u8]> {
        let len = super::tchar_len(s);
        if len == 0 {
            return None;
        }
        s.get(len..)
    }
    use super::trim_start as ows;
    let walk = || -> Option<()> {
        // At the start of an item: its name.
        let mut rest = ows(token(ows(value))?);
        loop {
            match rest {
                [] => return Some(()),
                [b',', after @ ..] => rest = ows(token(ows(after))?),
                [b';', after @ ..] => {
                    rest = ows(token(ows(after))?);
                    if let [b'=', after @ ..] = rest {
                        rest = match ows(after) {
                            [b'"', quoted @ ..] => token(quoted)?.strip_prefix(b"\"")?,
                            unquoted => token(unquoted)?,
                        };
                        rest = ows(rest);
                    }
                }
                _ => return None,
            }
        }
    };
    walk().is_some()
}

// Bare metal checks by parts.
#[cfg(target_os = "none")]
use is_extension_list_by_parts as is_extension_list;

/// [`is_extension_list`] by cutting the value at commas, each item at semicolons, each
/// parameter at its `=`, and trimming every part: bare metal's walk (less code) and the
/// hosts' oracle.
#[cfg(any(test, target_os = "none"))]
fn is_extension_list_by_parts(value: &[u8]) -> bool {
    all_parts(value, b',', |item| {
        let mut name = true;
        all_parts(item, b';', |param| {
            let param = trim(param);
            if core::mem::take(&mut name) {
                return is_token(param);
            }
            match head::split_at_byte(param, b'=') {
                None => is_token(param),
                Some((name, value)) => {
                    let value = trim(value);
                    is_token(trim(name)) && (is_token(value) || is_quoted_token(value))
                }
            }
        })
    })
}

/// RFC 6455 §9.1: a quoted parameter value must itself be a token once unquoted.
#[cfg(any(test, target_os = "none"))]
fn is_quoted_token(value: &[u8]) -> bool {
    value
        .strip_prefix(b"\"")
        .and_then(|v| v.strip_suffix(b"\""))
        .is_some_and(is_token)
}

/// What `accept` must be to be written (whatever writes it: this module or `wsmachine::http`).
pub(crate) fn check_accept(accept: &Accept<'_>) -> Result<(), Error> {
    check_extra_headers(accept.headers)?;
    if let Some(protocol) = accept.subprotocol
        && !is_token(protocol.as_bytes())
    {
        return Err(Error::Usage(Misuse::InvalidHeader));
    }
    Ok(())
}

/// Writes the `101 Switching Protocols` response, with `extensions` as the
/// `Sec-WebSocket-Extensions` answer unless it is empty.
pub(crate) fn write_accept(
    accept: &Accept<'_>,
    key: &AcceptKey,
    extensions: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    check_accept(accept)?;
    write_all(out, |w| {
        w.put(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        w.put(b"Sec-WebSocket-Accept: ")
            .put(key.as_bytes())
            .put(b"\r\n");
        if let Some(protocol) = accept.subprotocol {
            w.put(b"Sec-WebSocket-Protocol: ")
                .put(protocol.as_bytes())
                .put(b"\r\n");
        }
        if !extensions.is_empty() {
            w.put(b"Sec-WebSocket-Extensions: ")
                .put(extensions)
                .put(b"\r\n");
        }
        put_headers(w, accept.headers);
        w.put(b"\r\n");
    })
}

/// Writes an application's rejection.
pub(crate) fn write_reject(reject: &Reject<'_>, out: &mut [u8]) -> Result<usize, Error> {
    if !(400..=599).contains(&reject.status) {
        return Err(Error::Usage(Misuse::InvalidStatus));
    }
    check_extra_headers(reject.headers)?;
    write_all(out, |w| {
        status_line(w, reject.status);
        w.put(b"Connection: close\r\nContent-Length: ")
            .put_usize(reject.body.len())
            .put(b"\r\n");
        put_headers(w, reject.headers);
        w.put(b"\r\n").put(reject.body);
    })
}

/// Writes the engine's own error response to a bad request.
///
/// `status` is one of [`Error::http_status`]'s (400, 405, 426, 431): their status lines
/// are written whole, so the number formatting and the reason table of `status_line`
/// (which any application status needs) stay with `write_reject`, and firmware that
/// never rejects links neither.
pub(crate) fn write_error(status: u16, out: &mut [u8]) -> Result<usize, Error> {
    let start: &[u8] = match status {
        405 => b"HTTP/1.1 405 Method Not Allowed\r\n",
        // RFC 6455 §4.4: list the versions we support.
        426 => b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n",
        431 => b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        _ => b"HTTP/1.1 400 Bad Request\r\n",
    };
    write_all(out, |w| {
        w.put(start)
            .put(b"Connection: close\r\nContent-Length: 0\r\n\r\n");
    })
}

fn status_line(w: &mut Writer<'_>, status: u16) {
    let reason: &[u8] = match status {
        400 => b"Bad Request",
        401 => b"Unauthorized",
        403 => b"Forbidden",
        404 => b"Not Found",
        405 => b"Method Not Allowed",
        426 => b"Upgrade Required",
        429 => b"Too Many Requests",
        431 => b"Request Header Fields Too Large",
        500 => b"Internal Server Error",
        503 => b"Service Unavailable",
        _ => b"Error",
    };
    w.put(b"HTTP/1.1 ")
        .put_u16(status)
        .put(b" ")
        .put(reason)
        .put(b"\r\n");
}

fn put_headers(w: &mut Writer<'_>, headers: &[(&str, &str)]) {
    for (name, value) in headers {
        w.put(name.as_bytes())
            .put(b": ")
            .put(value.as_bytes())
            .put(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Protocol: v2\r\nSec-WebSocket-Version: 13\r\nCookie: a=b\r\n\r\n";

    #[test]
    fn the_one_pass_extension_check_agrees_with_the_parts_walk() {
        // Random values over the bytes that matter (token bytes, OWS, separators, quotes,
        // a non-token byte), every length up to 12, plus the usual offers.
        const ALPHABET: &[u8] = b"ab=;,\" \t/x";
        let mut x = 0x1234_5678u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ALPHABET[x as usize % ALPHABET.len()]
        };
        let mut valid = 0;
        for n in 0..200_000 {
            let value: std::vec::Vec<u8> = (0..n % 13).map(|_| next()).collect();
            let want = is_extension_list_by_parts(&value);
            assert_eq!(is_extension_list(&value), want, "{value:?}");
            valid += usize::from(want);
        }
        assert!(valid > 1_000, "only {valid} valid values");
        for value in [
            &b"permessage-deflate; client_max_window_bits"[..],
            b"permessage-deflate; client_max_window_bits=15, permessage-deflate",
            b"x-webkit-deflate-frame",
            b"a; b=\"1\" ; c",
        ] {
            assert!(is_extension_list(value));
        }
    }

    #[test]
    fn parses_a_good_request() {
        let (request, accept, _) = parse_request(GOOD, 32).unwrap();
        assert_eq!(request.path(), "/chat");
        assert_eq!(request.query(), Some("room=1"));
        assert_eq!(request.host(), "example.com");
        assert_eq!(request.origin(), Some("http://example.com"));
        let offered: std::vec::Vec<_> = request.subprotocols().collect();
        assert_eq!(offered, ["chat", "superchat", "v2"]);
        assert_eq!(request.header("cookie"), Some(&b"a=b"[..]));
        assert_eq!(accept.as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn engine_errors_match_the_general_status_line() {
        use crate::error::HandshakeFailure::*;
        let failures = [
            NotGet,
            HeadTooLarge,
            TooManyHeaders,
            UnsupportedVersion,
            Malformed,
            NotHttp11,
            MissingHost,
            MissingUpgrade,
            MissingConnectionUpgrade,
            BadKey,
            DuplicateHeader,
            UnexpectedBody,
            InvalidHeaderValue,
        ];
        for failure in failures {
            let status = Error::Handshake(failure).http_status().unwrap();
            assert!([400, 405, 426, 431].contains(&status), "{failure:?}");
            let mut got = [0u8; 160];
            let len = write_error(status, &mut got).unwrap();
            let mut want = [0u8; 160];
            let want_len = write_all(&mut want, |w| {
                status_line(w, status);
                if status == 426 {
                    w.put(b"Sec-WebSocket-Version: 13\r\n");
                }
                w.put(b"Connection: close\r\nContent-Length: 0\r\n\r\n");
            })
            .unwrap();
            assert_eq!(got[..len], want[..want_len], "{status}");
        }
    }

    #[test]
    fn extension_list_syntax() {
        assert!(is_extension_list(
            b"permessage-deflate; client_max_window_bits"
        ));
        assert!(is_extension_list(b"a; b=1, c; d=\"x\""));
        assert!(!is_extension_list(b"a; b=\"\\c\\c"));
        assert!(!is_extension_list(b""));
        assert!(!is_extension_list(b"a,,b"));
    }
}
