//! A server from the first handshake byte on a Cortex-M4: Chromium's upgrade request (key
//! from RFC 6455 §1.3), the 101 answer with the right Sec-WebSocket-Accept, then the
//! framing session of `server_frames`. Every event is asserted.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(link_time);
#[path = "../request.rs"]
mod request;
#[path = "../server_frames.rs"]
mod server_frames;
#[path = "../server_session.rs"]
mod server_session;
#[path = "../steps.rs"]
mod steps;

#[cortex_m_rt::entry]
fn main() -> ! {
    let io = common::io();
    common::run("server", || server_session::session(io))
}
