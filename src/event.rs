//! What [`Connection::receive`](crate::Connection::receive) hands back.

use crate::close::CloseFrame;
use crate::frame::MAX_CONTROL_PAYLOAD_LEN;
use crate::handshake::{Request, Response};
use crate::utf8::Utf8Chunk;

/// The result of one [`receive`](crate::Connection::receive) call.
#[must_use = "drop `consumed` bytes from the front of the buffer and handle the event"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // a receive yields exactly this pair
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Received<'a> {
    /// Bytes of the buffer the engine used; the next call starts after them.
    pub consumed: usize,
    /// The event, borrowing the buffer; `None` when the engine needs more bytes.
    pub event: Option<Event<'a>>,
}

/// Something that happened on the connection, in lifecycle order.
///
/// Events borrow the caller's receive buffer, never the connection, so the application
/// can act on one (echo a chunk, accept a request) while holding it. What the engine had
/// to stash (a control payload, a split code point) comes back by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// Server: a valid upgrade request; answer with [`accept`](crate::Connection::accept)
    /// or [`reject`](crate::Connection::reject).
    UpgradeRequest(Request<'a>),
    /// Client: the server accepted; the connection is open.
    Established(Response<'a>),
    /// A piece of a text message, always valid UTF-8.
    Text(TextChunk<'a>),
    /// A piece of a binary message.
    Binary(BinaryChunk<'a>),
    /// A ping; with auto-pong on (the default) the pong is already queued.
    Ping(ControlPayload),
    /// A pong.
    Pong(ControlPayload),
    /// The peer's Close frame. If we had not sent one, the echo is queued and the state is
    /// `Closing` until it is transmitted; otherwise the closing handshake is complete.
    /// Delivered once.
    Close(CloseFrame),
}

/// A piece of a text message: [`prefix`](Self::prefix) then [`text`](Self::text).
///
/// `prefix` is a code point that straddled two reads, completed from the engine's 4-byte
/// stash; `text` borrows the receive buffer. Both are valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TextChunk<'a> {
    pub(crate) utf8: Utf8Chunk<'a>,
    pub(crate) is_first: bool,
    pub(crate) is_last: bool,
}

impl<'a> TextChunk<'a> {
    /// A code point carried over from the previous read (empty if none).
    pub fn prefix(&self) -> &str {
        self.utf8.prefix()
    }

    /// The text borrowed from the receive buffer.
    pub const fn text(&self) -> &'a str {
        self.utf8.text()
    }

    /// Whether this chunk starts a message.
    pub const fn is_first(&self) -> bool {
        self.is_first
    }

    /// Whether this chunk ends a message.
    pub const fn is_last(&self) -> bool {
        self.is_last
    }

    /// Bytes in `prefix` and `text` together.
    pub const fn len(&self) -> usize {
        self.utf8.len()
    }

    /// Whether the chunk carries no text (empty messages still have a first/last chunk).
    pub const fn is_empty(&self) -> bool {
        self.utf8.is_empty()
    }
}

/// A piece of a binary message, borrowing the receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // a chunk is its bytes and its place in the message
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BinaryChunk<'a> {
    /// The payload bytes, unmasked in place.
    pub data: &'a [u8],
    /// Whether this chunk starts a message.
    pub is_first: bool,
    /// Whether this chunk ends a message.
    pub is_last: bool,
}

/// A ping or pong payload, at most 125 bytes, held by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlPayload {
    // INVARIANT: `len <= MAX_CONTROL_PAYLOAD_LEN`.
    bytes: [u8; MAX_CONTROL_PAYLOAD_LEN],
    len: u8,
}

impl ControlPayload {
    /// The empty payload.
    pub const EMPTY: Self = Self {
        bytes: [0; MAX_CONTROL_PAYLOAD_LEN],
        len: 0,
    };

    /// Copies `data`, or `None` if it is longer than 125 bytes.
    pub fn new(data: &[u8]) -> Option<Self> {
        let mut this = Self::EMPTY;
        crate::copy_bytes(this.bytes.get_mut(..data.len())?, data);
        this.len = u8::try_from(data.len()).ok()?;
        Some(this)
    }

    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Appends `data` if it fits; false (and nothing appended) otherwise.
    pub(crate) fn extend(&mut self, data: &[u8]) -> bool {
        let start = usize::from(self.len);
        let end = start + data.len();
        let (Some(dst), Ok(len)) = (self.bytes.get_mut(start..end), u8::try_from(end)) else {
            return false;
        };
        crate::copy_bytes(dst, data);
        self.len = len;
        true
    }
}

impl Default for ControlPayload {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl core::fmt::Debug for ControlPayload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("ControlPayload")
            .field(&self.as_bytes())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for ControlPayload {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "{=[u8]}", self.as_bytes())
    }
}
