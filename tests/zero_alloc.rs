//! A counting global allocator (from `allocation-counter`) proves a whole session — both
//! handshakes, messages of every kind, fragments, ping/pong, close — allocates nothing.

use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Event, Instant, Key, MaskKey,
    MessageAssembler, MessageKind,
};

/// Moves everything `from` has to send into `wire`, and feeds `wire` to `to`,
/// counting whole messages and control frames; all buffers are on the stack.
fn pump<A: wsmachine::MaskSource, B: wsmachine::MaskSource>(
    from: &mut Connection<A>,
    to: &mut Connection<B>,
    wire: &mut [u8],
    mut len: usize,
) -> usize {
    let mut out = [0u8; 256];
    while let Some(t) = from.poll_transmit(&mut out).unwrap() {
        wire[len..len + t.len].copy_from_slice(&out[..t.len]);
        len += t.len;
    }
    let mut events = 0;
    let mut start = 0;
    let mut storage = [0u8; 512];
    let mut assembler = MessageAssembler::new(&mut storage);
    // Feed in 7-byte reads so headers, code points and control payloads split.
    let mut end = 0;
    while end < len {
        end = (end + 7).min(len);
        loop {
            let received = to
                .receive(Instant::from_millis(1), &mut wire[start..end])
                .unwrap();
            start += received.consumed;
            let Some(event) = received.event else { break };
            let whole = assembler.push(&event).unwrap().is_some();
            if whole || matches!(event, Event::Ping(_) | Event::Pong(_) | Event::Close(_)) {
                events += 1;
            }
        }
    }
    events
}

#[test]
fn a_full_session_allocates_nothing() {
    let info = allocation_counter::measure(|| {
        let mut seed = 7u32;
        let mask = move || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            MaskKey(seed.to_be_bytes())
        };
        let now = Instant::ZERO;
        let mut client = Connection::client(Config::new(), mask, now);
        let mut server = Connection::server(Config::new(), now);
        let mut wire = [0u8; 4096];
        let mut out = [0u8; 1024];

        let request =
            ClientRequest::new("localhost", "/chat", Key([3; 16])).with_subprotocols(&["chat"]);
        let n = client.connect(now, &request, &mut wire).unwrap();
        let mut start = 0;
        let received = server.receive(now, &mut wire[..n]).unwrap();
        assert!(matches!(received.event, Some(Event::UpgradeRequest(_))));
        start += received.consumed;
        assert_eq!(start, n);
        let n = server
            .accept(now, &Accept::new().with_subprotocol("chat"), &mut out)
            .unwrap();
        let received = client.receive(now, &mut out[..n]).unwrap();
        assert!(matches!(received.event, Some(Event::Established(_))));

        let mut len = 0;
        len += client.send_text("hello, 世界", &mut wire[len..]).unwrap();
        len += client.send_binary(&[1, 2, 3], &mut wire[len..]).unwrap();
        len += client
            .send_fragment(
                MessageKind::Text,
                "frag".as_bytes(),
                false,
                &mut wire[len..],
            )
            .unwrap();
        len += client.send_ping(b"ping!", &mut wire[len..]).unwrap();
        len += client
            .send_fragment(
                MessageKind::Text,
                "ment €".as_bytes(),
                true,
                &mut wire[len..],
            )
            .unwrap();
        len += client
            .close(now, CloseCode::Normal, "bye", &mut wire[len..])
            .unwrap();
        assert_eq!(pump(&mut client, &mut server, &mut wire, len), 5);
        // The server's pong and Close echo go back; the client, having sent Close, reports
        // only the Close.
        assert_eq!(pump(&mut server, &mut client, &mut wire, 0), 1);
        assert!(client.is_closed() && server.is_closed());
        assert!(client.receive_eof(now).clean);
    });
    assert_eq!(info.count_total, 0, "the session allocated: {info:?}");
}
