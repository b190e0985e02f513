//! An async WebSocket client on tokio: connects, sends a few messages, checks that each
//! comes back unchanged, closes cleanly. Exits non-zero on any failure.
//!
//! `cargo run --example tokio_client -- ws://127.0.0.1:9002/`
//! (or just `127.0.0.1:9002`).

mod tokio_support;

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_support::{Read, Ws, queue};
use wsmachine::{ClientRequest, CloseCode, Config, Connection, Event, Key, MaskKey};

#[tokio::main]
async fn main() -> ExitCode {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    match tokio::time::timeout(Duration::from_secs(20), run(&target)).await {
        Ok(Ok(())) => {
            println!("tokio_client: ok");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("tokio_client: FAIL: {e}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("tokio_client: FAIL: timed out");
            ExitCode::FAILURE
        }
    }
}

/// What the client expects back, in order.
enum Expect {
    Text(String),
    Binary(Vec<u8>),
}

async fn run(target: &str) -> io::Result<()> {
    let authority = target.trim_start_matches("ws://").trim_end_matches('/');
    let stream = TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let epoch = std::time::Instant::now();
    let mut entropy = Entropy::seeded();
    let key = Key(entropy.bytes16());
    let conn = Connection::client(
        Config::new(),
        move || MaskKey(entropy.next_u32().to_be_bytes()),
        tokio_support::now(epoch),
    );
    let mut ws = Ws::new(conn, stream, epoch);
    let request = ClientRequest::new(authority, "/", key).with_subprotocols(&["chat"]);
    queue(&mut ws.out, |buf| {
        ws.conn.connect(tokio_support::now(epoch), &request, buf)
    })
    .map_err(io::Error::other)?;
    ws.flush().await?;

    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let mut script = vec![
        Expect::Text("hello".into()),
        Expect::Text("ünïcödé 🦀 ".repeat(500)),
        Expect::Binary(vec![0, 1, 2, 3, 255]),
        Expect::Binary(big),
        Expect::Text(String::new()),
    ];
    script.reverse(); // pop from the end
    let mut waiting: Option<Expect> = None;
    let (mut text, mut binary) = (String::new(), Vec::new());
    let mut established = false;
    let mut closing = false;
    loop {
        // Send the next message once the previous one came back.
        if established && waiting.is_none() && !closing {
            match script.pop() {
                Some(next) => {
                    let conn = &mut ws.conn;
                    match &next {
                        Expect::Text(t) => queue(&mut ws.out, |buf| conn.send_text(t, buf)),
                        Expect::Binary(b) => queue(&mut ws.out, |buf| conn.send_binary(b, buf)),
                    }
                    .map_err(io::Error::other)?;
                    waiting = Some(next);
                }
                None => {
                    let conn = &mut ws.conn;
                    queue(&mut ws.out, |buf| {
                        conn.close(tokio_support::now(epoch), CloseCode::Normal, "done", buf)
                    })
                    .map_err(io::Error::other)?;
                    closing = true;
                }
            }
            ws.flush().await?;
        }
        if ws.finished {
            break;
        }
        if let Read::Eof = ws.read().await? {
            break;
        }
        let mut got: Option<Expect> = None;
        let mut failure = None;
        let processed = ws.process(|_, _, event| {
            match event {
                Event::Established(response) => {
                    established = true;
                    if response.subprotocol() != Some("chat") {
                        failure = Some("server did not select subprotocol chat".to_string());
                    }
                }
                Event::Text(chunk) => {
                    chunk.push_to(&mut text).unwrap();
                    if chunk.is_last() {
                        got = Some(Expect::Text(std::mem::take(&mut text)));
                    }
                }
                Event::Binary(chunk) => {
                    binary.extend_from_slice(chunk.as_bytes());
                    if chunk.is_last() {
                        got = Some(Expect::Binary(std::mem::take(&mut binary)));
                    }
                }
                Event::Close(frame) if !closing => {
                    failure = Some(format!("server closed first: {}", frame.code.0));
                }
                _ => {}
            }
            Ok(())
        });
        ws.flush().await?;
        processed.map_err(io::Error::other)?;
        if let Some(f) = failure {
            return Err(io::Error::other(f));
        }
        if let Some(got) = got {
            let ok = match (&waiting, &got) {
                (Some(Expect::Text(a)), Expect::Text(b)) => a == b,
                (Some(Expect::Binary(a)), Expect::Binary(b)) => a == b,
                _ => false,
            };
            if !ok {
                return Err(io::Error::other("echo differs from what was sent"));
            }
            waiting = None;
        }
    }
    let closed = ws
        .conn
        .closed()
        .ok_or_else(|| io::Error::other("no outcome"))?;
    if !script.is_empty() || waiting.is_some() || !closed.clean || closed.code != CloseCode::Normal
    {
        return Err(io::Error::other(format!(
            "connection ended early: {closed:?}"
        )));
    }
    Ok(())
}

/// A small xorshift generator seeded from the clock and the process id. Real clients
/// should draw keys and masks from a CSPRNG (e.g. `getrandom`); this example has no
/// dependency for it.
struct Entropy(u64);

impl Entropy {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Self(nanos ^ (u64::from(std::process::id()) << 32) | 1)
    }

    fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }

    fn bytes16(&mut self) -> [u8; 16] {
        let mut key = [0u8; 16];
        for chunk in key.chunks_mut(4) {
            chunk.copy_from_slice(&self.next_u32().to_be_bytes());
        }
        key
    }
}
