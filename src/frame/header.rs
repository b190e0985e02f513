//! Frame header decode and encode: the §5.2 rules that need no connection state.

use super::{MAX_CONTROL_PAYLOAD_LEN, MaskKey, Opcode};
use crate::error::{Error, ProtocolViolation};

/// The longest frame header: 2 fixed bytes, 8 of extended length, 4 of masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// A decoded frame header ([RFC 6455 §5.2](https://www.rfc-editor.org/rfc/rfc6455#section-5.2)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_structs)] // the fields are the wire format, which is fixed
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct FrameHeader {
    /// FIN: this is the last frame of its message.
    pub fin: bool,
    /// RSV1–3 as the low three bits (RSV1 = 0b100); must be 0 without an extension.
    pub rsv: u8,
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key, present on every client frame and no server frame.
    pub mask: Option<MaskKey>,
    /// Payload length in bytes, at most 2^63 − 1.
    pub payload_len: u64,
}

/// The result of [`FrameHeader::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_enums)] // a decode either finishes or needs more bytes
pub enum Decoded {
    /// A whole header, `len` bytes long.
    Complete {
        /// The header.
        header: FrameHeader,
        /// Its encoded length in bytes.
        len: usize,
    },
    /// The header is at least `len` bytes long; supply that many.
    Incomplete {
        /// Bytes needed so far (grows once the second byte shows the length form).
        len: usize,
    },
}

impl FrameHeader {
    /// Decodes a header from the start of `bytes`, checking each rule as soon as it can.
    ///
    /// # Errors
    /// [`ProtocolViolation::ReservedBits`] and [`ProtocolViolation::ReservedOpcode`] on the
    /// first byte; [`ProtocolViolation::FragmentedControlFrame`] and
    /// [`ProtocolViolation::ControlFrameTooLong`] on the second;
    /// [`ProtocolViolation::LengthMsbSet`] and [`ProtocolViolation::NonMinimalLength`] once
    /// the extended length is present. Masking direction depends on the role and is checked
    /// by the connection.
    #[inline] // the receive path's per-frame fast path; see benches/ (W1)
    pub fn decode(bytes: &[u8]) -> Result<Decoded, ProtocolViolation> {
        let Some(&b0) = bytes.first() else {
            return Ok(Decoded::Incomplete { len: 2 });
        };
        let rsv = (b0 >> 4) & 0x7;
        if rsv != 0 {
            // RFC 6455 §5.2: a non-zero RSV bit without a negotiated extension MUST fail.
            return Err(ProtocolViolation::ReservedBits);
        }
        let opcode =
            Opcode::from_u8(b0 & 0xf).ok_or(ProtocolViolation::ReservedOpcode(b0 & 0xf))?;
        let fin = b0 & 0x80 != 0;
        let Some(&b1) = bytes.get(1) else {
            return Ok(Decoded::Incomplete { len: 2 });
        };
        let len7 = b1 & 0x7f;
        if opcode.is_control() {
            // RFC 6455 §5.5: control frames MUST be ≤ 125 bytes and MUST NOT be fragmented.
            if !fin {
                return Err(ProtocolViolation::FragmentedControlFrame);
            }
            if usize::from(len7) > MAX_CONTROL_PAYLOAD_LEN {
                return Err(ProtocolViolation::ControlFrameTooLong);
            }
        }
        let masked = b1 & 0x80 != 0;
        let ext_len = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let len = 2 + ext_len + if masked { 4 } else { 0 };
        // The extended length is checked as soon as it is in, before the masking key.
        let rest = bytes.get(2..).unwrap_or_default();
        let (payload_len, rest) = match len7 {
            126 => {
                let Some((ext, rest)) = rest.split_first_chunk::<2>() else {
                    return Ok(Decoded::Incomplete { len });
                };
                let value = u64::from(u16::from_be_bytes(*ext));
                if value < 126 {
                    return Err(ProtocolViolation::NonMinimalLength);
                }
                (value, rest)
            }
            127 => {
                let Some((ext, rest)) = rest.split_first_chunk::<8>() else {
                    return Ok(Decoded::Incomplete { len });
                };
                let value = u64::from_be_bytes(*ext);
                if value >> 63 != 0 {
                    return Err(ProtocolViolation::LengthMsbSet);
                }
                if value <= 0xffff {
                    return Err(ProtocolViolation::NonMinimalLength);
                }
                (value, rest)
            }
            short => (u64::from(short), rest),
        };
        let mask = match (masked, rest.first_chunk::<4>()) {
            (false, _) => None,
            (true, Some(key)) => Some(MaskKey(*key)),
            (true, None) => return Ok(Decoded::Incomplete { len }),
        };
        let header = Self {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        };
        Ok(Decoded::Complete { header, len })
    }

    /// The number of bytes [`encode`](Self::encode) writes.
    pub const fn encoded_len(&self) -> usize {
        let ext = match self.payload_len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Writes the header, with the shortest length form, to the start of `out`.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `out` is shorter than [`encoded_len`](Self::encoded_len);
    /// nothing is written then.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let len = self.encoded_len();
        let Some(out) = out.get_mut(..len) else {
            return Err(Error::BufferTooSmall { required: len });
        };
        let mut bytes = [0u8; MAX_HEADER_LEN];
        bytes[0] = u8::from(self.fin) << 7 | (self.rsv & 0x7) << 4 | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut at = 2;
        match self.payload_len {
            short @ 0..=125 => bytes[1] = mask_bit | u8::try_from(short).unwrap_or(0),
            medium @ 126..=0xffff => {
                bytes[1] = mask_bit | 126;
                crate::copy_bytes(
                    &mut bytes[2..4],
                    &u16::try_from(medium).unwrap_or(0).to_be_bytes(),
                );
                at = 4;
            }
            long => {
                bytes[1] = mask_bit | 127;
                crate::copy_bytes(&mut bytes[2..10], &long.to_be_bytes());
                at = 10;
            }
        }
        if let (Some(MaskKey(key)), Some(dst)) = (self.mask, bytes.get_mut(at..at + 4)) {
            crate::copy_bytes(dst, &key);
        }
        crate::copy_bytes(out, bytes.get(..len).unwrap_or_default());
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_whole(bytes: &[u8]) -> Result<(FrameHeader, usize), ProtocolViolation> {
        match FrameHeader::decode(bytes)? {
            Decoded::Complete { header, len } => Ok((header, len)),
            Decoded::Incomplete { len } => panic!("incomplete, needs {len}"),
        }
    }

    #[test]
    fn encode_decode_every_length_form() {
        for payload_len in [
            0,
            1,
            125,
            126,
            127,
            0xffff,
            0x1_0000,
            1 << 40,
            (1 << 63) - 1,
        ] {
            for mask in [None, Some(MaskKey([1, 2, 3, 4]))] {
                let header = FrameHeader {
                    fin: true,
                    rsv: 0,
                    opcode: Opcode::Binary,
                    mask,
                    payload_len,
                };
                let mut buf = [0u8; MAX_HEADER_LEN];
                let len = header.encode(&mut buf).unwrap();
                assert_eq!(len, header.encoded_len());
                assert_eq!(decode_whole(&buf[..len]).unwrap(), (header, len));
                for short in 0..len {
                    assert!(matches!(
                        FrameHeader::decode(&buf[..short]),
                        Ok(Decoded::Incomplete { len: need }) if need > short
                    ));
                }
            }
        }
    }

    #[test]
    fn rules_fire_on_the_byte_that_decides_them() {
        assert_eq!(
            FrameHeader::decode(&[0xc1]),
            Err(ProtocolViolation::ReservedBits)
        );
        assert_eq!(
            FrameHeader::decode(&[0x83]),
            Err(ProtocolViolation::ReservedOpcode(3))
        );
        assert_eq!(
            FrameHeader::decode(&[0x09, 0x00]),
            Err(ProtocolViolation::FragmentedControlFrame)
        );
        assert_eq!(
            FrameHeader::decode(&[0x89, 0x7e]),
            Err(ProtocolViolation::ControlFrameTooLong)
        );
        assert_eq!(
            FrameHeader::decode(&[0x82, 0x7e, 0x00, 0x7d]),
            Err(ProtocolViolation::NonMinimalLength)
        );
        let msb = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            FrameHeader::decode(&msb),
            Err(ProtocolViolation::LengthMsbSet)
        );
        let small = [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
        assert_eq!(
            FrameHeader::decode(&small),
            Err(ProtocolViolation::NonMinimalLength)
        );
    }

    #[test]
    fn encode_refuses_short_buffer_without_writing() {
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode: Opcode::Text,
            mask: None,
            payload_len: 300,
        };
        let mut buf = [0xaa; 3];
        assert_eq!(
            header.encode(&mut buf),
            Err(Error::BufferTooSmall { required: 4 })
        );
        assert_eq!(buf, [0xaa; 3]);
    }
}
