//! A tokio-tungstenite client doing what `examples/tokio_client.rs` does (text, a 100 kB
//! binary, an empty text, each echo checked, then a clean close), the peer that
//! `scripts/driver-interop` runs against wsmachine's tokio and blocking echo servers.
//! Exits non-zero on any difference.
//!
//! usage: client_tungstenite URL

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: client_tungstenite URL")?;
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
    let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    for sent in [
        Message::text("héllo 🦀"),
        Message::binary(big),
        Message::text(""),
    ] {
        ws.send(sent.clone()).await?;
        let echo = loop {
            match ws.next().await.ok_or("closed early")?? {
                Message::Ping(_) | Message::Pong(_) => continue,
                echo => break echo,
            }
        };
        if echo != sent {
            return Err("echo differs from what was sent".into());
        }
    }
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "done".into(),
    })))
    .await?;
    // The server must answer with its Close (1000) and then end the stream.
    let mut answered = false;
    while let Some(item) = ws.next().await {
        match item? {
            Message::Close(Some(frame)) if frame.code == CloseCode::Normal => answered = true,
            Message::Close(other) => return Err(format!("close answered with {other:?}").into()),
            _ => {}
        }
    }
    if !answered {
        return Err("no Close answer from the server".into());
    }
    println!("client_tungstenite: ok");
    Ok(())
}
