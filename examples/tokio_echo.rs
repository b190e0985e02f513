//! An async WebSocket echo server on tokio: one task per connection, the engine's loop
//! over `tokio::net::TcpStream`.
//!
//! `cargo run --example tokio_echo -- 127.0.0.1:9002`
//!
//! Echoes every text and binary message chunk by chunk as it arrives, so messages of any
//! size stream through a 16 KiB buffer. Idle peers get a ping every 30 s and are dropped if
//! no pong comes back within 20 s.

mod tokio_support;

use std::io;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_support::{Read, Ws, queue};
use wsmachine::{Accept, Config, Connection, Event, MessageKind};

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("tokio_echo listening on ws://{}", listener.local_addr()?);
    let epoch = std::time::Instant::now();
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = serve(stream, epoch).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

async fn serve(stream: TcpStream, epoch: std::time::Instant) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let config = Config::new().with_keepalive(Some(Duration::from_secs(30)));
    let conn = Connection::server(config, tokio_support::now(epoch));
    let mut ws = Ws::new(conn, stream, epoch);
    while !ws.finished {
        if let Read::Eof = ws.read().await? {
            break;
        }
        let processed = ws.process(|conn, out, event| match event {
            Event::UpgradeRequest(request) => {
                let chat = request.subprotocols().any(|p| p == "chat");
                let accept = if chat {
                    Accept::new().with_subprotocol("chat")
                } else {
                    Accept::new()
                };
                queue(out, |buf| {
                    conn.accept(tokio_support::now(epoch), &accept, buf)
                })
            }
            Event::Text(chunk) => {
                // The whole chunk: a code point that straddled two reads comes first, by value.
                let (carried, text) = chunk.parts();
                if !carried.is_empty() {
                    queue(out, |buf| {
                        conn.send_fragment(MessageKind::Text, carried.as_bytes(), false, buf)
                    })?;
                }
                let (text, last) = (text.as_bytes(), chunk.is_last());
                queue(out, |buf| {
                    conn.send_fragment(MessageKind::Text, text, last, buf)
                })
            }
            Event::Binary(chunk) => queue(out, |buf| {
                conn.send_fragment(MessageKind::Binary, chunk.as_bytes(), chunk.is_last(), buf)
            }),
            // Pongs and the Close echo are automatic.
            _ => Ok(()),
        });
        // On a protocol error the engine has queued its Close or HTTP error: send it.
        ws.flush().await?;
        processed.map_err(io::Error::other)?;
    }
    Ok(())
}
