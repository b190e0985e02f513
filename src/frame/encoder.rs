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

/// Writes one unmasked frame to the start of `out`; all or nothing.
///
/// With `zero_key` the frame is masked with the all-zero key ([`NoMask`](super::NoMask)'s,
/// known at compile time through [`MaskSource::ZERO_KEYS`](super::MaskSource::ZERO_KEYS)):
/// the header carries the mask bit and four zero bytes, and the payload, XORed with zeros,
/// is copied as it is. So a program whose connections never draw keys links no masking.
#[inline] // lets the send path's caller (generic, so compiled in the user's crate) fuse it
pub(crate) fn encode_frame(
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    zero_key: bool,
    out: &mut [u8],
) -> Result<usize, Error> {
    // Not on firmware, where the general path below does the same in less code.
    if cfg!(not(target_os = "none"))
        && !zero_key
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
    let key = zero_key.then_some(MaskKey([0; 4]));
    let Some(body) = place(opcode, fin, payload.len(), key, out)? else {
        return Err(Error::BufferTooSmall {
            required: frame_len(payload.len(), zero_key),
        });
    };
    // Both sides cut to the same length, so the copy provably cannot panic.
    let len = body.len().min(payload.len());
    if let (Some(dst), Some(src)) = (body.get_mut(..len), payload.get(..len)) {
        crate::copy_bytes(dst, src);
    }
    Ok(frame_len(payload.len(), zero_key))
}

/// Writes one frame masked with a key from `next` to the start of `out`; all or nothing.
///
/// `next` is asked for a key only once the frame is known to fit, so a failed call
/// consumes no entropy.
#[inline] // as `encode_frame`
pub(crate) fn encode_masked_frame(
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    next: &mut dyn FnMut() -> MaskKey,
    out: &mut [u8],
) -> Result<usize, Error> {
    let required = frame_len(payload.len(), true);
    if out.len() < required {
        return Err(Error::BufferTooSmall { required });
    }
    let key = next();
    #[cfg(target_os = "none")]
    {
        // Firmware: the zero-key frame, then the key written into its header and the
        // payload masked in place: one header encoder for both kinds of frame.
        let len = encode_frame(opcode, fin, payload, true, out)?;
        let header_len = len.saturating_sub(payload.len());
        if let Some(slot) = out.get_mut(header_len.saturating_sub(4)..header_len) {
            crate::copy_bytes(slot, &key.0);
        }
        Masker::new(key).apply(out.get_mut(header_len..len).unwrap_or_default());
        Ok(len)
    }
    // Hosted: masked while copied, one pass over the payload.
    #[cfg(not(target_os = "none"))]
    {
        let Some(body) = place(opcode, fin, payload.len(), Some(key), out)? else {
            return Err(Error::BufferTooSmall { required });
        };
        Masker::new(key).apply_copy(payload, body);
        Ok(required)
    }
}

/// Encodes the header of a frame of `payload_len` bytes at the start of `out` and returns
/// the room for its payload (exactly `payload_len` bytes), or `None` if the frame does not
/// fit.
fn place(
    opcode: Opcode,
    fin: bool,
    payload_len: usize,
    mask: Option<MaskKey>,
    out: &mut [u8],
) -> Result<Option<&mut [u8]>, Error> {
    let Some(out) = out.get_mut(..frame_len(payload_len, mask.is_some())) else {
        return Ok(None);
    };
    let header = FrameHeader {
        fin,
        rsv: 0,
        opcode,
        mask,
        payload_len: payload_len as u64,
    };
    let header_len = header.encode(out)?;
    Ok(Some(out.get_mut(header_len..).unwrap_or_default()))
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
            let n = encode_frame(Opcode::Text, true, &payload, false, &mut fast).unwrap();
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

    #[test]
    fn zero_key_frames_are_masked_frames_with_the_zero_key() {
        for len in [0, 1, 5, 125, 126, 1000, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut zero = std::vec![0u8; len + 14];
            let n = encode_frame(Opcode::Binary, false, &payload, true, &mut zero).unwrap();
            let mut masked = std::vec![0u8; len + 14];
            let mut next = || MaskKey([0; 4]);
            let m = encode_masked_frame(Opcode::Binary, false, &payload, &mut next, &mut masked)
                .unwrap();
            assert_eq!((n, &zero[..n]), (m, &masked[..m]), "len {len}");
            assert_eq!(zero[1] & 0x80, 0x80, "mask bit, len {len}");
            // One byte short: nothing written, the size needed reported.
            let mut short = std::vec![0u8; n - 1];
            assert_eq!(
                encode_frame(Opcode::Binary, false, &payload, true, &mut short),
                Err(Error::BufferTooSmall { required: n })
            );
        }
    }

    #[test]
    fn masked_frames_draw_no_key_when_they_do_not_fit() {
        let mut drawn = 0;
        let mut next = || {
            drawn += 1;
            MaskKey([1, 2, 3, 4])
        };
        let mut out = [0u8; 10];
        assert_eq!(
            encode_masked_frame(Opcode::Text, true, b"hello", &mut next, &mut out),
            Err(Error::BufferTooSmall { required: 11 })
        );
        assert_eq!(drawn, 0);
    }
}
