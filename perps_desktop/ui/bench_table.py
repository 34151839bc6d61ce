"""The Benchmarks dock's table: a line per row, with what it measures in plain words and its ratios."""

from __future__ import annotations

from typing import Any

from perps_desktop.bench import format_value
from perps_desktop.ui.bench_charts import median_of, times
from perps_desktop.ui.bench_series import unit_label
from perps_desktop.ui.table_model import Column, SnapshotTableModel

__all__ = ["COLUMNS", "BenchTableModel", "verdict", "with_text"]


def verdict(row: dict[str, Any]) -> str:
    if row.get("error"):
        return "ERROR"
    passed = row.get("passed")
    return "–" if passed is None else "PASS" if passed else "MISS"


def _tone(row: dict[str, Any]) -> str | None:
    return {"PASS": "pos", "MISS": "warn", "ERROR": "neg"}.get(verdict(row))


def _peer_tip(row: dict[str, Any]) -> str:
    peers = row.get("peers") or {}
    unit = unit_label(row.get("unit", "ms"))
    lines = [f"{name}: {format_value(p.get('median'), unit)}"
             + (f", weight {p['weight_per_tick']} a tick" if "weight_per_tick" in p else "")
             for name, p in peers.items()]
    lines += [f"{name}: not measured ({why})" for name, why in (row.get("peers_missing") or {}).items()]
    return "\n".join(lines) or "no peer measured for this row"


def _floor_tip(row: dict[str, Any]) -> str:
    if row.get("floor_ms") is None:
        return "no floor for this row"
    unit = unit_label(row.get("unit", "ms"))
    return f"floor {format_value(median_of(row, 'floor_ms'), unit)}: {row.get('floor_text') or ''}"


COLUMNS: tuple[Column[dict[str, Any]], ...] = (
    Column(key="name", title="Row", value=lambda r: r["name"], width=170,
           tooltip=lambda r: r.get("title") or r["name"]),
    Column(key="plain", title="What it measures", value=lambda r: r.get("plain") or r.get("title") or "", width=620,
           tooltip=lambda r: (r.get("target") or {}).get("text") or ""),
    Column(key="after", title="Now", value=lambda r: median_of(r, "after_ms"), align="right", width=80,
           header_tip="The after side's median, in the row's unit"),
    Column(key="speedup", title="× before", value=lambda r: r.get("ratio"), fmt=times, align="right", width=70,
           header_tip="How many times faster than the same code with the optimisation switched off"),
    Column(key="floor", title="× floor", value=lambda r: r.get("floor_ratio"), fmt=times, align="right", width=64,
           tooltip=_floor_tip, header_tip="How many times the least possible work (same run) it costs; target ≤ 1.6×"),
    Column(key="peer", title="vs peer", value=lambda r: r.get("peer_margin"), fmt=times, align="right", width=64,
           tooltip=_peer_tip, header_tip="How many times ahead of the best peer (> 1× = ahead)"),
    Column(key="verdict", title="Verdict", value=verdict, tone=_tone, width=64,
           tooltip=lambda r: r.get("error") or (r.get("alert") or {}).get("message") or verdict(r)),
)


def with_text(row: dict[str, Any]) -> dict[str, Any]:
    """The row plus its unit-dependent cell text."""
    return {**row, "_after": format_value(median_of(row, "after_ms"), unit_label(row.get("unit", "ms")))}


class BenchTableModel(SnapshotTableModel[dict[str, Any]]):
    """The rows of a run; shows the pre-formatted text for the unit-dependent cell, sorts by the raw value."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(COLUMNS, key=lambda r: r["name"], parent=parent)

    _TEXT = {"after": "_after"}

    def _cells(self, item: dict[str, Any]) -> list[tuple[str, Any, str | None]]:
        cells = super()._cells(item)
        for i, col in enumerate(self.columns):
            k = self._TEXT.get(col.key)
            if k is not None:
                _, value, tone = cells[i]
                cells[i] = (item[k], value, tone)
        return cells
