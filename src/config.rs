//! Limits, timers and behaviour switches for a [`Connection`](crate::Connection).

use core::time::Duration;

/// Everything a connection may be configured with; every limit has a safe default.
///
/// All builders are `const fn`, so a `Config` can live in a `static`:
///
/// ```
/// use core::time::Duration;
/// use wsmachine::Config;
///
/// static CONFIG: Config = Config::new()
///     .with_max_message_len(1 << 20)
///     .with_keepalive(Some(Duration::from_secs(30)));
/// assert_eq!(CONFIG.max_message_len(), 1 << 20);
/// ```
///
/// | limit | default | exceeded |
/// |---|---|---|
/// | `max_head_len` | 8 KiB | 431 |
/// | `max_headers` | 32 (at most [`MAX_HEADERS`]) | 431 |
/// | `max_frame_len` | 16 MiB | close 1009 |
/// | `max_message_len` | 64 MiB | close 1009 |
/// | `max_fragments` | 131,072 | close 1008 |
/// | `handshake_timeout` | 10 s | connection dropped |
/// | `close_timeout` | 10 s | connection dropped (1006) |
/// | `keepalive` | off | a ping is sent when the peer is quiet this long |
/// | `pong_timeout` | 20 s | connection dropped (1006) |
/// | `deflate` (feature `deflate`) | off | — |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Config {
    // Compact on purpose: a copy lives in every connection (issue 5's 512-byte budget).
    // Durations are whole milliseconds, `OFF` meaning disabled.
    pub(crate) max_head_len: u32,
    pub(crate) max_headers: u8,
    pub(crate) auto_pong: bool,
    pub(crate) max_fragments: u32,
    pub(crate) max_frame_len: u64,
    pub(crate) max_message_len: u64,
    pub(crate) keepalive_ms: u32,
    pub(crate) pong_timeout_ms: u32,
    pub(crate) close_timeout_ms: u32,
    pub(crate) handshake_timeout_ms: u32,
    pub(crate) deflate: DeflateSetting,
}

/// The permessage-deflate settings: zero bytes without the `deflate` feature, so a `Config`
/// (and each connection's copy of it) does not grow when the feature is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub(crate) struct DeflateSetting {
    #[cfg(feature = "deflate")]
    pub(crate) config: Option<crate::deflate::DeflateConfig>,
}

/// The hard cap on [`Config::with_max_headers`]: the parser's header table lives on the stack.
pub const MAX_HEADERS: usize = 64;

/// A disabled timer.
const OFF: u32 = u32::MAX;

// The const builders narrow with `as` (no `try_from` in const fn) right after range checks.
#[allow(clippy::cast_possible_truncation)]
impl Config {
    /// The defaults listed in the table above.
    pub const fn new() -> Self {
        Self {
            max_head_len: 8 * 1024,
            max_headers: 32,
            auto_pong: true,
            max_fragments: 131_072,
            max_frame_len: 16 * 1024 * 1024,
            max_message_len: 64 * 1024 * 1024,
            keepalive_ms: OFF,
            pong_timeout_ms: 20_000,
            close_timeout_ms: 10_000,
            handshake_timeout_ms: 10_000,
            deflate: DeflateSetting {
                #[cfg(feature = "deflate")]
                config: None,
            },
        }
    }

    /// Largest HTTP head (request or response line plus headers) accepted, in bytes.
    ///
    /// The receive buffer must be able to hold this many bytes during the handshake.
    pub const fn with_max_head_len(mut self, len: usize) -> Self {
        self.max_head_len = if len > u32::MAX as usize {
            u32::MAX
        } else {
            len as u32
        };
        self
    }

    /// Most header lines accepted in the HTTP head; clamped to [`MAX_HEADERS`].
    pub const fn with_max_headers(mut self, count: usize) -> Self {
        self.max_headers = if count > MAX_HEADERS {
            MAX_HEADERS as u8
        } else {
            count as u8
        };
        self
    }

    /// Largest payload of one data frame, in bytes (RFC 6455 §10.4).
    pub const fn with_max_frame_len(mut self, len: u64) -> Self {
        self.max_frame_len = len;
        self
    }

    /// Largest message, summed over its fragments, in bytes (RFC 6455 §10.4).
    ///
    /// Messages stream through the caller's buffer, so this bounds work, not memory.
    pub const fn with_max_message_len(mut self, len: u64) -> Self {
        self.max_message_len = len;
        self
    }

    /// Most frames one message may be split into, empty fragments included.
    pub const fn with_max_fragments(mut self, count: u32) -> Self {
        self.max_fragments = count;
        self
    }

    /// Whether a received ping is answered with a pong automatically (default: yes).
    pub const fn with_auto_pong(mut self, enabled: bool) -> Self {
        self.auto_pong = enabled;
        self
    }

    /// Send a ping when nothing was received for this long; `None` (default) disables it.
    ///
    /// Timer durations are kept in whole milliseconds, at most about 49 days.
    pub const fn with_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.keepalive_ms = millis(interval);
        self
    }

    /// How long after a keepalive ping the peer must have sent something.
    pub const fn with_pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout_ms = millis(Some(timeout));
        self
    }

    /// How long to wait for the peer's Close (and, for a client, the server's TCP close).
    pub const fn with_close_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.close_timeout_ms = millis(timeout);
        self
    }

    /// How long the opening handshake may take from construction; `None` waits forever.
    pub const fn with_handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout_ms = millis(timeout);
        self
    }

    /// Offer (client) or accept (server) permessage-deflate with these settings; `None`
    /// (default) neither offers nor accepts it. Once it is negotiated, receive with
    /// [`Connection::receive_inflate`](crate::Connection::receive_inflate), which inflates
    /// compressed messages into the caller's [`Inflater`](crate::deflate::Inflater): plain
    /// `receive` refuses them with [`Misuse::InflaterRequired`](crate::Misuse::InflaterRequired).
    #[cfg(feature = "deflate")]
    pub const fn with_deflate(mut self, deflate: Option<crate::deflate::DeflateConfig>) -> Self {
        self.deflate.config = deflate;
        self
    }

    /// See [`Config::with_deflate`].
    #[cfg(feature = "deflate")]
    pub const fn deflate(&self) -> Option<crate::deflate::DeflateConfig> {
        self.deflate.config
    }

    /// See [`Config::with_max_head_len`].
    pub const fn max_head_len(&self) -> usize {
        self.max_head_len as usize
    }

    /// See [`Config::with_max_headers`].
    pub const fn max_headers(&self) -> usize {
        self.max_headers as usize
    }

    /// See [`Config::with_max_frame_len`].
    pub const fn max_frame_len(&self) -> u64 {
        self.max_frame_len
    }

    /// See [`Config::with_max_message_len`].
    pub const fn max_message_len(&self) -> u64 {
        self.max_message_len
    }

    /// See [`Config::with_max_fragments`].
    pub const fn max_fragments(&self) -> u32 {
        self.max_fragments
    }

    /// See [`Config::with_auto_pong`].
    pub const fn auto_pong(&self) -> bool {
        self.auto_pong
    }

    /// See [`Config::with_keepalive`].
    pub const fn keepalive(&self) -> Option<Duration> {
        duration(self.keepalive_ms)
    }

    /// See [`Config::with_pong_timeout`].
    pub const fn pong_timeout(&self) -> Duration {
        Duration::from_millis(self.pong_timeout_ms as u64)
    }

    /// See [`Config::with_close_timeout`].
    pub const fn close_timeout(&self) -> Option<Duration> {
        duration(self.close_timeout_ms)
    }

    /// See [`Config::with_handshake_timeout`].
    pub const fn handshake_timeout(&self) -> Option<Duration> {
        duration(self.handshake_timeout_ms)
    }
}

/// Whole milliseconds, saturating just below `OFF`; `None` is `OFF`.
#[allow(clippy::cast_possible_truncation)] // checked against `OFF` first
const fn millis(duration: Option<Duration>) -> u32 {
    match duration {
        None => OFF,
        Some(d) => {
            let ms = d.as_millis();
            if ms >= OFF as u128 {
                OFF - 1
            } else {
                ms as u32
            }
        }
    }
}

const fn duration(ms: u32) -> Option<Duration> {
    if ms == OFF {
        None
    } else {
        Some(Duration::from_millis(ms as u64))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}
