//! A blocking WebSocket echo server on `std::net`, one thread per connection.
//!
//! `cargo run --features blocking --example blocking_echo -- 127.0.0.1:9002`

use std::net::{TcpListener, TcpStream};

use wsmachine::Accept;
use wsmachine::blocking::{Error, Message, Options, WebSocket};

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr)?;
    println!("blocking_echo listening on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(e) = echo(stream) {
                eprintln!("connection ended: {e}");
            }
        });
    }
    Ok(())
}

fn echo(stream: TcpStream) -> Result<(), Error> {
    let mut ws = WebSocket::accept_with(stream, Options::new(), |request| {
        match request.subprotocols().any(|p| p == "chat") {
            true => Ok(Accept::new().with_subprotocol("chat")),
            false => Ok(Accept::new()),
        }
    })?;
    while let Some(message) = ws.recv() {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m)?;
        }
    }
    Ok(())
}
