//! Load generator for the chat rooms: the same load against each room in one run.
//!
//! For each room (`name=path/to/binary`, started here as `binary 127.0.0.1:PORT`), it
//! connects N clients on loopback (all join quietly, `tests/browser/chat_protocol.md`),
//! lets them sit idle, then has M of them post at a fixed rate for a few seconds; every
//! client times every message (the text carries the send time of this process's clock).
//! It reports the server's RSS per idle connection, delivery latency p50/p99/max, delivered
//! messages per second and the server's CPU over the posting phase.
//!
//! usage: chat_load [--clients N] [--senders M] [--rate PER_SENDER_PER_S] [--seconds S]
//!                  [--json FILE] NAME=BINARY[,ARG...]...
//!
//! (each room is started as `BINARY 127.0.0.1:PORT ARG...`)
//!
//! The clients are tokio-tungstenite with a 4 KiB read buffer, the same for every room.
//! The tool raises its `RLIMIT_NOFILE` (the rooms inherit it). Clients and server share
//! the machine: figures compare rooms measured the same way, not absolute capacities.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::{Semaphore, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

struct Args {
    clients: usize,
    senders: usize,
    rate: f64,
    seconds: f64,
    json: Option<String>,
    rooms: Vec<(String, String)>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        clients: 1000,
        senders: 10,
        rate: 10.0,
        seconds: 3.0,
        json: None,
        rooms: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--clients" => args.clients = value()?.parse().map_err(|e| format!("{e}"))?,
            "--senders" => args.senders = value()?.parse().map_err(|e| format!("{e}"))?,
            "--rate" => args.rate = value()?.parse().map_err(|e| format!("{e}"))?,
            "--seconds" => args.seconds = value()?.parse().map_err(|e| format!("{e}"))?,
            "--json" => args.json = Some(value()?),
            room => match room.split_once('=') {
                Some((name, path)) => args.rooms.push((name.into(), path.into())),
                None => return Err(format!("unknown argument {room}")),
            },
        }
    }
    if args.rooms.is_empty() || args.senders > args.clients || args.clients == 0 {
        return Err("usage: chat_load [--clients N] [--senders M] [--rate R] [--seconds S] [--json FILE] NAME=BINARY...".into());
    }
    Ok(args)
}

/// The figures for one room.
struct Report {
    name: String,
    clients: usize,
    rss_base_kb: u64,
    rss_idle_kb: u64,
    rss_peak_kb: u64,
    sent: u64,
    delivered: u64,
    expected: u64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
    msgs_per_s: f64,
    cpu_percent: f64,
    connect_s: f64,
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let needed = (args.clients as u64) + 64;
    if limit < needed {
        eprintln!("chat_load: RLIMIT_NOFILE is {limit}, {needed} needed");
        std::process::exit(1);
    }
    println!(
        "chat_load: {} clients, {} senders x {}/s for {} s, nofile limit {limit}",
        args.clients, args.senders, args.rate, args.seconds
    );
    let mut reports = Vec::new();
    for (name, path) in &args.rooms {
        match run_room(&args, name, path).await {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("chat_load: {name}: {e}");
                std::process::exit(1);
            }
        }
    }
    println!();
    println!(
        "| room | clients | RSS/idle conn | p50 | p99 | max | delivered msgs/s | server CPU | delivered |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &reports {
        println!(
            "| {} | {} | {:.2} KB | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} | {:.0} % | {}/{} |",
            r.name,
            r.clients,
            per_conn_kb(r),
            r.p50_us as f64 / 1000.0,
            r.p99_us as f64 / 1000.0,
            r.max_us as f64 / 1000.0,
            r.msgs_per_s,
            r.cpu_percent,
            r.delivered,
            r.expected
        );
    }
    if let Some(file) = &args.json {
        let rows: Vec<Value> = reports
            .iter()
            .map(|r| {
                json!({
                    "room": r.name, "clients": r.clients, "senders": args.senders,
                    "rate": args.rate, "seconds": args.seconds,
                    "rss_base_kb": r.rss_base_kb, "rss_idle_kb": r.rss_idle_kb,
                    "rss_peak_kb": r.rss_peak_kb, "rss_per_idle_conn_kb": per_conn_kb(r),
                    "sent": r.sent, "delivered": r.delivered, "expected": r.expected,
                    "p50_us": r.p50_us, "p99_us": r.p99_us, "max_us": r.max_us,
                    "msgs_per_s": r.msgs_per_s, "cpu_percent": r.cpu_percent,
                    "connect_s": r.connect_s,
                })
            })
            .collect();
        if let Err(e) = std::fs::write(file, Value::Array(rows).to_string()) {
            eprintln!("chat_load: {file}: {e}");
            std::process::exit(1);
        }
    }
    if reports.iter().any(|r| r.delivered < r.expected) {
        eprintln!("chat_load: some messages were not delivered");
        std::process::exit(1);
    }
}

fn per_conn_kb(r: &Report) -> f64 {
    (r.rss_idle_kb.saturating_sub(r.rss_base_kb)) as f64 / r.clients as f64
}

/// Reads a `/proc/PID/status` field in kB.
fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// utime + stime of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the `(comm)`, which may contain spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat; index 11 and 12 after `)`.
    tick(11) + tick(12)
}

async fn start(spec: &str) -> Result<(Child, String), String> {
    // `BINARY[,ARG...]`: the arguments follow the address.
    let mut parts = spec.split(',');
    let path = parts.next().unwrap_or(spec);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(path)
        .arg(&addr)
        .args(parts)
        .env("CHAT_QUEUE_BYTES", "1048576")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{path}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("listening") {
                return true;
            }
        }
        false
    });
    if !ready.await.unwrap_or(false) {
        return Err(format!("{path} did not start"));
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, addr))
}

/// What each client task gives back.
struct ClientResult {
    latencies: Vec<u32>,
}

async fn run_room(args: &Args, name: &str, path: &str) -> Result<Report, String> {
    let (child, addr) = start(path).await?;
    let pid = child.id().ok_or("no pid")?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_base_kb = status_kb(pid, "VmRSS:");
    let epoch = Instant::now();
    let (go_tx, go_rx) = watch::channel(false);
    let (stop_tx, stop_rx) = watch::channel(false);
    let joined = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let connecting = Arc::new(Semaphore::new(128));
    let mut tasks = Vec::with_capacity(args.clients);
    let t_connect = Instant::now();
    for i in 0..args.clients {
        let client = Client {
            addr: addr.clone(),
            sender: i < args.senders,
            rate: args.rate,
            seconds: args.seconds,
            epoch,
            go: go_rx.clone(),
            stop: stop_rx.clone(),
            joined: joined.clone(),
            received: received.clone(),
            sent: sent.clone(),
            connecting: connecting.clone(),
        };
        tasks.push(tokio::spawn(client.run(i)));
    }
    // Every client connected and welcomed (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(60 + args.clients as u64 / 100);
    while joined.load(Ordering::Relaxed) < args.clients as u64 {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {} clients joined",
                joined.load(Ordering::Relaxed),
                args.clients
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_s = t_connect.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_idle_kb = status_kb(pid, "VmRSS:");
    println!(
        "{name}: {} clients joined in {connect_s:.2} s; server RSS {rss_base_kb} kB -> {rss_idle_kb} kB",
        args.clients
    );

    let cpu_before = cpu_ticks(pid);
    let t_load = Instant::now();
    let _ = go_tx.send(true);
    tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
    // Let the last messages arrive (bounded).
    let per_sender = (args.rate * args.seconds).floor() as u64;
    let expected = per_sender * args.senders as u64 * args.clients as u64;
    let drain_deadline = Instant::now() + Duration::from_secs(20);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let load_s = t_load.elapsed().as_secs_f64();
    let cpu_ticks_used = cpu_ticks(pid).saturating_sub(cpu_before);
    let rss_peak_kb = status_kb(pid, "VmHWM:");
    let _ = stop_tx.send(true);
    let mut latencies = Vec::new();
    for task in tasks {
        if let Ok(result) = task.await {
            latencies.extend(result.latencies);
        }
    }
    drop(child);
    latencies.sort_unstable();
    let pick = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(i).copied().unwrap_or(0) as u64
    };
    let delivered = latencies.len() as u64;
    let report = Report {
        name: name.into(),
        clients: args.clients,
        rss_base_kb,
        rss_idle_kb,
        rss_peak_kb,
        sent: sent.load(Ordering::Relaxed),
        delivered,
        expected,
        p50_us: pick(0.5),
        p99_us: pick(0.99),
        max_us: latencies.last().copied().unwrap_or(0) as u64,
        msgs_per_s: delivered as f64 / load_s,
        cpu_percent: cpu_ticks_used as f64 / load_s,
        connect_s,
    };
    println!(
        "{name}: sent {}, delivered {delivered}/{expected} in {load_s:.2} s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, server CPU {:.0} %, peak RSS {rss_peak_kb} kB",
        report.sent,
        report.p50_us as f64 / 1000.0,
        report.p99_us as f64 / 1000.0,
        report.max_us as f64 / 1000.0,
        report.cpu_percent
    );
    Ok(report)
}

struct Client {
    addr: String,
    sender: bool,
    rate: f64,
    seconds: f64,
    epoch: Instant,
    go: watch::Receiver<bool>,
    stop: watch::Receiver<bool>,
    joined: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
    sent: Arc<AtomicU64>,
    connecting: Arc<Semaphore>,
}

impl Client {
    async fn run(mut self, index: usize) -> ClientResult {
        let mut latencies = Vec::new();
        let ws = {
            let _permit = self.connecting.acquire().await;
            let Ok(stream) = TcpStream::connect(&self.addr).await else {
                return ClientResult { latencies };
            };
            let _ = stream.set_nodelay(true);
            let config = WebSocketConfig::default().read_buffer_size(4096);
            let url = format!("ws://{}/ws", self.addr);
            match tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await {
                Ok((ws, _)) => ws,
                Err(_) => return ClientResult { latencies },
            }
        };
        let (mut sink, mut stream) = ws.split();
        let join = json!({"type": "join", "nick": format!("load{index}"), "quiet": true});
        if sink.send(Message::text(join.to_string())).await.is_err() {
            return ClientResult { latencies };
        }
        let mut welcomed = false;
        let sender = self.sender.then(|| {
            let (mut go, epoch, rate, seconds, sent) = (
                self.go.clone(),
                self.epoch,
                self.rate,
                self.seconds,
                self.sent.clone(),
            );
            tokio::spawn(async move {
                let _ = go.wait_for(|&g| g).await;
                let count = (rate * seconds).floor() as u64;
                let start = tokio::time::Instant::now();
                let period = Duration::from_secs_f64(1.0 / rate);
                for seq in 0..count {
                    tokio::time::sleep_until(start + period.mul_f64(seq as f64)).await;
                    let at = epoch.elapsed().as_micros() as u64;
                    let text = json!({"type": "say", "text": format!("{at} {seq}")});
                    if sink.send(Message::text(text.to_string())).await.is_err() {
                        break;
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                sink
            })
        });
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(Ok(Message::Text(text))) = message else { break };
                    let now = self.epoch.elapsed().as_micros() as u64;
                    let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                    match value.get("type").and_then(Value::as_str) {
                        Some("welcome") if !welcomed => {
                            welcomed = true;
                            self.joined.fetch_add(1, Ordering::Relaxed);
                        }
                        Some("message") => {
                            let at = value.get("text").and_then(Value::as_str)
                                .and_then(|t| t.split(' ').next())
                                .and_then(|t| t.parse::<u64>().ok());
                            if let Some(at) = at {
                                latencies.push(u32::try_from(now.saturating_sub(at)).unwrap_or(u32::MAX));
                                self.received.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        _ => {}
                    }
                }
                _ = self.stop.wait_for(|&s| s) => break,
            }
        }
        if let Some(sender) = sender {
            sender.abort();
        }
        ClientResult { latencies }
    }
}
