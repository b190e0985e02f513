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

/// The decoder state a caller owns (about 11 KB), beside its window buffer: miniz_oxide's
/// decoder and where the stream stands in the window, so an [`Inflater`] can be a short
/// view made per call ([`Inflater::resume`]).
pub struct InflateState {
    decoder: DecompressorOxide,
    /// The part of the window in use: exactly the peer's negotiated window once a
    /// connection configured it, so a back-reference beyond it fails (miniz_oxide refuses
    /// a distance longer than its output buffer) instead of reading stale bytes.
    // INVARIANT: 0 (no window yet) or a power of two ≥ 256; pos ≤ active.
    active: usize,
    pos: usize,
    /// The stream has filled the window once: every byte of it is history. Until then the
    /// stream started at 0 and `pos` is its length, so miniz_oxide runs in non-wrapping mode
    /// and refuses a back-reference before the stream's start, as zlib does ("invalid
    /// distance too far back"), instead of reading the window's old bytes.
    wrapped: bool,
    produced: u64,
    max_message_len: u64,
    no_context_takeover: bool,
    trailer_fed: usize,
    final_block: bool,
}

impl Default for InflateState {
    fn default() -> Self {
        Self::new()
    }
}

impl InflateState {
    /// Bytes of window the stream uses now (0 before a window was given).
    pub const fn window_len(&self) -> usize {
        self.active
    }

    /// A fresh state.
    pub fn new() -> Self {
        Self {
            decoder: DecompressorOxide::new(),
            active: 0,
            pos: 0,
            wrapped: false,
            produced: 0,
            max_message_len: u64::MAX,
            no_context_takeover: false,
            trailer_fed: 0,
            final_block: false,
        }
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

/// One step's result, with the output as a window range (so the connection can borrow it
/// for an event's lifetime).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawStep {
    pub(crate) consumed: usize,
    pub(crate) start: usize,
    pub(crate) len: usize,
    pub(crate) done: bool,
}

/// An inflater for one direction of one connection: a view of the caller's
/// [`InflateState`] and window buffer (all its progress lives in the state).
///
/// With a [`Connection`](crate::Connection), hand it to
/// [`receive_inflate`](crate::Connection::receive_inflate): the connection then sets the
/// window size, the context-takeover rule and the message limit from the negotiation and
/// its [`Config`](crate::Config), whatever `new` was given. A driver that keeps the state
/// and the window in its own struct makes the view per call with [`resume`](Self::resume).
pub struct Inflater<'m> {
    state: &'m mut InflateState,
    // INVARIANT: a power of two ≥ 256 and ≥ `state.active`.
    window: &'m mut [u8],
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
        *state = InflateState::new();
        state.active = window.len();
        state.max_message_len = max_message_len;
        state.no_context_takeover = no_context_takeover;
        Some(Self { state, window })
    }

    /// The same stream again: a view of a state and window used before (by `new` or
    /// `resume`), continuing where they stood. A fresh state starts a stream. `window`
    /// must hold the bytes it held (the same buffer): the LZ77 context lives there.
    /// `None` if `window` is not a power of two of at least 256 bytes, or shorter than the
    /// window in use.
    pub fn resume(state: &'m mut InflateState, window: &'m mut [u8]) -> Option<Self> {
        if !window.len().is_power_of_two() || window.len() < window_len(8) {
            return None;
        }
        if state.active == 0 {
            state.active = window.len();
        }
        if window.len() < state.active {
            return None;
        }
        Some(Self { state, window })
    }

    /// Decompresses part of a message: at most `limit` output bytes (and never past the
    /// window's end), so no call does unbounded work. `last`: `input` ends the message's
    /// compressed payload. Call again with the rest of the input (`input[consumed..]`, or
    /// an empty slice once consumed) until `done`.
    ///
    /// # Errors
    /// [`InflateError::Corrupt`] for invalid data, [`InflateError::TooLarge`] once the
    /// message's output passes its limit.
    pub fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        limit: usize,
    ) -> Result<Step<'_>, InflateError> {
        let raw = self.step(input, last, limit)?;
        Ok(Step {
            consumed: raw.consumed,
            output: self.output(&raw),
            done: raw.done,
        })
    }

    /// Bytes of window this inflater uses now.
    pub const fn window_len(&self) -> usize {
        self.state.active
    }

    /// Connection: use exactly `1 << bits` bytes of the window, the context rule and the
    /// message limit negotiated. `false` if the window is too small (nothing changes then).
    pub(crate) fn configure(&mut self, bits: u8, no_context_takeover: bool, max: u64) -> bool {
        // zlib cannot compress with an 8-bit window and silently uses 9 when asked for 8,
        // so a peer that agreed to 8 bits gets a 9-bit window.
        let want = window_len(bits.clamp(9, 15));
        if want > self.window.len() {
            return false;
        }
        if want != self.state.active {
            // A new window size starts a new stream.
            self.state.active = want;
            self.reset();
        }
        self.state.no_context_takeover = no_context_takeover;
        self.state.max_message_len = max;
        true
    }

    /// The output of a [`RawStep`], borrowed from the window.
    pub(crate) fn output(&self, raw: &RawStep) -> &[u8] {
        self.window
            .get(raw.start..raw.start.saturating_add(raw.len))
            .unwrap_or_default()
    }

    /// The output of a [`RawStep`], borrowed from the window for as long as the view's
    /// borrow (so an event can outlive the view).
    pub(crate) fn into_output(self, raw: &RawStep) -> &'m [u8] {
        let window: &'m [u8] = self.window;
        window
            .get(raw.start..raw.start.saturating_add(raw.len))
            .unwrap_or_default()
    }

    /// One bounded step; the output stays in the window at `start..start + len`.
    ///
    /// When `input` ends the message and is consumed whole, the trailer is fed in the same
    /// step (if the output limit leaves room), so a small message ends in one step.
    pub(crate) fn step(
        &mut self,
        input: &[u8],
        last: bool,
        limit: usize,
    ) -> Result<RawStep, InflateError> {
        if self.state.final_block {
            // After a BFINAL block only the end of the message may follow.
            if !input.is_empty() {
                return Err(InflateError::Corrupt);
            }
            let done = last;
            if done {
                self.finish();
            }
            return Ok(RawStep {
                consumed: 0,
                start: 0,
                len: 0,
                done,
            });
        }
        if self.state.pos >= self.state.active {
            self.state.pos = 0;
            self.state.wrapped = true;
        }
        let limit = limit.max(1);
        let start = self.state.pos;
        let mut written = 0;
        let mut consumed = 0;
        if !input.is_empty() || !last {
            let (status, used, out) = self.run(input, limit)?;
            consumed = used;
            written = out;
            let ends = last && used == input.len();
            match status {
                TINFLStatus::Done => {
                    self.state.final_block = true;
                    if ends {
                        self.finish();
                    }
                    return Ok(RawStep {
                        consumed,
                        start,
                        len: written,
                        done: ends,
                    });
                }
                TINFLStatus::NeedsMoreInput if ends && written < limit => {}
                TINFLStatus::NeedsMoreInput | TINFLStatus::HasMoreOutput => {
                    return Ok(RawStep {
                        consumed,
                        start,
                        len: written,
                        done: false,
                    });
                }
                _ => return Err(InflateError::Corrupt),
            }
        }
        // RFC 7692 §7.2.2: append 00 00 ff ff to the message's payload.
        let trailer = TRAILER.get(self.state.trailer_fed..).unwrap_or(&[]);
        let (status, used, out) = self.run(trailer, limit - written)?;
        self.state.trailer_fed += used;
        written += out;
        let done = match status {
            TINFLStatus::Done => {
                self.state.final_block = true;
                true
            }
            TINFLStatus::NeedsMoreInput => self.state.trailer_fed == TRAILER.len(),
            TINFLStatus::HasMoreOutput => false,
            _ => return Err(InflateError::Corrupt),
        };
        if done {
            self.finish();
        }
        Ok(RawStep {
            consumed,
            start,
            len: written,
            done,
        })
    }

    /// One call into miniz_oxide at `pos`: at most `limit` bytes out, and one byte past the
    /// message limit at most (enough to know it is too large).
    fn run(
        &mut self,
        data: &[u8],
        limit: usize,
    ) -> Result<(TINFLStatus, usize, usize), InflateError> {
        let room = self
            .state
            .max_message_len
            .saturating_sub(self.state.produced)
            .saturating_add(1);
        let out_max = usize::try_from(room).unwrap_or(usize::MAX).min(limit);
        let window = self.window.get_mut(..self.state.active).unwrap_or_default();
        let mut flags = inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
        if !self.state.wrapped {
            // A match copy cut at the window's end resumes in wrapping mode at 0 next step,
            // which is where its bytes continue.
            flags |= inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        }
        let (status, consumed, written) = decompress_with_limit(
            &mut self.state.decoder,
            data,
            window,
            self.state.pos,
            out_max,
            flags,
        );
        self.state.produced = self.state.produced.saturating_add(written as u64);
        if self.state.produced > self.state.max_message_len {
            return Err(InflateError::TooLarge);
        }
        self.state.pos = self.state.pos.saturating_add(written);
        Ok((status, consumed, written))
    }

    /// The message ended: get ready for the next one (RFC 7692 §7.2.2 context rules).
    fn finish(&mut self) {
        self.state.produced = 0;
        self.state.trailer_fed = 0;
        if self.state.final_block || self.state.no_context_takeover {
            self.state.decoder.init();
        }
        if self.state.no_context_takeover {
            self.state.pos = 0;
            self.state.wrapped = false;
        }
        self.state.final_block = false;
    }

    /// Drops any message in progress (after an error or a close).
    pub fn reset(&mut self) {
        let keep = self.state.no_context_takeover;
        self.state.final_block = true;
        self.state.no_context_takeover = true;
        self.finish();
        self.state.no_context_takeover = keep;
    }
}
