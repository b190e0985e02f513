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
#[inline] // lets the send path's caller (generic, so compiled in the user's crate) fuse it
pub(crate) fn encode_frame(
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    mask: Option<&mut dyn FnMut() -> MaskKey>,
    out: &mut [u8],
) -> Result<usize, Error> {
    if mask.is_none()
        && let Ok(len7 @ 0..=125) = u8::try_from(payload.len())
    {
        // Fast path, unmasked frames with a 7-bit length (every small server message): two
        // header bytes written in place, then one copy; no header struct, no staging buffer.
        let required = 2 + payload.len();
        let Some((head, body)) = out
            .get_mut(..required)
            .and_then(<[u8]>::split_first_chunk_mut::<2>)
        else {
            return Err(Error::BufferTooSmall { required });
        };
        *head = [u8::from(fin) << 7 | opcode.as_u8(), len7];
        copy_short(payload, body);
        return Ok(required);
    }
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
        None => {
            // Both sides cut to the same length, so the copy provably cannot panic.
            let len = body.len().min(payload.len());
            if let (Some(dst), Some(src)) = (body.get_mut(..len), payload.get(..len)) {
                crate::copy_bytes(dst, src);
            }
        }
    }
    Ok(required)
}

/// Copies `src` into `dst` (equal lengths, at most 125 bytes) without a `memcpy` call for
/// the usual small payloads: two overlapping fixed-size moves cover 8 to 32 bytes.
#[inline]
fn copy_short(src: &[u8], dst: &mut [u8]) {
    if src.len() != dst.len() {
        return; // callers size them equal; never panic
    }
    if src.len() <= 16 {
        if let (Some(a), Some(b)) = (src.first_chunk::<8>(), src.last_chunk::<8>()) {
            if let Some(d) = dst.first_chunk_mut::<8>() {
                *d = *a;
            }
            if let Some(d) = dst.last_chunk_mut::<8>() {
                *d = *b;
            }
            return;
        }
    } else if src.len() <= 32
        && let (Some(a), Some(b)) = (src.first_chunk::<16>(), src.last_chunk::<16>())
    {
        if let Some(d) = dst.first_chunk_mut::<16>() {
            *d = *a;
        }
        if let Some(d) = dst.last_chunk_mut::<16>() {
            *d = *b;
        }
        return;
    }
    crate::copy_bytes(dst, src);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn short_copies_are_exact_at_every_length() {
        for len in 0..=125 {
            let src: Vec<u8> = (0..len).map(|i| i as u8 ^ 0xa5).collect();
            let mut dst = std::vec![0u8; len];
            copy_short(&src, &mut dst);
            assert_eq!(dst, src, "len {len}");
        }
    }

    #[test]
    fn unmasked_short_frames_match_the_header_encoder() {
        for len in [0, 1, 7, 8, 9, 16, 17, 31, 32, 33, 125, 126, 1000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut fast = std::vec![0u8; len + 14];
            let n = encode_frame(Opcode::Text, true, &payload, None, &mut fast).unwrap();
            let header = FrameHeader {
                fin: true,
                rsv: 0,
                opcode: Opcode::Text,
                mask: None,
                payload_len: len as u64,
            };
            let mut want = std::vec![0u8; 14];
            let h = header.encode(&mut want).unwrap();
            want.truncate(h);
            want.extend_from_slice(&payload);
            assert_eq!(&fast[..n], &want[..], "len {len}");
        }
    }
}
