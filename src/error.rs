//! The one error type, its detail enums, and the mapping to close codes and HTTP statuses.

use core::fmt;

use crate::close_code::CloseCode;

/// Everything that can go wrong, split by who is to blame.
///
/// Peer errors ([`Error::Protocol`], [`Error::Handshake`]) are fatal and sticky: the engine
/// has already queued the Close frame or HTTP error response that the RFC asks for (drain
/// it with [`poll_transmit`](crate::Connection::poll_transmit)), and every later `receive`
/// returns the same error. Local errors ([`Error::Usage`], [`Error::BufferTooSmall`])
/// change nothing; fix the call and retry.
///
/// `?` into `std::io::Error` needs the `std` feature (the `tokio`, `blocking` and `http`
/// features turn it on): without it the core has no `std` to convert into, and the compiler
/// reports a missing `From<wsmachine::Error>` impl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The peer broke RFC 6455 after the opening handshake.
    Protocol(ProtocolViolation),
    /// The peer's HTTP request or response failed the opening handshake.
    Handshake(HandshakeFailure),
    /// The application called something that is not allowed now.
    Usage(Misuse),
    /// The output buffer is too small; retry with at least `required` bytes.
    BufferTooSmall {
        /// Bytes the call needs.
        required: usize,
    },
}

/// A peer's violation of RFC 6455 framing rules, each named after the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ProtocolViolation {
    /// A client sent an unmasked frame ([§5.1](https://www.rfc-editor.org/rfc/rfc6455#section-5.1)).
    UnmaskedClientFrame,
    /// A server sent a masked frame ([§5.1](https://www.rfc-editor.org/rfc/rfc6455#section-5.1)).
    MaskedServerFrame,
    /// RSV1–3 set without a negotiated extension ([§5.2](https://www.rfc-editor.org/rfc/rfc6455#section-5.2)).
    ReservedBits,
    /// An opcode 0x3–0x7 or 0xB–0xF ([§5.2](https://www.rfc-editor.org/rfc/rfc6455#section-5.2)).
    ReservedOpcode(u8),
    /// A control frame without FIN ([§5.5](https://www.rfc-editor.org/rfc/rfc6455#section-5.5)).
    FragmentedControlFrame,
    /// A control frame longer than 125 bytes ([§5.5](https://www.rfc-editor.org/rfc/rfc6455#section-5.5)).
    ControlFrameTooLong,
    /// A 64-bit length with its top bit set ([§5.2](https://www.rfc-editor.org/rfc/rfc6455#section-5.2)).
    LengthMsbSet,
    /// A length not in its shortest form ([§5.2](https://www.rfc-editor.org/rfc/rfc6455#section-5.2):
    /// "the minimal number of bytes MUST be used").
    NonMinimalLength,
    /// A continuation frame with no message started ([§5.4](https://www.rfc-editor.org/rfc/rfc6455#section-5.4)).
    UnexpectedContinuation,
    /// A new text or binary frame inside a fragmented message ([§5.4](https://www.rfc-editor.org/rfc/rfc6455#section-5.4)).
    ExpectedContinuation,
    /// A text message that is not UTF-8 ([§8.1](https://www.rfc-editor.org/rfc/rfc6455#section-8.1)); close code 1007.
    InvalidUtf8,
    /// A Close payload of one byte ([§5.5.1](https://www.rfc-editor.org/rfc/rfc6455#section-5.5.1)).
    ClosePayloadTooShort,
    /// A close code not valid on the wire ([§7.4](https://www.rfc-editor.org/rfc/rfc6455#section-7.4)).
    InvalidCloseCode(u16),
    /// A close reason that is not UTF-8 ([§5.5.1](https://www.rfc-editor.org/rfc/rfc6455#section-5.5.1)); close code 1007.
    InvalidCloseReason,
    /// A frame longer than `max_frame_len` ([§10.4](https://www.rfc-editor.org/rfc/rfc6455#section-10.4)); close code 1009.
    FrameTooLarge,
    /// A message longer than `max_message_len` ([§10.4](https://www.rfc-editor.org/rfc/rfc6455#section-10.4)); close code 1009.
    MessageTooLarge,
    /// A message split into more than `max_fragments` frames
    /// ([§10.4](https://www.rfc-editor.org/rfc/rfc6455#section-10.4)); close code 1008.
    TooManyFragments,
    /// RSV1 ("Per-Message Compressed") on a control frame
    /// ([RFC 7692 §6](https://www.rfc-editor.org/rfc/rfc7692#section-6)); close code 1002.
    CompressedControlFrame,
    /// RSV1 on a continuation frame: only a message's first frame carries it
    /// ([RFC 7692 §6](https://www.rfc-editor.org/rfc/rfc7692#section-6)); close code 1002.
    CompressedContinuation,
    /// A compressed message whose deflate data is invalid, or refers back beyond the
    /// negotiated window ([RFC 7692 §7.2.2](https://www.rfc-editor.org/rfc/rfc7692#section-7.2.2));
    /// close code 1007 (the payload is not consistent with the message type's encoding).
    InvalidCompressedData,
}

/// A peer's HTTP head that fails the opening handshake ([§4](https://www.rfc-editor.org/rfc/rfc6455#section-4)).
///
/// The first group is found by servers in a request (the engine queues the HTTP error
/// response given by [`Error::http_status`]); the second by clients in a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HandshakeFailure {
    /// The head is not valid HTTP/1.1 syntax (bare CR, space before a colon, NUL, ...): 400.
    Malformed,
    /// The head is longer than `max_head_len`: 431.
    HeadTooLarge,
    /// More header lines than `max_headers`: 431.
    TooManyHeaders,
    /// The method is not GET ([§4.2.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1) item 1): 405.
    NotGet,
    /// The version is not HTTP/1.1 (item 1): 400.
    NotHttp11,
    /// No `Host` header (item 2): 400.
    MissingHost,
    /// No `Upgrade: websocket` (item 3): 400.
    MissingUpgrade,
    /// `Connection` lacks the `Upgrade` token (item 4): 400.
    MissingConnectionUpgrade,
    /// `Sec-WebSocket-Key` missing, repeated, or not 16 bytes in base64 (item 5): 400.
    BadKey,
    /// `Sec-WebSocket-Version` missing, repeated or not 13 (item 6): 426 with the supported version.
    UnsupportedVersion,
    /// A header appears twice where RFC 6455 §11.3 allows one: 400.
    DuplicateHeader,
    /// The request announces a body (`Content-Length`, `Transfer-Encoding`): 400.
    UnexpectedBody,
    /// A header the handshake reads is not valid UTF-8 or not valid syntax: 400.
    InvalidHeaderValue,
    /// The server answered with this status instead of 101.
    Rejected {
        /// The HTTP status code of the response.
        status: u16,
    },
    /// `Sec-WebSocket-Accept` missing, repeated, or wrong ([§4.1](https://www.rfc-editor.org/rfc/rfc6455#section-4.1)).
    BadAccept,
    /// The server chose a subprotocol the client did not offer.
    UnofferedSubprotocol,
    /// The server accepted an extension the client did not offer.
    UnofferedExtension,
    /// The accepted permessage-deflate names a parameter RFC 7692 does not define
    /// ([§7.1](https://www.rfc-editor.org/rfc/rfc7692#section-7.1)).
    UnknownExtensionParameter,
    /// The answer repeats a permessage-deflate parameter, or the extension itself
    /// ([§7](https://www.rfc-editor.org/rfc/rfc7692#section-7)).
    DuplicateExtensionParameter,
    /// A permessage-deflate parameter value is invalid: window bits not a plain decimal in
    /// 8–15, a missing or unexpected value, broken syntax
    /// ([§7.1.2](https://www.rfc-editor.org/rfc/rfc7692#section-7.1.2)).
    InvalidExtensionParameter,
    /// The answer carries a permessage-deflate parameter the client did not offer, or a
    /// window larger than offered ([§7.1.2](https://www.rfc-editor.org/rfc/rfc7692#section-7.1.2)).
    UnofferedExtensionParameter,
}

/// Local misuse of the API: the call changed nothing.
///
/// Each variant names the precondition that failed, so the fix can be read off the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Misuse {
    /// `connect` on a client that already connected, or on a server.
    NotIdle,
    /// `receive` on a client before `connect` wrote the request.
    NotConnecting,
    /// `accept` or `reject` with no upgrade request awaiting an answer.
    NoRequestPending,
    /// A send or `close` before the opening handshake completed.
    HandshakeIncomplete,
    /// A send or `close` after this endpoint sent its Close (§5.5.1: nothing may follow).
    CloseAlreadySent,
    /// A data or ping/pong send after the peer's Close; only `close` (to answer it) is allowed.
    CloseReceived,
    /// A send or `close` on a connection that is over (closed, failed, timed out, EOF).
    ConnectionClosed,
    /// `Accept::with_subprotocol` named a subprotocol the client did not offer
    /// ([§4.2.2](https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2)).
    SubprotocolNotOffered,
    /// A ping or pong payload longer than 125 bytes.
    ControlPayloadTooLong,
    /// A close code that may not be sent (1005, 1006, 1015, out of range).
    InvalidCloseCode(CloseCode),
    /// A close reason longer than 123 bytes.
    ReasonTooLong,
    /// A zero-copy frame payload is still owed; finish it first.
    FrameInProgress,
    /// More payload was given than the started zero-copy frame declared.
    PayloadExceedsFrame,
    /// A whole message was sent while a fragmented one is unfinished.
    MessageInProgress,
    /// A continuation was sent with no fragmented message started.
    NoMessageInProgress,
    /// A header name or value, host, path or subprotocol contains forbidden bytes, or an
    /// extra header the handshake owns or that announces a body (`Content-Length`,
    /// `Transfer-Encoding`).
    InvalidHeader,
    /// The subprotocols offered exceed 125 bytes (the engine keeps them to check the answer).
    TooManySubprotocols,
    /// A rejection status outside 400–599.
    InvalidStatus,
    /// The server must `accept` or `reject` the request before receiving more.
    DecisionPending,
    /// permessage-deflate was negotiated and data arrived: plain `receive` cannot inflate
    /// it; call `Connection::receive_inflate` (feature `deflate`) instead.
    InflaterRequired,
    /// The inflater's window is smaller than the peer's negotiated window bits need.
    InflaterTooSmall,
    /// A compressed send (RSV1) on a connection that did not negotiate permessage-deflate.
    DeflateNotNegotiated,
}

impl Error {
    /// The close code the engine sent (or would send) for this error, if it ends a WebSocket.
    pub const fn close_code(&self) -> Option<CloseCode> {
        use ProtocolViolation::*;
        match self {
            Self::Protocol(InvalidUtf8 | InvalidCloseReason | InvalidCompressedData) => {
                Some(CloseCode::InvalidPayload)
            }
            Self::Protocol(FrameTooLarge | MessageTooLarge) => Some(CloseCode::MessageTooBig),
            Self::Protocol(TooManyFragments) => Some(CloseCode::PolicyViolation),
            Self::Protocol(
                UnmaskedClientFrame
                | MaskedServerFrame
                | ReservedBits
                | ReservedOpcode(_)
                | FragmentedControlFrame
                | ControlFrameTooLong
                | LengthMsbSet
                | NonMinimalLength
                | UnexpectedContinuation
                | ExpectedContinuation
                | ClosePayloadTooShort
                | InvalidCloseCode(_)
                | CompressedControlFrame
                | CompressedContinuation,
            ) => Some(CloseCode::ProtocolError),
            Self::Handshake(_) | Self::Usage(_) | Self::BufferTooSmall { .. } => None,
        }
    }

    /// The HTTP status the server engine answered a bad request with, if any.
    pub const fn http_status(&self) -> Option<u16> {
        use HandshakeFailure::*;
        match self {
            Self::Handshake(NotGet) => Some(405),
            Self::Handshake(HeadTooLarge | TooManyHeaders) => Some(431),
            Self::Handshake(UnsupportedVersion) => Some(426),
            Self::Handshake(
                Malformed
                | NotHttp11
                | MissingHost
                | MissingUpgrade
                | MissingConnectionUpgrade
                | BadKey
                | DuplicateHeader
                | UnexpectedBody
                | InvalidHeaderValue,
            ) => Some(400),
            Self::Handshake(
                Rejected { .. }
                | BadAccept
                | UnofferedSubprotocol
                | UnofferedExtension
                | UnknownExtensionParameter
                | DuplicateExtensionParameter
                | InvalidExtensionParameter
                | UnofferedExtensionParameter,
            )
            | Self::Protocol(_)
            | Self::Usage(_)
            | Self::BufferTooSmall { .. } => None,
        }
    }

    /// Whether the connection is finished: true for peer errors, false for local ones.
    pub const fn is_fatal(&self) -> bool {
        matches!(self, Self::Protocol(_) | Self::Handshake(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(v) => write!(f, "websocket protocol violation: {v}"),
            Self::Handshake(h) => write!(f, "websocket handshake failed: {h}"),
            Self::Usage(m) => write!(f, "websocket api misuse: {m}"),
            Self::BufferTooSmall { required } => {
                write!(f, "output buffer too small: {required} bytes required")
            }
        }
    }
}

impl fmt::Display for ProtocolViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnmaskedClientFrame => f.write_str("client frame is not masked"),
            Self::MaskedServerFrame => f.write_str("server frame is masked"),
            Self::ReservedBits => f.write_str("reserved bits set without an extension"),
            Self::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::FragmentedControlFrame => f.write_str("control frame is fragmented"),
            Self::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::LengthMsbSet => f.write_str("64-bit payload length has its top bit set"),
            Self::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            Self::UnexpectedContinuation => f.write_str("continuation frame without a message"),
            Self::ExpectedContinuation => f.write_str("new data frame inside a fragmented message"),
            Self::InvalidUtf8 => f.write_str("text is not valid utf-8"),
            Self::ClosePayloadTooShort => f.write_str("close payload of one byte"),
            Self::InvalidCloseCode(code) => write!(f, "close code {code} is not valid on the wire"),
            Self::InvalidCloseReason => f.write_str("close reason is not valid utf-8"),
            Self::FrameTooLarge => f.write_str("frame exceeds the frame size limit"),
            Self::MessageTooLarge => f.write_str("message exceeds the message size limit"),
            Self::TooManyFragments => f.write_str("message exceeds the fragment count limit"),
            Self::CompressedControlFrame => f.write_str("control frame has rsv1 (compressed) set"),
            Self::CompressedContinuation => f.write_str("continuation frame has rsv1 set"),
            Self::InvalidCompressedData => f.write_str("invalid deflate data"),
        }
    }
}

impl fmt::Display for HandshakeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed http head"),
            Self::HeadTooLarge => f.write_str("http head exceeds the size limit"),
            Self::TooManyHeaders => f.write_str("http head exceeds the header count limit"),
            Self::NotGet => f.write_str("method is not GET"),
            Self::NotHttp11 => f.write_str("http version is not 1.1"),
            Self::MissingHost => f.write_str("missing Host header"),
            Self::MissingUpgrade => f.write_str("missing Upgrade: websocket"),
            Self::MissingConnectionUpgrade => {
                f.write_str("Connection header lacks the upgrade token")
            }
            Self::BadKey => f.write_str("missing, repeated or invalid Sec-WebSocket-Key"),
            Self::UnsupportedVersion => f.write_str("Sec-WebSocket-Version is not 13"),
            Self::DuplicateHeader => f.write_str("header repeated where only one is allowed"),
            Self::UnexpectedBody => f.write_str("upgrade request carries a body"),
            Self::InvalidHeaderValue => f.write_str("invalid header value"),
            Self::Rejected { status } => write!(f, "server answered {status} instead of 101"),
            Self::BadAccept => f.write_str("missing or wrong Sec-WebSocket-Accept"),
            Self::UnofferedSubprotocol => f.write_str("server chose a subprotocol not offered"),
            Self::UnofferedExtension => f.write_str("server accepted an extension not offered"),
            Self::UnknownExtensionParameter => f.write_str("unknown permessage-deflate parameter"),
            Self::DuplicateExtensionParameter => {
                f.write_str("permessage-deflate parameter or extension repeated")
            }
            Self::InvalidExtensionParameter => f.write_str("invalid permessage-deflate parameter"),
            Self::UnofferedExtensionParameter => {
                f.write_str("permessage-deflate parameter beyond the offer")
            }
        }
    }
}

impl fmt::Display for Misuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotIdle => f.write_str("connect on a client that is not idle"),
            Self::NotConnecting => f.write_str("receive before connect"),
            Self::NoRequestPending => f.write_str("no upgrade request awaits an answer"),
            Self::HandshakeIncomplete => f.write_str("the opening handshake is not complete"),
            Self::CloseAlreadySent => f.write_str("a Close was already sent"),
            Self::CloseReceived => f.write_str("the peer sent Close; only close may answer"),
            Self::ConnectionClosed => f.write_str("the connection is over"),
            Self::SubprotocolNotOffered => f.write_str("subprotocol not offered by the client"),
            Self::ControlPayloadTooLong => f.write_str("control payload over 125 bytes"),
            Self::InvalidCloseCode(code) => write!(f, "close code {code} may not be sent"),
            Self::ReasonTooLong => f.write_str("close reason over 123 bytes"),
            Self::FrameInProgress => f.write_str("a started frame's payload is still owed"),
            Self::PayloadExceedsFrame => f.write_str("payload exceeds the started frame"),
            Self::MessageInProgress => f.write_str("a fragmented message is unfinished"),
            Self::NoMessageInProgress => f.write_str("no fragmented message to continue"),
            Self::InvalidHeader => f.write_str("forbidden bytes in a header, host or path"),
            Self::TooManySubprotocols => f.write_str("offered subprotocols exceed 125 bytes"),
            Self::InvalidStatus => f.write_str("rejection status outside 400-599"),
            Self::DecisionPending => f.write_str("the upgrade request awaits accept or reject"),
            Self::InflaterRequired => f.write_str("deflate negotiated: receive with an inflater"),
            Self::InflaterTooSmall => f.write_str("inflater window below the negotiated bits"),
            Self::DeflateNotNegotiated => f.write_str("compressed send without permessage-deflate"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    fn from(error: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match error {
            Error::Protocol(_) | Error::Handshake(_) => ErrorKind::InvalidData,
            Error::Usage(_) | Error::BufferTooSmall { .. } => ErrorKind::InvalidInput,
        };
        Self::new(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_violation_maps_to_its_close_code() {
        use ProtocolViolation::*;
        let table = [
            (UnmaskedClientFrame, 1002),
            (MaskedServerFrame, 1002),
            (ReservedBits, 1002),
            (ReservedOpcode(3), 1002),
            (FragmentedControlFrame, 1002),
            (ControlFrameTooLong, 1002),
            (LengthMsbSet, 1002),
            (NonMinimalLength, 1002),
            (UnexpectedContinuation, 1002),
            (ExpectedContinuation, 1002),
            (InvalidUtf8, 1007),
            (ClosePayloadTooShort, 1002),
            (InvalidCloseCode(5000), 1002),
            (InvalidCloseReason, 1007),
            (FrameTooLarge, 1009),
            (MessageTooLarge, 1009),
            (TooManyFragments, 1008),
            (CompressedControlFrame, 1002),
            (CompressedContinuation, 1002),
            (InvalidCompressedData, 1007),
        ];
        for (violation, code) in table {
            let error = Error::Protocol(violation);
            assert_eq!(error.close_code(), Some(CloseCode(code)), "{violation:?}");
            assert_eq!(error.http_status(), None);
            assert!(error.is_fatal());
        }
    }

    #[test]
    fn every_handshake_failure_maps_to_its_status() {
        use HandshakeFailure::*;
        let table = [
            (Malformed, Some(400)),
            (HeadTooLarge, Some(431)),
            (TooManyHeaders, Some(431)),
            (NotGet, Some(405)),
            (NotHttp11, Some(400)),
            (MissingHost, Some(400)),
            (MissingUpgrade, Some(400)),
            (MissingConnectionUpgrade, Some(400)),
            (BadKey, Some(400)),
            (UnsupportedVersion, Some(426)),
            (DuplicateHeader, Some(400)),
            (UnexpectedBody, Some(400)),
            (InvalidHeaderValue, Some(400)),
            (Rejected { status: 403 }, None),
            (BadAccept, None),
            (UnofferedSubprotocol, None),
            (UnofferedExtension, None),
            (UnknownExtensionParameter, None),
            (DuplicateExtensionParameter, None),
            (InvalidExtensionParameter, None),
            (UnofferedExtensionParameter, None),
        ];
        for (failure, status) in table {
            let error = Error::Handshake(failure);
            assert_eq!(error.http_status(), status, "{failure:?}");
            assert_eq!(error.close_code(), None);
            assert!(error.is_fatal());
        }
    }

    #[test]
    fn local_errors_are_not_fatal() {
        assert!(!Error::Usage(Misuse::ReasonTooLong).is_fatal());
        assert!(!Error::BufferTooSmall { required: 3 }.is_fatal());
    }
}
