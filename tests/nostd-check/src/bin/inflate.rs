//! The permessage-deflate inflater (`deflate` feature) without std or alloc: arbitrary
//! bytes inflated in bounded steps into a 512-byte window.
//!
//! Unlike `framing`, this binary has an ordinary panic handler: miniz_oxide's decoder keeps
//! bounds checks the optimiser cannot remove (`OutputBuffer::write_byte`, `apply_match`,
//! `transfer`; see scripts/nostd-check), so panic-freedom is not proven for inflation. The
//! link still proves the inflater needs neither std nor alloc.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;

use wsmachine::deflate::{InflateState, Inflater};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: libc's exit; a panic in the inflater is reported as exit status 101.
    unsafe { common::exit(101) }
}

common::entry!(main);

fn main() -> ! {
    let bytes = common::input();
    let limit = usize::from(bytes[0]) + 1;
    let mut state = InflateState::new();
    let mut window = [0u8; 512];
    let mut total = 0;
    if let Some(mut inf) = Inflater::new(&mut state, &mut window, bytes[1] & 1 == 1, 4096) {
        let mut rest = &bytes[2..];
        for _ in 0..10_000 {
            let last = rest.len() < 16;
            match inf.inflate(rest, last, limit) {
                Ok(step) => {
                    total += step.output.iter().map(|&b| usize::from(b)).sum::<usize>();
                    rest = rest.get(step.consumed..).unwrap_or(&[]);
                    if step.done {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    }
    common::sink(total);
    // SAFETY: libc's exit.
    unsafe { common::exit(0) }
}
