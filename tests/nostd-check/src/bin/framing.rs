//! The framing path, proven panic-free: upgraded engines of both roles receiving arbitrary
//! bytes and sending every kind of frame. The panic handler calls a function that exists
//! nowhere, so this binary links only if the optimiser removed every panic path.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;

use wsmachine::{Config, Connection, MaskKey, NoMask, Role};

unsafe extern "C" {
    /// Deliberately undefined: a reachable panic makes the link fail.
    fn wsmachine_framing_path_can_panic() -> !;
}

// `--cfg find_panics` swaps in a defined handler: build with debug info, then `objdump -d`
// and `addr2line` the calls into `core::panicking` to find what kept a panic path.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: never runs; the call exists only to fail the link.
    #[cfg(not(find_panics))]
    unsafe {
        wsmachine_framing_path_can_panic()
    }
    #[cfg(find_panics)]
    loop {}
}

common::entry!(main);

fn main() -> ! {
    let mut bytes = common::input();
    let step = usize::from(bytes[0]);
    let mut server = Connection::upgraded(Config::new(), Role::Server, NoMask, common::now(0));
    let mut total = common::drive(&mut server, &mut bytes, step);
    let mut bytes = common::input();
    let [a, b, c, d, ..] = bytes;
    let mut client = Connection::upgraded(
        Config::new(),
        Role::Client,
        move || MaskKey([a, b, c, d]),
        common::now(0),
    );
    total += common::drive(&mut client, &mut bytes, step / 2);
    // The canary build (scripts/nostd-check) adds one panic path to show the check bites.
    #[cfg(nostd_check_canary)]
    {
        let index = usize::from(u16::from_le_bytes([bytes[1], bytes[2]]));
        total += usize::from(bytes[index]);
    }
    common::sink(total);
    // SAFETY: libc's exit.
    unsafe { common::exit(0) }
}
