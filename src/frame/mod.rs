//! Frames: the wire contract ([RFC 6455 §5](https://www.rfc-editor.org/rfc/rfc6455#section-5)).
//!
//! [`FrameHeader::decode`] checks every rule that needs no connection state, each as soon
//! as the bytes that decide it are present: RSV bits and opcode on the first byte,
//! control-frame length and FIN on the second, the 64-bit length's top bit and minimal
//! encoding once the extended length is in. Nothing here can panic: lengths stay `u64`
//! until a checked conversion, and every slice access is checked.

pub(crate) mod encoder;
mod header;
mod mask;

pub use header::{Decoded, FrameHeader, MAX_HEADER_LEN};
pub use mask::{MaskKey, MaskSource, Masker, NoMask};

/// The longest control frame payload ([§5.5](https://www.rfc-editor.org/rfc/rfc6455#section-5.5)).
pub const MAX_CONTROL_PAYLOAD_LEN: usize = 125;

/// A frame's opcode, in wire order ([§5.2](https://www.rfc-editor.org/rfc/rfc6455#section-5.2)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_enums)] // RFC 6455 fixes the set; new opcodes need an extension.
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Opcode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: starts a text message.
    Text,
    /// 0x2: starts a binary message.
    Binary,
    /// 0x8: Close.
    Close,
    /// 0x9: Ping.
    Ping,
    /// 0xA: Pong.
    Pong,
}

impl Opcode {
    /// The opcode for a 4-bit wire value, or `None` for the reserved ones.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xa => Self::Pong,
            _ => return None,
        })
    }

    /// The 4-bit wire value.
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xa,
        }
    }

    /// Whether this is a control opcode (Close, Ping, Pong).
    pub const fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}
