//! A blocking, thread-per-connection WebSocket echo server.
//!
//! `cargo run --release --example echo_server -- 127.0.0.1:9001`
//! (`--features deflate`: also accepts permessage-deflate, inflating what it receives)
//!
//! Echoes every text and binary message, chunk by chunk as it arrives (so messages of any
//! size stream through), and selects the subprotocol `chat` when a client offers it. This
//! is the server the Autobahn|Testsuite and browser tests run against.

mod support;

use std::io;
use std::net::{TcpListener, TcpStream};

use support::{Flow, Socket, echo_chunk, send_into};
use wsmachine::{Accept, Config, Connection, Event};

fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    println!("echo_server listening on ws://{}", listener.local_addr()?);
    let epoch = std::time::Instant::now();
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(e) = serve(stream, epoch) {
                eprintln!("connection ended: {e}");
            }
        });
    }
    Ok(())
}

fn serve(stream: TcpStream, epoch: std::time::Instant) -> io::Result<()> {
    // Autobahn 9.x sends 16 MiB messages; the engine streams them, so the limits only
    // bound work, not memory.
    let config = Config::new();
    // With the feature on, accept permessage-deflate: compressed messages are inflated and
    // echoed uncompressed (RFC 7692 allows any message to go uncompressed).
    #[cfg(feature = "deflate")]
    let config = config.with_deflate(Some(wsmachine::deflate::DeflateConfig::new()));
    let now = support::now(epoch);
    let mut socket = Socket::new(Connection::server(config, now), stream, epoch);
    loop {
        let ended = socket.pump(|conn, out, scratch, event| {
            match event {
                Event::UpgradeRequest(request) => {
                    let chat = request.subprotocols().any(|p| p == "chat");
                    let accept = if chat {
                        Accept::new().with_subprotocol("chat")
                    } else {
                        Accept::new()
                    };
                    send_into(out, scratch, |buf| conn.accept(now, &accept, buf))?;
                }
                // Pongs to pings and the Close echo are automatic.
                other => echo_chunk(conn, out, scratch, &other)?,
            }
            Ok(Flow::Continue)
        })?;
        if ended.is_some() {
            return Ok(());
        }
    }
}
