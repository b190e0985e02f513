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
#[path = "../steps.rs"]
mod steps;

use common::Io;
use wsmachine::{Config, Connection, Instant, NoMask, Role};

#[cortex_m_rt::entry]
fn main() -> ! {
    let io = common::io();
    common::run("framing", || session(io))
}

/// The exchange's connection is gone before the violation's comes, as in a firmware
/// serving one connection at a time.
fn session(io: &mut Io) {
    exchange(io);
    server_frames::violation(io);
}

#[inline(never)]
fn exchange(io: &mut Io) {
    let mut conn =
        Connection::upgraded(Config::new(), Role::Server, NoMask, Instant::from_millis(0));
    common::print_size("connection", core::mem::size_of_val(&conn));
    server_frames::exchange(&mut conn, io);
}
