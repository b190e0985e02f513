//! Client side: write the upgrade request, then validate the server's response.

use super::{
    AcceptKey, HeaderIter, Key, Response, check_extra_headers, has_token, head, is_field_value,
    is_token, trim, write_all,
};
use crate::error::{Error, HandshakeFailure, Misuse};
use crate::fixed::FixedBuf;

/// The most bytes of offered subprotocols (comma-joined) a client keeps to check the answer.
pub(crate) const MAX_OFFERED_LEN: usize = 125;

/// What a client asks for in its upgrade request.
///
/// ```
/// use wsmachine::{ClientRequest, Key};
///
/// let key = Key([7; 16]); // use 16 random bytes from a CSPRNG
/// let request = ClientRequest::new("example.com", "/chat?room=1", key)
///     .with_origin("https://example.com")
///     .with_subprotocols(&["chat"])
///     .with_headers(&[("Authorization", "Bearer t0k3n")]);
/// # let _ = request;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClientRequest<'a> {
    pub(crate) host: &'a str,
    pub(crate) path: &'a str,
    pub(crate) key: Key,
    pub(crate) origin: Option<&'a str>,
    pub(crate) subprotocols: &'a [&'a str],
    pub(crate) headers: &'a [(&'a str, &'a str)],
}

impl<'a> ClientRequest<'a> {
    /// A request for `path` (with any query) on `host` (with any port), using `key`.
    pub const fn new(host: &'a str, path: &'a str, key: Key) -> Self {
        Self {
            host,
            path,
            key,
            origin: None,
            subprotocols: &[],
            headers: &[],
        }
    }

    /// Send an `Origin` header.
    pub const fn with_origin(mut self, origin: &'a str) -> Self {
        self.origin = Some(origin);
        self
    }

    /// Offer subprotocols, most preferred first (at most 125 bytes in all, commas included).
    pub const fn with_subprotocols(mut self, subprotocols: &'a [&'a str]) -> Self {
        self.subprotocols = subprotocols;
        self
    }

    /// The subprotocols offered, most preferred first.
    pub const fn subprotocols(&self) -> &'a [&'a str] {
        self.subprotocols
    }

    /// Add request headers (cookies, authorization); handshake headers are refused.
    pub const fn with_headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// Checks the request and records what the response must be validated against.
    pub(crate) fn prepare(&self) -> Result<(ExpectedAccept, FixedBuf<MAX_OFFERED_LEN>), Error> {
        let invalid = Error::Usage(Misuse::InvalidHeader);
        let host_ok = is_field_value(self.host.as_bytes()) && !self.host.is_empty();
        let path_ok =
            self.path.starts_with('/') && self.path.bytes().all(|b| b > 0x20 && b != 0x7f);
        let origin_ok = self.origin.is_none_or(|o| is_field_value(o.as_bytes()));
        if !host_ok || !path_ok || !origin_ok {
            return Err(invalid);
        }
        check_extra_headers(self.headers)?;
        let mut offered = FixedBuf::EMPTY;
        for (i, protocol) in self.subprotocols.iter().enumerate() {
            if !is_token(protocol.as_bytes()) {
                return Err(invalid);
            }
            let separator: &[u8] = if i == 0 { b"" } else { b"," };
            if !(offered.extend(separator) && offered.extend(protocol.as_bytes())) {
                return Err(Error::Usage(Misuse::TooManySubprotocols));
            }
        }
        Ok((ExpectedAccept(self.key), offered))
    }

    /// Writes the request ([§4.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.1)),
    /// with `extensions` as the `Sec-WebSocket-Extensions` offer unless it is empty.
    pub(crate) fn write(&self, out: &mut [u8], extensions: &[u8]) -> Result<usize, Error> {
        let key = self.key.encode();
        write_all(out, |w| {
            w.put(b"GET ")
                .put(self.path.as_bytes())
                .put(b" HTTP/1.1\r\nHost: ");
            w.put(self.host.as_bytes()).put(b"\r\n");
            w.put(b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
            w.put(&key).put(b"\r\nSec-WebSocket-Version: 13\r\n");
            if let Some(origin) = self.origin {
                w.put(b"Origin: ").put(origin.as_bytes()).put(b"\r\n");
            }
            for (i, protocol) in self.subprotocols.iter().enumerate() {
                w.put(if i == 0 {
                    b"Sec-WebSocket-Protocol: "
                } else {
                    b", "
                });
                w.put(protocol.as_bytes());
            }
            if !self.subprotocols.is_empty() {
                w.put(b"\r\n");
            }
            if !extensions.is_empty() {
                w.put(b"Sec-WebSocket-Extensions: ")
                    .put(extensions)
                    .put(b"\r\n");
            }
            for (name, value) in self.headers {
                w.put(name.as_bytes())
                    .put(b": ")
                    .put(value.as_bytes())
                    .put(b"\r\n");
            }
            w.put(b"\r\n");
        })
    }
}

/// The `Sec-WebSocket-Accept` a waiting client expects, kept as the 16-byte key it answers
/// and hashed only when the response arrives: a connection holds it for the whole wait, and
/// this is 12 bytes less than the 28-byte answer (issue 14's connection budget).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExpectedAccept(Key);

/// The body length a (validated) non-101 response head announces with one well-formed
/// `Content-Length`; `None` when it has none, several, or `Transfer-Encoding` (whose body
/// the engine does not decode).
pub(crate) fn rejected_body_len(head: &[u8]) -> Option<u64> {
    let mut len = None;
    for (name, value) in HeaderIter::new(head) {
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return None;
        }
        if name.eq_ignore_ascii_case("content-length") {
            let digits = value.iter().all(u8::is_ascii_digit) && !value.is_empty();
            let parsed = value.iter().try_fold(0u64, |n, &d| {
                n.checked_mul(10)?
                    .checked_add(u64::from(d.wrapping_sub(b'0')))
            });
            match (len, digits, parsed) {
                (None, true, Some(n)) => len = Some(n),
                _ => return None,
            }
        }
    }
    len
}

/// Parses and validates a complete response head ([§4.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.1)).
pub(crate) fn parse_response<'a>(
    head: &'a [u8],
    max_headers: usize,
    accept: &ExpectedAccept,
    offered: &[u8],
    extensions_offered: bool,
) -> Result<Response<'a>, HandshakeFailure> {
    let (line, headers) = head::response(head, max_headers)?;
    let subprotocol = check_response_with(
        line.http11,
        Some(line.status),
        headers,
        &accept.0.accept_key(),
        offered,
        extensions_offered,
    )?;
    Ok(Response { head, subprotocol })
}

/// The §4.1 checks on a tokenized response: the one rule set behind the engine's parser
/// and `wsmachine::http`. Returns the selected subprotocol.
#[cfg(feature = "http")]
pub(crate) fn check_response<'h>(
    http11: bool,
    status: Option<u16>,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    accept: &ExpectedAccept,
    offered: &[u8],
) -> Result<Option<&'h str>, HandshakeFailure> {
    let accept = accept.0.accept_key();
    check_response_with(http11, status, headers, &accept, offered, false)
}

/// [`check_response`], with `Sec-WebSocket-Extensions` answers left to the caller when
/// `extensions_offered` (the connection checks them against its permessage-deflate offer).
pub(crate) fn check_response_with<'h>(
    http11: bool,
    status: Option<u16>,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    accept: &AcceptKey,
    offered: &[u8],
    extensions_offered: bool,
) -> Result<Option<&'h str>, HandshakeFailure> {
    // RFC 6455 §4.1 / RFC 9110 §15.2: 101 exists only from HTTP/1.1 on.
    if !http11 {
        return Err(HandshakeFailure::Malformed);
    }
    match status {
        Some(101) => {}
        Some(status) => return Err(HandshakeFailure::Rejected { status }),
        None => return Err(HandshakeFailure::Malformed),
    }
    let seen = SeenResponse::walk_with(headers, extensions_offered)?;
    if !seen.upgrade {
        return Err(HandshakeFailure::MissingUpgrade);
    }
    if !seen.connection {
        return Err(HandshakeFailure::MissingConnectionUpgrade);
    }
    if seen.accepts != 1 || seen.accept != Some(accept.as_bytes().as_slice()) {
        return Err(HandshakeFailure::BadAccept);
    }
    seen.subprotocol(offered)
}

/// What the walk over a response's headers found.
#[derive(Default)]
pub(crate) struct SeenResponse<'h> {
    upgrade: bool,
    connection: bool,
    /// How many `Sec-WebSocket-Accept` lines there were, and the last one.
    pub(crate) accepts: u8,
    accept: Option<&'h [u8]>,
    subprotocol: Option<&'h [u8]>,
}

impl<'h> SeenResponse<'h> {
    /// Validates every header the handshake reads, stopping at the first bad one.
    #[cfg(feature = "http")]
    pub(crate) fn walk(
        headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    ) -> Result<Self, HandshakeFailure> {
        Self::walk_with(headers, false)
    }

    /// [`walk`](Self::walk); an extension answer is left to the caller when one was offered.
    pub(crate) fn walk_with(
        headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
        extensions_offered: bool,
    ) -> Result<Self, HandshakeFailure> {
        let mut seen = Self::default();
        for (name, value) in headers {
            let is = |n: &str| super::eq_lower(name.as_bytes(), n.as_bytes());
            let value = trim(value);
            if is("upgrade") {
                seen.upgrade |= has_token(value, "websocket");
            } else if is("connection") {
                seen.connection |= has_token(value, "upgrade");
            } else if is("sec-websocket-accept") {
                // §11.3.3: at most once; whitespace around the value is ignored.
                seen.accepts = seen.accepts.saturating_add(1);
                seen.accept = Some(value);
            } else if is("sec-websocket-protocol") {
                // §11.3.4: at most once in a response.
                if seen.subprotocol.replace(value).is_some() {
                    return Err(HandshakeFailure::DuplicateHeader);
                }
            } else if is("sec-websocket-extensions") && !value.is_empty() && !extensions_offered {
                // §9.1: nothing was offered, so any accepted extension is unoffered.
                return Err(HandshakeFailure::UnofferedExtension);
            }
        }
        Ok(seen)
    }

    /// The selected subprotocol, which must be one of `offered` (comma-joined).
    pub(crate) fn subprotocol(&self, offered: &[u8]) -> Result<Option<&'h str>, HandshakeFailure> {
        match self.subprotocol {
            None => Ok(None),
            Some(chosen)
                if offered.split(|&b| b == b',').any(|o| o == chosen) && !chosen.is_empty() =>
            {
                core::str::from_utf8(chosen)
                    .map(Some)
                    .map_err(|_| HandshakeFailure::UnofferedSubprotocol)
            }
            Some(_) => Err(HandshakeFailure::UnofferedSubprotocol),
        }
    }
}
