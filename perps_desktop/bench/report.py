"""How a bench run is shown: the machine it ran on and the table beside the report's numbers."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil

from perps_desktop.bench.runner import RowResult

__all__ = ["format_header", "format_row", "format_value", "machine_info", "verdict"]

_COLUMNS = ("row", "before", "after", "ratio", "rep.before", "rep.after", "rep.ratio", "vs report", "target",
            "verdict")
_WIDTHS = (26, 10, 10, 8, 10, 10, 9, 10, 22, 7)


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


def _vs_report(row: RowResult) -> str:
    """How our after stands against the report's after (same unit only: ms rows)."""
    if row.after is None or not row.report_after_ms or row.unit != "ms" or row.after.median <= 0:
        return "-"
    return f"{row.report_after_ms / row.after.median:.3g}x fast" if row.report_after_ms >= row.after.median \
        else f"{row.after.median / row.report_after_ms:.3g}x slow"


def _line(cells: tuple[str, ...]) -> str:
    pairs = enumerate(zip(cells, _WIDTHS, strict=True))
    return "  ".join(c.ljust(w) if i in (0, 8) else c.rjust(w) for i, (c, w) in pairs)


def format_header() -> str:
    head = _line(_COLUMNS)
    return f"{head}\n{'-' * len(head)}"


def format_row(row: RowResult) -> str:
    unit = row.unit
    cells = (
        row.name,
        format_value(row.before.median if row.before else None, unit),
        format_value(row.after.median if row.after else None, unit),
        _ratio(row.ratio),
        format_value(row.report_before_ms, "ms" if row.report_before_ms is not None else ""),
        format_value(row.report_after_ms, "ms" if row.report_after_ms is not None else ""),
        _ratio(row.report_ratio),
        _vs_report(row),
        row.target_summary[:22],
        verdict(row),
    )
    text = _line(cells).rstrip()
    if row.error:
        text += f"\n    error: {row.error}"
    return text
