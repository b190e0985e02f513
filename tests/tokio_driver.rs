//! The tokio driver end to end over in-memory and loopback streams: handshake, messages,
//! cancel safety, split halves, keepalive on tokio's paused clock, closing, limits, EOF.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use wsmachine::tokio::{Chunk, Error, Message, Options, WebSocket};
use wsmachine::{Accept, ClientRequest, CloseCode, Config, Initiator, Role};

/// A client and a server WebSocket joined by an in-memory pipe of `capacity` bytes.
async fn pair_with(
    capacity: usize,
    server_options: Options,
    client_options: Options,
) -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    let (a, b) = tokio::io::duplex(capacity);
    let request = ClientRequest::new("example.com", "/chat", client_options.new_key());
    let (server, client) = tokio::join!(
        WebSocket::accept_with(a, server_options, |_| Ok(Accept::new())),
        WebSocket::connect_with(b, &request, client_options),
    );
    (server.unwrap(), client.unwrap())
}

async fn pair() -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    pair_with(64 * 1024, Options::new(), Options::new()).await
}

fn numbered(i: usize) -> Message {
    // Sizes from 1 to 300 bytes, with a multi-byte code point, so messages span reads.
    let text = format!("{i}:{}", "é".repeat(i % 150));
    if i.is_multiple_of(3) {
        Message::binary(text.into_bytes())
    } else {
        Message::text(text)
    }
}

#[tokio::test]
async fn text_binary_and_empty_messages_round_trip_both_ways() {
    let (mut server, mut client) = pair().await;
    let big = Message::binary((0..200_000u32).map(|i| i as u8).collect::<Vec<_>>());
    for message in [
        Message::text("héllo 🦀"),
        Message::binary(vec![0u8, 1, 255]),
        Message::text(""),
        Message::binary(Vec::new()),
        big,
    ] {
        // Both directions at once: a message larger than the pipe needs a reader meanwhile.
        let (sent, got) = tokio::join!(client.send(message.clone()), server.recv());
        sent.unwrap();
        let got = got.unwrap().unwrap();
        assert_eq!(got, message);
        let (sent, echo) = tokio::join!(server.send(got), client.recv());
        sent.unwrap();
        assert_eq!(echo.unwrap().unwrap(), message);
    }
}

#[tokio::test]
async fn recv_in_select_against_a_1ms_timer_loses_and_duplicates_nothing() {
    const COUNT: usize = 10_000;
    // A small pipe makes messages arrive in pieces, so the timer often wins mid-message.
    let (mut server, mut client) = pair_with(61, Options::new(), Options::new()).await;
    let sender = tokio::spawn(async move {
        for i in 0..COUNT {
            client.send(numbered(i)).await.unwrap();
        }
        client
    });
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let (mut received, mut ticks) = (0, 0u64);
    while received < COUNT {
        tokio::select! {
            message = server.recv() => {
                assert_eq!(message.unwrap().unwrap(), numbered(received), "message {received}");
                received += 1;
            }
            _ = tick.tick() => ticks += 1,
        }
    }
    let _client = sender.await.unwrap();
    assert!(
        ticks > 1,
        "the timer never interrupted recv ({ticks} ticks)"
    );
}

#[tokio::test]
async fn recv_chunk_streams_a_large_message_in_pieces() {
    let (mut server, mut client) = pair().await;
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let sent = data.clone();
    let writer = tokio::spawn(async move {
        client.send(Message::binary(sent)).await.unwrap();
        client
    });
    let (mut got, mut pieces) = (Vec::new(), 0);
    loop {
        match server.recv_chunk().await.unwrap().unwrap() {
            Chunk::Binary {
                data,
                is_first,
                is_last,
            } => {
                assert_eq!(is_first, pieces == 0);
                got.extend_from_slice(&data);
                pieces += 1;
                if is_last {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, data);
    assert!(pieces > 1, "a 1 MB message came in {pieces} piece");
    // recv during a streamed message is refused without consuming anything.
    let _client = writer.await.unwrap();
}

#[tokio::test]
async fn recv_refuses_to_assemble_the_rest_of_a_streamed_message() {
    let (mut server, client) = pair_with(64, Options::new(), Options::new()).await;
    let mut client = client;
    let writer = tokio::spawn(async move {
        client
            .send(Message::text("x".repeat(10_000)))
            .await
            .unwrap();
        client.send(Message::text("next")).await.unwrap();
        client
    });
    let Chunk::Text { text, is_last, .. } = server.recv_chunk().await.unwrap().unwrap() else {
        panic!("expected text");
    };
    assert!(!is_last);
    assert!(matches!(
        server.recv().await,
        Some(Err(Error::MessageInProgress))
    ));
    let mut total = text.len();
    loop {
        let Chunk::Text { text, is_last, .. } = server.recv_chunk().await.unwrap().unwrap() else {
            panic!("expected text");
        };
        total += text.len();
        if is_last {
            break;
        }
    }
    assert_eq!(total, 10_000);
    assert_eq!(server.recv().await.unwrap().unwrap(), Message::text("next"));
    let _client = writer.await.unwrap();
}

#[tokio::test]
async fn split_halves_echo_from_two_tasks() {
    const COUNT: usize = 2_000;
    let (server, client) = pair_with(1024, Options::new(), Options::new()).await;
    let (mut server_rx, mut server_tx) = server.split();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let reader = tokio::spawn(async move {
        while let Some(message) = server_rx.recv().await {
            if let m @ (Message::Text(_) | Message::Binary(_)) = message.unwrap() {
                tx.send(m).await.unwrap();
            }
        }
    });
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            server_tx.send(message).await.unwrap();
        }
    });
    let (mut client_rx, mut client_tx) = client.split();
    let (all_back, wait_all_back) = tokio::sync::oneshot::channel();
    let sender = tokio::spawn(async move {
        for i in 0..COUNT {
            client_tx.send(numbered(i)).await.unwrap();
        }
        // Close only once every echo is back: the server stops sending once it echoes it.
        wait_all_back.await.unwrap();
        client_tx.close(CloseCode::Normal, "done").await.unwrap();
    });
    for i in 0..COUNT {
        let got = tokio::time::timeout(Duration::from_secs(5), client_rx.recv()).await;
        assert_eq!(
            got.unwrap_or_else(|_| panic!("echo {i}")).unwrap().unwrap(),
            numbered(i)
        );
    }
    all_back.send(()).unwrap();
    // Then the server's echo of our Close, and the clean end.
    assert_eq!(
        client_rx.recv().await.unwrap().unwrap(),
        Message::Close(Some((CloseCode::Normal, String::new())))
    );
    assert!(client_rx.recv().await.is_none());
    sender.await.unwrap();
    reader.await.unwrap();
    writer.await.unwrap();
}

#[tokio::test]
async fn stream_and_sink_impls_carry_messages() {
    let (mut server, mut client) = pair().await;
    client.send(Message::text("via sink")).await.unwrap(); // inherent
    SinkExt::send(&mut client, Message::text("sink"))
        .await
        .unwrap();
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::text("via sink")
    );
    assert_eq!(server.next().await.unwrap().unwrap(), Message::text("sink"));
    SinkExt::close(&mut client).await.unwrap();
    assert_eq!(
        server.next().await.unwrap().unwrap(),
        Message::Close(Some((CloseCode::Normal, String::new())))
    );
    assert!(server.next().await.is_none());
}

#[tokio::test]
async fn ping_is_answered_automatically_and_both_sides_see_it() {
    let (mut server, mut client) = pair().await;
    client.send(Message::Ping("hi".into())).await.unwrap();
    assert_eq!(
        server.recv().await.unwrap().unwrap(),
        Message::Ping("hi".into())
    );
    assert_eq!(
        client.recv().await.unwrap().unwrap(),
        Message::Pong("hi".into())
    );
}

#[tokio::test]
async fn close_handshake_ends_cleanly_on_both_sides() {
    let (mut server, mut client) = pair().await;
    let server_task = tokio::spawn(async move {
        let close = server.recv().await.unwrap().unwrap();
        assert_eq!(
            close,
            Message::Close(Some((CloseCode::Normal, "bye".into())))
        );
        assert!(server.recv().await.is_none());
        server.closed().unwrap()
    });
    client.close(CloseCode::Normal, "bye").await.unwrap();
    let client_closed = client.closed().unwrap();
    assert!(client_closed.clean);
    assert_eq!(client_closed.initiator, Initiator::Local);
    let server_closed = server_task.await.unwrap();
    assert!(server_closed.clean);
    assert_eq!(server_closed.code, CloseCode::Normal);
    assert!(client.send(Message::text("late")).await.is_err());
}

#[tokio::test]
async fn oversized_message_closes_with_1009() {
    let server_options = Options::new().with_max_message_len(1000);
    let (mut server, mut client) = pair_with(64 * 1024, server_options, Options::new()).await;
    client.send(Message::binary(vec![7u8; 2000])).await.unwrap();
    let error = server.recv().await.unwrap().unwrap_err();
    assert_eq!(
        error.close_code(),
        Some(CloseCode::MessageTooBig),
        "{error}"
    );
    assert!(server.recv().await.is_none());
    let close = client.recv().await.unwrap().unwrap();
    assert!(
        matches!(close, Message::Close(Some((CloseCode::MessageTooBig, _)))),
        "{close:?}"
    );
    let io: std::io::Error = error.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn truncated_stream_reports_1006() {
    let (a, mut raw) = tokio::io::duplex(1024);
    let mut server = WebSocket::from_upgraded(a, Role::Server, Options::new());
    // Half a masked text frame: header says 5 bytes, two arrive, then EOF.
    raw.write_all(&[0x81, 0x85, 1, 2, 3, 4, b'h' ^ 1, b'e' ^ 2])
        .await
        .unwrap();
    drop(raw);
    match server.recv().await {
        Some(Err(Error::Abnormal(closed))) => {
            assert_eq!(closed.code, CloseCode::Abnormal);
            assert!(!closed.clean);
        }
        other => panic!("expected 1006, got {other:?}"),
    }
    assert!(server.recv().await.is_none());
}

#[tokio::test]
async fn bad_upgrade_request_gets_the_engines_http_error() {
    let (a, mut raw) = tokio::io::duplex(4096);
    let accept = tokio::spawn(WebSocket::accept(a));
    raw.write_all(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    raw.read_to_end(&mut response).await.unwrap();
    assert!(
        response.starts_with(b"HTTP/1.1 405"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    let error = accept.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Engine(e) if e.http_status() == Some(405)));
}

#[tokio::test]
async fn accept_with_can_reject() {
    let (a, b) = tokio::io::duplex(4096);
    let server = WebSocket::accept_with(a, Options::new(), |request| {
        assert_eq!(request.path(), "/private");
        Err(wsmachine::Reject::new(403))
    });
    let client = WebSocket::connect(b, "example.com", "/private");
    let (server, client) = tokio::join!(server, client);
    assert!(matches!(server, Err(Error::Rejected(403))));
    let error = client.unwrap_err();
    assert!(matches!(
        error,
        Error::Engine(wsmachine::Error::Handshake(
            wsmachine::HandshakeFailure::Rejected { status: 403 }
        ))
    ));
}

#[tokio::test(start_paused = true)]
async fn keepalive_ping_is_sent_after_quiet_and_pong_keeps_the_connection() {
    let keepalive = Config::new().with_keepalive(Some(Duration::from_secs(30)));
    let options = Options::new().with_config(keepalive);
    let no_keepalive = Options::new().with_config(Config::new());
    let (mut server, mut client) = pair_with(4096, options, no_keepalive).await;
    let start = tokio::time::Instant::now();
    let client_task = tokio::spawn(async move {
        // The client's recv answers the ping (automatically) and reports it.
        let ping = client.recv().await.unwrap().unwrap();
        assert_eq!(ping, Message::Ping(Default::default()));
        client
    });
    let pong = server.recv().await.unwrap().unwrap();
    assert_eq!(pong, Message::Pong(Default::default()));
    let waited = start.elapsed();
    assert!(
        (Duration::from_secs(30)..Duration::from_secs(31)).contains(&waited),
        "{waited:?}"
    );
    let _client = client_task.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn missing_pong_drops_the_connection_after_the_pong_timeout() {
    let (a, raw) = tokio::io::duplex(4096);
    let config = Config::new()
        .with_keepalive(Some(Duration::from_secs(30)))
        .with_pong_timeout(Duration::from_secs(20));
    let mut server = WebSocket::from_upgraded(a, Role::Server, Options::new().with_config(config));
    let start = tokio::time::Instant::now();
    match server.recv().await {
        Some(Err(Error::Abnormal(closed))) => {
            assert_eq!(closed.code, CloseCode::Abnormal);
            assert_eq!(closed.initiator, Initiator::Local);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let waited = start.elapsed();
    assert!(
        (Duration::from_secs(50)..Duration::from_secs(51)).contains(&waited),
        "{waited:?}"
    );
    drop(raw);
}

#[tokio::test(start_paused = true)]
async fn unanswered_close_times_out() {
    let (a, _raw) = tokio::io::duplex(4096);
    let config = Config::new().with_close_timeout(Some(Duration::from_secs(5)));
    let mut client = WebSocket::from_upgraded(a, Role::Client, Options::new().with_config(config));
    let start = tokio::time::Instant::now();
    let error = client.close(CloseCode::Normal, "").await.unwrap_err();
    assert!(matches!(error, Error::Abnormal(closed) if closed.code == CloseCode::Abnormal));
    assert_eq!(start.elapsed().as_secs(), 5);
}

/// A transport that reads at most one byte per `poll_read`, and is pending every other call.
struct Trickle {
    inner: DuplexStream,
    pending: bool,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.pending = !self.pending;
        if self.pending {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut byte = [0u8; 1];
        let mut one = ReadBuf::new(&mut byte);
        match Pin::new(&mut self.inner).poll_read(cx, &mut one) {
            Poll::Ready(Ok(())) => {
                buf.put_slice(one.filled());
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Trickle {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        // One byte per write as well.
        Pin::new(&mut self.inner).poll_write(cx, &buf[..buf.len().min(1)])
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn one_byte_per_read_transport_carries_handshake_and_messages() {
    let (a, b) = tokio::io::duplex(4096);
    let trickle = Trickle {
        inner: a,
        pending: false,
    };
    let (server, client) = tokio::join!(
        WebSocket::accept(trickle),
        WebSocket::connect(b, "example.com", "/")
    );
    let (mut server, mut client) = (server.expect("server"), client.expect("client"));
    let messages = [
        Message::text("ünïcödé 🦀 split across reads"),
        Message::binary(vec![9u8; 3000]),
        Message::Ping("p".into()),
    ];
    for message in &messages {
        client.send(message.clone()).await.unwrap();
    }
    for message in &messages {
        let got = server.recv().await.unwrap().unwrap();
        assert_eq!(&got, message);
        if !matches!(got, Message::Ping(_)) {
            server.send(got).await.unwrap();
        }
    }
    assert_eq!(client.recv().await.unwrap().unwrap(), messages[0]);
    assert_eq!(client.recv().await.unwrap().unwrap(), messages[1]);
    assert_eq!(
        client.recv().await.unwrap().unwrap(),
        Message::Pong("p".into())
    );
}

#[tokio::test]
async fn connect_url_over_loopback_tcp() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws = WebSocket::accept(stream).await.unwrap();
        while let Some(Ok(message)) = ws.recv().await {
            if let m @ Message::Text(_) = message {
                ws.send(m).await.unwrap();
            }
        }
    });
    let mut ws = wsmachine::tokio::connect(&format!("ws://{addr}/path?q=1"))
        .await
        .unwrap();
    ws.send(Message::text("over tcp")).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("over tcp"));
    ws.close(CloseCode::Normal, "").await.unwrap();
    server.await.unwrap();
    assert!(matches!(
        wsmachine::tokio::connect("http://x/").await,
        Err(Error::InvalidUrl)
    ));
}

#[tokio::test]
async fn random_source_is_replaceable_and_the_default_draws_os_entropy() {
    // A replaced source decides the handshake key; two keys from the OS source differ.
    let fixed = Options::new().with_random(|bytes| bytes.fill(0x5a));
    assert_eq!(fixed.new_key().0, [0x5a; 16]);
    let os = Options::new();
    assert_ne!(os.new_key().0, os.new_key().0);
    // A connection whose masks come from the fixed source still talks to a default one.
    let (mut server, mut client) = pair_with(64 * 1024, Options::new(), fixed).await;
    client.send(Message::text("masked")).await.unwrap();
    assert_eq!(
        server.recv().await.unwrap().unwrap(),
        Message::text("masked")
    );
}

/// A transport that counts the reads that returned bytes.
struct CountingReads {
    inner: DuplexStream,
    reads: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl AsyncRead for CountingReads {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }
}

impl AsyncWrite for CountingReads {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn read_buffer_grows_while_a_large_message_flows() {
    // The driver starts with a 512-byte read buffer; a 1 MiB message must not be read 512
    // bytes at a time (2,048 reads): the buffer grows to its 64 KiB maximum while the
    // message flows, so about 16 reads carry it.
    let (a, b) = tokio::io::duplex(1 << 21);
    let reads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counting = CountingReads {
        inner: a,
        reads: reads.clone(),
    };
    let (server, client) = tokio::join!(
        WebSocket::accept(counting),
        WebSocket::connect(b, "example.com", "/")
    );
    let (mut server, mut client) = (server.unwrap(), client.unwrap());
    let big = Message::binary(vec![7u8; 1 << 20]);
    client.send(big.clone()).await.unwrap();
    let start = reads.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(server.recv().await.unwrap().unwrap(), big);
    let used = reads.load(std::sync::atomic::Ordering::Relaxed) - start;
    assert!(used <= 40, "1 MiB took {used} reads");
    // Small messages afterwards still arrive whole.
    client.send(Message::text("small")).await.unwrap();
    assert_eq!(
        server.recv().await.unwrap().unwrap(),
        Message::text("small")
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_write_buffer_makes_feed_wait_and_nothing_is_lost() {
    // The peer does not read: the 1 KiB pipe fills, then the 8 KiB write buffer. `feed`
    // (no flush) must then wait instead of growing the buffer; once the peer reads,
    // every message arrives, whole and in order.
    const LIMIT: usize = 8 * 1024;
    const LEN: usize = 1000;
    let client_options = Options::new().with_write_buffer_limit(LIMIT);
    let (mut server, mut client) = pair_with(1024, Options::new(), client_options).await;
    let message = |i: usize| Message::binary(vec![i as u8; LEN]);
    let mut queued = 0;
    loop {
        let feed = client.feed(message(queued));
        match tokio::time::timeout(Duration::from_millis(100), feed).await {
            Ok(done) => {
                done.unwrap();
                queued += 1;
                assert!(
                    queued < 100,
                    "feed never waited: the write buffer is unbounded"
                );
            }
            Err(_elapsed) => break,
        }
    }
    // Bounded: what was accepted fits the limit plus the pipe plus one message.
    assert!(
        queued * (LEN + 8) <= LIMIT + 1024 + LEN + 8,
        "{queued} messages queued"
    );
    assert!(queued * LEN >= LIMIT, "waited before the limit: {queued}");
    let total = queued + 3;
    let reader = tokio::spawn(async move {
        for i in 0..total {
            assert_eq!(server.recv().await.unwrap().unwrap(), message(i));
        }
    });
    for i in queued..total {
        client.send(message(i)).await.unwrap();
    }
    reader.await.unwrap();
}

/// Large server payloads are written from the caller's `Bytes` (vectored, no copy) while
/// smaller frames queue behind them: through a 1000-byte pipe (every write partial) the
/// client must see every frame whole and in order.
#[tokio::test]
async fn queued_large_and_small_frames_keep_their_order_through_partial_writes() {
    let (mut server, mut client) = pair_with(1000, Options::new(), Options::new()).await;
    let big = |len: usize, seed: u8| {
        Message::binary(
            (0..len)
                .map(|i| (i as u8) ^ seed ^ (i >> 9) as u8)
                .collect::<Vec<_>>(),
        )
    };
    let messages = [
        big(30_000, 1),
        Message::Ping("p".into()),
        Message::text("between"),
        big(20_000, 2),
        big(16_384, 3),
        Message::binary(vec![7u8; 10]),
        big(70_000, 4),
    ];
    let send_all = async {
        for message in &messages {
            server.feed(message.clone()).await.unwrap();
        }
        server.flush().await.unwrap();
        server
    };
    let receive_all = async {
        let mut got = Vec::new();
        while got.len() < messages.len() {
            let message = client.recv().await.unwrap().unwrap();
            got.push(message);
        }
        got
    };
    let (_server, got) = tokio::join!(send_all, receive_all);
    assert_eq!(got.len(), messages.len());
    for (i, (got, want)) in got.iter().zip(&messages).enumerate() {
        assert!(got == want, "message {i}");
    }
}
