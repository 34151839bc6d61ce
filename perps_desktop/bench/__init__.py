"""The benchmark suite: the report's before/after rows, measured on this machine.

Rows live in `bench/cases/<name>.py` (see `case.py`); `registry` finds them, `runner` runs them,
`cli` (`perps-desktop bench`) prints, saves and streams them.
"""

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.compare import REGRESSION_THRESHOLD
from perps_desktop.bench.registry import ALL_ROWS, CaseEntry, discover, row_names
from perps_desktop.bench.report import format_value
from perps_desktop.bench.runner import RowResult, SideStats, run_entry, run_suite, side_stats

__all__ = [
    "ALL_ROWS",
    "REGRESSION_THRESHOLD",
    "BenchCase",
    "BenchContext",
    "CaseEntry",
    "Measurement",
    "RowResult",
    "SideStats",
    "discover",
    "format_value",
    "row_names",
    "run_entry",
    "run_suite",
    "side_stats",
]
