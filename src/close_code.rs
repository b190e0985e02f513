//! [`CloseCode`]: the close status code space
//! ([RFC 6455 §7.4](https://www.rfc-editor.org/rfc/rfc6455#section-7.4)).
//!
//! A leaf module, so that errors (which carry codes) and close frames (which carry errors)
//! both import it without importing each other in a circle.

use core::fmt;

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
