//! A blocking WebSocket client on `std::net`: sends text and binary messages, checks that
//! each comes back unchanged, closes cleanly. Exits non-zero on any failure.
//!
//! `cargo run --features blocking --example blocking_client -- ws://127.0.0.1:9002/`

use std::io;

use wsmachine::CloseCode;
use wsmachine::blocking::{Error, Message};

fn main() -> Result<(), Error> {
    let url = std::env::args().nth(1);
    let url = url.unwrap_or("ws://127.0.0.1:9002/".into());
    let mut ws = wsmachine::blocking::connect(&url)?;
    let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    for sent in [
        Message::text("héllo 🦀"),
        Message::binary(big),
        Message::text(""),
    ] {
        ws.send(sent.clone())?;
        let echo = loop {
            match ws.recv().ok_or(io::Error::other("closed early"))?? {
                Message::Ping(_) | Message::Pong(_) => continue,
                echo => break echo,
            }
        };
        if echo != sent {
            return Err(io::Error::other("echo differs from what was sent").into());
        }
    }
    ws.close(CloseCode::Normal, "done")?;
    println!("blocking_client: ok");
    Ok(())
}
