//! The one place where the chat drives a WebSocket: both the plain room (`/ws`) and the
//! Engine.IO WebSocket transport run [`run`], which owns the engine loop (today
//! `examples/tokio_support`), so moving to another driver touches this file only.
//!
//! [`run`] feeds complete text messages to a [`Peer`] and writes the peer's outbox as text
//! frames. Writing is raced against the outbox: when the member stops reading and its
//! outbox overflows, the connection is closed with 1008 "slow consumer" (after the bytes
//! already on their way, if the peer takes them within [`CLOSE_GRACE`]).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use wsmachine::{Accept, CloseCode, Config, Connection, Event, NoMask};

use crate::room::{Item, Outbox};
use crate::tokio_support::{self, Read, Ws, queue};

/// How long a closing connection waits for its last bytes (and Close frame) to be taken.
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What the application on one WebSocket does with its messages.
pub(crate) trait Peer {
    /// One complete text message. `reply` collects texts to send right away (before the
    /// outbox); `Err` closes the connection with that code and reason.
    fn on_text(
        &mut self,
        text: &str,
        reply: &mut Vec<String>,
    ) -> Result<(), (CloseCode, &'static str)>;

    /// The queue of room messages for this connection.
    fn outbox(&self) -> &Arc<Outbox>;

    /// Whether the outbox is to be written now (an Engine.IO upgrade holds it back until
    /// the client's `5`).
    fn draining(&self) -> bool {
        true
    }

    /// A close the application wants without a message (its session ended elsewhere).
    fn ended(&self) -> Option<(CloseCode, &'static str)> {
        None
    }

    /// How long the peer may stay as it is before `on_idle` (an upgrade's deadline).
    fn deadline(&self) -> Option<tokio::time::Instant> {
        None
    }
}

/// The chat's engine settings: 16 KiB messages, keepalive from `CHAT_KEEPALIVE_SECS`,
/// permessage-deflate with the `deflate` feature (compressed broadcasts with
/// `deflate-compress`).
pub(crate) fn config(max_message_len: usize, keepalive: Option<Duration>) -> Config {
    let config = Config::new()
        .with_max_message_len(max_message_len as u64)
        .with_keepalive(keepalive)
        .with_pong_timeout(Duration::from_secs(10));
    // `--features deflate`: accept the browsers' permessage-deflate offer and inflate what
    // they send (the room's messages go out uncompressed, which RFC 7692 always allows).
    #[cfg(all(feature = "deflate", not(feature = "deflate-compress")))]
    let config = config.with_deflate(Some(wsmachine::deflate::DeflateConfig::new()));
    // `--features deflate-compress`: also send the room's broadcasts compressed, each
    // compressed once for every member; answering with server_no_context_takeover (RFC
    // 7692 §7.1.1.1 lets a server add it) makes one compressed payload fit them all.
    #[cfg(feature = "deflate-compress")]
    let config = config.with_deflate(Some(
        wsmachine::deflate::DeflateConfig::new().with_server_no_context_takeover(true),
    ));
    config
}

/// The engine for the WebSocket whose request head is `head` (already read from
/// `stream`); [`drive`] then runs it.
///
/// Callers build the engine and their peer outside the future that drives them and move
/// them into an `async` block: an `async fn` would store its arguments twice, and this
/// future is most of an idle member's memory.
pub(crate) fn accept(stream: TcpStream, head: Vec<u8>, config: Config) -> Ws<NoMask> {
    let epoch = std::time::Instant::now();
    let conn = Connection::server(config, tokio_support::now(epoch));
    Ws::with_bytes(conn, stream, epoch, head)
}

/// Runs an accepted WebSocket until either side ends it.
pub(crate) async fn drive(
    ws: &mut Ws<NoMask>,
    max_message_len: usize,
    peer: &mut impl Peer,
) -> io::Result<()> {
    let epoch = ws.epoch();
    // The message being received; no allocation while idle.
    let mut message = String::new();
    loop {
        // Everything synchronous happens in `step`, so that its temporaries are not part of
        // the state this future keeps across its awaits (an idle member's memory).
        let (close, failed) = step(ws, peer, &mut message, max_message_len, epoch);
        if close.is_some() {
            // Finish what is on its way, then stop: a slow consumer gets a short grace.
            let _ = tokio::time::timeout(CLOSE_GRACE, ws.flush()).await;
            return Ok(());
        }
        // A peer that stops reading blocks this write; its outbox overflowing ends the wait.
        tokio::select! {
            written = ws.flush() => written?,
            () = overflow(peer.outbox()) => continue,
        }
        if failed || ws.finished {
            return Ok(());
        }
        // The overflow wait above may have taken the wake-up of a push: look again.
        if peer.draining() && !peer.outbox().is_empty() && ws.conn.is_open() {
            continue;
        }
        let deadline = peer.deadline();
        let open = ws.conn.is_open();
        tokio::select! {
            read = ws.read_until(deadline) => match read? {
                Read::Eof => return Ok(()),
                Read::Bytes | Read::Timeout => {}
            },
            () = peer.outbox().ready.notified(), if open => {}
        }
    }
}

/// Feeds the received bytes to the engine and the peer, and queues the replies, the
/// outbox and any close. Returns the close (if one was queued) and whether the engine
/// failed.
fn step(
    ws: &mut Ws<NoMask>,
    peer: &mut impl Peer,
    message: &mut String,
    max_message_len: usize,
    epoch: std::time::Instant,
) -> (Option<(CloseCode, &'static str)>, bool) {
    let mut texts = Vec::new();
    let mut close = None;
    let processed = ws.process(|conn, out, event| {
        match &event {
            Event::UpgradeRequest(_) => {
                return queue(out, |buf| {
                    conn.accept(tokio_support::now(epoch), &Accept::new(), buf)
                });
            }
            Event::Binary(_) => close = Some((CloseCode::PolicyViolation, "text only")),
            Event::Text(chunk) => {
                // The engine enforces the message limit too; this keeps the string bounded.
                if message.len() + chunk.len() > max_message_len {
                    close = Some((CloseCode::MessageTooBig, "message too big"));
                } else {
                    let (carried, text) = chunk.parts();
                    message.extend(carried);
                    message.push_str(text);
                    if chunk.is_last() {
                        texts.push(std::mem::take(message));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    });
    let mut replies = Vec::new();
    for text in &texts {
        if close.is_some() || !ws.conn.is_open() {
            break;
        }
        if let Err(reason) = peer.on_text(text, &mut replies) {
            close = Some(reason);
        }
    }
    close = close.or_else(|| peer.ended());
    let overflowed = peer.outbox().overflowed();
    if overflowed {
        close = Some((CloseCode::PolicyViolation, "slow consumer"));
    }
    if ws.conn.is_open() {
        for text in replies {
            send(ws, &text);
        }
        if peer.draining() && !overflowed {
            for item in peer.outbox().drain() {
                send_item(ws, &item);
            }
        }
        if let Some((code, reason)) = close {
            let conn = &mut ws.conn;
            let _ = queue(&mut ws.out, |buf| {
                conn.close(tokio_support::now(epoch), code, reason, buf)
            });
        }
    }
    (close, processed.is_err())
}

fn send(ws: &mut Ws<NoMask>, text: &str) {
    let conn = &mut ws.conn;
    let _ = queue(&mut ws.out, |buf| conn.send_text(text, buf));
}

/// A room message: compressed once for the room where this member negotiated deflate.
fn send_item(ws: &mut Ws<NoMask>, item: &Item) {
    #[cfg(feature = "deflate-compress")]
    if ws.conn.deflate_params().is_some() {
        let (conn, prepared) = (&mut ws.conn, item.prepared());
        let _ = queue(&mut ws.out, |buf| prepared.write_to(conn, buf));
        return;
    }
    send(ws, item);
}

async fn overflow(outbox: &Outbox) {
    loop {
        let notified = outbox.ready.notified();
        if outbox.overflowed() {
            return;
        }
        notified.await;
    }
}
