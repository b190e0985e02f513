//! W1's wire and the transport reads the decode benches feed it through (peers,
//! event_shape, caller_shape).

/// `n` masked 16-byte text frames (`msg 000000000000`, ...) as a client sends them, each
/// with its own key.
pub(crate) fn masked_texts(n: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..n {
        let key = (i as u32).wrapping_mul(2_654_435_761).to_be_bytes();
        wire.extend_from_slice(&[0x81, 0x80 | 16]);
        wire.extend_from_slice(&key);
        let text = format!("msg {i:012}");
        wire.extend(text.bytes().enumerate().map(|(j, b)| b ^ key[j & 3]));
    }
    wire
}

/// Feeds `wire` through `work` in `read_len`-byte reads; `decode` returns the bytes it
/// consumed and the rest moves to the front for the next read.
pub(crate) fn reads_of(
    read_len: usize,
    wire: &[u8],
    work: &mut Vec<u8>,
    mut decode: impl FnMut(&mut [u8]) -> usize,
) {
    work.resize(2 * read_len, 0);
    let mut left = 0;
    for read in wire.chunks(read_len) {
        let n = left + read.len();
        work[left..n].copy_from_slice(read);
        let consumed = decode(&mut work[..n]);
        work.copy_within(consumed..n, 0);
        left = n - consumed;
    }
    assert_eq!(left, 0, "bytes left undecoded");
}

/// What a decode delivered: payload bytes, whole messages and a checksum, the sum of every
/// byte when `full`, else of each chunk's first byte (cheap, but no chunk can be skipped).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Got {
    pub(crate) bytes: u64,
    pub(crate) messages: u64,
    pub(crate) sum: u64,
}

impl Got {
    pub(crate) fn chunk(&mut self, data: &[u8], last: bool, full: bool) {
        self.bytes += data.len() as u64;
        self.messages += u64::from(last);
        self.sum += if full {
            data.iter().map(|&b| u64::from(b)).sum::<u64>()
        } else {
            u64::from(data.first().copied().unwrap_or(0))
        };
    }
}
