//! Issue 12, W1: why a caller's by-value handling of `receive`'s result costs more than the
//! engine's own work, shown on a model small enough to read.
//!
//! Each model is a miniature engine with wsmachine's result shape: an inlined fast path
//! for one masked 16-byte text frame, an out-of-line slow path, and a `Result<Received>`
//! whose `Event` holds the text chunk. The loop over 100,000 frames is written three ways:
//! - `natural`: `receive(..).unwrap()`, the event bound by value, read with `parts()`
//!   (the carried code point and the borrowed text, as `TextChunk::parts` does);
//! - `as_str`: the same, but the chunk is read through its borrowed `&str` field only;
//! - `by_ref`: the result matched where it lies, the chunk read with `parts()`.
//!
//! The models differ in the chunk: `stash` carries a split code point as bytes, as
//! `TextChunk` did until 7 Dec 2026 (so `parts()` returned a `&str` into the chunk itself),
//! `char_stash` carries it as an `Option<char>` that `parts()` returns by value (as
//! `TextChunk` does now), and `no_stash` has no such field. A reference into the chunk
//! makes it (and the result it came from) live in memory, so the moves become copies, and
//! the copies' 16-byte loads read fields just written with narrower stores, which the CPU
//! cannot forward; a `char` returned by value does not.
//!
//! Run: `cargo bench -p wsmachine-compare --bench event_shape` (a few seconds). Medians of
//! 7 reps, ns per frame.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

#[path = "common/w1.rs"]
#[allow(dead_code)] // its reads are the other benches'
mod w1;

/// One model: `$chunk` is the text chunk's definition, `$head` the type of the carried part
/// `parts()` returns, `$parts` its body, `$head_len` the carried part's length in bytes.
macro_rules! model {
    ($name:ident, { $($chunk:tt)* }, $new:expr, $head:ty, |$c:ident| $parts:expr, |$h:ident| $head_len:expr) => {
        mod $name {
            #[derive(Clone, Copy, Debug)]
            pub(crate) struct TextChunk<'a> { $($chunk)* }

            impl<'a> TextChunk<'a> {
                #[inline]
                pub(crate) fn parts(&self) -> ($head, &'a str) {
                    let $c = self;
                    $parts
                }
            }

            /// As wsmachine's `Event`: the largest variants hold 125 bytes by value.
            #[allow(dead_code)] // never built: they give the event wsmachine's size and shape
            #[derive(Clone, Copy, Debug)]
            pub(crate) enum Event<'a> {
                Text(TextChunk<'a>),
                Binary(&'a [u8]),
                Ping([u8; 126]),
                Close(u16, [u8; 124]),
            }

            #[derive(Clone, Copy, Debug)]
            pub(crate) struct Received<'a> {
                pub(crate) consumed: usize,
                pub(crate) event: Option<Event<'a>>,
            }

            #[derive(Debug)]
            pub(crate) struct Fail;

            pub(crate) struct Conn;

            impl Conn {
                #[inline(always)]
                pub(crate) fn receive<'a>(&mut self, buf: &'a mut [u8]) -> Result<Received<'a>, Fail> {
                    if let [0x81, b1, k0, k1, k2, k3, ..] = *buf
                        && b1 & 0x80 != 0
                        && buf.len() >= 6 + usize::from(b1 & 0x7f)
                    {
                        let len = usize::from(b1 & 0x7f);
                        let key = [k0, k1, k2, k3];
                        let payload = &mut buf[6..6 + len];
                        for (i, b) in payload.iter_mut().enumerate() {
                            *b ^= key[i & 3];
                        }
                        let text = core::str::from_utf8(payload).map_err(|_| Fail)?;
                        let chunk: TextChunk<'a> = $new(text);
                        return Ok(Received { consumed: 6 + len, event: Some(Event::Text(chunk)) });
                    }
                    self.slow(buf)
                }

                #[inline(never)]
                fn slow<'a>(&mut self, buf: &'a mut [u8]) -> Result<Received<'a>, Fail> {
                    if buf.is_empty() {
                        return Ok(Received { consumed: 0, event: None });
                    }
                    Err(Fail)
                }
            }

            /// The checksum of a chunk read through `parts()`.
            #[inline(always)]
            fn parts_sum(t: &TextChunk<'_>) -> u64 {
                let (a, b) = t.parts();
                let $h = a;
                $head_len as u64 + u64::from(b.as_bytes()[0]) - u64::from(t.is_last)
            }

            /// The caller's loop with the result moved out by `unwrap` and the chunk bound
            /// by value; `read` is what it does with each chunk.
            #[inline(always)]
            fn by_value(mut buf: &mut [u8], read: impl Fn(TextChunk<'_>) -> u64) -> u64 {
                let (mut conn, mut sum) = (Conn, 0);
                loop {
                    let consumed = {
                        let received = conn.receive(&mut *buf).unwrap();
                        match received.event {
                            None => return sum,
                            Some(Event::Text(t)) => sum += read(t),
                            Some(other) => panic!("{other:?}"),
                        }
                        received.consumed
                    };
                    buf = &mut std::mem::take(&mut buf)[consumed..];
                }
            }

            #[inline(never)]
            pub(crate) fn natural(buf: &mut [u8]) -> u64 {
                by_value(buf, |t| parts_sum(&t))
            }

            #[inline(never)]
            pub(crate) fn as_str(buf: &mut [u8]) -> u64 {
                by_value(buf, |t| u64::from(t.text.as_bytes()[0]) - u64::from(t.is_last))
            }

            #[inline(never)]
            pub(crate) fn by_ref(mut buf: &mut [u8]) -> u64 {
                let (mut conn, mut sum) = (Conn, 0);
                loop {
                    let result = conn.receive(&mut *buf);
                    let Ok(received) = &result else { panic!("{result:?}") };
                    match &received.event {
                        None => return sum,
                        Some(Event::Text(t)) => sum += parts_sum(t),
                        Some(other) => panic!("{other:?}"),
                    }
                    let consumed = received.consumed;
                    buf = &mut std::mem::take(&mut buf)[consumed..];
                }
            }
        }
    };
}

model!(
    stash,
    { pub(crate) text: &'a str, pub(crate) carried: [u8; 4], pub(crate) carried_len: u8, pub(crate) is_last: bool },
    |text| TextChunk { text, carried: [0; 4], carried_len: 0, is_last: true },
    &str,
    |c| (
        core::str::from_utf8(&c.carried[..usize::from(c.carried_len)]).unwrap_or_default(),
        c.text
    ),
    |h| h.len()
);

model!(
    char_stash,
    { pub(crate) text: &'a str, pub(crate) carried: Option<char>, pub(crate) is_last: bool },
    |text| TextChunk { text, carried: None, is_last: true },
    Option<char>,
    |c| (c.carried, c.text),
    |h| h.map_or(0, char::len_utf8)
);

model!(
    no_stash,
    { pub(crate) text: &'a str, pub(crate) is_last: bool },
    |text| TextChunk { text, is_last: true },
    &str,
    |c| ("", c.text),
    |h| h.len()
);

const N: usize = 100_000;

/// One way of writing the caller's loop: the frames in, a checksum out.
type Loop = fn(&mut [u8]) -> u64;

fn main() {
    let wire = w1::masked_texts(N);
    let runs: [(&str, Loop); 9] = [
        ("stash natural", stash::natural),
        ("stash as_str", stash::as_str),
        ("stash by_ref", stash::by_ref),
        ("char_stash natural", char_stash::natural),
        ("char_stash as_str", char_stash::as_str),
        ("char_stash by_ref", char_stash::by_ref),
        ("no_stash natural", no_stash::natural),
        ("no_stash as_str", no_stash::as_str),
        ("no_stash by_ref", no_stash::by_ref),
    ];
    // Every loop sees every frame.
    let want: u64 = (0..N)
        .map(|i| u64::from(format!("msg {i:012}").as_bytes()[0]) - 1)
        .sum();
    for (name, run) in runs {
        assert_eq!(run(&mut wire.clone()), want, "{name}");
    }
    let mut times = vec![Vec::new(); runs.len()];
    let mut buf = wire.clone();
    for _ in 0..7 {
        for ((_, run), t) in runs.iter().zip(&mut times) {
            buf.copy_from_slice(&wire);
            let start = Instant::now();
            black_box(run(black_box(&mut buf)));
            t.push(start.elapsed().as_nanos() as f64 / N as f64);
        }
    }
    println!(
        "Received: {} bytes (stash), {} bytes (no_stash)",
        size_of::<stash::Received<'_>>(),
        size_of::<no_stash::Received<'_>>()
    );
    for ((name, _), mut t) in runs.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        println!("  {name:<18} {:6.1} ns per frame", t[t.len() / 2]);
    }
}
