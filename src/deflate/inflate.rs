//! Inflation into caller-owned memory, bounded per call and per message.
//!
//! `miniz_oxide`'s core inflater is used: pure Rust, `no_std` without `alloc`, no `unsafe`
//! in its decoder, and it takes the output buffer as a *wrapping* LZ77 window of any power
//! of two, so a 9-bit peer costs a 512-byte window instead of 32 KiB. The decoder state
//! (`DecompressorOxide`, Huffman tables) lives in the caller's [`InflateState`].

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress_with_limit, inflate_flags};

/// RFC 7692 §7.2.2: the sender removed this sync-flush tail; the receiver appends it.
const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The decoder state a caller owns (about 11 KB), beside its window buffer.
#[derive(Default)]
pub struct InflateState(DecompressorOxide);

impl InflateState {
    /// A fresh state.
    pub fn new() -> Self {
        Self(DecompressorOxide::new())
    }
}

/// Why a message could not be inflated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// Invalid deflate data: close with 1007.
    Corrupt,
    /// The decompressed message exceeds `max_message_len`: close with 1009.
    TooLarge,
}

/// Bytes needed for the window of a peer compressing with `bits` window bits (8..=15).
pub const fn window_len(bits: u8) -> usize {
    1 << bits
}

/// The result of one bounded [`Inflater::inflate`] step.
#[derive(Debug)]
pub struct Step<'w> {
    /// Input bytes consumed from this call's `input`.
    pub consumed: usize,
    /// Decompressed bytes produced by this call (a slice of the window).
    pub output: &'w [u8],
    /// The message is complete: all of it has been output.
    pub done: bool,
}

/// An inflater for one direction of one connection.
pub struct Inflater<'m> {
    state: &'m mut InflateState,
    window: &'m mut [u8],
    pos: usize,
    produced: u64,
    max_message_len: u64,
    no_context_takeover: bool,
    trailer_fed: usize,
    final_block: bool,
}

impl<'m> Inflater<'m> {
    /// An inflater using `window` (a power of two of at least [`window_len`] of the peer's
    /// negotiated bits). `None` if `window` is not a power of two or shorter than 256 bytes.
    pub fn new(
        state: &'m mut InflateState,
        window: &'m mut [u8],
        no_context_takeover: bool,
        max_message_len: u64,
    ) -> Option<Self> {
        if !window.len().is_power_of_two() || window.len() < window_len(8) {
            return None;
        }
        state.0.init();
        Some(Self {
            state,
            window,
            pos: 0,
            produced: 0,
            max_message_len,
            no_context_takeover,
            trailer_fed: 0,
            final_block: false,
        })
    }

    /// Decompresses part of a message: at most `limit` output bytes (and never past the
    /// window's end), so no call does unbounded work. `last`: `input` ends the message's
    /// compressed payload. Call again with the rest of the input (`input[consumed..]`, or
    /// an empty slice once consumed) until `done`.
    pub fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        limit: usize,
    ) -> Result<Step<'_>, InflateError> {
        if self.final_block {
            // After a BFINAL block only the end of the message may follow.
            if !input.is_empty() {
                return Err(InflateError::Corrupt);
            }
            let done = last;
            if done {
                self.finish();
            }
            return Ok(Step {
                consumed: 0,
                output: &[],
                done,
            });
        }
        let feeding_trailer = input.is_empty() && last;
        let data: &[u8] = if feeding_trailer {
            TRAILER.get(self.trailer_fed..).unwrap_or(&[])
        } else {
            input
        };
        if self.pos == self.window.len() {
            self.pos = 0;
        }
        // One byte past the limit is enough to know the message is too large.
        let room = self
            .max_message_len
            .saturating_sub(self.produced)
            .saturating_add(1);
        let out_max = usize::try_from(room).unwrap_or(usize::MAX).min(limit);
        let (status, consumed, written) = decompress_with_limit(
            &mut self.state.0,
            data,
            self.window,
            self.pos,
            out_max,
            inflate_flags::TINFL_FLAG_HAS_MORE_INPUT,
        );
        self.produced = self.produced.saturating_add(written as u64);
        if self.produced > self.max_message_len {
            return Err(InflateError::TooLarge);
        }
        let start = self.pos;
        self.pos += written;
        let mut done = false;
        match status {
            TINFLStatus::Done => {
                self.final_block = true;
                done = feeding_trailer || (last && consumed == input.len());
            }
            TINFLStatus::NeedsMoreInput | TINFLStatus::HasMoreOutput => {
                if feeding_trailer {
                    self.trailer_fed += consumed;
                    done =
                        self.trailer_fed == TRAILER.len() && status == TINFLStatus::NeedsMoreInput;
                }
            }
            _ => return Err(InflateError::Corrupt),
        }
        let consumed = if feeding_trailer { 0 } else { consumed };
        if done {
            self.finish();
        }
        let output = self.window.get(start..start + written).unwrap_or(&[]);
        Ok(Step {
            consumed,
            output,
            done,
        })
    }

    /// The message ended: get ready for the next one (RFC 7692 §7.2.2 context rules).
    fn finish(&mut self) {
        self.produced = 0;
        self.trailer_fed = 0;
        if self.final_block || self.no_context_takeover {
            self.state.0.init();
        }
        if self.no_context_takeover {
            self.pos = 0;
        }
        self.final_block = false;
    }

    /// Drops any message in progress (after an error or a close).
    pub fn reset(&mut self) {
        self.final_block = true;
        self.no_context_takeover = true;
        self.finish();
    }
}
