"""The child process for rows that need Qt: runs one row on a QApplication's qasync loop.

`python -m perps_desktop.bench.isolated NAME [--quick] [--smoke] [--workdir DIR]` prints one
line `BENCH-RESULT {"after": [...], "before": [...]|null, "floor", "peers", "peer_info", "extra"}` (or `{"error": ...}`)
for `runner.py` to read. The window is offscreen: a benchmark never pops up on the desktop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from perps_desktop.bench.registry import load
from perps_desktop.bench.runner import RESULT_MARKER, make_context
from perps_desktop.config import load_settings
from perps_desktop.errors import ConfigError

__all__ = ["main"]


def _emit(payload: dict[str, object]) -> None:
    sys.stdout.write(RESULT_MARKER + json.dumps(payload, default=str) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="perps_desktop.bench.isolated")
    parser.add_argument("name")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--workdir", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    entry = load(args.name)
    if entry.case is None:
        _emit({"error": entry.error})
        return 1
    case = entry.case
    try:
        settings = load_settings()
    except ConfigError as exc:
        _emit({"error": f"ConfigError: {exc}"})
        return 1
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["perps-desktop-bench", "-platform", "offscreen"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    ctx = make_context(quick=args.quick, smoke=args.smoke, settings=settings, workdir=args.workdir)
    try:
        with loop:
            m = loop.run_until_complete(asyncio.wait_for(case.run(ctx), timeout=case.timeout_s))
    except Exception as exc:
        _emit({"error": f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__})
        return 1
    _emit({"after": list(m.after), "before": list(m.before) if m.before is not None else None,
           "floor": list(m.floor) if m.floor is not None else None, "peers": m.peers, "peer_info": m.peer_info,
           "extra": m.extra})
    return 0


if __name__ == "__main__":
    sys.exit(main())
