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
    if key.is_none() {
        // Fast path, unmasked frames with a 7-bit length (every small server message): two
        // header bytes written in place, then one copy; no header struct, no staging buffer.
        if let (Ok(len7 @ 0..=125), Some((head, body))) = (
            u8::try_from(payload.len()),
            out.split_first_chunk_mut::<2>(),
        ) {
            *head = [u8::from(fin) << 7 | opcode.as_u8(), len7];
            body.copy_from_slice(payload.get(..body.len()).unwrap_or_default());
            return Ok(required);
        }
    }
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
