"""Start the simulator in a child process for a row: its own core and loop, the IP limit off.

A row whose client and venue share this process's loop would time the venue's CPU as well;
in a child, the venue runs on the other core as a remote one would. `sim_control` posts the
simulator's /sim commands (fund, fault, stats) for the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["SimChild", "sim_child", "sim_control"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SimChild:
    """A simulator running in a child process."""

    url: str                            # "http://127.0.0.1:PORT"
    pid: int

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://").rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.url.rpartition(":")[2])


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


@contextlib.asynccontextmanager
async def sim_child(seed: int = 7, *, log: Path | None = None, rate_limit: int = 0) -> AsyncIterator[SimChild]:
    """`async with sim_child() as sim:` a running simulator at `sim.url`, stopped on exit.

    With `log`, the child's stderr goes to that file and its end is quoted if the start fails.
    `rate_limit`: the venue's IP weight per minute (0, the default: off; 1200 is the venue's).
    """
    args = (sys.executable, "-m", "perps_desktop.sim.cli", "--port", "0", "--seed", str(seed),
            "--rate-limit", str(rate_limit))
    if log is None:
        proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.DEVNULL)
    else:
        with log.open("wb") as err:     # the child keeps its own handle
            proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=err)
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=60)).decode().strip()
        if not line.startswith("simulator: http://"):
            await _stop(proc)
            tail = f"; its stderr ends: {log.read_text(errors='replace')[-500:]!r}" if log is not None else ""
            raise RuntimeError(f"the simulator did not start: {line!r}{tail}")
        yield SimChild(url=line.removeprefix("simulator: "), pid=proc.pid)
    finally:
        await _stop(proc)


async def sim_control(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    """POST one /sim command; its JSON reply (a non-200 answer raises with its text)."""
    async with session.post(url + "/sim", json=body) as resp:
        if resp.status != 200:
            raise RuntimeError(f"/sim {body['type']}: HTTP {resp.status} {await resp.text()}")
        return await resp.json()
