//! A WebSocket echo server on embassy-net: each TCP connection on port 80 is upgraded by
//! wsmachine's `embedded-io-async` [`Socket`] (embassy-net's `TcpSocket` implements
//! `embedded_io_async::{Read, Write}`), then every text and binary message is sent back
//! until the peer closes.
//!
//! It builds for `thumbv7em-none-eabihf` in CI (`scripts/firmware`) to prove the adapter
//! fits the embedded async stack; it is not run there: the network driver here is a stub
//! whose link never comes up and the time driver a stub that never advances. On a board,
//! replace [`NoLink`] by the board's driver (e.g. `embassy-stm32`'s Ethernet) and drop
//! [`StubClock`] for the HAL's `time-driver-*` feature.
#![no_std]
#![no_main]

use core::task::Context;

use embassy_executor::Spawner;
use embassy_futures::join::join;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, StackResources, StaticConfigV4};
use embassy_net_driver::{Capabilities, HardwareAddress, LinkState};
use embassy_time::Duration;
use wsmachine::io::embedded_io_async::Socket;
use wsmachine::{Config, Connection, Instant, Message};

/// What one connection's loop reports when it ends early.
type WsError = wsmachine::io::Error<embassy_net::tcp::Error>;

/// Serves one accepted TCP connection: the upgrade, then echo until the peer closes.
async fn serve(socket: &mut TcpSocket<'_>) -> Result<(), WsError> {
    let clock = || Instant::from_millis(embassy_time::Instant::now().as_millis());
    let (mut rx, mut tx, mut msg) = ([0u8; 1024], [0u8; 512], [0u8; 512]);
    let conn = Connection::server(Config::new(), clock());
    let mut ws = Socket::new(conn, socket, clock, &mut rx, &mut tx);
    ws.accept(|request| {
        // Only the echo path is served; anything else gets 404 with no upgrade.
        if request.path() == "/echo" {
            Ok(Default::default())
        } else {
            Err(wsmachine::Reject::new(404))
        }
    })
    .await?;
    while let Some(message) = ws.read_message(&mut msg).await? {
        match message {
            Message::Text(text) => ws.send_text(text).await?,
            Message::Binary(data) => ws.send_binary(data).await?,
        }
    }
    Ok(())
}

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(192, 168, 1, 20), 24),
        gateway: None,
        dns_servers: Default::default(),
    });
    let mut resources = StackResources::<2>::new();
    // A real firmware seeds from a hardware RNG; the stub has none.
    let (stack, mut runner) = embassy_net::new(NoLink, config, &mut resources, 0x5eed);
    let server = async {
        let (mut rx, mut tx) = ([0u8; 1536], [0u8; 1536]);
        loop {
            let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
            socket.set_timeout(Some(Duration::from_secs(60)));
            if socket.accept(80).await.is_err() {
                continue;
            }
            // A failed session (bad request, peer violation, reset) ends only that
            // connection; the engine has already sent the HTTP error or Close.
            let _ = serve(&mut socket).await;
            socket.close();
            let _ = socket.flush().await;
        }
    };
    join(runner.run(), server).await;
}

/// A network driver whose link never comes up: it receives and transmits nothing.
struct NoLink;

/// No packet token can exist for [`NoLink`].
enum NoPacket {}

impl embassy_net_driver::RxToken for NoPacket {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, _: F) -> R {
        match self {}
    }
}

impl embassy_net_driver::TxToken for NoPacket {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, _: usize, _: F) -> R {
        match self {}
    }
}

impl embassy_net_driver::Driver for NoLink {
    type RxToken<'a> = NoPacket;
    type TxToken<'a> = NoPacket;

    fn receive(&mut self, _: &mut Context) -> Option<(NoPacket, NoPacket)> {
        None
    }

    fn transmit(&mut self, _: &mut Context) -> Option<NoPacket> {
        None
    }

    fn link_state(&mut self, _: &mut Context) -> LinkState {
        LinkState::Down
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = 1514;
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, 0x01])
    }
}

/// A time driver that stays at tick 0 and wakes timers at once (a board's HAL provides the
/// real one).
struct StubClock;

impl embassy_time_driver::Driver for StubClock {
    fn now(&self) -> u64 {
        0
    }

    fn schedule_wake(&self, _at: u64, waker: &core::task::Waker) {
        waker.wake_by_ref();
    }
}

embassy_time_driver::time_driver_impl!(static CLOCK: StubClock = StubClock);

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
