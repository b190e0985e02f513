//! Logging shim: `debug!` and `trace!` go to `defmt` with the `defmt` feature, else nowhere.

#[cfg(feature = "defmt")]
macro_rules! debug {
    ($($arg:tt)*) => { defmt::debug!($($arg)*) };
}

#[cfg(not(feature = "defmt"))]
macro_rules! debug {
    ($($arg:tt)*) => {{
        // Type-check nothing and evaluate nothing: logging must cost zero without defmt.
    }};
}

pub(crate) use debug;
