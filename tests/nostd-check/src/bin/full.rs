//! The whole engine, both roles from the first handshake byte, in a `no_std`, `no_alloc`
//! binary: it fails to build if anything pulls in `std` or `alloc`. The handshake path
//! (httparse, sha1_smol) keeps panic paths, so this panic handler is an ordinary one.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;

use wsmachine::{Accept, ClientRequest, Config, Connection, Event, Key, MaskKey, Reject};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: libc's exit.
    unsafe { common::exit(101) }
}

common::entry!(main);

fn main() -> ! {
    let mut bytes = common::input();
    let mut total = 0;
    let mut server = Connection::server(Config::new(), common::now(0));
    let mut out = [0u8; 512];
    if let Ok(received) = server.receive(common::now(1), &mut bytes) {
        if let Some(Event::UpgradeRequest(request)) = received.event {
            total += request.path().len() + request.subprotocols().count();
            total += match bytes[1] {
                0 => server.reject(&Reject::new(403), &mut out).unwrap_or(0),
                _ => server
                    .accept(common::now(2), &Accept::new(), &mut out)
                    .unwrap_or(0),
            };
        }
    }
    let mut rest = common::input();
    total += common::drive(&mut server, &mut rest, 7);

    let [a, b, c, d, ..] = bytes;
    let mut client =
        Connection::client(Config::new(), move || MaskKey([a, b, c, d]), common::now(0));
    let request =
        ClientRequest::new("example.com", "/chat", Key([a; 16])).with_subprotocols(&["chat"]);
    total += client
        .connect(common::now(1), &request, &mut out)
        .unwrap_or(0);
    let mut response = common::input();
    total += common::drive(&mut client, &mut response, 3);
    total += wsmachine::accept_key(&bytes[..24]).as_bytes().len();
    common::sink(total);
    // SAFETY: libc's exit.
    unsafe { common::exit(0) }
}
