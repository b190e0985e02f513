//! [`FixedBuf`]: up to `N` bytes held by value, the one small buffer type behind close
//! reasons, control payloads and a client's offered subprotocols.
//!
//! A leaf module: it imports nothing from the crate but the byte copy.

/// Up to `N` bytes (`N <= 255`), held by value with their length.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FixedBuf<const N: usize> {
    // INVARIANT: `usize::from(len) <= N`.
    bytes: [u8; N],
    len: u8,
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
}
