//! Logging shim: `debug!` goes to every logger enabled by a feature (`defmt`, `log`,
//! `tracing`), else nowhere.
//!
//! The features are additive (STYLE.md): with several enabled, each message goes to each
//! logger rather than one feature excluding another. The format strings use only `{}`
//! placeholders, which all three accept.

#[cfg(not(any(feature = "defmt", feature = "log", feature = "tracing")))]
macro_rules! debug {
    ($($arg:tt)*) => {{
        // Type-check nothing and evaluate nothing: logging must cost zero without a logger.
    }};
}

#[cfg(any(feature = "defmt", feature = "log", feature = "tracing"))]
macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::debug!($($arg)*);
        #[cfg(feature = "log")]
        log::debug!(target: "wsmachine", $($arg)*);
        #[cfg(feature = "tracing")]
        tracing::debug!(target: "wsmachine", $($arg)*);
    }};
}

pub(crate) use debug;
