"""The window rows' child process: a `perps_desktop.ui` module run offscreen, its last JSON line read.

The bench sits below the window's layer, so rows that measure the window (`ui_loop_lag`,
`timeline_10k`) run a `python -m perps_desktop.ui.<module>` child that prints one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

__all__ = ["run_ui_child"]


async def run_ui_child(module: str, *args: str, what: str) -> dict[str, Any]:
    """Run `python -m <module> <args>`; its last JSON line, or RuntimeError naming `what` and why."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", module, *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    lines = [ln for ln in out.decode().splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = err.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
