//! Opens N WebSocket connections to a server, exchanges one small echo on each, prints
//! `ready N` and then holds them idle until stdin closes: the load side of
//! `scripts/idle-rss`. The handshake and the one frame are written by hand so the client
//! holds no WebSocket buffers (its own memory is not what is measured).
//!
//! usage: idle_clients ADDR N

use std::io::Write as _;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REQUEST: &str = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";
/// A masked text frame "hi" (mask 1,2,3,4); the echo is the unmasked frame 0x81 0x02 h i.
const FRAME: [u8; 8] = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];

async fn open(addr: String) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(&addr).await?;
    stream.write_all(REQUEST.as_bytes()).await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await?;
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(std::io::Error::other("no 101"));
    }
    stream.write_all(&FRAME).await?;
    let mut echo = [0u8; 4];
    stream.read_exact(&mut echo).await?;
    if echo != [0x81, 2, b'h', b'i'] {
        return Err(std::io::Error::other("bad echo"));
    }
    Ok(stream)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or("127.0.0.1:9002".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let _ = rlimit::increase_nofile_limit(count as u64 + 256);
    let mut held = Vec::with_capacity(count);
    // Batches of 250 so the listen backlog never overflows.
    while held.len() < count {
        let batch = (count - held.len()).min(250);
        let opening: Vec<_> = (0..batch)
            .map(|_| tokio::spawn(open(addr.clone())))
            .collect();
        for task in opening {
            held.push(task.await.map_err(std::io::Error::other)??);
        }
    }
    println!("ready {}", held.len());
    std::io::stdout().flush()?;
    let mut rest = Vec::new();
    tokio::io::stdin().read_to_end(&mut rest).await?;
    drop(held);
    Ok(())
}
