//! Inputs the optimiser cannot see through, and the two libc functions the binaries use.

use wsmachine::{Connection, Event, Instant, MaskSource, MessageKind};

/// Bytes the program reads with volatile loads, so nothing about them is known at compile
/// time: every check on the receive path stays in the binary.
pub static mut INPUT: [u8; 1024] = [0; 1024];
/// Where results go, so nothing is optimised away.
pub static mut SINK: usize = 0;

unsafe extern "C" {
    pub fn exit(code: i32) -> !;
}

/// Defines `_start` (no C runtime: the binaries link with `-nostartfiles`). The kernel
/// enters it with a 16-byte aligned stack, not the call-aligned one Rust code expects, so
/// on x86_64 it realigns before calling `main`.
macro_rules! entry {
    ($main:ident) => {
        #[cfg(target_arch = "x86_64")]
        #[unsafe(naked)]
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() -> ! {
            core::arch::naked_asm!("and rsp, -16", "call {main}", "ud2", main = sym $main)
        }

        #[cfg(not(target_arch = "x86_64"))]
        #[unsafe(no_mangle)]
        pub extern "C" fn _start() -> ! {
            $main()
        }
    };
}
pub(crate) use entry;

pub fn input() -> [u8; 1024] {
    // SAFETY: a plain volatile read of a static nobody else touches (single thread).
    unsafe { core::ptr::read_volatile(&raw const INPUT) }
}

pub fn sink(value: usize) {
    // SAFETY: as above.
    unsafe { core::ptr::write_volatile(&raw mut SINK, value) }
}

pub fn now(at: u64) -> Instant {
    Instant::from_millis(at)
}

/// Drives `conn` over `bytes` in reads of `step` bytes, echoing every chunk, answering
/// with its pending output, and exercising every command once.
pub fn drive<M: MaskSource>(conn: &mut Connection<M>, bytes: &mut [u8], step: usize) -> usize {
    let mut out = [0u8; 256];
    let mut total = 0;
    let mut start = 0;
    let mut end = 0;
    while start < bytes.len() {
        end = (end + step.max(1)).min(bytes.len());
        let Some(window) = bytes.get_mut(start..end) else {
            break;
        };
        let received = match conn.receive(now(end as u64), window) {
            Ok(received) => received,
            Err(error) => {
                total += error.close_code().map_or(0, |c| usize::from(c.0));
                break;
            }
        };
        start += received.consumed;
        match received.event {
            Some(Event::Text(chunk)) => {
                let (carried, text) = chunk.parts();
                if let Some(c) = carried {
                    let mut code_point = [0; 4];
                    let carried = c.encode_utf8(&mut code_point).as_bytes();
                    total += conn
                        .send_fragment(MessageKind::Text, carried, false, &mut out)
                        .unwrap_or(0);
                }
                total += conn
                    .send_fragment(
                        MessageKind::Text,
                        text.as_bytes(),
                        chunk.is_last(),
                        &mut out,
                    )
                    .unwrap_or(0);
            }
            Some(Event::Binary(chunk)) => {
                total += conn
                    .send_fragment(
                        MessageKind::Binary,
                        chunk.as_bytes(),
                        chunk.is_last(),
                        &mut out,
                    )
                    .unwrap_or(0);
            }
            Some(Event::Ping(payload)) => {
                total += conn.send_pong(payload.as_bytes(), &mut out).unwrap_or(0)
            }
            Some(_) => total += 1,
            None if received.consumed == 0 => break,
            None => {}
        }
        while let Ok(Some(t)) = conn.poll_transmit(&mut out) {
            total += t.len;
        }
    }
    total += conn.send_text("hi", &mut out).unwrap_or(0);
    total += conn.send_binary(&[1, 2, 3], &mut out).unwrap_or(0);
    total += conn.send_ping(b"p", &mut out).unwrap_or(0);
    if let Ok(n) = conn.begin_frame(MessageKind::Binary, 3, true, &mut out) {
        let mut payload = [4u8, 5, 6];
        total += n + usize::from(conn.frame_payload(&mut payload).is_ok());
    }
    total += conn
        .close(now(1 << 39), wsmachine::CloseCode::Normal, "bye", &mut out)
        .unwrap_or(0);
    let _ = conn.handle_timeout(now(1 << 40));
    total += conn.poll_timeout().map_or(0, |t| t.as_millis() as usize);
    total += usize::from(conn.receive_eof(now(1 << 41)).clean);
    total
}
