//! The one source of both `embedded-io` sockets: [`socket!`] writes the blocking
//! [`embedded_io::Socket`](super::embedded_io::Socket) when called with nothing, and the
//! async [`embedded_io_async::Socket`](super::embedded_io_async::Socket) when called with
//! `async` and `await`. The two differ only in those keywords, so they cannot drift apart.
//!
//! The IO-free logic (buffers, the engine steps, event re-borrowing) is in
//! [`Core`](super::Core); this macro holds only the loops that await the transport.

/// Generates `Socket` and its methods in the calling module, which imports the transport
/// traits (`Read`, `Write`, `ErrorKind`, the `Error` trait as `_`) of its flavour.
macro_rules! socket {
    ($doc:literal, $($async:ident)?, $($await:ident)?) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct Socket<'b, T, M, C> {
            core: Core<'b, M, C>,
            transport: T,
        }

        #[cfg(feature = "defmt")]
        impl<T, M, C> defmt::Format for Socket<'_, T, M, C> {
            fn format(&self, f: defmt::Formatter<'_>) {
                defmt::write!(f, "Socket {{ connection: {} }}", self.core.conn)
            }
        }

        impl<'b, T, M, C> Socket<'b, T, M, C>
        where
            T: Read + Write,
            M: MaskSource,
            C: FnMut() -> Instant,
        {
            /// Binds `conn` to `transport`; `clock` gives the current time; `rx` and `tx` are the
            /// receive and transmit buffers (sizes: see [the module overview](super)).
            pub fn new(
                conn: Connection<M>,
                transport: T,
                clock: C,
                rx: &'b mut [u8],
                tx: &'b mut [u8],
            ) -> Self {
                Self {
                    core: Core::new(conn, clock, rx, tx),
                    transport,
                }
            }

            /// Client: sends the upgrade request and waits for the `101` response. Returns the
            /// subprotocol the server chose, as one of those `request` offered.
            ///
            /// # Errors
            /// [`Error::Connection`] with [`HandshakeFailure`](crate::HandshakeFailure) when the
            /// server refused or answered wrongly (`Rejected { status }` for a non-101 status),
            /// or when the transport ended first ([`Misuse::ConnectionClosed`](crate::Misuse::ConnectionClosed)).
            pub $($async)? fn connect<'r>(
                &mut self,
                request: &ClientRequest<'r>,
            ) -> Result<Option<&'r str>, Error<T::Error>> {
                let now = self.core.now();
                let len = self.core.conn.connect(now, request, self.core.tx)?;
                self.write_tx(len)$(.$await)??;
                self.flush()$(.$await)??;
                let offered = request.subprotocols();
                loop {
                    let step = self
                        .core
                        .receive_with(|_, _, _, event| chosen(offered, &event));
                    match self.settle(step)$(.$await)?? {
                        Some(Some(outcome)) => return outcome.map_err(Error::Connection),
                        Some(None) => {}
                        None => self.fill_or(ended())$(.$await)??,
                    }
                }
            }

            /// Server: reads the upgrade request and lets `decide` accept it (choosing a
            /// subprotocol, adding headers) or reject it with a status; writes the answer.
            ///
            /// # Errors
            /// [`Error::Rejected`] when `decide` rejected (the response has been sent; close the
            /// transport), [`Error::Connection`] when the request was invalid (the HTTP error has
            /// been sent) or the transport ended first.
            pub $($async)? fn accept<'x>(
                &mut self,
                decide: impl FnOnce(&Request<'_>) -> Result<Accept<'x>, Reject<'x>>,
            ) -> Result<(), Error<T::Error>> {
                let mut decide = Some(decide);
                loop {
                    let step =
                        self.core
                            .receive_with(|conn, tx, now, event| match (&event, decide.take()) {
                                (Event::UpgradeRequest(request), Some(decide)) => {
                                    Some(answer(conn, tx, now, request, decide))
                                }
                                _ => None,
                            });
                    let Some(step) = self.settle(step)$(.$await)?? else {
                        self.fill_or(ended())$(.$await)??;
                        continue;
                    };
                    let Some(answered) = step else {
                        self.fill_or(ended())$(.$await)??;
                        continue;
                    };
                    let (len, accepted) = answered?;
                    self.write_tx(len)$(.$await)??;
                    self.flush()$(.$await)??;
                    if accepted {
                        return Ok(());
                    }
                    self.core.finished = true;
                    return Err(Error::Rejected);
                }
            }

            /// Reads the next whole text or binary message into `buf`; `Ok(None)` once the
            /// connection is over (see [`closed`](Self::closed)).
            ///
            /// Pings are answered, pongs and the peer's Close absorbed (the echo is sent). If the
            /// previous message was left half read (by [`read_event`](Self::read_event)), its rest
            /// is skipped.
            ///
            /// # Errors
            /// [`ProtocolViolation::MessageTooLarge`](crate::ProtocolViolation) (close code 1009)
            /// when a message does not fit in `buf`: Close 1009 has been sent; keep reading to
            /// finish the closing handshake. A peer violation (its Close has been sent), a
            /// transport error.
            pub $($async)? fn read_message<'m>(
                &mut self,
                buf: &'m mut [u8],
            ) -> Result<Option<Message<'m>>, Error<T::Error>> {
                let mut skipping = self.core.in_message();
                let mut assembler = MessageAssembler::new(&mut *buf);
                let (kind, len) = loop {
                    if self.core.finished {
                        return Ok(None);
                    }
                    let step = self.core.assemble(&mut assembler, &mut skipping);
                    match self.settle(step)$(.$await)?? {
                        Some(Assembled::Message(kind, len)) => break (kind, len),
                        Some(Assembled::TooLarge { close_len }) => {
                            self.write_tx(close_len)$(.$await)??;
                            self.drain()$(.$await)??;
                            return Err(Error::Connection(crate::Error::Protocol(
                                crate::ProtocolViolation::MessageTooLarge,
                            )));
                        }
                        Some(Assembled::Nothing) => {}
                        None => self.fill_or(Ok(()))$(.$await)??,
                    }
                };
                Ok(Some(message(buf, kind, len)))
            }

            /// Streams: the next [`Event`] (a text or binary chunk borrowing `rx`, a ping, a pong,
            /// the peer's Close); `Ok(None)` once the connection is over.
            ///
            /// Text chunks are re-borrowed from `rx` as `str` after the engine returns them, which
            /// checks their UTF-8 a second time; [`read_event_with`](Self::read_event_with)
            /// does not.
            ///
            /// # Errors
            /// A peer violation (its Close has been sent), a transport error.
            pub $($async)? fn read_event(&mut self) -> Result<Option<Event<'_>>, Error<T::Error>> {
                let located = loop {
                    if self.core.finished {
                        return Ok(None);
                    }
                    let step = self.core.next_located();
                    match self.settle(step)$(.$await)?? {
                        Some(Some(located)) => break located,
                        Some(None) => {}
                        None => self.fill_or(Ok(()))$(.$await)??,
                    }
                };
                Ok(Some(self.core.event(located)))
            }

            /// [`read_event`](Self::read_event) with the event handed to `f` where the engine
            /// returned it, so text chunks are checked for UTF-8 once: `f`'s result, or
            /// `Ok(None)` once the connection is over (then `f` is not called).
            ///
            /// `f` runs as soon as the event is decoded, before the replies its step queued (a
            /// pong, a Close echo) are written.
            ///
            /// # Errors
            /// As for `read_event`. When writing those replies fails, `f` has run and its result
            /// is dropped.
            pub $($async)? fn read_event_with<R>(
                &mut self,
                f: impl FnOnce(Event<'_>) -> R,
            ) -> Result<Option<R>, Error<T::Error>> {
                let mut f = Some(f);
                loop {
                    if self.core.finished {
                        return Ok(None);
                    }
                    let step = self.core.next_with(&mut f);
                    match self.settle(step)$(.$await)?? {
                        Some(Some(result)) => return Ok(Some(result)),
                        Some(None) => {}
                        None => self.fill_or(Ok(()))$(.$await)??,
                    }
                }
            }

            /// Sends a whole text message (one frame, of any size).
            ///
            /// # Errors
            /// [`Error::Connection`] with [`Misuse`](crate::Misuse) unless open; a transport error.
            pub $($async)? fn send_text(&mut self, text: &str) -> Result<(), Error<T::Error>> {
                self.send(MessageKind::Text, text.as_bytes())$(.$await)?
            }

            /// Sends a whole binary message (one frame, of any size).
            ///
            /// # Errors
            /// As for [`send_text`](Self::send_text).
            pub $($async)? fn send_binary(&mut self, data: &[u8]) -> Result<(), Error<T::Error>> {
                self.send(MessageKind::Binary, data)$(.$await)?
            }

            /// Sends a ping (at most 125 bytes of payload).
            ///
            /// # Errors
            /// As for [`send_text`](Self::send_text), and `ControlPayloadTooLong`.
            pub $($async)? fn send_ping(&mut self, payload: &[u8]) -> Result<(), Error<T::Error>> {
                let len = self.core.conn.send_ping(payload, self.core.tx)?;
                self.write_tx(len)$(.$await)??;
                self.drain()$(.$await)?
            }

            /// Starts the closing handshake; keep reading until `Ok(None)` to finish it.
            ///
            /// # Errors
            /// An invalid code or reason, a Close already sent, a transport error.
            pub $($async)? fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error<T::Error>> {
                let now = self.core.now();
                let len = self.core.conn.close(now, code, reason, self.core.tx)?;
                self.write_tx(len)$(.$await)??;
                self.drain()$(.$await)?
            }

            /// Fires due timers (keepalive ping, pong deadline, close timeout) and writes what they
            /// queued. `read_*` does this before each transport read.
            ///
            /// # Errors
            /// A transport error.
            pub $($async)? fn handle_timeout(&mut self) -> Result<(), Error<T::Error>> {
                self.core.tick();
                self.drain()$(.$await)?
            }

            /// When [`handle_timeout`](Self::handle_timeout) is next needed, if ever.
            pub fn poll_timeout(&self) -> Option<Instant> {
                self.core.conn.poll_timeout()
            }

            /// How the connection ended, once it has.
            pub const fn closed(&self) -> Option<Closed> {
                self.core.conn.closed()
            }

            /// The engine, for its getters.
            pub const fn connection(&self) -> &Connection<M> {
                &self.core.conn
            }

            /// The transport, to set options or close it.
            pub fn transport_mut(&mut self) -> &mut T {
                &mut self.transport
            }

            /// The transport, to close it.
            pub fn into_inner(self) -> T {
                self.transport
            }

            $($async)? fn send(&mut self, kind: MessageKind, payload: &[u8]) -> Result<(), Error<T::Error>> {
                let conn = &mut self.core.conn;
                if payload.len() + MAX_HEADER_LEN <= self.core.tx.len() {
                    let len = conn.send_fragment(kind, payload, true, self.core.tx)?;
                    self.write_tx(len)$(.$await)??;
                    return self.drain()$(.$await)?;
                }
                // Larger than `tx`: write the header, then copy the payload through `tx`.
                let len = conn.begin_frame(kind, payload.len() as u64, true, self.core.tx)?;
                self.write_tx(len)$(.$await)??;
                for piece in payload.chunks(self.core.tx.len().max(1)) {
                    let Some(dst) = self.core.tx.get_mut(..piece.len()) else {
                        break;
                    };
                    dst.copy_from_slice(piece);
                    self.core.conn.frame_payload(dst)?;
                    self.write_tx(piece.len())$(.$await)??;
                }
                self.drain()$(.$await)?
            }

            /// Drains after an engine step; passes its value on, or its error once the response
            /// the engine queued has been written.
            $($async)? fn settle<R>(&mut self, step: Result<R, crate::Error>) -> Result<R, Error<T::Error>> {
                self.drain()$(.$await)??;
                step.map_err(Error::Connection)
            }

            /// Writes everything the engine owes; honours `close_transport_after`.
            $($async)? fn drain(&mut self) -> Result<(), Error<T::Error>> {
                let mut wrote = false;
                while !self.core.finished {
                    let Some(transmit) = self.core.conn.poll_transmit(self.core.tx)? else {
                        break;
                    };
                    self.write_tx(transmit.len)$(.$await)??;
                    wrote = true;
                    self.core.finished = transmit.close_transport_after;
                }
                if wrote { self.flush()$(.$await)? } else { Ok(()) }
            }

            /// Reads more bytes (firing due timers first); on EOF returns `at_eof`.
            $($async)? fn fill_or(&mut self, at_eof: Result<(), Error<T::Error>>) -> Result<(), Error<T::Error>> {
                if self.core.finished {
                    return at_eof;
                }
                self.handle_timeout()$(.$await)??;
                if self.core.finished {
                    return at_eof;
                }
                let space = self.core.space()?;
                match self.transport.read(space)$(.$await)? {
                    Ok(n) => {
                        self.core.filled(n);
                        if n == 0 {
                            return at_eof;
                        }
                        Ok(())
                    }
                    Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::Interrupted => {
                        Ok(())
                    }
                    Err(e) => Err(Error::Io(e)),
                }
            }

            $($async)? fn write_tx(&mut self, len: usize) -> Result<(), Error<T::Error>> {
                let mut bytes = self.core.tx.get(..len).unwrap_or_default();
                while !bytes.is_empty() {
                    match self.transport.write(bytes)$(.$await)? {
                        Ok(0) => return Err(Error::WriteZero),
                        Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) => return Err(Error::Io(e)),
                    }
                }
                Ok(())
            }

            $($async)? fn flush(&mut self) -> Result<(), Error<T::Error>> {
                self.transport.flush()$(.$await)?.map_err(Error::Io)
            }
        }

        /// The transport ended during the opening handshake.
        fn ended<E>() -> Result<(), Error<E>> {
            Err(Error::Connection(crate::Error::Usage(
                crate::Misuse::ConnectionClosed,
            )))
        }
    };
}

pub(crate) use socket;
