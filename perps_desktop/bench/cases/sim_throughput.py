"""Row sim_throughput: how many `allMids` requests per second the simulator serves over loopback.

The simulator runs alone in a child process (one core, its own loop), as `perps-desktop
simulate` does, with the IP rate limit off; this process drives it with a minimal keep-alive
HTTP/1.1 client on a few connections, so the client costs less than the server it measures.
A sample is requests per second over one burst. One side only: there is no "before".
On a busy machine the wall-clock rate understates the server; `extra` also reports the CPU time
the server process spent per request and the rate one free core would sustain at that cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import psutil

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._sim_child import sim_child

__all__ = ["CASE"]

CONNECTIONS = 8
_BODY = b'{"type":"allMids"}'


def _request(host: str, port: int) -> bytes:
    return (f"POST /info HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(_BODY)}\r\n\r\n").encode() + _BODY


async def _worker(host: str, port: int, count: int) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    req = _request(host, port)
    ok = 0
    try:
        for _ in range(count):
            writer.write(req)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200") and body.startswith(b"{"):
                ok += 1
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return ok


async def _burst(host: str, port: int, total: int) -> float:
    per = max(1, total // CONNECTIONS)
    t0 = time.perf_counter()
    done = await asyncio.gather(*(_worker(host, port, per) for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - t0
    if sum(done) != per * CONNECTIONS:
        raise RuntimeError(f"only {sum(done)} of {per * CONNECTIONS} allMids requests succeeded")
    return sum(done) / elapsed


async def run(ctx: BenchContext) -> Measurement:
    total = ctx.size(20_000, 3_000) if not ctx.smoke else 400
    async with sim_child() as sim:
        host, port = sim.host, sim.port
        child = psutil.Process(sim.pid)
        await _burst(host, port, min(total, 2_000))  # warm-up: connections, caches, JIT-free paths
        reps = 1 if ctx.smoke else (3 if ctx.quick else 5)
        cpu0 = sum(child.cpu_times()[:2])
        samples = [await _burst(host, port, total) for _ in range(reps)]
        cpu_s = sum(child.cpu_times()[:2]) - cpu0
    served = reps * (total // CONNECTIONS) * CONNECTIONS
    # CPU the server spent per request: what one core could serve if nothing else ran on it
    per_core = served / cpu_s if cpu_s > 0 else None
    return Measurement(after=samples, before=None, extra={
        "connections": CONNECTIONS, "requests": total,
        "server_cpu_us_per_request": round(cpu_s / served * 1e6, 1) if served else None,
        "capacity_per_core_req_s": round(per_core) if per_core else None})


CASE = BenchCase(
    name="sim_throughput",
    title="Simulator /info allMids throughput",
    run=run,
    unit="req/s",
    higher_is_better=True,
    target_after=3000.0,
    plain="How many price requests a second the built-in simulator answers.",
    target_text=">= 3,000 allMids requests/s over loopback (simulator in its own process)",
)
