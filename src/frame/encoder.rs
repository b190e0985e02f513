//! Whole frames into a caller buffer: header, then payload copied (and masked) in one pass.

use super::{FrameHeader, MaskKey, Masker, Opcode};
use crate::error::Error;

/// Bytes a frame with this payload length takes on the wire.
pub(crate) const fn frame_len(payload_len: usize, masked: bool) -> usize {
    let header = FrameHeader {
        fin: true,
        rsv: 0,
        opcode: Opcode::Binary,
        mask: if masked { Some(MaskKey([0; 4])) } else { None },
        payload_len: payload_len as u64,
    };
    header.encoded_len() + payload_len
}

/// Writes one frame to the start of `out`; all or nothing.
///
/// `mask` is asked for a key only once the frame is known to fit, so a failed call
/// consumes no entropy.
pub(crate) fn encode_frame(
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    mask: Option<&mut dyn FnMut() -> MaskKey>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let required = frame_len(payload.len(), mask.is_some());
    let Some(out) = out.get_mut(..required) else {
        return Err(Error::BufferTooSmall { required });
    };
    let key = mask.map(|next| next());
    let header = FrameHeader {
        fin,
        rsv: 0,
        opcode,
        mask: key,
        payload_len: payload.len() as u64,
    };
    let header_len = header.encode(out)?;
    let body = out.get_mut(header_len..).unwrap_or_default();
    match key {
        Some(key) => Masker::new(key).apply_copy(payload, body),
        None => body.copy_from_slice(payload.get(..body.len()).unwrap_or_default()),
    }
    Ok(required)
}
