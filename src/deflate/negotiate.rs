//! `Sec-WebSocket-Extensions` negotiation for permessage-deflate (RFC 7692 §5, §7.1).
//!
//! Pure functions over header values, so that both roles and every attack case are tested
//! without a connection. Nothing here allocates.

/// The parameters both ends agreed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Params {
    /// LZ77 window bits of the server's compressor (what a client's inflater needs).
    pub server_max_window_bits: u8,
    /// LZ77 window bits of the client's compressor (what a server's inflater needs).
    pub client_max_window_bits: u8,
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
}

impl Params {
    /// RFC 7692 defaults: 15-bit windows, context takeover on both sides.
    pub const DEFAULT: Self = Self {
        server_max_window_bits: 15,
        client_max_window_bits: 15,
        server_no_context_takeover: false,
        client_no_context_takeover: false,
    };
}

/// What this endpoint offers (client) or accepts (server) for permessage-deflate.
///
/// Set it with [`Config::with_deflate`](crate::Config::with_deflate). Window bits are
/// clamped to 9..=15: a compressor cannot be asked for 8 (zlib refuses it and uses 9).
///
/// ```
/// use wsmachine::Config;
/// use wsmachine::deflate::DeflateConfig;
///
/// // A server that inflates with at most a 4 KiB window and keeps no context between messages.
/// static CONFIG: Config = Config::new().with_deflate(Some(
///     DeflateConfig::new().with_inflate_window_bits(12).with_server_no_context_takeover(true),
/// ));
/// assert_eq!(CONFIG.deflate().unwrap().inflate_window_bits(), 12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct DeflateConfig {
    inflate_window_bits: u8,
    deflate_window_bits: u8,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
}

impl DeflateConfig {
    /// 15-bit windows both ways, context takeover both ways (RFC 7692's defaults).
    pub const fn new() -> Self {
        Self {
            inflate_window_bits: 15,
            deflate_window_bits: 15,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
        }
    }

    /// The largest LZ77 window the peer may compress with, which this endpoint's inflater
    /// must hold (`1 << bits` bytes; default 15, 32 KiB).
    ///
    /// A client offers `server_max_window_bits` below 15; a server declines offers whose
    /// client cannot be limited to it (a client offer without `client_max_window_bits`
    /// needs 15).
    pub const fn with_inflate_window_bits(mut self, bits: u8) -> Self {
        self.inflate_window_bits = clamp_bits(bits);
        self
    }

    /// The largest inflate window that fits in `bytes` beside the decoder state
    /// ([`InflateState`](crate::deflate::InflateState)), at least 9 bits.
    pub const fn with_memory_budget(mut self, bytes: usize) -> Self {
        let mut bits = 15;
        while bits > 9 && size_of::<super::InflateState>() + (1 << bits) > bytes {
            bits -= 1;
        }
        self.inflate_window_bits = bits;
        self
    }

    /// The largest window this endpoint's compressor uses (default 15): a client offers
    /// `client_max_window_bits` with it, a server answers `server_max_window_bits` with it.
    pub const fn with_deflate_window_bits(mut self, bits: u8) -> Self {
        self.deflate_window_bits = clamp_bits(bits);
        self
    }

    /// Client: ask the server to reset its compressor after each message. Server: announce
    /// that it does so. Either way the server's messages never refer to earlier ones.
    pub const fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Client: announce that it resets its compressor after each message. Server: require it.
    pub const fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// See [`with_inflate_window_bits`](Self::with_inflate_window_bits).
    pub const fn inflate_window_bits(&self) -> u8 {
        clamp_bits(self.inflate_window_bits)
    }

    /// See [`with_deflate_window_bits`](Self::with_deflate_window_bits).
    pub const fn deflate_window_bits(&self) -> u8 {
        clamp_bits(self.deflate_window_bits)
    }

    /// See [`with_server_no_context_takeover`](Self::with_server_no_context_takeover).
    pub const fn server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover
    }

    /// See [`with_client_no_context_takeover`](Self::with_client_no_context_takeover).
    pub const fn client_no_context_takeover(&self) -> bool {
        self.client_no_context_takeover
    }

    /// Client: the offer this configuration sends.
    pub const fn offer(&self) -> ClientOffer {
        ClientOffer {
            server_max_window_bits: self.inflate_window_bits(),
            // Always offered, so the server may limit our window as it needs.
            client_max_window_bits: Some(self.deflate_window_bits()),
            server_no_context_takeover: self.server_no_context_takeover,
            client_no_context_takeover: self.client_no_context_takeover,
        }
    }

    /// Server: the parameters for the first offer in `values` (every
    /// `Sec-WebSocket-Extensions` value, in order) that this configuration can honour, with
    /// its own preferences applied; `None` declines them all.
    pub fn accept<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> Option<Params> {
        let mut params = accept(values, self.inflate_window_bits())?;
        params.server_max_window_bits = params
            .server_max_window_bits
            .min(self.deflate_window_bits());
        // RFC 7692 §7.1.1: a server may add either no_context_takeover unasked.
        params.server_no_context_takeover |= self.server_no_context_takeover;
        params.client_no_context_takeover |= self.client_no_context_takeover;
        Some(params)
    }
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self::new()
    }
}

const fn clamp_bits(bits: u8) -> u8 {
    if bits < 9 {
        9
    } else if bits > 15 {
        15
    } else {
        bits
    }
}

/// The longest extension value this crate writes (an answer or offer with every parameter).
pub const MAX_EXTENSION_LEN: usize = 128;

/// Why an offer was declined or an answer refused (the client fails the handshake).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NegotiationError {
    /// The element names another extension.
    NotDeflate,
    /// A parameter RFC 7692 does not define.
    UnknownParameter,
    /// A parameter given twice (§7: the offer or answer is invalid).
    DuplicateParameter,
    /// A window-bits value that is not a decimal in 8..=15 (0, 7, 16, `abc`, `015`...).
    BadWindowBits,
    /// `server_max_window_bits` without a value, or `client_max_window_bits` without one in
    /// an answer.
    MissingValue,
    /// A value on a parameter that takes none (`*_no_context_takeover=1`).
    UnexpectedValue,
    /// The answer carries `client_max_window_bits` the client did not offer, or a window
    /// larger than offered (§7.1.2).
    Unoffered,
    /// The syntax is broken (empty parameter, unterminated quote...).
    Malformed,
    /// The server's memory budget cannot hold the window the client will use.
    OverBudget,
}

/// One parsed extension element: what was present, with values checked for range.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Element {
    server_bits: Option<Option<u8>>,
    client_bits: Option<Option<u8>>,
    server_nct: bool,
    client_nct: bool,
}

/// Splits a header value at commas outside quoted strings.
fn elements(value: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(value);
    core::iter::from_fn(move || {
        let s = rest?;
        let mut quoted = false;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    rest = Some(&s[i + 1..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

fn window_bits(value: &str) -> Result<u8, NegotiationError> {
    // RFC 7692 §7.1.2.1: 1*DIGIT without a leading zero, in 8..=15.
    let v = value.as_bytes();
    let ok = matches!(v, [b'8'..=b'9'] | [b'1', b'0'..=b'5']);
    if !ok {
        return Err(NegotiationError::BadWindowBits);
    }
    Ok(v.iter().fold(0u8, |n, &d| n * 10 + (d - b'0')))
}

fn unquote(value: &str) -> Result<&str, NegotiationError> {
    let value = value.trim();
    match value.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"').ok_or(NegotiationError::Malformed),
        None if value.contains('"') => Err(NegotiationError::Malformed),
        None => Ok(value),
    }
}

fn parse(element: &str) -> Result<Element, NegotiationError> {
    let mut parts = element.split(';');
    let name = parts.next().unwrap_or("").trim();
    if !name.eq_ignore_ascii_case("permessage-deflate") {
        return Err(NegotiationError::NotDeflate);
    }
    let mut e = Element::default();
    for part in parts {
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), Some(unquote(v)?)),
            None => (part.trim(), None),
        };
        if key.is_empty() {
            return Err(NegotiationError::Malformed);
        }
        let bits = || value.map(window_bits).transpose();
        let duplicate = match key {
            "server_max_window_bits" => e.server_bits.replace(bits()?).is_some(),
            "client_max_window_bits" => e.client_bits.replace(bits()?).is_some(),
            "server_no_context_takeover" | "client_no_context_takeover" => {
                if value.is_some() {
                    return Err(NegotiationError::UnexpectedValue);
                }
                let flag = if key.starts_with('s') {
                    &mut e.server_nct
                } else {
                    &mut e.client_nct
                };
                core::mem::replace(flag, true)
            }
            _ => return Err(NegotiationError::UnknownParameter),
        };
        if duplicate {
            return Err(NegotiationError::DuplicateParameter);
        }
    }
    if e.server_bits == Some(None) {
        return Err(NegotiationError::MissingValue);
    }
    Ok(e)
}

/// A client's offer, as it will be written after `Sec-WebSocket-Extensions: `.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientOffer {
    /// Largest window the client's inflater accepts (`server_max_window_bits`; 15 = omit).
    pub server_max_window_bits: u8,
    /// Offer `client_max_window_bits` (with this value, or bare if 15).
    pub client_max_window_bits: Option<u8>,
    /// Ask the server to reset its compressor per message.
    pub server_no_context_takeover: bool,
    /// Announce that the client resets its compressor per message.
    pub client_no_context_takeover: bool,
}

impl ClientOffer {
    /// Writes the offer into `out`, returning the bytes written, or `None` if it does not fit.
    pub fn write(&self, out: &mut [u8]) -> Option<usize> {
        let mut w = Writer { out, len: 0 };
        w.put(b"permessage-deflate")?;
        if self.server_max_window_bits < 15 {
            w.put(b"; server_max_window_bits=")?;
            w.bits(self.server_max_window_bits)?;
        }
        if let Some(bits) = self.client_max_window_bits {
            w.put(b"; client_max_window_bits")?;
            if bits < 15 {
                w.put(b"=")?;
                w.bits(bits)?;
            }
        }
        if self.server_no_context_takeover {
            w.put(b"; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            w.put(b"; client_no_context_takeover")?;
        }
        Some(w.len)
    }

    /// Checks the server's answer (each `Sec-WebSocket-Extensions` value) against this
    /// offer. `Ok(None)`: deflate was not accepted.
    pub fn check_answer<'a>(
        &self,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<Params>, NegotiationError> {
        let mut found = None;
        for value in values {
            for element in elements(value) {
                if element.trim().is_empty() {
                    continue;
                }
                let e = parse(element)?;
                if found.is_some() {
                    return Err(NegotiationError::DuplicateParameter);
                }
                let server_bits = e.server_bits.flatten().unwrap_or(15);
                if server_bits > self.server_max_window_bits {
                    return Err(NegotiationError::Unoffered);
                }
                let client_bits = match (e.client_bits, self.client_max_window_bits) {
                    (None, _) => self.client_max_window_bits.unwrap_or(15),
                    (Some(_), None) => return Err(NegotiationError::Unoffered),
                    (Some(None), Some(_)) => return Err(NegotiationError::MissingValue),
                    (Some(Some(b)), Some(offered)) if b > offered => {
                        return Err(NegotiationError::Unoffered);
                    }
                    (Some(Some(b)), Some(_)) => b,
                };
                found = Some(Params {
                    server_max_window_bits: server_bits,
                    client_max_window_bits: client_bits,
                    server_no_context_takeover: e.server_nct,
                    client_no_context_takeover: e.client_nct || self.client_no_context_takeover,
                });
            }
        }
        Ok(found)
    }
}

/// Server side: picks the first offer in `values` (all `Sec-WebSocket-Extensions` lines, in
/// order) that can be honoured with an inflater window of at most `max_inflate_bits`
/// (9..=15). Invalid or unaffordable offers are declined, not fatal (§5.1).
pub fn accept<'a>(
    values: impl IntoIterator<Item = &'a str>,
    max_inflate_bits: u8,
) -> Option<Params> {
    // Never ask the peer for 8 bits: zlib cannot compress with a 256-byte window.
    let budget = max_inflate_bits.clamp(9, 15);
    values.into_iter().flat_map(elements).find_map(|element| {
        let e = parse(element).ok()?;
        let client_bits = match e.client_bits {
            // The client cannot be limited: it will use 15 bits.
            None if budget < 15 => return None,
            None => 15,
            Some(None) => budget,
            Some(Some(b)) => b.clamp(9, budget),
        };
        Some(Params {
            server_max_window_bits: e.server_bits.flatten().unwrap_or(15),
            client_max_window_bits: client_bits,
            server_no_context_takeover: e.server_nct,
            client_no_context_takeover: e.client_nct,
        })
    })
}

/// Writes the server's answer for `params` into `out` (after `Sec-WebSocket-Extensions: `).
pub fn write_answer(params: &Params, out: &mut [u8]) -> Option<usize> {
    let mut w = Writer { out, len: 0 };
    w.put(b"permessage-deflate")?;
    if params.server_max_window_bits < 15 {
        w.put(b"; server_max_window_bits=")?;
        w.bits(params.server_max_window_bits)?;
    }
    if params.client_max_window_bits < 15 {
        w.put(b"; client_max_window_bits=")?;
        w.bits(params.client_max_window_bits)?;
    }
    if params.server_no_context_takeover {
        w.put(b"; server_no_context_takeover")?;
    }
    if params.client_no_context_takeover {
        w.put(b"; client_no_context_takeover")?;
    }
    Some(w.len)
}

struct Writer<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.out.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    fn bits(&mut self, bits: u8) -> Option<()> {
        if bits >= 10 {
            self.put(&[b'1', b'0' + bits - 10])
        } else {
            self.put(&[b'0' + bits])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: ClientOffer = ClientOffer {
        server_max_window_bits: 15,
        client_max_window_bits: Some(15),
        server_no_context_takeover: false,
        client_no_context_takeover: false,
    };

    #[test]
    fn window_bits_attacks_are_refused_in_answers() {
        for bad in ["0", "7", "16", "abc", "", "015", "8a", "-9", "99999999999"] {
            for key in ["server_max_window_bits", "client_max_window_bits"] {
                let answer = std::format!("permessage-deflate; {key}={bad}");
                assert_eq!(
                    FULL.check_answer([answer.as_str()]),
                    Err(NegotiationError::BadWindowBits),
                    "{answer}"
                );
            }
        }
    }

    #[test]
    fn answers_are_validated() {
        use NegotiationError::*;
        let cases: &[(&str, Result<Option<Params>, NegotiationError>)] = &[
            ("", Ok(None)),
            ("permessage-deflate", Ok(Some(Params::DEFAULT))),
            (
                "permessage-deflate; server_max_window_bits",
                Err(MissingValue),
            ),
            (
                "permessage-deflate; client_max_window_bits",
                Err(MissingValue),
            ),
            ("permessage-deflate; foo", Err(UnknownParameter)),
            ("permessage-deflate; foo=7", Err(UnknownParameter)),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                Err(DuplicateParameter),
            ),
            (
                "permessage-deflate; client_max_window_bits=9; client_max_window_bits=9",
                Err(DuplicateParameter),
            ),
            (
                "permessage-deflate; client_no_context_takeover=1",
                Err(UnexpectedValue),
            ),
            (
                "permessage-deflate, permessage-deflate",
                Err(DuplicateParameter),
            ),
            ("x-webkit-deflate-frame", Err(NotDeflate)),
            (
                "permessage-deflate; server_max_window_bits=\"10",
                Err(Malformed),
            ),
            ("permessage-deflate;", Err(Malformed)),
        ];
        for (answer, expected) in cases {
            assert_eq!(&FULL.check_answer([*answer]), expected, "{answer}");
        }
        let p = FULL
            .check_answer(["permessage-deflate; server_max_window_bits=\"10\"; client_max_window_bits=9; server_no_context_takeover"])
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                p.server_max_window_bits,
                p.client_max_window_bits,
                p.server_no_context_takeover
            ),
            (10, 9, true)
        );
    }

    #[test]
    fn answers_beyond_the_offer_are_refused() {
        let bare = ClientOffer {
            client_max_window_bits: None,
            ..FULL
        };
        assert_eq!(
            bare.check_answer(["permessage-deflate; client_max_window_bits=10"]),
            Err(NegotiationError::Unoffered)
        );
        let small = ClientOffer {
            server_max_window_bits: 10,
            client_max_window_bits: Some(12),
            ..FULL
        };
        assert_eq!(
            small.check_answer(["permessage-deflate"]),
            Err(NegotiationError::Unoffered)
        );
        assert_eq!(
            small.check_answer(["permessage-deflate; server_max_window_bits=11"]),
            Err(NegotiationError::Unoffered)
        );
        assert_eq!(
            small.check_answer([
                "permessage-deflate; server_max_window_bits=10; client_max_window_bits=13"
            ]),
            Err(NegotiationError::Unoffered)
        );
        let p = small
            .check_answer(["permessage-deflate; server_max_window_bits=9"])
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (9, 12)
        );
    }

    #[test]
    fn server_takes_the_first_offer_it_can_honour() {
        // Invalid offers are skipped, not fatal; several lines and elements are read in order.
        let lines = [
            "permessage-deflate; client_max_window_bits=7, permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits; x",
            "permessage-deflate; client_max_window_bits; server_no_context_takeover, permessage-deflate",
        ];
        let p = accept(lines, 12).unwrap();
        assert_eq!(p.client_max_window_bits, 12);
        assert!(p.server_no_context_takeover);
        // A client that cannot be limited needs a 15-bit budget.
        assert_eq!(accept(["permessage-deflate"], 12), None);
        assert_eq!(accept(["permessage-deflate"], 15), Some(Params::DEFAULT));
        // Never 8 bits for the peer's compressor.
        assert_eq!(
            accept(["permessage-deflate; client_max_window_bits"], 8)
                .unwrap()
                .client_max_window_bits,
            9
        );
        assert_eq!(
            accept(["permessage-deflate; client_max_window_bits=8"], 15)
                .unwrap()
                .client_max_window_bits,
            9
        );
        assert_eq!(
            accept(["permessage-deflate; client_max_window_bits=\"10\""], 15)
                .unwrap()
                .client_max_window_bits,
            10
        );
        assert_eq!(
            accept(
                ["permessage-deflate; client_max_window_bits=abc", "foo"],
                15
            ),
            None
        );
    }

    #[test]
    fn offers_and_answers_round_trip() {
        let mut buf = [0u8; 128];
        let offer = ClientOffer {
            server_max_window_bits: 10,
            client_max_window_bits: Some(9),
            server_no_context_takeover: true,
            client_no_context_takeover: true,
        };
        let n = offer.write(&mut buf).unwrap();
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(
            text,
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9; server_no_context_takeover; client_no_context_takeover"
        );
        let params = accept([text], 15).unwrap();
        let mut answer = [0u8; 128];
        let m = write_answer(&params, &mut answer).unwrap();
        let back = offer
            .check_answer([core::str::from_utf8(&answer[..m]).unwrap()])
            .unwrap()
            .unwrap();
        assert_eq!(back, params);
        assert_eq!(offer.write(&mut buf[..10]), None);
    }
}
