//! Optional convenience: assemble whole messages from chunks into a caller buffer.

use crate::error::{Error, ProtocolViolation};
use crate::event::Event;

/// The two kinds of data message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_enums)] // RFC 6455 defines text and binary; others need an extension
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MessageKind {
    /// UTF-8 text.
    Text,
    /// Arbitrary bytes.
    Binary,
}

/// A whole message, borrowing the assembler's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_enums)] // mirrors MessageKind
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Message<'m> {
    /// A text message.
    Text(&'m str),
    /// A binary message.
    Binary(&'m [u8]),
}

/// Collects message chunks into a caller-provided buffer and yields whole messages.
///
/// The engine streams messages of any size through small buffers; use this when the
/// application wants each message whole and knows how large it may be. A message that does
/// not fit is an error whose [`close_code`](Error::close_code) is 1009: close with it.
///
/// ```
/// use wsmachine::{Message, MessageAssembler};
///
/// let mut storage = [0u8; 1024];
/// let mut assembler = MessageAssembler::new(&mut storage);
/// # let _ = &mut assembler;
/// // for each event from `receive`:
/// //   if let Some(Message::Text(text)) = assembler.push(&event)? { ... }
/// ```
#[derive(Debug)]
pub struct MessageAssembler<'b> {
    buf: &'b mut [u8],
    // INVARIANT: `len <= buf.len()`; for text, `buf[..len]` is valid UTF-8.
    len: usize,
    /// Skipping the rest of a message that did not fit.
    skipping: bool,
}

#[cfg(feature = "defmt")]
impl defmt::Format for MessageAssembler<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "MessageAssembler {{ len: {}, capacity: {}, skipping: {} }}",
            self.len,
            self.buf.len(),
            self.skipping
        )
    }
}

impl<'b> MessageAssembler<'b> {
    /// An assembler that holds messages of up to `buf.len()` bytes.
    pub const fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            skipping: false,
        }
    }

    /// Feeds one event; returns the message when its last chunk arrives.
    ///
    /// Events other than text and binary chunks are ignored (`Ok(None)`).
    ///
    /// # Errors
    /// [`ProtocolViolation::MessageTooLarge`] (close code 1009) when the message outgrows
    /// the buffer; the rest of that message is then skipped.
    pub fn push(&mut self, event: &Event<'_>) -> Result<Option<Message<'_>>, Error> {
        let (kind, is_first, is_last) = match event {
            Event::Text(chunk) => (MessageKind::Text, chunk.is_first(), chunk.is_last()),
            Event::Binary(chunk) => (MessageKind::Binary, chunk.is_first, chunk.is_last),
            _ => return Ok(None),
        };
        if is_first {
            self.len = 0;
            self.skipping = false;
        }
        if self.skipping {
            self.skipping = !is_last;
            return Ok(None);
        }
        let fits = match event {
            Event::Text(chunk) => {
                let (carried, text) = chunk.parts();
                self.append(carried.as_bytes()) && self.append(text.as_bytes())
            }
            Event::Binary(chunk) => self.append(chunk.data),
            _ => true,
        };
        if !fits {
            self.skipping = !is_last;
            self.len = 0;
            return Err(Error::Protocol(ProtocolViolation::MessageTooLarge));
        }
        if !is_last {
            return Ok(None);
        }
        let data = self.buf.get(..self.len).unwrap_or_default();
        Ok(Some(match kind {
            // Chunks are valid UTF-8 each, so the whole is too; this check cannot fail.
            MessageKind::Text => Message::Text(crate::utf8::revalidate(data)),
            MessageKind::Binary => Message::Binary(data),
        }))
    }

    fn append(&mut self, bytes: &[u8]) -> bool {
        let end = self.len + bytes.len();
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            return false;
        };
        crate::copy_bytes(dst, bytes);
        self.len = end;
        true
    }
}
