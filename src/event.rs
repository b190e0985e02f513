//! What [`Connection::receive`](crate::Connection::receive) hands back.

use crate::close::CloseFrame;
use crate::fixed::FixedBuf;
use crate::frame::MAX_CONTROL_PAYLOAD_LEN;
use crate::handshake::{Rejection, Request, Response};
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
    /// Client: the server answered with a status other than 101; its status, headers and
    /// body are here. The connection has failed with
    /// [`HandshakeFailure::Rejected`](crate::HandshakeFailure::Rejected), which every later
    /// `receive` returns; close the transport.
    Rejected(Rejection<'a>),
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

/// A piece of a text message, always valid UTF-8, borrowing the receive buffer.
///
/// Read it whole: [`as_str`](Self::as_str) gives the one `&str` when the chunk is entirely
/// borrowed (every chunk but one whose first code point straddled two reads), and
/// [`parts`](Self::parts), [`chars`](Self::chars), [`push_to`](Self::push_to) and `Display`
/// always cover the whole chunk, the code point the engine carried over from the previous read
/// included.
///
/// ```
/// # fn handle(chunk: wsmachine::TextChunk<'_>, text: &mut String) -> core::fmt::Result {
/// chunk.push_to(text)?; // or: match chunk.as_str() { Some(s) => .., None => chunk.parts() }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
// Perf (issue 12, W1): `repr(C)` and the flags right behind the text, where `BinaryChunk`
// has its own. The fast path builds both variants with shared stores, so the flags are
// written as a 2-byte store and the carried code point as a 4-byte one, and a caller's
// copy of the event loads each back whole (store-to-load forwarding) instead of stalling
// on a 4-byte load over three narrow stores (W1, three alternating runs: 17.0–18.6 ns
// per frame, 18.0–18.9 without `repr(C)`).
#[repr(C)]
pub struct TextChunk<'a> {
    text: &'a str,
    is_first: bool,
    is_last: bool,
    carried: Option<char>,
}

impl<'a> TextChunk<'a> {
    /// A chunk of `utf8`'s text.
    #[inline]
    pub(crate) const fn new(utf8: Utf8Chunk<'a>, is_first: bool, is_last: bool) -> Self {
        let (carried, text) = utf8.raw();
        Self {
            text,
            is_first,
            is_last,
            carried,
        }
    }

    /// The chunk's text, the carried code point included.
    #[inline]
    pub(crate) const fn utf8(&self) -> Utf8Chunk<'a> {
        Utf8Chunk::from_raw(self.carried, self.text)
    }

    /// The whole chunk as one `&str` borrowed from the receive buffer, or `None` if a code
    /// point was carried over from the previous read (then use [`parts`](Self::parts)).
    #[inline]
    pub const fn as_str(&self) -> Option<&'a str> {
        self.utf8().as_str()
    }

    /// The whole chunk in two parts, to be used together: the code point carried over from
    /// the previous read (`None` if none), then the text borrowed from the receive buffer.
    #[inline]
    pub const fn parts(&self) -> (Option<char>, &'a str) {
        self.utf8().parts()
    }

    /// Every character of the chunk.
    pub fn chars(&self) -> core::iter::Chain<core::option::IntoIter<char>, core::str::Chars<'a>> {
        self.utf8().chars()
    }

    /// Appends the whole chunk to `out` (a `String`, a `heapless::String`, a formatter).
    ///
    /// # Errors
    /// Whatever `out` returns (for example a full fixed-capacity string).
    pub fn push_to<W: core::fmt::Write + ?Sized>(&self, out: &mut W) -> core::fmt::Result {
        self.utf8().push_to(out)
    }

    /// Whether this chunk starts a message.
    pub const fn is_first(&self) -> bool {
        self.is_first
    }

    /// Whether this chunk ends a message.
    pub const fn is_last(&self) -> bool {
        self.is_last
    }

    /// Bytes in the whole chunk.
    pub const fn len(&self) -> usize {
        self.utf8().len()
    }

    /// Whether the chunk carries no text (empty messages still have a first/last chunk).
    pub const fn is_empty(&self) -> bool {
        self.utf8().is_empty()
    }
}

impl core::fmt::Display for TextChunk<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.push_to(f)
    }
}

/// A piece of a binary message, borrowing the receive buffer (unmasked in place).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BinaryChunk<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) is_first: bool,
    pub(crate) is_last: bool,
}

impl<'a> BinaryChunk<'a> {
    /// The payload bytes, borrowed from the receive buffer.
    #[inline]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// Whether this chunk starts a message.
    pub const fn is_first(&self) -> bool {
        self.is_first
    }

    /// Whether this chunk ends a message.
    pub const fn is_last(&self) -> bool {
        self.is_last
    }

    /// Bytes in the chunk.
    pub const fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the chunk carries no bytes (empty messages still have a first/last chunk).
    pub const fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A ping or pong payload, at most 125 bytes, held by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlPayload {
    bytes: FixedBuf<MAX_CONTROL_PAYLOAD_LEN>,
}

impl ControlPayload {
    /// The empty payload.
    pub const EMPTY: Self = Self {
        bytes: FixedBuf::EMPTY,
    };

    /// Copies `data`, or `None` if it is longer than 125 bytes.
    pub fn new(data: &[u8]) -> Option<Self> {
        FixedBuf::new(data).map(|bytes| Self { bytes })
    }

    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }

    /// The payload gathered in the receive path's stash.
    pub(crate) const fn from_buf(bytes: FixedBuf<MAX_CONTROL_PAYLOAD_LEN>) -> Self {
        Self { bytes }
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
