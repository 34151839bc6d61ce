"""Is a row slower than before? `--compare FILE` against a saved run, and alerts against the last run.

One rule for both: a row regresses when its "after" median is more than 20% worse than the
reference (slower for timings, lower for throughput rows).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perps_desktop.bench.runner import RowResult
from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import Alert, Severity

__all__ = ["REGRESSION_THRESHOLD", "compare_rows", "load_saved", "regression_alert", "worse_by"]

REGRESSION_THRESHOLD = 0.20


def worse_by(now: float, then: float, *, higher_is_better: bool = False) -> float | None:
    """How much worse `now` is than `then`, as a fraction (0.25 = 25% worse; negative = better)."""
    if higher_is_better:
        return then / now - 1.0 if now > 0 else None
    return now / then - 1.0 if then > 0 else None


def load_saved(path: Path) -> dict[str, dict[str, Any]]:
    """The rows of a `--json` file by name. Raises ValueError if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["rows"]
        return {r["name"]: r for r in rows}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a saved `bench --json` run ({exc})") from exc


def compare_rows(rows: list[RowResult], saved: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per row also in `saved`: its saved after median, the change in percent, and whether it regressed."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        ref = saved.get(row.name)
        then = ((ref or {}).get("after_ms") or {}).get("median")
        if row.after is None or then is None:
            continue
        change = worse_by(row.after.median, float(then), higher_is_better=row.higher_is_better)
        out[row.name] = {
            "saved_after_median": then,
            "change_pct": None if change is None else round(change * 100.0, 1),
            "regressed": change is not None and change > REGRESSION_THRESHOLD,
        }
    return out


def regression_alert(row: RowResult, last: dict[str, Any] | None) -> Alert | None:
    """An alert when `row` is >20% worse than the last run's result of the same row, else None."""
    if row.after is None or not last or last.get("after") is None:
        return None
    change = worse_by(row.after.median, float(last["after"]), higher_is_better=row.higher_is_better)
    if change is None or change <= REGRESSION_THRESHOLD:
        return None
    return Alert(
        key=f"bench.regression.{row.name}", source="bench", severity=Severity.WARNING,
        message=(f"{row.name} regressed {change * 100:.0f}%: after median {row.after.median:.4g} {row.unit} "
                 f"vs {float(last['after']):.4g} {row.unit} in the last run"),
        time_ms=wall_ms(),
    )
