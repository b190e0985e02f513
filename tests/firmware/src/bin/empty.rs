//! The skeleton alone (vector table, runtime, semihosting, stack paint): the baseline that
//! scripts/firmware subtracts, so the other binaries' figures are what the engine and its
//! session add.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(link_time);

#[cortex_m_rt::entry]
fn main() -> ! {
    common::run("empty", || {
        common::check(common::high_water() > 0, "painted stack")
    })
}
