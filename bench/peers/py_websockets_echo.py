#!/usr/bin/python3
"""py_websockets_echo.py - a minimal Python `websockets` (10.4, Debian's
python3-websockets) echo server, one of the peers `bench/run` measures wsx
against. Listens on 127.0.0.1:PORT and sends every text or binary message back
as it came (same type). Run with /usr/bin/python3: py_websockets_echo.py PORT"""
import asyncio
import signal
import sys

import websockets


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    # compression off (the client offers none anyway), messages up to 1 MiB, and a
    # listen backlog like the other servers' (asyncio's default is 100).
    async with websockets.serve(echo, "127.0.0.1", port, compression=None,
                                max_size=2**20, backlog=4096):
        print(f"py_websockets_echo: listening on 127.0.0.1:{port}", flush=True)
        await stop


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
        print("usage: py_websockets_echo.py PORT", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(int(sys.argv[1])))
