//! The Autobahn|Testsuite echo server on the tokio driver: echoes whole messages.
//!
//! `cargo run --release --features tokio --example autobahn_tokio_server -- 127.0.0.1:9001`
//! (`AUTOBAHN_DRIVER=tokio scripts/autobahn server` runs the suite against it). With
//! `--features tokio,deflate` it accepts permessage-deflate.

use tokio::net::{TcpListener, TcpStream};
use wsmachine::Config;
use wsmachine::tokio::{Error, Message, Options, WebSocket};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "autobahn_tokio_server listening on ws://{}",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = echo(stream).await {
                println!("connection ended: {e}"); // many cases end on purpose
            }
        });
    }
}

async fn echo(stream: TcpStream) -> Result<(), Error> {
    stream.set_nodelay(true)?;
    let config = Config::new(); // no keepalive pings
    // With `--features deflate`: permessage-deflate too (Autobahn 12.* and 13.*).
    #[cfg(feature = "deflate")]
    let config = config.with_deflate(Some(wsmachine::deflate::DeflateConfig::new()));
    let options = Options::new().with_config(config);
    let mut ws = WebSocket::accept_with(stream, options, |_| Ok(Default::default())).await?;
    while let Some(message) = ws.recv().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
        }
    }
    Ok(())
}
