"""Which benchmark rows exist: every module in `bench/cases`, in the order DESIGN.md lists them.

A row whose module fails to import (or has no `CASE`) is still listed, as a `CaseEntry` with
its error, so the suite reports it as a failed row instead of dying.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

from perps_desktop.bench import cases as _cases_pkg
from perps_desktop.bench.case import BenchCase

__all__ = ["ALL_ROWS", "CaseEntry", "discover", "load", "row_names"]

# DESIGN.md's order; rows not named here follow, alphabetically.
ALL_ROWS: tuple[str, ...] = (
    "trace_insert_100",
    "trace_read_100",
    "risk_signal_1000",
    "portfolio_risk_1000",
    "api_calls_10",
    "recovery_analysis_10x100",
    "breaker_health_50",
    "order_sign",
    "ui_loop_lag",
    "sim_throughput",
    "memory_bounded",
    "manual_close_under_load",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseEntry:
    """One discovered row: its case, or why it could not be loaded."""

    name: str
    case: BenchCase | None = None
    error: str | None = None


def row_names() -> list[str]:
    """The rows present in bench/cases, in DESIGN.md order, without importing any of them."""
    names = [m.name for m in pkgutil.iter_modules(_cases_pkg.__path__) if not m.name.startswith("_")]
    order = {n: i for i, n in enumerate(ALL_ROWS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def load(name: str) -> CaseEntry:
    """Import `bench/cases/<name>.py` and return its CASE (or the error)."""
    try:
        module = importlib.import_module(f"{_cases_pkg.__name__}.{name}")
    except Exception as exc:  # a broken row must not take the suite down
        return CaseEntry(name=name, error=f"import failed: {type(exc).__name__}: {exc}")
    case = getattr(module, "CASE", None)
    if not isinstance(case, BenchCase):
        return CaseEntry(name=name, error="module has no CASE = BenchCase(...)")
    if case.name != name:
        return CaseEntry(name=name, error=f"CASE.name is {case.name!r}, expected the module name {name!r}")
    return CaseEntry(name=name, case=case)


def discover(only: list[str] | None = None) -> list[CaseEntry]:
    """Every row in bench/cases (or those in `only`), in DESIGN.md order.

    Raises:
        ValueError: a name in `only` is not a row; the message lists the known names.
    """
    names = row_names()
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            raise ValueError(f"unknown row(s) {', '.join(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in only]
    return [load(n) for n in names]
