//! Async adapter: a [`Socket`] drives a [`Connection`] over any
//! [`embedded_io_async::Read`] + [`embedded_io_async::Write`] transport, such as an
//! embassy-net `TcpSocket`. See [the module overview](super) for buffers, reading, time
//! and closing. The API mirrors the [blocking one](super::embedded_io), with `async`
//! (both come from one source). A tokio stream becomes such a transport with
//! `embedded_io_adapters::tokio_1::FromTokio::new(stream)`; see the module overview for
//! which futures are cancel-safe.
//!
//! ```
//! use wsmachine::io::embedded_io_async::Socket;
//! use wsmachine::{Config, Connection, Instant, Message};
//!
//! /// Serves one connection: echoes every message until the peer closes.
//! async fn serve<T: embedded_io_async::Read + embedded_io_async::Write>(
//!     transport: T,
//!     mut clock: impl FnMut() -> Instant,
//! ) -> Result<(), wsmachine::io::Error<T::Error>> {
//!     let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 512], [0u8; 512]);
//!     let conn = Connection::server(Config::new(), clock());
//!     let mut ws = Socket::new(conn, transport, clock, &mut rx, &mut tx);
//!     ws.accept(|_request| Ok(Default::default())).await?;
//!     while let Some(message) = ws.read_message(&mut msg).await? {
//!         match message {
//!             Message::Text(text) => ws.send_text(text).await?,
//!             Message::Binary(data) => ws.send_binary(data).await?,
//!         }
//!     }
//!     Ok(())
//! }
//! ```

use embedded_io_async::{Error as _, ErrorKind, Read, Write};

use super::{Assembled, Core, Error, answer, chosen, message};
use crate::close::CloseCode;
use crate::connection::{Closed, Connection};
use crate::event::Event;
use crate::frame::{MAX_HEADER_LEN, MaskSource};
use crate::message::{Message, MessageAssembler, MessageKind};
use crate::time::Instant;
use crate::{Accept, ClientRequest, Reject, Request};

super::socket::socket!(
    "A [`Connection`] bound to an async transport, a clock and two caller buffers.",
    async,
    await
);
