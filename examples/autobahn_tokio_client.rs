//! The Autobahn|Testsuite client protocol on the tokio driver, against
//! `wstest -m fuzzingserver`: runs every case echoing whole messages, then asks for reports.
//!
//! `cargo run --release --features tokio --example autobahn_tokio_client -- ws://127.0.0.1:9001 wsmachine`
//! (`--features tokio,deflate` offers permessage-deflate).

use wsmachine::tokio::{Error, Message, Options, connect, connect_with_options};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or("ws://127.0.0.1:9001".into());
    let agent = args.next().unwrap_or("wsmachine".into());
    let mut ws = connect(&format!("{url}/getCaseCount")).await?;
    let count: u32 = match ws.recv().await {
        Some(Ok(Message::Text(text))) => text.trim().parse().unwrap_or(0),
        other => return Err(std::io::Error::other(format!("no case count: {other:?}")).into()),
    };
    println!("{count} cases");
    for case in 1..=count {
        if let Err(e) = echo(&format!("{url}/runCase?case={case}&agent={agent}")).await {
            println!("case {case}: {e}"); // many cases end the connection on purpose
        }
    }
    echo(&format!("{url}/updateReports?agent={agent}")).await?;
    println!("reports updated");
    Ok(())
}

async fn echo(url: &str) -> Result<(), Error> {
    let config = wsmachine::Config::new(); // no keepalive pings
    // With `--features deflate`: offer permessage-deflate too (Autobahn 12.* and 13.*).
    #[cfg(feature = "deflate")]
    let config = config.with_deflate(Some(wsmachine::deflate::DeflateConfig::new()));
    let mut ws = connect_with_options(url, Options::new().with_config(config)).await?;
    while let Some(message) = ws.recv().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
        }
    }
    Ok(())
}
