//! The subprotocols a peer offered, kept in the (then idle) control-payload stash until the
//! answer is checked against them: a client's own offer until the 101 arrives, a server's
//! view of the client's offer until the application accepts.
//!
//! RFC 6455 §4.1 / §4.2.2: the selected subprotocol must be one of those offered.

use crate::fixed::FixedBuf;

/// The stash: the comma-joined offer when it fits; otherwise (a server facing a long offer)
/// a NUL marker and 32-bit FNV-1a hashes of the first 31 items. Tokens never contain NUL
/// or commas, so the two forms cannot be confused.
pub(crate) type Offer = FixedBuf<125>;

const HASHED: u8 = 0;

/// Remembers the items `items()` yields (the offered subprotocols, each non-empty).
pub(crate) fn remember<'a, I: Iterator<Item = &'a str>>(items: impl Fn() -> I) -> Offer {
    let mut joined = Offer::EMPTY;
    let mut fits = true;
    for (i, item) in items().enumerate() {
        let separator: &[u8] = if i == 0 { b"" } else { b"," };
        fits &= joined.extend(separator) && joined.extend(item.as_bytes());
    }
    if fits {
        return joined;
    }
    let mut hashed = Offer::EMPTY;
    hashed.extend(&[HASHED]);
    for item in items() {
        // Past 31 items the rest is not remembered (and so refused if chosen).
        if !hashed.extend(&fnv1a(item.as_bytes()).to_le_bytes()) {
            break;
        }
    }
    hashed
}

/// Whether `chosen` is one of the remembered items.
pub(crate) fn contains(offer: &Offer, chosen: &str) -> bool {
    match offer.as_bytes().split_first() {
        Some((&HASHED, hashes)) => {
            let hash = fnv1a(chosen.as_bytes()).to_le_bytes();
            hashes.chunks_exact(4).any(|h| h == hash)
        }
        _ => offer
            .as_bytes()
            .split(|&b| b == b',')
            .any(|item| item == chosen.as_bytes() && !item.is_empty()),
    }
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash: u32, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn short_offers_are_kept_exactly() {
        let offer = remember(|| ["a", "bb"].into_iter());
        assert_eq!(offer.as_bytes(), b"a,bb");
        assert!(contains(&offer, "a") && contains(&offer, "bb"));
        assert!(!contains(&offer, "b") && !contains(&offer, "c") && !contains(&offer, ""));
        assert!(!contains(&remember(|| [].into_iter()), "a"));
    }

    #[test]
    fn long_offers_are_kept_as_hashes() {
        let names: Vec<String> = (0..20).map(|i| format!("protocol-number-{i}")).collect();
        let offer = remember(|| names.iter().map(String::as_str));
        assert_eq!(offer.as_bytes().first(), Some(&HASHED));
        assert!(names.iter().all(|n| contains(&offer, n)));
        assert!(!contains(&offer, "protocol-number-20"));
        assert!(!contains(&offer, "c"));
    }
}
