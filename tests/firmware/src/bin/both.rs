//! Both roles in one firmware: the server session, then the client session.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(link_time);
#[path = "../client_session.rs"]
mod client_session;
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
    common::run("both", || {
        server_session::session(io);
        client_session::session(io);
    })
}
