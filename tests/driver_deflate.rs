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

/// A tokio server and client over a counted pipe, opened; and the server's byte counter.
async fn open_pair(
    client: Option<DeflateConfig>,
    server: Option<DeflateConfig>,
) -> (WebSocket<Counted>, WebSocket<Counted>, Arc<AtomicUsize>) {
    let (a, b) = tokio::io::duplex(256 * 1024);
    let server_written = Arc::<AtomicUsize>::default();
    let a = Counted {
        inner: a,
        written: Arc::clone(&server_written),
    };
    let b = Counted {
        inner: b,
        written: Arc::default(),
    };
    let client_options = options(client);
    let request = ClientRequest::new("example.com", "/", client_options.new_key());
    let (server, client) = tokio::join!(
        WebSocket::accept_with(a, options(server), |_| Ok(Accept::new())),
        WebSocket::connect_with(b, &request, client_options),
    );
    (server.unwrap(), client.unwrap(), server_written)
}

#[tokio::test]
async fn a_prepared_message_goes_out_compressed_once_to_every_connection_that_can_take_it() {
    use wsmachine::deflate::{Deflater, PreparedMessage};
    // The room's server answers with server_no_context_takeover, so its compressed
    // broadcast refers to nothing earlier and suits every member.
    let server = Some(DeflateConfig::new().with_server_no_context_takeover(true));
    let text = json(20_000);
    let prepared = PreparedMessage::text(&text, &mut Deflater::new(15, true));
    let compressed = prepared.compressed().unwrap().len();
    assert!(compressed < text.len() / 3);
    // A: deflate with a full window (takes the prepared bytes); B: no deflate (plain);
    // C: deflate, but a 10-bit window for the server's compressor (its own compressor).
    let members = [
        Some(DeflateConfig::new()),
        None,
        Some(DeflateConfig::new().with_inflate_window_bits(10)),
    ];
    let mut wrote = Vec::new();
    for client in members {
        let (mut s, mut c, written) = open_pair(client, server).await;
        let before = written.load(Ordering::Relaxed);
        // Twice: the prepared payload does not depend on what went before.
        for _ in 0..2 {
            let (sent, got) = tokio::join!(s.send_prepared(&prepared), c.recv());
            sent.unwrap();
            assert!(got.unwrap().unwrap() == Message::text(text.clone()));
        }
        // The connection's own messages still go both ways around it.
        let (sent, got) = tokio::join!(s.send(Message::text("after")), c.recv());
        sent.unwrap();
        assert!(got.unwrap().unwrap() == Message::text("after"));
        let (sent, got) = tokio::join!(c.send(Message::text(json(500))), s.recv());
        sent.unwrap();
        assert!(got.unwrap().unwrap() == Message::text(json(500)));
        wrote.push(written.load(Ordering::Relaxed) - before);
    }
    // A: exactly the prepared payload twice (4-byte headers), plus "after" (7 B frame, or
    // compressed shorter).
    assert!(
        wrote[0] >= 2 * (compressed + 4) && wrote[0] <= 2 * (compressed + 4) + 7,
        "{wrote:?}, compressed {compressed}"
    );
    assert!(wrote[1] >= 2 * text.len(), "{wrote:?}");
    assert!(wrote[2] < text.len() && wrote[2] != wrote[0], "{wrote:?}");
}

#[test]
fn the_blocking_driver_sends_prepared_messages() {
    use std::io::Read;
    use wsmachine::blocking::{Options, WebSocket};
    use wsmachine::deflate::{Deflater, PreparedMessage};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let text = json(30_000);
    let prepared = PreparedMessage::binary(text.as_bytes(), &mut Deflater::new(15, true));
    let compressed = prepared.compressed().unwrap().to_vec();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let config = Config::new().with_deflate(Some(
            DeflateConfig::new().with_server_no_context_takeover(true),
        ));
        let mut ws = WebSocket::accept_with(stream, Options::new().with_config(config), |_| {
            Ok(Accept::new())
        })
        .unwrap();
        ws.send_prepared(&prepared).unwrap();
        ws.close(CloseCode::Normal, "").unwrap();
    });
    // A raw client: the frame on the wire must be the prepared bytes, RSV1 set.
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    use std::io::Write;
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
              Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        )
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
        if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_string();
    assert!(head.contains("server_no_context_takeover"), "{head}");
    while got.len() < head_end + 4 + compressed.len() {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let frame = &got[head_end..];
    assert_eq!(frame[0], 0x80 | 0x40 | 0x2, "FIN, RSV1, binary");
    assert_eq!(frame[1], 126);
    assert_eq!(
        u16::from_be_bytes([frame[2], frame[3]]) as usize,
        compressed.len()
    );
    assert_eq!(&frame[4..4 + compressed.len()], &compressed[..]);
    // Answer the server's Close so it finishes cleanly.
    stream
        .write_all(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8])
        .unwrap();
    server.join().unwrap();
}
