//! Runs the Autobahn|Testsuite client protocol against a `wstest -m fuzzingserver`.
//!
//! `cargo run --release --example autobahn_client -- ws://127.0.0.1:9001 wsmachine`
//! (`--features deflate`: also offers permessage-deflate, for cases 12.* and 13.*)
//!
//! Asks for the case count, runs every case echoing each message chunk by chunk, then asks
//! the suite to write its reports.

mod support;

use std::io;
use std::net::TcpStream;

use support::{Flow, Socket, StdRandom, echo_chunk, parse_url, send_into};
use wsmachine::{ClientRequest, Config, Connection, Event};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = args.next().unwrap_or_else(|| "wsmachine".into());
    let (host, _) =
        parse_url(&url).ok_or_else(|| io::Error::other("url must be ws://host:port"))?;

    let count = case_count(host)?;
    println!("{count} cases");
    for case in 1..=count {
        let path = format!("/runCase?case={case}&agent={agent}");
        if let Err(e) = run(host, &path, Mode::Echo) {
            // Many cases end the connection on purpose; the suite judges, not us.
            println!("case {case}: {e}");
        }
    }
    run(host, &format!("/updateReports?agent={agent}"), Mode::Echo)?;
    println!("reports updated");
    Ok(())
}

enum Mode {
    Echo,
    CollectText(String),
}

fn case_count(host: &str) -> io::Result<u32> {
    let mut mode = Mode::CollectText(String::new());
    run_with(host, "/getCaseCount", &mut mode)?;
    let Mode::CollectText(text) = mode else {
        unreachable!()
    };
    text.trim().parse().map_err(io::Error::other)
}

fn run(host: &str, path: &str, mut mode: Mode) -> io::Result<()> {
    run_with(host, path, &mut mode)
}

fn run_with(host: &str, path: &str, mode: &mut Mode) -> io::Result<()> {
    let stream = TcpStream::connect(host)?;
    let epoch = std::time::Instant::now();
    let mut random = StdRandom::new();
    let key = random.key();
    let config = Config::new();
    // With the feature on, offer permessage-deflate (cases 12.* and 13.*); replies go
    // uncompressed, which RFC 7692 allows.
    #[cfg(feature = "deflate")]
    let config = config.with_deflate(Some(wsmachine::deflate::DeflateConfig::new()));
    let conn = Connection::client(config, random, support::now(epoch));
    let mut socket = Socket::new(conn, stream, epoch);
    let request = ClientRequest::new(host, path, key);
    let (out, scratch) = (&mut socket.out, &mut socket.frame);
    send_into(out, scratch, |buf| {
        socket.conn.connect(support::now(epoch), &request, buf)
    })?;
    socket.flush()?;
    loop {
        let ended = socket.pump(|conn, out, scratch, event| {
            match (event, &mut *mode) {
                (Event::Text(chunk), Mode::CollectText(text)) => {
                    chunk.push_to(text).unwrap();
                }
                (event, Mode::Echo) => echo_chunk(conn, out, scratch, &event)?,
                _ => {}
            }
            Ok(Flow::Continue)
        })?;
        if ended.is_some() {
            return Ok(());
        }
    }
}
