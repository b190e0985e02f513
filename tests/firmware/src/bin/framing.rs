//! An upgraded server engine on a Cortex-M4: the RFC 6455 §5.7 masked "Hello", a
//! fragmented text, a ping, a binary, the closing handshake, then a protocol violation
//! (an unmasked frame) answered with Close 1002. Every event is asserted; the exit status
//! (semihosting) is non-zero on any mismatch.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(link_time);
#[path = "../server_frames.rs"]
mod server_frames;

use wsmachine::{Config, Connection, Instant, NoMask, Role};

#[cortex_m_rt::entry]
fn main() -> ! {
    common::run("framing", session)
}

/// The exchange's connection is gone before the violation's comes, as in a firmware
/// serving one connection at a time.
fn session() {
    let mut out = [0u8; 64];
    exchange(&mut out);
    server_frames::violation(&mut out);
}

#[inline(never)]
fn exchange(out: &mut [u8; 64]) {
    let mut conn =
        Connection::upgraded(Config::new(), Role::Server, NoMask, Instant::from_millis(0));
    common::print_size("connection", core::mem::size_of_val(&conn));
    server_frames::exchange(&mut conn, out);
}
