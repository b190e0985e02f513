"""Autobahn|Testsuite client-role driver built on Python `websockets`.

Usage: python ws_autobahn_client.py ws://127.0.0.1:PORT AGENT

Same CLI and protocol as wsmachine's autobahn_client example; it exists only to
test scripts/autobahn itself before (or without) the Rust example:
  AUTOBAHN_CLIENT_CMD='{venv_python} scripts/ws_autobahn_client.py' scripts/autobahn client

Protocol: GET /getCaseCount (one text message with the count), then for
N in 1..count: /runCase?case=N&agent=AGENT (echo every message until the
server closes), then /updateReports?agent=AGENT. Exits non-zero if the case
count cannot be read or the report update fails.
"""

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

OPTS = dict(max_size=None, max_queue=None, compression=None, ping_interval=None,
            open_timeout=10, close_timeout=5)


async def case_count(base):
    async with connect(f"{base}/getCaseCount", **OPTS) as ws:
        return int(await asyncio.wait_for(ws.recv(), 10))


async def run_case(base, n, agent):
    try:
        async with connect(f"{base}/runCase?case={n}&agent={agent}", **OPTS) as ws:
            async for msg in ws:
                await ws.send(msg)
    except (ConnectionClosed, WebSocketException, OSError, asyncio.TimeoutError):
        pass


async def update_reports(base, agent):
    async with connect(f"{base}/updateReports?agent={agent}", **OPTS) as ws:
        try:
            await asyncio.wait_for(ws.recv(), 60)
        except ConnectionClosed:
            pass


async def main(base, agent):
    count = await case_count(base)
    print(f"{count} cases", flush=True)
    for n in range(1, count + 1):
        try:
            await asyncio.wait_for(run_case(base, n, agent), 120)
        except asyncio.TimeoutError:
            print(f"case {n}: timed out", flush=True)
        if n % 50 == 0 or n == count:
            print(f"ran {n}/{count}", flush=True)
    await update_reports(base, agent)
    print("reports updated", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} ws://HOST:PORT AGENT")
    asyncio.run(main(sys.argv[1].rstrip("/"), sys.argv[2]))
