//! A tokio-tungstenite echo server with the crate's defaults (128 KiB read buffer), the
//! peer that `scripts/idle-rss` and `scripts/echo-throughput` measure wsmachine's tokio
//! driver against. Written the way the crate's own README writes one.
//!
//! usage: echo_tungstenite [ADDR]   (default 127.0.0.1:9003)

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9003".into());
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "echo_tungstenite listening on ws://{}",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(echo(stream));
    }
}

async fn echo(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
        }
    }
}
