//! The opening handshake on the `http` crate's types, for HTTP stacks that parse
//! HTTP themselves and hand over the upgraded stream (hyper, axum, h2).
//!
//! The checks are the engine's own (one rule set, see `handshake/server.rs`), so a request
//! gets the same status here as from [`Connection::server`](crate::Connection::server):
//!
//! | request | status |
//! |---|---|
//! | not `GET` | 405 |
//! | not HTTP/1.1; no `Host`; no `Upgrade: websocket`; no `Connection: Upgrade`; key missing, repeated or not 16 bytes; a repeated `Host` or `Origin`; a body; a malformed subprotocol or extension list; a non-UTF-8 `Host` or `Origin` | 400 |
//! | `Sec-WebSocket-Version` missing, repeated or not 13 | 426 with `Sec-WebSocket-Version: 13` |
//! | more than [`Config::max_headers`] header lines | 431 |
//!
//! The head length limit ([`Config::max_head_len`]) is the HTTP stack's (hyper answers 431
//! itself). Where one request breaks several rules, the first broken one decides the
//! [`HandshakeFailure`], in RFC order; between headers of different names, `HeaderMap`
//! order (grouped by name) stands in for wire order, which can change the variant reported
//! but not the status.
//!
//! Server flow: [`UpgradeRequest::from_request`], then [`UpgradeRequest::accept`] for the
//! `101` (or [`error_response`] for the failure), then run the upgraded stream (hyper:
//! `hyper::upgrade::on(request)`) with `wsmachine::tokio::WebSocket::from_upgraded(
//! TokioIo::new(upgraded), Role::Server, Options::new())` (feature `tokio`), or with
//! [`Connection::upgraded`](crate::Connection::upgraded) in your own loop.
//! `examples/axum.rs` and `examples/hyper.rs` are the whole server. RFC 8441 (WebSockets
//! over HTTP/2 extended CONNECT) is [`ConnectRequest`] with a `200`, the same afterwards.
//! Client flow: [`client_request`], then [`validate_response`] ([`connect_request`] and
//! [`validate_connect_response`] over HTTP/2).
//!
//! ```
//! use wsmachine::{Accept, Config, http::UpgradeRequest};
//!
//! let request = |version: &str| {
//!     http::Request::get("/chat?room=1")
//!         .header("host", "example.com")
//!         .header("upgrade", "websocket")
//!         .header("connection", "Upgrade")
//!         .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
//!         .header("sec-websocket-version", version)
//!         .header("sec-websocket-protocol", "chat, superchat")
//!         .body(())
//!         .unwrap()
//! };
//! let good = request("13");
//! let upgrade = UpgradeRequest::from_request(&good, &Config::new()).unwrap();
//! assert_eq!((upgrade.path(), upgrade.query()), ("/chat", Some("room=1")));
//! let response = upgrade.accept(&upgrade.negotiate(&["chat"])).unwrap();
//! assert_eq!(response.status(), 101);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
//!
//! // Another version gets the engine's 426, naming the one it speaks.
//! let old = request("8");
//! let failure = UpgradeRequest::from_request(&old, &Config::new()).unwrap_err();
//! let response = wsmachine::http::error_response(failure);
//! assert_eq!(response.status(), 426);
//! assert_eq!(response.headers()["sec-websocket-version"], "13");
//! ```

use ::http::header::{CONNECTION, CONTENT_LENGTH, HOST, ORIGIN, UPGRADE};
use ::http::uri::Scheme;
use ::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};
use ::http::{Version, request};

use crate::handshake::client::{SeenResponse, check_response};
use crate::handshake::server::{self, Seen, check_request, utf8};
use crate::{Accept, AcceptKey, ClientRequest, Config, Error, HandshakeFailure, Misuse};

const SEC_WEBSOCKET_KEY: HeaderName = HeaderName::from_static("sec-websocket-key");
const SEC_WEBSOCKET_ACCEPT: HeaderName = HeaderName::from_static("sec-websocket-accept");
const SEC_WEBSOCKET_VERSION: HeaderName = HeaderName::from_static("sec-websocket-version");
const SEC_WEBSOCKET_PROTOCOL: HeaderName = HeaderName::from_static("sec-websocket-protocol");

/// A validated HTTP/1.1 upgrade request ([RFC 6455 §4.2.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1)),
/// borrowing the request it came from.
///
/// What is left to the application is policy: the path, the `Origin` (check it against your
/// site to stop cross-site WebSocket hijacking, RFC 6455 §10.2), cookies, the subprotocol.
#[derive(Clone, Copy, Debug)]
pub struct UpgradeRequest<'a> {
    uri: &'a Uri,
    headers: &'a HeaderMap,
    host: &'a str,
    origin: Option<&'a str>,
    key: &'a str,
}

impl<'a> UpgradeRequest<'a> {
    /// Validates a request as [`Connection::server`](crate::Connection::server) would, with
    /// `config`'s header count limit.
    ///
    /// # Errors
    /// The [`HandshakeFailure`] the engine reports for the same request; answer it with
    /// [`error_response`].
    pub fn from_request<B>(
        request: &'a Request<B>,
        config: &Config,
    ) -> Result<Self, HandshakeFailure> {
        Self::check(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
            config,
        )
    }

    /// [`from_request`](Self::from_request) on the parts of a request.
    ///
    /// # Errors
    /// As [`from_request`](Self::from_request).
    pub fn from_parts(
        parts: &'a request::Parts,
        config: &Config,
    ) -> Result<Self, HandshakeFailure> {
        Self::check(
            &parts.method,
            parts.version,
            &parts.uri,
            &parts.headers,
            config,
        )
    }

    fn check(
        method: &Method,
        version: Version,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        config: &Config,
    ) -> Result<Self, HandshakeFailure> {
        check_count(headers, config)?;
        let checked = check_request(
            method == Method::GET,
            version == Version::HTTP_11,
            pairs(headers),
        )?;
        Ok(Self {
            uri,
            headers,
            host: checked.host,
            origin: checked.origin,
            // The key decoded as base64, so it is ASCII.
            key: core::str::from_utf8(checked.key).map_err(|_| HandshakeFailure::BadKey)?,
        })
    }

    /// The path of the request target, without the query.
    pub fn path(&self) -> &'a str {
        self.uri.path()
    }

    /// The query of the request target (after `?`), if any.
    pub fn query(&self) -> Option<&'a str> {
        self.uri.query()
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
        list_items(self.headers, "sec-websocket-protocol")
    }

    /// The extension offers (`name; params`), one per list item; none is ever accepted.
    pub fn extensions(&self) -> impl Iterator<Item = &'a str> + 'a {
        list_items(self.headers, "sec-websocket-extensions")
    }

    /// The `Sec-WebSocket-Key` value as sent (24 characters of base64).
    pub const fn key(&self) -> &'a str {
        self.key
    }

    /// The `Sec-WebSocket-Accept` value the `101` carries.
    pub fn accept_key(&self) -> AcceptKey {
        crate::accept_key(self.key.as_bytes())
    }

    /// All request headers.
    pub const fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// An [`Accept`] selecting the first subprotocol the client offered (in its order of
    /// preference) that is in `supported`, or none; add headers with `with_headers`.
    pub fn negotiate(&self, supported: &[&str]) -> Accept<'a> {
        negotiate(self.subprotocols(), supported)
    }

    /// The `101 Switching Protocols` response, with the headers the engine writes in the
    /// same order: `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, then
    /// `Sec-WebSocket-Protocol` if one is chosen, then `accept`'s extra headers.
    ///
    /// # Errors
    /// As [`Connection::accept`](crate::Connection::accept):
    /// [`Misuse::SubprotocolNotOffered`] for a subprotocol the client did not offer,
    /// [`Misuse::InvalidHeader`] for an extra header the engine refuses (a handshake header,
    /// `Content-Length`, `Transfer-Encoding`, a bad name or value).
    pub fn accept(&self, accept: &Accept<'_>) -> Result<Response<()>, Error> {
        check_accept(accept, self.subprotocols())?;
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        insert(headers, UPGRADE, "websocket")?;
        insert(headers, CONNECTION, "Upgrade")?;
        insert(headers, SEC_WEBSOCKET_ACCEPT, self.accept_key().as_str())?;
        put_accept_headers(headers, accept)?;
        Ok(response)
    }
}

/// A validated RFC 8441 extended CONNECT request: a WebSocket on an HTTP/2 (or HTTP/3,
/// RFC 9220) stream.
///
/// [`accept`](Self::accept) builds the `200`; the stream's data then carries frames, run
/// with [`Connection::upgraded`](crate::Connection::upgraded) (the client masks as ever).
#[derive(Clone, Copy, Debug)]
pub struct ConnectRequest<'a> {
    uri: &'a Uri,
    headers: &'a HeaderMap,
    host: &'a str,
    origin: Option<&'a str>,
}

impl<'a> ConnectRequest<'a> {
    /// Validates an extended CONNECT request. `protocol` is its `:protocol` pseudo-header,
    /// which the `http` crate does not model: pass
    /// `request.extensions().get::<h2::ext::Protocol>().map(|p| p.as_str())` with h2,
    /// the same with `hyper::ext::Protocol` with hyper.
    ///
    /// Checked, in this order: method `CONNECT` (else 405), HTTP/2 or HTTP/3 (else 400),
    /// each header as in [`UpgradeRequest`] (400), `:authority` or `Host` present (400),
    /// `:protocol` = `websocket` (400), `Sec-WebSocket-Version: 13` (426), no
    /// `Sec-WebSocket-Key` (RFC 8441 §5 drops the key and accept: 400).
    ///
    /// # Errors
    /// The [`HandshakeFailure`]; answer it with [`connect_error_response`].
    pub fn from_request<B>(
        request: &'a Request<B>,
        protocol: Option<&str>,
        config: &Config,
    ) -> Result<Self, HandshakeFailure> {
        Self::check(
            request.method(),
            request.version(),
            request.uri(),
            request.headers(),
            protocol,
            config,
        )
    }

    /// [`from_request`](Self::from_request) on the parts of a request.
    ///
    /// # Errors
    /// As [`from_request`](Self::from_request).
    pub fn from_parts(
        parts: &'a request::Parts,
        protocol: Option<&str>,
        config: &Config,
    ) -> Result<Self, HandshakeFailure> {
        Self::check(
            &parts.method,
            parts.version,
            &parts.uri,
            &parts.headers,
            protocol,
            config,
        )
    }

    fn check(
        method: &Method,
        version: Version,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        protocol: Option<&str>,
        config: &Config,
    ) -> Result<Self, HandshakeFailure> {
        check_count(headers, config)?;
        if method != Method::CONNECT {
            return Err(HandshakeFailure::NotGet);
        }
        if version != Version::HTTP_2 && version != Version::HTTP_3 {
            return Err(HandshakeFailure::NotHttp11);
        }
        let seen = Seen::walk(pairs(headers))?;
        // RFC 9113 §8.3.1: `:authority` stands in for `Host`.
        let host = match uri.authority() {
            Some(authority) => authority.as_str(),
            None => utf8(seen.host.ok_or(HandshakeFailure::MissingHost)?)?,
        };
        // RFC 8441 §4: `:protocol` names the protocol the stream switches to.
        if !protocol.is_some_and(|p| p.eq_ignore_ascii_case("websocket")) {
            return Err(HandshakeFailure::MissingUpgrade);
        }
        seen.check_version()?;
        if seen.keys != 0 {
            return Err(HandshakeFailure::BadKey);
        }
        Ok(Self {
            uri,
            headers,
            host,
            origin: seen.origin.map(utf8).transpose()?,
        })
    }

    /// The `:path` without the query.
    pub fn path(&self) -> &'a str {
        self.uri.path()
    }

    /// The query of `:path`, if any.
    pub fn query(&self) -> Option<&'a str> {
        self.uri.query()
    }

    /// The `:authority` (or `Host`).
    pub const fn host(&self) -> &'a str {
        self.host
    }

    /// The `Origin` header.
    pub const fn origin(&self) -> Option<&'a str> {
        self.origin
    }

    /// The subprotocols offered, in the client's order of preference.
    pub fn subprotocols(&self) -> impl Iterator<Item = &'a str> + 'a {
        list_items(self.headers, "sec-websocket-protocol")
    }

    /// The extension offers, one per list item; none is ever accepted.
    pub fn extensions(&self) -> impl Iterator<Item = &'a str> + 'a {
        list_items(self.headers, "sec-websocket-extensions")
    }

    /// All request headers.
    pub const fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// An [`Accept`] selecting the first subprotocol the client offered (in its order of
    /// preference) that is in `supported`, or none; add headers with `with_headers`.
    pub fn negotiate(&self, supported: &[&str]) -> Accept<'a> {
        negotiate(self.subprotocols(), supported)
    }

    /// The `200` response (RFC 8441 §5): `Sec-WebSocket-Protocol` if one is chosen, then
    /// `accept`'s extra headers. Send it without ending the stream.
    ///
    /// # Errors
    /// As [`UpgradeRequest::accept`].
    pub fn accept(&self, accept: &Accept<'_>) -> Result<Response<()>, Error> {
        check_accept(accept, self.subprotocols())?;
        let mut response = Response::new(());
        put_accept_headers(response.headers_mut(), accept)?;
        Ok(response)
    }
}

/// The engine's own response to a request that failed validation, as
/// [`Connection::server`](crate::Connection::server) writes it: the status of
/// [`Error::http_status`] (400 for a failure only clients see), `Sec-WebSocket-Version: 13`
/// with a 426, `Connection: close` and `Content-Length: 0`.
pub fn error_response(failure: HandshakeFailure) -> Response<()> {
    failure_response(failure, true)
}

/// [`error_response`] for an extended CONNECT stream: the same status and headers but
/// `Connection`, which HTTP/2 forbids (RFC 9113 §8.2.2).
pub fn connect_error_response(failure: HandshakeFailure) -> Response<()> {
    failure_response(failure, false)
}

fn failure_response(failure: HandshakeFailure, http1: bool) -> Response<()> {
    let status = Error::Handshake(failure).http_status().unwrap_or(400);
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    // None of these can fail: the map holds at most three entries.
    if status == 426 {
        // RFC 6455 §4.4: list the versions we support.
        let _ = headers.try_insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
    }
    if http1 {
        let _ = headers.try_insert(CONNECTION, HeaderValue::from_static("close"));
    }
    let _ = headers.try_insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}

/// A client's HTTP/1.1 upgrade request for `request`, with the headers the engine's
/// [`Connection::connect`](crate::Connection::connect) writes, in the same order. Send it
/// with an HTTP client that hands over the upgraded stream, then check the answer with
/// [`validate_response`].
///
/// # Errors
/// As [`Connection::connect`](crate::Connection::connect): [`Misuse::InvalidHeader`],
/// [`Misuse::TooManySubprotocols`].
pub fn client_request(request: &ClientRequest<'_>) -> Result<Request<()>, Error> {
    request.prepare()?;
    let mut http = Request::new(());
    *http.uri_mut() = Uri::try_from(request.path).map_err(|_| invalid())?;
    let headers = http.headers_mut();
    insert(headers, HOST, request.host)?;
    insert(headers, UPGRADE, "websocket")?;
    insert(headers, CONNECTION, "Upgrade")?;
    let key = request.key.encode();
    insert(
        headers,
        SEC_WEBSOCKET_KEY,
        utf8(&key).map_err(|_| invalid())?,
    )?;
    put_client_headers(headers, request)?;
    Ok(http)
}

/// Validates the server's answer to [`client_request`] as the engine does
/// ([§4.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.1)): HTTP/1.1 `101`,
/// `Upgrade`, `Connection`, the accept key for `request`'s key, a subprotocol only if
/// offered, no extension. Returns the selected subprotocol.
///
/// # Errors
/// [`Error::Handshake`] with the failure (a non-101 status is
/// [`HandshakeFailure::Rejected`]); [`Error::Usage`] if `request` itself is invalid.
pub fn validate_response<'r, B>(
    response: &'r Response<B>,
    request: &ClientRequest<'_>,
) -> Result<Option<&'r str>, Error> {
    let (accept, offered) = request.prepare()?;
    check_response(
        response.version() == Version::HTTP_11,
        Some(response.status().as_u16()),
        pairs(response.headers()),
        &accept,
        offered.as_bytes(),
    )
    .map_err(Error::Handshake)
}

/// A client's RFC 8441 extended CONNECT request for `request` (its key is not sent):
/// `CONNECT scheme://host/path` over HTTP/2 with `Sec-WebSocket-Version: 13` and the
/// offered subprotocols, origin and extra headers.
///
/// The `:protocol = websocket` pseudo-header is the HTTP/2 library's extension, which the
/// caller adds to `extensions_mut()`: `h2::ext::Protocol::from_static("websocket")` with
/// h2 (once the server's SETTINGS enabled extended CONNECT), `hyper::ext::Protocol` with
/// hyper.
///
/// # Errors
/// As [`client_request`].
pub fn connect_request(request: &ClientRequest<'_>, scheme: Scheme) -> Result<Request<()>, Error> {
    request.prepare()?;
    let uri = Uri::builder()
        .scheme(scheme)
        .authority(request.host)
        .path_and_query(request.path)
        .build()
        .map_err(|_| invalid())?;
    let mut http = Request::new(());
    *http.method_mut() = Method::CONNECT;
    *http.version_mut() = Version::HTTP_2;
    *http.uri_mut() = uri;
    put_client_headers(http.headers_mut(), request)?;
    Ok(http)
}

/// Validates the server's answer to [`connect_request`]: a 2xx (RFC 9110 §9.3.6), a
/// subprotocol only if offered, no extension, no `Sec-WebSocket-Accept`. Returns the
/// selected subprotocol.
///
/// # Errors
/// [`Error::Handshake`]: [`HandshakeFailure::Rejected`] for another status,
/// [`HandshakeFailure::BadAccept`] for an accept key; [`Error::Usage`] if `request` is
/// invalid.
pub fn validate_connect_response<'r, B>(
    response: &'r Response<B>,
    request: &ClientRequest<'_>,
) -> Result<Option<&'r str>, Error> {
    let (_, offered) = request.prepare()?;
    if !response.status().is_success() {
        let status = response.status().as_u16();
        return Err(Error::Handshake(HandshakeFailure::Rejected { status }));
    }
    let seen = SeenResponse::walk(pairs(response.headers())).map_err(Error::Handshake)?;
    if seen.accepts != 0 {
        return Err(Error::Handshake(HandshakeFailure::BadAccept));
    }
    seen.subprotocol(offered.as_bytes())
        .map_err(Error::Handshake)
}

/// `Connection::server` stops at the header count before any rule: so does this.
fn check_count(headers: &HeaderMap, config: &Config) -> Result<(), HandshakeFailure> {
    if headers.len() > config.max_headers() {
        return Err(HandshakeFailure::TooManyHeaders);
    }
    Ok(())
}

fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &[u8])> {
    headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()))
}

/// Comma-separated items of every `name` header, trimmed, empty items skipped (the
/// engine's [`Request::subprotocols`](crate::Request::subprotocols) rule).
fn list_items<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

fn negotiate<'a>(mut offered: impl Iterator<Item = &'a str>, supported: &[&str]) -> Accept<'a> {
    offered
        .find(|o| supported.contains(o))
        .map_or(Accept::new(), |chosen| {
            Accept::new().with_subprotocol(chosen)
        })
}

/// The engine's checks on an `Accept`, in its order: the subprotocol must be one the client
/// offered (RFC 6455 §4.2.2), then the extra headers and the token syntax.
fn check_accept<'a>(
    accept: &Accept<'_>,
    mut offered: impl Iterator<Item = &'a str>,
) -> Result<(), Error> {
    if let Some(chosen) = accept.subprotocol
        && !offered.any(|o| o == chosen)
    {
        return Err(Error::Usage(Misuse::SubprotocolNotOffered));
    }
    server::check_accept(accept)
}

fn put_accept_headers(headers: &mut HeaderMap, accept: &Accept<'_>) -> Result<(), Error> {
    if let Some(protocol) = accept.subprotocol {
        insert(headers, SEC_WEBSOCKET_PROTOCOL, protocol)?;
    }
    put_extra(headers, accept.headers)
}

fn put_client_headers(headers: &mut HeaderMap, request: &ClientRequest<'_>) -> Result<(), Error> {
    insert(headers, SEC_WEBSOCKET_VERSION, "13")?;
    if let Some(origin) = request.origin {
        insert(headers, ORIGIN, origin)?;
    }
    let mut protocols = request.subprotocols.iter();
    if let Some(first) = protocols.next() {
        // prepare() bounded the list to 125 bytes: one value, joined as the engine joins it.
        let mut joined = [0u8; 256];
        let mut len = 0;
        for piece in core::iter::once(*first).chain(protocols.flat_map(|p| [", ", p])) {
            let end = len + piece.len();
            let slot = joined
                .get_mut(len..end)
                .ok_or(Error::Usage(Misuse::TooManySubprotocols))?;
            crate::copy_bytes(slot, piece.as_bytes());
            len = end;
        }
        let value = joined.get(..len).unwrap_or_default();
        insert(
            headers,
            SEC_WEBSOCKET_PROTOCOL,
            utf8(value).map_err(|_| invalid())?,
        )?;
    }
    put_extra(headers, request.headers)
}

/// Extra headers, already checked by `check_extra_headers`; repeated names are kept.
fn put_extra(headers: &mut HeaderMap, extra: &[(&str, &str)]) -> Result<(), Error> {
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid())?;
        headers.try_append(name, value).map_err(|_| invalid())?;
    }
    Ok(())
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) -> Result<(), Error> {
    // from_bytes, not from_str: obs-text is a valid field value, as the engine allows.
    let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| invalid())?;
    headers.try_insert(name, value).map_err(|_| invalid())?;
    Ok(())
}

const fn invalid() -> Error {
    Error::Usage(Misuse::InvalidHeader)
}
