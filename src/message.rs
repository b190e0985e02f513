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

/// A whole message, borrowing the assembler's buffer (or, for a message that came whole in
/// one chunk, the receive buffer the event borrowed).
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
    /// A message that came whole in one chunk is handed out as the event's own bytes, with
    /// no copy and no second UTF-8 check; one assembled from several chunks borrows the
    /// assembler's buffer. Either way its size is limited by the buffer's. Events other
    /// than text and binary chunks are ignored (`Ok(None)`).
    ///
    /// # Errors
    /// [`ProtocolViolation::MessageTooLarge`] (close code 1009) when the message outgrows
    /// the buffer; the rest of that message is then skipped.
    pub fn push<'r>(&'r mut self, event: &Event<'r>) -> Result<Option<Message<'r>>, Error> {
        let whole = match event {
            Event::Text(chunk) if chunk.is_first() && chunk.is_last() => {
                chunk.as_str().map(Message::Text)
            }
            Event::Binary(chunk) if chunk.is_first && chunk.is_last => {
                Some(Message::Binary(chunk.data))
            }
            _ => None,
        };
        let Some(message) = whole else {
            return self.push_copied(event);
        };
        self.len = 0;
        self.skipping = false;
        let len = match message {
            Message::Text(text) => text.len(),
            Message::Binary(data) => data.len(),
        };
        if len > self.buf.len() {
            return Err(Error::Protocol(ProtocolViolation::MessageTooLarge));
        }
        Ok(Some(message))
    }

    /// [`push`](Self::push) that always copies: the message is then at the front of the
    /// buffer (the `io` adapters read it from there).
    pub(crate) fn push_copied(&mut self, event: &Event<'_>) -> Result<Option<Message<'_>>, Error> {
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
                carried.is_none_or(|c| self.append(c.encode_utf8(&mut [0; 4]).as_bytes()))
                    && self.append(text.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{BinaryChunk, TextChunk};
    use crate::utf8::Utf8Validator;

    fn text<'a>(
        piece: &'a [u8],
        v: &mut Utf8Validator,
        is_first: bool,
        is_last: bool,
    ) -> Event<'a> {
        Event::Text(TextChunk::new(v.feed(piece).unwrap(), is_first, is_last))
    }

    #[test]
    fn a_message_in_one_chunk_is_the_event_s_own_bytes() {
        let mut storage = [0u8; 16];
        let mut assembler = MessageAssembler::new(&mut storage);
        let wire = *b"hello";
        let event = text(&wire, &mut Utf8Validator::new(), true, true);
        let Ok(Some(Message::Text(got))) = assembler.push(&event) else {
            panic!("no message");
        };
        assert_eq!(got, "hello");
        assert_eq!(got.as_ptr(), wire.as_ptr(), "copied");
        let data = [1u8, 2, 3];
        let event = Event::Binary(BinaryChunk {
            data: &data,
            is_first: true,
            is_last: true,
        });
        let Ok(Some(Message::Binary(got))) = assembler.push(&event) else {
            panic!("no message");
        };
        assert_eq!(got.as_ptr(), data.as_ptr(), "copied");
    }

    #[test]
    fn a_whole_chunk_larger_than_the_buffer_is_1009_and_the_next_message_still_comes() {
        let mut storage = [0u8; 4];
        let mut assembler = MessageAssembler::new(&mut storage);
        let mut v = Utf8Validator::new();
        let error = assembler
            .push(&text(b"too long", &mut v, true, true))
            .unwrap_err();
        assert_eq!(error.close_code(), Some(crate::CloseCode::MessageTooBig));
        assert_eq!(
            assembler.push(&text(b"ok", &mut v, true, true)).unwrap(),
            Some(Message::Text("ok"))
        );
    }

    #[test]
    fn chunks_are_assembled_across_a_split_code_point() {
        let mut storage = [0u8; 16];
        let mut assembler = MessageAssembler::new(&mut storage);
        let mut v = Utf8Validator::new();
        let wire = "aé€b".as_bytes(); // "é" and "€" split across the three chunks
        assert_eq!(
            assembler
                .push(&text(&wire[..2], &mut v, true, false))
                .unwrap(),
            None
        );
        assert_eq!(
            assembler
                .push(&text(&wire[2..5], &mut v, false, false))
                .unwrap(),
            None
        );
        let got = assembler
            .push(&text(&wire[5..], &mut v, false, true))
            .unwrap();
        assert_eq!(got, Some(Message::Text("aé€b")));
    }

    #[test]
    fn push_copied_puts_even_a_whole_chunk_at_the_front_of_the_buffer() {
        let mut storage = [0u8; 16];
        let mut assembler = MessageAssembler::new(&mut storage);
        let event = text(b"front", &mut Utf8Validator::new(), true, true);
        assert_eq!(
            assembler.push_copied(&event).unwrap(),
            Some(Message::Text("front"))
        );
        assert_eq!(&storage[..5], b"front");
    }
}
