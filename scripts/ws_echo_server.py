"""WebSocket echo server built on the Python `websockets` library.

Usage: python ws_echo_server.py 127.0.0.1:PORT

Same CLI and behaviour as wsmachine's echo_server example, so it serves both as
the peer for interop (b) (echo_client against a foreign server) and as a
stand-in for echo_server when testing the harness itself:
  * echoes every text and binary message, in order, unchanged;
  * selects the subprotocol `chat` when the client offers it;
  * accepts messages up to 64 MiB (the scenario sends 16 MiB);
  * answers pings (library default) and closes TCP after the close handshake;
  * prints "listening on ws://HOST:PORT" once it accepts connections.
Runs until killed (SIGTERM/SIGINT).
"""

import asyncio
import signal
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

MAX_SIZE = 64 * 1024 * 1024


def select_subprotocol(_connection, offered):
    return "chat" if "chat" in offered else None


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass


async def main(addr):
    host, _, port = addr.rpartition(":")
    if not host or not port.isdigit():
        sys.exit(f"usage: {sys.argv[0]} HOST:PORT")
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(
        echo,
        host.strip("[]"),
        int(port),
        select_subprotocol=select_subprotocol,
        max_size=MAX_SIZE,
        max_queue=None,
        ping_interval=None,
    ):
        print(f"listening on ws://{addr}", flush=True)
        await stop


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} HOST:PORT")
    asyncio.run(main(sys.argv[1]))
