//! Loopback echo throughput of three tokio WebSocket drivers in one run: wsmachine's
//! `tokio` driver, tokio-tungstenite and tokio-websockets, each with its own defaults on
//! both ends. For each message size, each library runs an echo server and CONNS clients in
//! this process (one multi-thread runtime); every client sends a binary message, waits for
//! its echo and repeats until SECS have passed. Each (size, library) is run RUNS times,
//! interleaved, and the median is printed with its ratio to wsmachine's. Run by
//! `scripts/echo-throughput`.
//!
//! usage: echo_throughput [CONNS [SECS [RUNS]]]   (default 100 2 5)
//!
//! For profiling one library at one size: `ECHO_ONLY=wsmachine` (or `tungstenite`,
//! `websockets`) and `ECHO_SIZE=16` (or 65536).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Lib {
    Wsmachine,
    Tungstenite,
    Websockets,
}

const LIBS: [Lib; 3] = [Lib::Wsmachine, Lib::Tungstenite, Lib::Websockets];
const SIZES: [usize; 2] = [16, 64 * 1024];

impl Lib {
    fn name(self) -> &'static str {
        match self {
            Self::Wsmachine => "wsmachine::tokio",
            Self::Tungstenite => "tokio-tungstenite 0.28",
            Self::Websockets => "tokio-websockets 0.13",
        }
    }
}

async fn serve(lib: Lib, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    match lib {
        Lib::Wsmachine => {
            use wsmachine::tokio::{Message, WebSocket};
            let Ok(mut ws) = WebSocket::accept(stream).await else {
                return;
            };
            while let Some(Ok(m)) = ws.recv().await {
                if matches!(m, Message::Binary(_) | Message::Text(_)) && ws.send(m).await.is_err() {
                    return;
                }
            }
        }
        Lib::Tungstenite => {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(m)) = ws.next().await {
                if (m.is_binary() || m.is_text()) && ws.send(m).await.is_err() {
                    return;
                }
            }
        }
        Lib::Websockets => {
            let Ok((_, mut ws)) = tokio_websockets::ServerBuilder::new().accept(stream).await
            else {
                return;
            };
            while let Some(Ok(m)) = ws.next().await {
                if (m.is_binary() || m.is_text()) && ws.send(m).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// One client: echoes of `payload` until `until`; returns how many came back intact.
async fn client(lib: Lib, url: String, payload: Bytes, until: Instant) -> u64 {
    let mut count = 0;
    match lib {
        Lib::Wsmachine => {
            use wsmachine::tokio::Message;
            let mut ws = wsmachine::tokio::connect(&url).await.expect("connect");
            while Instant::now() < until {
                ws.send(Message::Binary(payload.clone()))
                    .await
                    .expect("send");
                match ws.recv().await {
                    Some(Ok(Message::Binary(b))) if b.len() == payload.len() => count += 1,
                    other => panic!("wsmachine echo: {other:?}"),
                }
            }
        }
        Lib::Tungstenite => {
            use tokio_tungstenite::tungstenite::Message;
            let (mut ws, _) = tokio_tungstenite::connect_async(&url)
                .await
                .expect("connect");
            while Instant::now() < until {
                ws.send(Message::Binary(payload.clone()))
                    .await
                    .expect("send");
                match ws.next().await {
                    Some(Ok(Message::Binary(b))) if b.len() == payload.len() => count += 1,
                    other => panic!("tungstenite echo: {other:?}"),
                }
            }
        }
        Lib::Websockets => {
            use tokio_websockets::Message;
            let uri = url.parse().expect("uri");
            let (mut ws, _) = tokio_websockets::ClientBuilder::from_uri(uri)
                .connect()
                .await
                .expect("connect");
            while Instant::now() < until {
                ws.send(Message::binary(payload.clone()))
                    .await
                    .expect("send");
                match ws.next().await {
                    Some(Ok(m)) if m.is_binary() && m.as_payload().len() == payload.len() => {
                        count += 1;
                    }
                    other => panic!("tokio-websockets echo: {other:?}"),
                }
            }
        }
    }
    count
}

/// One run: messages per second over `conns` connections.
async fn run(lib: Lib, size: usize, conns: usize, secs: u64) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let server: JoinHandle<()> = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(lib, stream));
        }
    });
    let payload = Bytes::from(vec![0xa5u8; size]);
    // Connections open before the clock starts; the deadline leaves them a moment.
    let start = Instant::now() + Duration::from_millis(200);
    let until = start + Duration::from_secs(secs);
    let clients: Vec<_> = (0..conns)
        .map(|_| tokio::spawn(client(lib, url.clone(), payload.clone(), until)))
        .collect();
    let mut total = 0;
    for c in clients {
        total += c.await.expect("client task");
    }
    let elapsed = Instant::now().saturating_duration_since(start.min(Instant::now()));
    server.abort();
    total as f64 / elapsed.as_secs_f64().max(1e-9)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("number"));
    let conns = args.next().unwrap_or(100) as usize;
    let secs = args.next().unwrap_or(2);
    let runs = args.next().unwrap_or(5) as usize;
    let _ = rlimit::increase_nofile_limit(4 * conns as u64 + 256);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("{conns} connections, {secs} s per run, median of {runs} interleaved runs");
    println!("| message | library | messages/s | MiB/s each way | vs wsmachine |");
    println!("|---|---|---|---|---|");
    let only = std::env::var("ECHO_ONLY").ok();
    let only_size = std::env::var("ECHO_SIZE").ok();
    let skip = |lib: Lib| {
        only.as_ref()
            .is_some_and(|o| !lib.name().contains(o.as_str()))
    };
    for size in SIZES {
        if only_size.as_ref().is_some_and(|s| *s != size.to_string()) {
            continue;
        }
        let mut rates = vec![Vec::new(); LIBS.len()];
        for _ in 0..runs {
            for (i, lib) in LIBS.into_iter().enumerate() {
                if skip(lib) {
                    rates[i].push(f64::NAN);
                    continue;
                }
                rates[i].push(rt.block_on(run(lib, size, conns, secs)));
            }
        }
        let medians: Vec<f64> = rates.into_iter().map(median).collect();
        for (lib, rate) in LIBS.into_iter().zip(&medians) {
            println!(
                "| {} | {} | {:.0} | {:.1} | {:.2}x |",
                if size < 1024 {
                    format!("{size} B")
                } else {
                    format!("{} KiB", size / 1024)
                },
                lib.name(),
                rate,
                rate * size as f64 / (1024.0 * 1024.0),
                rate / medians[0],
            );
        }
    }
}
