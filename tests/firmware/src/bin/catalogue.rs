//! The adversarial catalogue's sharpest cases on a Cortex-M4 (see `catalogue.rs`): hostile
//! frames to a server, refused requests, bad 101s to a client, and a session fed one byte
//! per call. Not one of issue 14's budgeted binaries (its tables would be counted as
//! engine); scripts/firmware runs it and prints its size.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(link_time);
#[path = "../catalogue.rs"]
mod catalogue;

#[cortex_m_rt::entry]
fn main() -> ! {
    let io = common::io();
    common::run("catalogue", || {
        catalogue::frames(io);
        catalogue::requests(io);
        catalogue::responses(io);
        catalogue::byte_by_byte(io);
    })
}
