"""How a bench run is shown: the machine it ran on and the table beside the report's numbers."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil

from perps_desktop.bench.runner import RowResult

__all__ = ["format_header", "format_row", "format_value", "machine_info", "verdict"]

_COLUMNS = ("row", "before", "after", "ratio", "floor", "x floor", "best peer", "ahead", "report b->a", "target",
            "verdict")
_WIDTHS = (26, 10, 10, 7, 10, 7, 10, 6, 16, 30, 7)
_LEFT = (0, 8, 9)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (JSON's "machine")."""
    import sqlite3  # here, not at the top: the window imports this package's formatting

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(terse=True),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
    }


def format_value(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if value == 0:
        text = "0"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x" if value < 100 else f"{value:.0f}x"


def verdict(row: RowResult) -> str:
    if row.error is not None:
        return "ERROR"
    return {True: "PASS", False: "MISS", None: "-"}[row.passed]


def _report(row: RowResult) -> str:
    """The report's before -> after (ms), or "-"."""
    if row.report_before_ms is None and row.report_after_ms is None:
        return "-"
    return f"{format_value(row.report_before_ms)}->{format_value(row.report_after_ms)}"


def _line(cells: tuple[str, ...]) -> str:
    pairs = enumerate(zip(cells, _WIDTHS, strict=True))
    return "  ".join(c.ljust(w) if i in _LEFT else c.rjust(w) for i, (c, w) in pairs)


def format_header() -> str:
    head = _line(_COLUMNS)
    return f"{head}\n{'-' * len(head)}"


def format_row(row: RowResult) -> str:
    unit = row.unit
    best = row.best_peer
    cells = (
        row.name,
        format_value(row.before.median if row.before else None, unit),
        format_value(row.after.median if row.after else None, unit),
        _ratio(row.ratio),
        format_value(row.floor.median if row.floor else None, unit),
        _ratio(row.floor_ratio) if row.floor_ratio is None or row.floor_ratio >= 1 else f"{row.floor_ratio:.2f}x",
        format_value(row.peers[best].median, unit) if best else "-",
        _ratio(row.peer_margin) if row.peer_margin is None or row.peer_margin >= 1 else f"{row.peer_margin:.2f}x",
        _report(row),
        row.target_summary[:30],
        verdict(row),
    )
    text = _line(cells).rstrip()
    for name, stats in row.peers.items():
        info = row.peer_info.get(name, {})
        said = ", ".join(f"{k} {v}" for k, v in info.items() if not isinstance(v, dict | list))
        text += f"\n    peer {name}: {format_value(stats.median, unit)}" + (f" ({said})" if said else "")
    if row.error:
        text += f"\n    error: {row.error}"
    return text
