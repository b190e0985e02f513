//! permessage-deflate (RFC 7692): negotiation, and inflation into caller-owned memory with
//! no allocation (`deflate` feature).

#[cfg(feature = "deflate-compress")]
mod compress;
mod inflate;
mod negotiate;

#[cfg(feature = "deflate-compress")]
pub use compress::{DEFAULT_LEVEL, Deflater, PreparedMessage};
pub(crate) use inflate::RawStep;
pub use inflate::{InflateError, InflateState, Inflater, Step, window_len};
pub use negotiate::{
    ClientOffer, DeflateConfig, MAX_EXTENSION_LEN, NegotiationError, Params, accept, write_answer,
};
