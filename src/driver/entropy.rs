//! The drivers' default random source: OS entropy through `getrandom`, buffered per thread.
//!
//! RFC 6455 §10.3 asks for masking keys "derived from a strong source of entropy". One
//! `getrandom` call per frame would be one system call per client frame, so each thread
//! keeps a small pool of OS bytes and refills it when it runs out (256 bytes: 64 keys).

use core::cell::RefCell;

use sha1_smol::Sha1;

/// A random source: a function that fills a buffer with unpredictable bytes.
///
/// A plain `fn` so that [`Options`](super::Options) stays `Copy` and per-connection state
/// stays zero bytes; a caller with its own generator keeps it in a `static` or thread-local.
#[derive(Clone, Copy)]
pub struct Random(fn(&mut [u8]));

impl Random {
    /// OS entropy ([`fill_os`]).
    pub const OS: Self = Self(fill_os);

    /// A source that calls `fill`.
    pub const fn new(fill: fn(&mut [u8])) -> Self {
        Self(fill)
    }

    /// Fills `buf` from this source.
    pub fn fill(&self, buf: &mut [u8]) {
        (self.0)(buf);
    }
}

impl core::fmt::Debug for Random {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Random")
    }
}

/// Fills `buf` with OS entropy (`getrandom`), from a per-thread pool refilled in 256-byte
/// draws.
///
/// Should the OS source ever fail, the pool is refilled by hashing (SHA-1) the previous
/// pool with a counter and the time: still unpredictable to a peer that never sees the pool,
/// and better than a panic in a network driver.
pub fn fill_os(buf: &mut [u8]) {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        for byte in buf {
            if pool.used >= POOL_LEN {
                pool.refill();
            }
            *byte = pool.bytes.get(pool.used).copied().unwrap_or_default();
            pool.used += 1;
        }
    });
}

struct Pool {
    bytes: [u8; POOL_LEN],
    // INVARIANT: `used <= POOL_LEN`; `bytes[used..]` has not been handed out.
    used: usize,
    refills: u64,
}

impl Pool {
    fn refill(&mut self) {
        self.refills = self.refills.wrapping_add(1);
        if getrandom::fill(&mut self.bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            for (i, block) in self.bytes.chunks_mut(20).enumerate() {
                let mut hash = Sha1::new();
                hash.update(block);
                hash.update(&self.refills.to_le_bytes());
                hash.update(&(i as u64).to_le_bytes());
                hash.update(&nanos.to_le_bytes());
                for (d, s) in block.iter_mut().zip(hash.digest().bytes()) {
                    *d = s;
                }
            }
        }
        self.used = 0;
    }
}

std::thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; POOL_LEN], used: POOL_LEN, refills: 0 })
    };
}

const POOL_LEN: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_source_yields_distinct_keys_across_refills() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let mut key = [0u8; 4];
            fill_os(&mut key);
            seen.insert(key);
        }
        // 200 draws of 32 random bits: a repeat is a 1-in-400,000 event, a stuck pool is 1.
        assert!(seen.len() >= 199, "{}", seen.len());
    }
}
