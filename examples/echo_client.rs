//! Connects to any WebSocket echo server and checks a scenario step by step.
//!
//! `cargo run --release --example echo_client -- ws://127.0.0.1:9001`
//!
//! Steps: subprotocol `chat` negotiated; ASCII and Chinese text; binary with all 256 byte
//! values; an empty message; sizes 125, 126, 65535, 65536 and 16 MiB; 1000 small messages
//! in a burst; a ping answered by a pong with its payload; close 1000 with a reason; the
//! server closing TCP after the closing handshake. Exits non-zero if any step fails.

mod support;

use std::collections::VecDeque;
use std::io;
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use support::{Flow, Socket, StdRandom, parse_url, send_into};
use wsmachine::{ClientRequest, CloseCode, Config, Connection, Event};

#[derive(Debug, PartialEq)]
enum Incoming {
    Established(Option<String>),
    Text(String),
    Binary(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
}

struct Client {
    socket: Socket<StdRandom>,
    inbox: VecDeque<Incoming>,
    text: String,
    binary: Vec<u8>,
    eof: bool,
}

impl Client {
    fn connect(url: &str) -> io::Result<Self> {
        let (host, path) =
            parse_url(url).ok_or_else(|| io::Error::other("url must be ws://host:port/path"))?;
        let stream = TcpStream::connect(host)?;
        let epoch = std::time::Instant::now();
        let mut random = StdRandom::new();
        let key = random.key();
        let config = Config::new().with_max_message_len(32 << 20);
        // With the feature on, offer permessage-deflate (replies are inflated; our
        // messages go uncompressed, which RFC 7692 allows).
        #[cfg(feature = "deflate")]
        let config = config.with_deflate(Some(wsmachine::deflate::DeflateConfig::new()));
        let conn = Connection::client(config, random, support::now(epoch));
        let mut socket = Socket::new(conn, stream, epoch);
        let subprotocols = ["chat"];
        let request = ClientRequest::new(host, path, key).with_subprotocols(&subprotocols);
        let (out, scratch) = (&mut socket.out, &mut socket.frame);
        send_into(out, scratch, |buf| {
            socket.conn.connect(support::now(epoch), &request, buf)
        })?;
        socket.flush()?;
        Ok(Self {
            socket,
            inbox: VecDeque::new(),
            text: String::new(),
            binary: Vec::new(),
            eof: false,
        })
    }

    fn next(&mut self) -> io::Result<Incoming> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while self.inbox.is_empty() {
            if self.eof || std::time::Instant::now() > deadline {
                return Err(io::Error::other(
                    "no more messages (connection ended or timed out)",
                ));
            }
            let (inbox, text, binary) = (&mut self.inbox, &mut self.text, &mut self.binary);
            let ended = self
                .socket
                .pump(|_, _, _, event| collect(inbox, text, binary, event))?;
            self.eof |= ended.is_some();
        }
        Ok(self.inbox.pop_front().expect("inbox is not empty"))
    }

    fn send(
        &mut self,
        f: impl FnMut(&mut Connection<StdRandom>, &mut [u8]) -> Result<usize, wsmachine::Error>,
    ) -> io::Result<()> {
        let mut f = f;
        let socket = &mut self.socket;
        send_into(&mut socket.out, &mut socket.frame, |buf| {
            f(&mut socket.conn, buf)
        })?;
        socket.flush()
    }

    fn echo_text(&mut self, text: &str) -> io::Result<()> {
        self.send(|c, o| c.send_text(text, o))?;
        expect(self.next()?, Incoming::Text(text.into()))
    }

    fn echo_binary(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() > 1 << 20 {
            self.write_large(data)?;
        } else {
            self.send(|c, o| c.send_binary(data, o))?;
        }
        expect(self.next()?, Incoming::Binary(data.to_vec()))
    }

    /// Sends a large message with the zero-copy path while reading the echo as it comes
    /// back (a blocking write of 16 MiB would deadlock against a streaming echo server).
    fn write_large(&mut self, data: &[u8]) -> io::Result<()> {
        let socket = &mut self.socket;
        let mut header = [0u8; wsmachine::MAX_HEADER_LEN];
        let header_len = socket
            .conn
            .begin_frame(
                wsmachine::MessageKind::Binary,
                data.len() as u64,
                true,
                &mut header,
            )
            .map_err(io::Error::other)?;
        let mut wire = header[..header_len].to_vec();
        let mut payload = data.to_vec();
        socket
            .conn
            .frame_payload(&mut payload)
            .map_err(io::Error::other)?;
        wire.extend_from_slice(&payload);
        socket.stream.set_nonblocking(true)?;
        socket.hold_output = true;
        let mut written = 0;
        let result = (|| {
            while written < wire.len() {
                match io::Write::write(&mut self.socket.stream, &wire[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        let (inbox, text, binary) =
                            (&mut self.inbox, &mut self.text, &mut self.binary);
                        self.socket
                            .pump(|_, _, _, event| collect(inbox, text, binary, event))?;
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        })();
        self.socket.hold_output = false;
        self.socket.stream.set_nonblocking(false)?;
        result?;
        self.socket.flush()
    }
}

/// Files an event into the inbox, assembling whole messages.
fn collect(
    inbox: &mut VecDeque<Incoming>,
    text: &mut String,
    binary: &mut Vec<u8>,
    event: Event<'_>,
) -> io::Result<Flow> {
    match event {
        Event::Established(r) => {
            inbox.push_back(Incoming::Established(r.subprotocol().map(String::from)))
        }
        Event::Text(chunk) => {
            chunk.push_to(text).unwrap();
            if chunk.is_last() {
                inbox.push_back(Incoming::Text(std::mem::take(text)));
            }
        }
        Event::Binary(chunk) => {
            binary.extend_from_slice(chunk.as_bytes());
            if chunk.is_last() {
                inbox.push_back(Incoming::Binary(std::mem::take(binary)));
            }
        }
        Event::Pong(p) => inbox.push_back(Incoming::Pong(p.as_bytes().to_vec())),
        Event::Close(f) => inbox.push_back(Incoming::Close(f.code.0, f.reason.as_str().into())),
        _ => {}
    }
    Ok(Flow::Continue)
}

fn expect(got: Incoming, want: Incoming) -> io::Result<()> {
    if got == want {
        return Ok(());
    }
    let show = |i: &Incoming| match i {
        Incoming::Binary(b) => format!("Binary({} bytes)", b.len()),
        Incoming::Text(t) if t.len() > 80 => format!("Text({} bytes)", t.len()),
        other => format!("{other:?}"),
    };
    Err(io::Error::other(format!(
        "expected {}, got {}",
        show(&want),
        show(&got)
    )))
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

fn main() -> ExitCode {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let mut failed = false;
    let mut client = match Client::connect(&url) {
        Ok(client) => client,
        Err(e) => {
            println!("FAIL connect to {url}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut step = |name: &str, result: io::Result<()>| {
        match &result {
            Ok(()) => println!("ok   {name}"),
            Err(e) => {
                println!("FAIL {name}: {e}");
                failed = true;
            }
        }
        result.is_ok()
    };
    let r = client
        .next()
        .and_then(|i| expect(i, Incoming::Established(Some("chat".into()))));
    if !step("handshake, subprotocol chat negotiated", r) {
        return ExitCode::FAILURE;
    }
    // ECHO_REQUIRE_DEFLATE=1 (scripts/interop's deflate mode): the server must agree.
    if std::env::var("ECHO_REQUIRE_DEFLATE").is_ok_and(|v| v == "1") {
        #[cfg(feature = "deflate")]
        let negotiated = client.socket.conn.deflate_params();
        #[cfg(not(feature = "deflate"))]
        let negotiated: Option<()> = None;
        let r = match negotiated {
            Some(params) => {
                println!("     {params:?}");
                Ok(())
            }
            None => Err(io::Error::other(
                "not negotiated (or built without deflate)",
            )),
        };
        step("permessage-deflate negotiated", r);
    }
    step("ascii text", client.echo_text("Hello, WebSocket!"));
    step(
        "chinese text",
        client.echo_text("你好，世界！这是一个多字节的UTF-8消息。"),
    );
    let all_bytes: Vec<u8> = (0..=255).collect();
    step(
        "binary with all 256 byte values",
        client.echo_binary(&all_bytes),
    );
    step("empty text message", client.echo_text(""));
    step("empty binary message", client.echo_binary(&[]));
    for size in [125, 126, 65_535, 65_536, 16 << 20] {
        step(
            &format!("binary of {size} bytes"),
            client.echo_binary(&pattern(size)),
        );
    }
    let burst = (|| {
        for i in 0..1000 {
            let text = format!("burst {i}");
            let socket = &mut client.socket;
            send_into(&mut socket.out, &mut socket.frame, |o| {
                socket.conn.send_text(&text, o)
            })?;
        }
        client.socket.flush()?;
        for i in 0..1000 {
            expect(client.next()?, Incoming::Text(format!("burst {i}")))?;
        }
        Ok(())
    })();
    step("1000 small messages in a burst, echoed in order", burst);
    let ping = (|| {
        client.send(|c, o| c.send_ping(b"are you there?", o))?;
        expect(client.next()?, Incoming::Pong(b"are you there?".to_vec()))
    })();
    step("ping answered by a pong with the same payload", ping);
    let close = (|| {
        let now = client.socket.now();
        client.send(|c, o| c.close(now, CloseCode::Normal, "scenario done", o))?;
        match client.next()? {
            Incoming::Close(1000, _) => Ok(()),
            other => Err(io::Error::other(format!(
                "expected Close(1000), got {other:?}"
            ))),
        }
    })();
    step("close 1000 with a reason, echoed with 1000", close);
    let fin = (|| {
        let started = std::time::Instant::now();
        while !client.eof {
            if started.elapsed() > Duration::from_secs(5) {
                return Err(io::Error::other("server did not close TCP within 5 s"));
            }
            client.eof |= client
                .socket
                .pump(|_, _, _, _| Ok(Flow::Continue))?
                .is_some();
        }
        let closed = client
            .socket
            .conn
            .closed()
            .ok_or_else(|| io::Error::other("no outcome"))?;
        if closed.clean && closed.code == CloseCode::Normal {
            Ok(())
        } else {
            Err(io::Error::other(format!("unclean end: {closed:?}")))
        }
    })();
    step(
        "server closed TCP after the closing handshake; clean close",
        fin,
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
