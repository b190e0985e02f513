//! Incremental end-of-head scan: each byte of a head is examined a bounded number of times,
//! however the peer splits it (no quadratic re-scan for a byte-at-a-time peer).

/// Finds the blank line ending an HTTP head across calls that present a growing buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct HeadScanner {
    // INVARIANT: no head terminator starts before `resume` in the bytes seen so far.
    resume: usize,
    /// Bytes examined so far, for the linear-work tests.
    examined: usize,
}

impl HeadScanner {
    pub(crate) const fn new() -> Self {
        Self {
            resume: 0,
            examined: 0,
        }
    }

    /// The length of the head (terminator included) if `buf` holds all of it.
    ///
    /// `buf` must start with the same bytes as on earlier calls. Accepts CRLF CRLF, and the
    /// bare LF forms RFC 9112 §2.2 allows a recipient to accept.
    pub(crate) fn find_end(&mut self, buf: &[u8]) -> Option<usize> {
        let mut at = self.resume;
        while let Some(offset) = buf
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        {
            self.examined += offset + 1;
            let lf = at + offset;
            match (buf.get(lf + 1), buf.get(lf + 2)) {
                (Some(b'\n'), _) => return Some(lf + 2),
                (Some(b'\r'), Some(b'\n')) => return Some(lf + 3),
                (None, _) | (Some(b'\r'), None) => {
                    self.resume = lf; // decide once more bytes arrive
                    return None;
                }
                _ => at = lf + 1,
            }
        }
        self.examined += buf.len().saturating_sub(at);
        self.resume = buf.len();
        None
    }

    pub(crate) const fn examined(&self) -> usize {
        self.examined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";

    #[test]
    fn finds_end_whole_and_byte_by_byte_in_linear_work() {
        assert_eq!(HeadScanner::new().find_end(HEAD), Some(27));
        let mut scanner = HeadScanner::new();
        let end = (1..=HEAD.len()).find_map(|n| scanner.find_end(&HEAD[..n]));
        assert_eq!(end, Some(27));
        assert!(
            scanner.examined() <= 2 * 27,
            "examined {}",
            scanner.examined()
        );
    }

    #[test]
    fn accepts_bare_lf_terminators() {
        assert_eq!(
            HeadScanner::new().find_end(b"GET / HTTP/1.1\nHost: a\n\n"),
            Some(24)
        );
    }

    #[test]
    fn no_terminator_means_none() {
        assert_eq!(
            HeadScanner::new().find_end(b"GET / HTTP/1.1\r\nHost: a\r\n"),
            None
        );
    }
}
