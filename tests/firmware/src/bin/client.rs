//! A client on a Cortex-M4 against canned server bytes: the upgrade request (RFC 6455 §1.3
//! key), the server's 101, an unmasked text, a masked send, the server's Close echoed, and
//! a masked frame from the server refused with Close 1002. Every event is asserted.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(link_time);
#[path = "../client_session.rs"]
mod client_session;
#[path = "../request.rs"]
mod request;
#[path = "../steps.rs"]
mod steps;

#[cortex_m_rt::entry]
fn main() -> ! {
    let io = common::io();
    common::run("client", || client_session::session(io))
}
