"""Start the simulator in a child process for a row: its own core and loop, the IP limit off.

A row whose client and venue share this process's loop would time the venue's CPU as well;
in a child, the venue runs on the other core as a remote one would.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

__all__ = ["sim_child"]


@contextlib.asynccontextmanager
async def sim_child(seed: int = 7) -> AsyncIterator[str]:
    """`async with sim_child() as url:` a running simulator at `url`, stopped on exit."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop.sim.cli", "--port", "0", "--seed", str(seed), "--rate-limit", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode().strip()
        if not line.startswith("simulator: http://"):
            raise RuntimeError(f"the simulator did not start: {line!r}")
        yield line.removeprefix("simulator: ")
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
