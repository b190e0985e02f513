//! permessage-deflate (RFC 7692): negotiation, and inflation into caller-owned memory with
//! no allocation (`deflate` feature).

mod inflate;
mod negotiate;

pub use inflate::{InflateError, InflateState, Inflater, Step, window_len};
pub use negotiate::{
    ClientOffer, DeflateConfig, MAX_EXTENSION_LEN, NegotiationError, Params, accept, write_answer,
};
