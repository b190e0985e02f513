//! What every firmware binary shares: semihosting output without `core::fmt`, the
//! painted stack, the exit status, the I/O buffers in static RAM, and a panic handler that
//! makes a reachable panic a link error.

use core::sync::atomic::{AtomicBool, Ordering};
use cortex_m_semihosting::{debug, hio};

/// The panic handler: with `link_time` it calls a function defined nowhere, so a binary
/// links only if no panic is reachable in it (every wsmachine binary: the whole engine,
/// handshake included); with `report` (peer crates) a panic fails the session.
macro_rules! panic_handler_for {
    (link_time) => {
        unsafe extern "C" {
            /// Deliberately undefined: a reachable panic makes the link fail.
            fn wsmachine_firmware_can_panic() -> !;
        }

        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
            // SAFETY: never runs; the call exists only to fail the link.
            unsafe { wsmachine_firmware_can_panic() }
        }
    };
    (report) => {
        /// For peer firmwares that keep panic paths: a panic fails the session.
        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
            crate::common::fail("panic")
        }
    };
}
pub(crate) use panic_handler_for;

/// A session's test data: bytes the peer sends and what the firmware must produce (wire
/// bytes, expected payloads, the step tables). It goes to its own flash section,
/// `.testdata` (memory.x), which scripts/firmware reports apart from the firmware's own
/// flash: a device receives these bytes from the network, it does not store them. Code,
/// the application's own values (host, path, key, what it sends) and the harness's
/// messages stay in `.text` and `.rodata` and are counted.
#[allow(unused_macros)] // The skeleton and the catalogue have none.
macro_rules! data {
    ($bytes:expr) => {{
        const BYTES: &[u8] = $bytes;
        // SAFETY: a section of read-only data in flash (memory.x), nothing else in it.
        #[unsafe(link_section = ".testdata")]
        static DATA: [u8; BYTES.len()] = *BYTES.first_chunk().unwrap();
        let data: &'static [u8] = &DATA;
        data
    }};
}
#[allow(unused_imports)] // The skeleton (`empty`) has no test data.
pub(crate) use data;

/// Semihosting output without `core::fmt`, which would dwarf the engine in flash.
pub fn print(parts: &[&[u8]]) {
    if let Ok(mut out) = hio::hstdout() {
        for part in parts {
            let _ = out.write_all(part);
        }
    }
}

pub fn decimal(mut n: usize, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i = i.saturating_sub(1);
        if let Some(digit) = buf.get_mut(i) {
            *digit = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            return buf.get(i..).unwrap_or_default();
        }
    }
}

unsafe extern "C" {
    /// The top of the stack, from cortex-m-rt's link.x.
    static _stack_start: u32;
}

/// Words below the live stack painted before the session, scanned after it.
const PAINTED: usize = 16 * 1024 / 4;
const PAINT: u32 = 0xdead_beef;

pub fn stack_top() -> usize {
    core::ptr::addr_of!(_stack_start) as usize
}

/// Paints the stack below the caller's frame (generous margin for this function's own).
#[inline(never)]
pub fn paint() {
    let sp = cortex_m::register::msp::read() as usize - 256;
    let mut addr = stack_top() - PAINTED * 4;
    while addr < sp {
        // SAFETY: unused stack memory below the live frames, inside RAM.
        unsafe { core::ptr::write_volatile(addr as *mut u32, PAINT) };
        addr += 4;
    }
}

/// Bytes of stack ever used: from the top down to the lowest word no longer painted.
#[inline(never)]
pub fn high_water() -> usize {
    let mut addr = stack_top() - PAINTED * 4;
    // SAFETY: reads of the painted region.
    while unsafe { core::ptr::read_volatile(addr as *const u32) } == PAINT {
        addr += 4;
    }
    stack_top() - addr
}

/// Prints `size_of` a connection for scripts/firmware (issue 14 budgets it at 448 B).
#[allow(dead_code)] // Only the binaries that hold a wsmachine connection print it.
pub fn print_size(what: &str, size: usize) {
    let mut buf = [0u8; 10];
    print(&[what.as_bytes(), b" ", decimal(size, &mut buf), b" B\n"]);
}

pub fn fail(what: &str) -> ! {
    print(&[b"FAIL: ", what.as_bytes(), b"\n"]);
    debug::exit(debug::EXIT_FAILURE);
    loop {}
}

/// `check` for step `index` of a table: the failure names the step.
#[allow(dead_code)]
pub fn check_step(ok: bool, what: &str, index: usize) {
    if !ok {
        let mut buf = [0u8; 10];
        print(&[b"step ", decimal(index, &mut buf), b": "]);
        fail(what);
    }
}

#[allow(dead_code)] // `framing` checks through `check_step` alone.
pub fn check(ok: bool, what: &str) {
    if !ok {
        fail(what);
    }
}

/// The socket's buffers, in static RAM (.bss) as in a real firmware, shared by every
/// session of a binary (they run one after the other): what arrived (a request, a
/// response, a frame; the engine unmasks payload in place, so it is writable) and what goes
/// out (a 101, a request, a pong, a close).
#[allow(dead_code)] // The skeleton (`empty`) has no session to give them to.
pub struct Io {
    pub input: [u8; 600],
    pub output: [u8; 200],
}

/// The one `Io` of the binary; call it once, before `run` (whose stack paint and high-water
/// mark then cover the sessions alone).
#[allow(dead_code)]
pub fn io() -> &'static mut Io {
    static mut IO: Io = Io {
        input: [0; 600],
        output: [0; 200],
    };
    static TAKEN: AtomicBool = AtomicBool::new(false);
    if TAKEN.swap(true, Ordering::Relaxed) {
        fail("io taken twice");
    }
    // SAFETY: `TAKEN` lets this run once, so this is the only reference to `IO` ever made.
    unsafe { &mut *core::ptr::addr_of_mut!(IO) }
}

/// Copies `bytes` to the front of `buf` as if the socket had delivered them; returns the
/// filled part.
#[allow(dead_code)]
pub fn arrive<'a>(buf: &'a mut [u8], bytes: &[u8]) -> &'a mut [u8] {
    match buf.get_mut(..bytes.len()) {
        Some(filled) => {
            filled.copy_from_slice(bytes);
            filled
        }
        None => fail("input fits"),
    }
}

/// Paints the stack, runs `session`, prints `name`'s stack high-water mark and exits 0.
pub fn run(name: &str, session: impl FnOnce()) -> ! {
    paint();
    session();
    let mut buf = [0u8; 10];
    print(&[
        name.as_bytes(),
        b": ok, stack ",
        decimal(high_water(), &mut buf),
        b" B\n",
    ]);
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}
