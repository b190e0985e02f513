"""The shared echo SCENARIO, run by a client built on Python `websockets`.

Usage: python ws_scenario_client.py ws://127.0.0.1:PORT

Same CLI as wsmachine's echo_client example (so it can stand in for it when
testing the harness). Used by scripts/interop (a) against echo_server.
Prints one line per step and exits 0 only if every step passed.

SCENARIO (shared with examples/echo_client.rs and tests/browser/scenario.js):
  1. connect offering subprotocol `chat`; `chat` must be selected
  2. ASCII text echoed; Chinese text (multi-byte UTF-8, incl. 4-byte chars)
  3. binary message with all 256 byte values
  4. empty text message and empty binary message
  5. binary messages of 125, 126, 65535, 65536 and 16 MiB bytes, byte for byte
  6. 1000 small text messages sent in a burst, all echoed in order
  7. ping with a payload answered by a pong with the same payload
  8. close with 1000 + reason; the peer's close frame must carry 1000
  9. the server closes the TCP connection after the close handshake
"""

import asyncio
import os
import random
import sys
import time

from websockets.asyncio.client import ClientConnection, connect

STEP_TIMEOUT = 30.0
TOTAL_TIMEOUT = 150.0
CLOSE_WAIT = 5.0  # how long the server gets to close TCP after the handshake

ASCII_TEXT = "Hello, wsmachine! 0123456789 ~!@#$%^&*()"
CHINESE_TEXT = "你好，世界！WebSocket 协议测试：汉字與標點。𠜎𠜱𡃁"  # 3- and 4-byte UTF-8
SIZES = [125, 126, 65535, 65536, 16 * 1024 * 1024]
BURST = 1000
PING_PAYLOAD = b"wsmachine-ping\x00\xff"
CLOSE_REASON = "scenario complete"


class TrackingConnection(ClientConnection):
    """Records when the peer half-closes (FIN) the TCP connection."""

    peer_eof_at = None

    def eof_received(self):
        if self.peer_eof_at is None:
            self.peer_eof_at = time.monotonic()
        return super().eof_received()


def payload(size):
    return random.Random(size).randbytes(size)


def describe(b):
    return f"{len(b)} bytes"


class StepFailed(Exception):
    pass


results = []


def report(ok, name, detail):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name:<34} {detail}", flush=True)


async def step(name, coro):
    t0 = time.monotonic()
    try:
        detail = await asyncio.wait_for(coro, STEP_TIMEOUT)
    except asyncio.TimeoutError:
        report(False, name, f"timed out after {STEP_TIMEOUT:.0f}s")
        raise StepFailed(name)
    except StepFailed as e:
        report(False, name, str(e.args[0]) if e.args else "")
        raise StepFailed(name)
    except Exception as e:  # connection errors etc.
        report(False, name, f"{type(e).__name__}: {e}")
        raise StepFailed(name)
    ms = (time.monotonic() - t0) * 1000
    report(True, name, f"{detail} ({ms:.0f} ms)")


async def echo(ws, message):
    """Send one message while receiving its echo concurrently."""
    _, got = await asyncio.gather(ws.send(message), ws.recv())
    if type(got) is not type(message):
        raise StepFailed(f"echo has type {type(got).__name__}, sent {type(message).__name__}")
    if got != message:
        if isinstance(message, bytes):
            n = next((i for i, (a, b) in enumerate(zip(got, message)) if a != b),
                     min(len(got), len(message)))
            raise StepFailed(f"echo differs: sent {len(message)} bytes, got {len(got)}, "
                             f"first difference at byte {n}")
        raise StepFailed(f"echo differs: sent {message[:60]!r}, got {got[:60]!r}")
    return got


async def scenario(url):
    ws = None

    async def do_connect():
        nonlocal ws
        ws = await connect(
            url,
            subprotocols=["chat"],
            max_size=None,
            max_queue=None,
            ping_interval=None,
            open_timeout=10,
            close_timeout=CLOSE_WAIT,
            create_connection=TrackingConnection,
        )
        if ws.subprotocol != "chat":
            raise StepFailed(f"negotiated subprotocol {ws.subprotocol!r}, expected 'chat'")
        return "subprotocol 'chat' negotiated"

    await step("connect (subprotocol chat)", do_connect())
    if os.environ.get("ECHO_REQUIRE_DEFLATE") == "1":
        async def deflate_negotiated():
            answer = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            if "permessage-deflate" not in answer:
                raise StepFailed(f"not negotiated (answer {answer!r})")
            return f"server answered {answer!r}; websockets compresses every message"
        await step("permessage-deflate negotiated", deflate_negotiated())
    try:
        async def text(msg):
            await echo(ws, msg)
            return f"{len(msg)} chars / {len(msg.encode())} UTF-8 bytes echoed"

        await step("text ASCII", text(ASCII_TEXT))
        await step("text Chinese (multi-byte UTF-8)", text(CHINESE_TEXT))

        async def binary(msg):
            await echo(ws, msg)
            return f"{describe(msg)} echoed byte for byte"

        await step("binary all 256 byte values", binary(bytes(range(256))))

        async def empty():
            await echo(ws, "")
            await echo(ws, b"")
            return "empty text and empty binary echoed"

        await step("empty messages", empty())
        for size in SIZES:
            label = "16 MiB" if size == 16 * 1024 * 1024 else str(size)
            await step(f"binary {label} bytes", binary(payload(size)))

        async def burst():
            msgs = [f"burst-{i:04d}" for i in range(BURST)]

            async def sender():
                for m in msgs:
                    await ws.send(m)

            async def receiver():
                got = []
                for _ in msgs:
                    got.append(await ws.recv())
                return got

            _, got = await asyncio.gather(sender(), receiver())
            for i, (a, b) in enumerate(zip(msgs, got)):
                if a != b:
                    raise StepFailed(f"message {i}: expected {a!r}, got {b!r}")
            return f"{BURST} messages echoed in order"

        await step(f"burst of {BURST} messages", burst())

        async def ping():
            # websockets resolves the waiter only for a pong whose payload
            # equals the ping's payload.
            waiter = await ws.ping(PING_PAYLOAD)
            latency = await waiter
            return f"pong with the same {len(PING_PAYLOAD)}-byte payload after {latency * 1000:.1f} ms"

        await step("ping/pong with payload", ping())

        async def close():
            await ws.close(1000, CLOSE_REASON)
            rcvd = ws.protocol.close_rcvd
            if rcvd is None:
                raise StepFailed("no close frame received from the server")
            if rcvd.code != 1000:
                raise StepFailed(f"server closed with code {rcvd.code} ({rcvd.reason!r}), expected 1000")
            return f"server answered close with code {rcvd.code}, reason {rcvd.reason!r}"

        await step("close 1000 with reason", close())

        async def tcp_closed():
            if ws.peer_eof_at is None:
                raise StepFailed(f"server did not close the TCP connection within {CLOSE_WAIT:.0f}s "
                                 "after the close handshake")
            return "server closed the TCP connection (FIN received)"

        await step("server closes TCP", tcp_closed())
    finally:
        if ws is not None:
            ws.transport.abort()


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} ws://HOST:PORT")
    url = sys.argv[1]
    print(f"scenario client (python websockets) -> {url}", flush=True)
    ok = True
    try:
        asyncio.run(asyncio.wait_for(scenario(url), TOTAL_TIMEOUT))
    except StepFailed:
        ok = False
    except asyncio.TimeoutError:
        print(f"FAIL  scenario did not finish within {TOTAL_TIMEOUT:.0f}s", flush=True)
        ok = False
    passed = sum(1 for r in results if r)
    failed = sum(1 for r in results if not r)
    print(f"scenario: {passed} passed, {failed} failed", flush=True)
    sys.exit(0 if ok and failed == 0 else 1)


if __name__ == "__main__":
    main()
