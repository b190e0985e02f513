//! permessage-deflate through the drivers: the tokio and blocking drivers negotiate it when
//! the engine config asks, compress what they send and inflate what they receive.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use wsmachine::deflate::DeflateConfig;
use wsmachine::tokio::{Message, Options, WebSocket};
use wsmachine::{Accept, ClientRequest, CloseCode, Config};

/// A stream that counts the bytes written through it.
struct Counted {
    inner: DuplexStream,
    written: Arc<AtomicUsize>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.fetch_add(n, Ordering::Relaxed);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn options(deflate: Option<DeflateConfig>) -> Options {
    Options::new().with_config(Config::new().with_deflate(deflate))
}

/// JSON-like text: compresses well, as chat traffic does.
fn json(len: usize) -> String {
    let mut text = String::new();
    let mut i = 0u32;
    while text.len() < len {
        text.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"text\":\"hello number {}\"}},",
            i % 37,
            i.wrapping_mul(2_654_435_761) % 1000
        ));
        i += 1;
    }
    text.truncate(len);
    text
}

/// A tokio client and server over a pipe; returns the bytes each side wrote.
async fn round_trip(
    client: Option<DeflateConfig>,
    server: Option<DeflateConfig>,
    messages: &[Message],
) -> (usize, usize) {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let (server_written, client_written) = (Arc::default(), Arc::default());
    let a = Counted {
        inner: a,
        written: Arc::clone(&server_written),
    };
    let b = Counted {
        inner: b,
        written: Arc::clone(&client_written),
    };
    let client_options = options(client);
    let request = ClientRequest::new("example.com", "/", client_options.new_key());
    let (server, client) = tokio::join!(
        WebSocket::accept_with(a, options(server), |_| Ok(Accept::new())),
        WebSocket::connect_with(b, &request, client_options),
    );
    let (mut server, mut client) = (server.unwrap(), client.unwrap());
    let (s0, c0) = (
        server_written.load(Ordering::Relaxed),
        client_written.load(Ordering::Relaxed),
    );
    for message in messages {
        let (sent, got) = tokio::join!(client.send(message.clone()), server.recv());
        sent.unwrap();
        let got = got.unwrap().unwrap();
        assert!(got == *message, "client to server");
        let (sent, echo) = tokio::join!(server.send(got), client.recv());
        sent.unwrap();
        assert!(echo.unwrap().unwrap() == *message, "server to client");
    }
    let (closed, end) = tokio::join!(client.close(CloseCode::Normal, ""), async {
        let close = server.recv().await;
        (close, server.recv().await)
    });
    closed.unwrap();
    let (close, end) = end;
    assert!(matches!(close, Some(Ok(Message::Close(_)))), "{close:?}");
    assert!(end.is_none(), "a clean end");
    (
        server_written.load(Ordering::Relaxed) - s0,
        client_written.load(Ordering::Relaxed) - c0,
    )
}

fn messages() -> Vec<Message> {
    let mut messages = vec![
        Message::text(json(100_000)),
        Message::binary(json(70_000).into_bytes()),
        Message::text(""),
        Message::text("é🦀 short"),
        Message::binary(
            (0..50_000u32)
                .map(|i| (i * 7919 % 251) as u8)
                .collect::<Vec<_>>(),
        ),
    ];
    // Many small chat messages: context takeover carries the dictionary across them.
    messages.extend((0..200).map(|i| Message::text(json(100 + i))));
    messages
}

#[tokio::test]
async fn tokio_driver_negotiates_compresses_and_inflates_both_ways() {
    let messages = messages();
    let plain_len: usize = messages
        .iter()
        .map(|m| match m {
            Message::Text(t) => t.len(),
            Message::Binary(b) => b.len(),
            _ => 0,
        })
        .sum();
    let (server_wrote, client_wrote) = round_trip(
        Some(DeflateConfig::new()),
        Some(DeflateConfig::new()),
        &messages,
    )
    .await;
    // Compressed on the wire in both directions (the JSON shrinks to well under a third).
    assert!(
        server_wrote < plain_len / 3,
        "server wrote {server_wrote} of {plain_len}"
    );
    assert!(
        client_wrote < plain_len / 3,
        "client wrote {client_wrote} of {plain_len}"
    );
    // Without deflate on one side the same messages go plain, and still arrive.
    let (server_wrote, client_wrote) =
        round_trip(Some(DeflateConfig::new()), None, &messages).await;
    assert!(server_wrote >= plain_len && client_wrote >= plain_len);
}

#[tokio::test]
async fn narrow_windows_and_no_context_takeover_round_trip() {
    let client = DeflateConfig::new()
        .with_deflate_window_bits(9)
        .with_client_no_context_takeover(true);
    let server = DeflateConfig::new()
        .with_deflate_window_bits(10)
        .with_server_no_context_takeover(true);
    let messages = messages();
    round_trip(Some(client), Some(server), &messages).await;
}

#[test]
fn blocking_driver_inflates_and_compresses() {
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = Config::new().with_deflate(Some(DeflateConfig::new()));
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let options = Options::new().with_config(config);
        let mut ws =
            wsmachine::blocking::WebSocket::accept_with(stream, options, |_| Ok(Accept::new()))
                .unwrap();
        while let Some(message) = ws.recv() {
            if let m @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                ws.send(m).unwrap();
            }
        }
    });
    let options = Options::new().with_config(config);
    let request = ClientRequest::new(&addr, "/", options.new_key());
    let stream = TcpStream::connect(&addr).unwrap();
    let mut ws = wsmachine::blocking::WebSocket::connect(stream, &request, options).unwrap();
    for message in messages() {
        ws.send(message.clone()).unwrap();
        assert!(ws.recv().unwrap().unwrap() == message);
    }
    ws.close(CloseCode::Normal, "").unwrap();
    server.join().unwrap();
}
