//! Close codes, close frames and the rules for their payload
//! ([RFC 6455 §5.5.1](https://www.rfc-editor.org/rfc/rfc6455#section-5.5.1),
//! [§7.4](https://www.rfc-editor.org/rfc/rfc6455#section-7.4)).

use core::fmt;

use crate::error::ProtocolViolation;

/// The longest close reason: a control payload is at most 125 bytes, 2 of them the code.
pub const MAX_REASON_LEN: usize = 123;

/// A close status code: an open newtype so unregistered codes can still be carried.
///
/// The associated constants read like enum variants in a `match`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CloseCode(pub u16);

// CamelCase constants keep `match` arms reading like variants while the code space stays open.
#[allow(non_upper_case_globals)]
impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled.
    pub const Normal: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GoingAway: Self = Self(1001);
    /// 1002: the peer broke the protocol.
    pub const ProtocolError: Self = Self(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UnsupportedData: Self = Self(1003);
    /// 1005: no code was present in the Close frame. Local only, never sent.
    pub const NoStatus: Self = Self(1005);
    /// 1006: the connection ended without a Close frame. Local only, never sent.
    pub const Abnormal: Self = Self(1006);
    /// 1007: a message's data did not match its type (invalid UTF-8 in text).
    pub const InvalidPayload: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy.
    pub const PolicyViolation: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const MessageTooBig: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MandatoryExtension: Self = Self(1010);
    /// 1011: the server hit an unexpected condition.
    pub const InternalError: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const ServiceRestart: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TryAgainLater: Self = Self(1013);
    /// 1014: a gateway got a bad response upstream (IANA registry).
    pub const BadGateway: Self = Self(1014);
    /// 1015: the TLS handshake failed. Local only, never sent.
    pub const TlsHandshake: Self = Self(1015);

    /// Whether this code may appear in a Close frame on the wire.
    ///
    /// 1000–1003 and 1007–1011 come from RFC 6455, 1012–1014 were registered with IANA
    /// since (so peers such as browsers send them), and 3000–4999 are for libraries and
    /// applications. Everything else, including the local-only 1005, 1006 and 1015, the
    /// reserved 1004 and anything below 1000 or above 4999, is rejected.
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether the RFC reserves this code for local reporting (1005, 1006, 1015).
    pub const fn is_local_only(self) -> bool {
        matches!(self.0, 1005 | 1006 | 1015)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A close reason, UTF-8 and at most [`MAX_REASON_LEN`] bytes, held by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseReason {
    // INVARIANT: `bytes[..len]` is valid UTF-8 and `len <= MAX_REASON_LEN`.
    bytes: [u8; MAX_REASON_LEN],
    len: u8,
}

impl CloseReason {
    /// The empty reason.
    pub const EMPTY: Self = Self {
        bytes: [0; MAX_REASON_LEN],
        len: 0,
    };

    /// Copies `reason`, or returns `None` if it is longer than [`MAX_REASON_LEN`] bytes.
    pub fn new(reason: &str) -> Option<Self> {
        let mut this = Self::EMPTY;
        crate::copy_bytes(this.bytes.get_mut(..reason.len())?, reason.as_bytes());
        this.len = u8::try_from(reason.len()).ok()?;
        Some(this)
    }

    /// The reason text.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl Default for CloseReason {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl fmt::Debug for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for CloseReason {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=str}", self.as_str())
    }
}

/// The content of a received Close frame: its code and reason.
///
/// An empty Close payload is reported as [`CloseCode::NoStatus`] (1005), as RFC 6455 §7.1.5
/// asks; that code is never sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, possibly empty.
    pub reason: CloseReason,
}

impl CloseFrame {
    /// Parses and validates a Close payload (already unmasked).
    ///
    /// # Errors
    /// [`ProtocolViolation::ClosePayloadTooShort`] for a 1-byte payload,
    /// [`ProtocolViolation::InvalidCloseCode`] for a code not valid on the wire,
    /// [`ProtocolViolation::InvalidCloseReason`] for a reason that is not UTF-8, and
    /// [`ProtocolViolation::ControlFrameTooLong`] past 125 bytes.
    pub fn parse(payload: &[u8]) -> Result<Self, ProtocolViolation> {
        let Some((code, reason)) = payload.split_first_chunk::<2>() else {
            // RFC 6455 §5.5.1: a body, if present, MUST start with a 2-byte code.
            return match payload.is_empty() {
                true => Ok(Self {
                    code: CloseCode::NoStatus,
                    reason: CloseReason::EMPTY,
                }),
                false => Err(ProtocolViolation::ClosePayloadTooShort),
            };
        };
        let code = CloseCode(u16::from_be_bytes(*code));
        if !code.is_valid_on_wire() {
            return Err(ProtocolViolation::InvalidCloseCode(code.0));
        }
        let reason = core::str::from_utf8(reason)
            .map_err(|_| ProtocolViolation::InvalidCloseReason)
            .and_then(|r| CloseReason::new(r).ok_or(ProtocolViolation::ControlFrameTooLong))?;
        Ok(Self { code, reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_follows_rfc_and_iana_registry() {
        for valid in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
        ] {
            assert!(CloseCode(valid).is_valid_on_wire(), "{valid}");
        }
        for valid in [3000, 3999, 4000, 4999] {
            assert!(CloseCode(valid).is_valid_on_wire(), "{valid}");
        }
        for invalid in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(invalid).is_valid_on_wire(), "{invalid}");
        }
        assert!(CloseCode::Abnormal.is_local_only());
        assert!(!CloseCode::Normal.is_local_only());
    }

    #[test]
    fn parse_close_payloads() {
        assert_eq!(CloseFrame::parse(&[]).unwrap().code, CloseCode::NoStatus);
        assert_eq!(
            CloseFrame::parse(&[3]),
            Err(ProtocolViolation::ClosePayloadTooShort)
        );
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xed]),
            Err(ProtocolViolation::InvalidCloseCode(1005))
        );
        assert_eq!(
            CloseFrame::parse(&[0x03, 0xe8, 0xff]),
            Err(ProtocolViolation::InvalidCloseReason)
        );
        let frame = CloseFrame::parse(b"\x03\xe8bye").unwrap();
        assert_eq!(
            (frame.code, frame.reason.as_str()),
            (CloseCode::Normal, "bye")
        );
    }

    #[test]
    fn reason_longer_than_123_bytes_is_refused() {
        assert!(CloseReason::new(&"a".repeat(123)).is_some());
        assert!(CloseReason::new(&"a".repeat(124)).is_none());
    }
}
