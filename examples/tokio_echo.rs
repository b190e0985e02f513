//! An async WebSocket echo server on the tokio driver, one task per connection; selects the
//! subprotocol `chat` when offered. Keepalive, pongs and the Close echo are the driver's.
//! `cargo run --features tokio --example tokio_echo -- 127.0.0.1:9002`

use tokio::net::{TcpListener, TcpStream};
use wsmachine::tokio::{Error, Message, Options, WebSocket};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("tokio_echo listening on ws://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = echo(stream).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

async fn echo(stream: TcpStream) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let mut ws = WebSocket::accept_with(stream, Options::new(), |request| {
        match request.subprotocols().any(|p| p == "chat") {
            true => Ok(wsmachine::Accept::new().with_subprotocol("chat")),
            false => Ok(wsmachine::Accept::new()),
        }
    })
    .await?;
    while let Some(message) = ws.recv().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
        }
    }
    Ok(())
}
