//! Blocking adapter: a [`Socket`] drives a [`Connection`] over any
//! [`embedded_io::Read`] + [`embedded_io::Write`] transport. See [the module
//! overview](super) for buffers, reading, time and closing. A `std::net::TcpStream`
//! becomes such a transport with `embedded_io_adapters::std::FromStd::new(stream)`.
//!
//! ```
//! use wsmachine::io::embedded_io::Socket;
//! use wsmachine::{Config, Connection, Instant, Message};
//!
//! /// Serves one connection: echoes every message until the peer closes.
//! fn serve<T: embedded_io::Read + embedded_io::Write>(
//!     transport: T,
//!     mut clock: impl FnMut() -> Instant,
//! ) -> Result<(), wsmachine::io::Error<T::Error>> {
//!     let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 512], [0u8; 512]);
//!     let conn = Connection::server(Config::new(), clock());
//!     let mut ws = Socket::new(conn, transport, clock, &mut rx, &mut tx);
//!     ws.accept(|request| {
//!         if request.path() == "/echo" { Ok(Default::default()) } else { Err(wsmachine::Reject::new(404)) }
//!     })?;
//!     while let Some(message) = ws.read_message(&mut msg)? {
//!         match message {
//!             Message::Text(text) => ws.send_text(text)?,
//!             Message::Binary(data) => ws.send_binary(data)?,
//!         }
//!     }
//!     Ok(())
//! }
//! ```

use embedded_io::{Error as _, ErrorKind, Read, Write};

use super::{Assembled, Core, Error, answer, chosen, message};
use crate::close::CloseCode;
use crate::connection::{Closed, Connection};
use crate::event::Event;
use crate::frame::{MAX_HEADER_LEN, MaskSource};
use crate::message::{Message, MessageAssembler, MessageKind};
use crate::time::Instant;
use crate::{Accept, ClientRequest, Reject, Request};

super::socket::socket!(
    "A [`Connection`] bound to a blocking transport, a clock and two caller buffers.",
    ,
);
