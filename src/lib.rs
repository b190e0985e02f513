#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
// The receive path must be provably panic-free (see tests/nostd-check): no unwrap, expect,
// panic or unchecked indexing in library code, and wire lengths never silently truncated.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::cast_possible_truncation,
        clippy::std_instead_of_core,
        clippy::alloc_instead_of_core
    )
)]

#[cfg(any(test, feature = "std"))]
extern crate std;
// The compressor's state and output live on the heap (`deflate-compress`).
#[cfg(feature = "deflate-compress")]
extern crate alloc;

mod fmt;

#[cfg(feature = "blocking")]
pub mod blocking;
mod close;
mod close_code;
mod config;
mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
#[cfg(any(feature = "tokio", feature = "blocking"))]
mod driver;
mod error;
mod event;
mod fixed;
mod frame;
mod handshake;
#[cfg(feature = "http")]
pub mod http;
#[cfg(any(feature = "embedded-io", feature = "embedded-io-async"))]
pub mod io;
mod message;
mod time;
#[cfg(feature = "tokio")]
pub mod tokio;
mod utf8;

#[cfg(feature = "_fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use close::{CloseCode, CloseFrame, CloseReason, MAX_REASON_LEN};
pub use config::{Config, MAX_HEADERS};
pub use connection::{Closed, Connection, Initiator, Role, State, Transmit};
pub use error::{Error, HandshakeFailure, Misuse, ProtocolViolation};
pub use event::{BinaryChunk, ControlPayload, Event, Received, TextChunk};
pub use frame::{
    Decoded, FrameHeader, MAX_CONTROL_PAYLOAD_LEN, MAX_HEADER_LEN, MaskKey, MaskSource, Masker,
    NoMask, Opcode,
};
pub use handshake::{
    Accept, AcceptKey, ClientRequest, HeaderIter, Key, Reject, Rejection, Request, Response,
    accept_key,
};
pub use message::{Message, MessageAssembler, MessageKind};
pub use time::Instant;
pub use utf8::{Utf8Chunk, Utf8Error, Utf8Validator};

/// Copies `min(dst.len(), src.len())` bytes from `src` to the start of `dst`.
///
/// The engine's one byte copy. `copy_from_slice` keeps an out-of-line length check whose
/// panic survives optimisation even where lengths match, so the panic-freedom link check
/// (tests/nostd-check) fails with it; this loop compiles to `memcpy` and cannot panic.
#[inline]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}
