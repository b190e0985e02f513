//! Close codes, close frames and the rules for their payload
//! ([RFC 6455 §5.5.1](https://www.rfc-editor.org/rfc/rfc6455#section-5.5.1),
//! [§7.4](https://www.rfc-editor.org/rfc/rfc6455#section-7.4)).

use core::fmt;

pub use crate::close_code::CloseCode;
use crate::error::ProtocolViolation;
use crate::fixed::FixedBuf;

/// The longest close reason: a control payload is at most 125 bytes, 2 of them the code.
pub const MAX_REASON_LEN: usize = 123;

/// A close reason, UTF-8 and at most [`MAX_REASON_LEN`] bytes, held by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseReason {
    // INVARIANT: the bytes are valid UTF-8.
    bytes: FixedBuf<MAX_REASON_LEN>,
}

impl CloseReason {
    /// The empty reason.
    pub const EMPTY: Self = Self {
        bytes: FixedBuf::EMPTY,
    };

    /// Copies `reason`, or returns `None` if it is longer than [`MAX_REASON_LEN`] bytes.
    pub fn new(reason: &str) -> Option<Self> {
        FixedBuf::new(reason.as_bytes()).map(|bytes| Self { bytes })
    }

    /// The reason text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.bytes.as_bytes()).unwrap_or_default()
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
    // Out of line: the receive path's frame then holds no copy of the parse's temporaries
    // (-232 B of stack on the server firmware, issue 14).
    #[inline(never)]
    pub fn parse(payload: &[u8]) -> Result<Self, ProtocolViolation> {
        // Built in place, from one empty frame whatever the outcome: the reason is copied
        // once, straight into the result.
        let mut frame = Self {
            code: CloseCode::NoStatus,
            reason: CloseReason::EMPTY,
        };
        let Some((code, reason)) = payload.split_first_chunk::<2>() else {
            // RFC 6455 §5.5.1: a body, if present, MUST start with a 2-byte code.
            return match payload.is_empty() {
                true => Ok(frame),
                false => Err(ProtocolViolation::ClosePayloadTooShort),
            };
        };
        frame.code = CloseCode(u16::from_be_bytes(*code));
        if !frame.code.is_valid_on_wire() {
            return Err(ProtocolViolation::InvalidCloseCode(frame.code.0));
        }
        if core::str::from_utf8(reason).is_err() {
            return Err(ProtocolViolation::InvalidCloseReason);
        }
        if !frame.reason.bytes.extend(reason) {
            return Err(ProtocolViolation::ControlFrameTooLong);
        }
        Ok(frame)
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
