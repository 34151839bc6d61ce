"""The window's objectNames: part of the contract (tests, screen readers and automation use them).

DESIGN.md names a few (positionsDock, positionsTable, breakersTable, flattenAllButton,
closePositionButton, resetBreakerButton, benchmarksDock); the rest follow the same pattern:
`<thing>Dock`, `<thing>Table`, `<verb><Thing>Button`. Per-row buttons share one objectName per
kind and carry the row's key in their accessibleName ("Close BTC position").
"""

from __future__ import annotations

__all__ = ["ACTION_PROPERTY", "DOCKS", "DockSpec"]

from dataclasses import dataclass

#: Dynamic property set to True on every widget that changes the account or the core; watch
#: mode disables all of them (tests check that nothing carrying it stays enabled).
ACTION_PROPERTY = "tradingAction"


@dataclass(frozen=True, slots=True, kw_only=True)
class DockSpec:
    key: str            # panel key used by the window
    object_name: str
    title: str
    shortcut: str       # show + raise the dock


DOCKS: tuple[DockSpec, ...] = (
    DockSpec(key="positions", object_name="positionsDock", title="Positions", shortcut="Ctrl+1"),
    DockSpec(key="orders", object_name="ordersDock", title="Open orders", shortcut="Ctrl+2"),
    DockSpec(key="fills", object_name="fillsDock", title="Fills", shortcut="Ctrl+3"),
    DockSpec(key="risk", object_name="riskDock", title="Risk", shortcut="Ctrl+4"),
    DockSpec(key="breakers", object_name="breakersDock", title="Breakers", shortcut="Ctrl+5"),
    DockSpec(key="recovery", object_name="recoveryDock", title="Recovery", shortcut="Ctrl+6"),
    DockSpec(key="caches", object_name="cachesDock", title="Caches", shortcut="Ctrl+7"),
    DockSpec(key="performance", object_name="performanceDock", title="Performance", shortcut="Ctrl+8"),
    DockSpec(key="traces", object_name="tracesDock", title="Traces", shortcut="Ctrl+9"),
    DockSpec(key="alerts", object_name="alertsDock", title="Alerts", shortcut="Ctrl+0"),
    DockSpec(key="actions", object_name="actionsDock", title="Actions", shortcut="Ctrl+Shift+A"),
    DockSpec(key="benchmarks", object_name="benchmarksDock", title="Benchmarks", shortcut="Ctrl+Shift+B"),
    DockSpec(key="timeline", object_name="timelineDock", title="Timeline", shortcut="Ctrl+Shift+T"),
)
