//! [`FixedBuf`]: up to `N` bytes held by value, the one small buffer type behind close
//! reasons, control payloads and a client's offered subprotocols.
//!
//! A leaf module: it imports nothing from the crate but the byte copy.

/// Up to `N` bytes (`N <= 255`), held by value with their length.
///
/// Bytes past `len` are stale after [`clear`](Self::clear): equality and hashing look at
/// the held bytes only.
#[derive(Clone, Copy)]
pub(crate) struct FixedBuf<const N: usize> {
    // INVARIANT: `usize::from(len) <= N`.
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> PartialEq for FixedBuf<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for FixedBuf<N> {}

impl<const N: usize> core::hash::Hash for FixedBuf<N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> FixedBuf<N> {
    /// The empty buffer.
    pub(crate) const EMPTY: Self = Self {
        bytes: [0; N],
        len: 0,
    };

    /// Copies `data`, or `None` if it is longer than `N` bytes.
    pub(crate) fn new(data: &[u8]) -> Option<Self> {
        let mut this = Self::EMPTY;
        this.extend(data).then_some(this)
    }

    /// Empties the buffer by its length alone (the receive path resets its control stash
    /// per control frame: zeroing 125 bytes linked a byte-wise `memclr` into firmware).
    pub(crate) const fn clear(&mut self) {
        self.len = 0;
    }

    /// The bytes held.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Appends `data` if it fits; false (and nothing appended) otherwise.
    pub(crate) fn extend(&mut self, data: &[u8]) -> bool {
        let start = usize::from(self.len);
        let end = start + data.len();
        let (Some(dst), Ok(len)) = (self.bytes.get_mut(start..end), u8::try_from(end)) else {
            return false;
        };
        crate::copy_bytes(dst, data);
        self.len = len;
        true
    }
}

impl<const N: usize> Default for FixedBuf<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> core::fmt::Debug for FixedBuf<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_bytes(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_up_to_capacity_and_refuses_more_unchanged() {
        let mut buf = FixedBuf::<4>::new(b"ab").unwrap();
        assert!(buf.extend(b"cd"));
        assert_eq!(buf.as_bytes(), b"abcd");
        assert!(!buf.extend(b"e"));
        assert_eq!(buf.as_bytes(), b"abcd");
        assert!(FixedBuf::<4>::new(b"abcde").is_none());
        assert_eq!(FixedBuf::<4>::EMPTY.as_bytes(), b"");
    }

    #[test]
    fn a_cleared_buffer_equals_and_hashes_as_its_held_bytes_alone() {
        use std::hash::{BuildHasher, RandomState};
        let mut reused = FixedBuf::<8>::new(b"stale!").unwrap();
        reused.clear();
        assert_eq!(reused.as_bytes(), b"");
        assert_eq!(reused, FixedBuf::EMPTY);
        assert!(reused.extend(b"ok"));
        let fresh = FixedBuf::<8>::new(b"ok").unwrap();
        assert_eq!(reused, fresh);
        let hasher = RandomState::new();
        assert_eq!(hasher.hash_one(reused), hasher.hash_one(fresh));
        assert_ne!(reused, FixedBuf::<8>::new(b"no").unwrap());
    }
}
