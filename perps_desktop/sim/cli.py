"""`perps-desktop simulate`: the simulator alone, until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from perps_desktop.sim.server import Simulator

__all__ = ["main", "run", "serve"]

log = logging.getLogger("perps_desktop.sim")


async def serve(host: str, port: int, seed: int, rate_limit_per_min: int = 1200,
                stop: asyncio.Event | None = None, announce: bool = False) -> None:
    """Serve until `stop` is set (or SIGINT/SIGTERM arrives); `announce` prints the URL on stdout."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        async with Simulator(host=host, port=port, seed=seed, rate_limit_per_min=rate_limit_per_min) as sim:
            log.info("simulator: %s", sim.url)
            if announce:
                print(f"simulator: {sim.url}", flush=True)
            await stop.wait()
            log.info("simulator stopping after %d requests", sim.stats()["total"])
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def run(args: argparse.Namespace, settings: Any) -> int:
    seed = args.seed if getattr(args, "seed", None) is not None else settings.sim.sim_seed
    limit = getattr(settings, "sim_rate_limit_per_min", 1200)
    try:
        asyncio.run(serve(args.host, args.port, seed, limit))
    except OSError as exc:
        log.error("simulator cannot listen on %s:%s: %s", args.host, args.port, exc)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m perps_desktop.sim.cli [--host] [--port] [--seed] [--rate-limit N]`: for child processes
    (benchmarks); prints `simulator: URL` on stdout once listening."""
    parser = argparse.ArgumentParser(prog="perps_desktop.sim.cli")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate-limit", type=int, default=1200, help="IP weight per minute (0 = unlimited)")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, args.seed, args.rate_limit, announce=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
