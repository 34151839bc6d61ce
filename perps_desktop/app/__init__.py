"""The composition root: builds the services once for the window and headless alike."""

from __future__ import annotations

from perps_desktop.app.app import App, AppState
from perps_desktop.app.budget import RateBudgetSnapshot
from perps_desktop.app.control import CoreControl
from perps_desktop.app.fleet import Fleet, FleetRow
from perps_desktop.app.journal import ActionRecord
from perps_desktop.app.remote import RemoteCore, api_base
from perps_desktop.app.replay import ReplayControl
from perps_desktop.app.snapshot import CoreSnapshot, TraceCounters
from perps_desktop.app.stop_signals import StopSignals
from perps_desktop.app.timeline import TimelineData

# The values a snapshot carries, re-exported so the window never imports `core` itself.
from perps_desktop.core.caching import CacheStats
from perps_desktop.core.models import (
    AccountState,
    ActionReport,
    ActionStep,
    Alert,
    BreakerSnapshot,
    BreakerState,
    Fill,
    MonitorSnapshot,
    Order,
    OrderRequest,
    Position,
    RecoveryAction,
    RecoveryFinding,
    RiskSnapshot,
    Severity,
    Side,
    TimingStats,
    Trace,
    TraceKind,
    TracePage,
    TraceQuery,
    TradingState,
)
from perps_desktop.core.position_facts import PositionFacts, position_facts, trigger_kind
from perps_desktop.core.stops import is_own_stop

__all__ = [
    "AccountState",
    "ActionRecord",
    "ActionReport",
    "ActionStep",
    "Alert",
    "App",
    "AppState",
    "BreakerSnapshot",
    "BreakerState",
    "CacheStats",
    "CoreControl",
    "CoreSnapshot",
    "Fill",
    "Fleet",
    "FleetRow",
    "MonitorSnapshot",
    "Order",
    "OrderRequest",
    "Position",
    "PositionFacts",
    "RateBudgetSnapshot",
    "RecoveryAction",
    "RecoveryFinding",
    "RemoteCore",
    "ReplayControl",
    "RiskSnapshot",
    "Severity",
    "Side",
    "StopSignals",
    "TimelineData",
    "TimingStats",
    "Trace",
    "TraceCounters",
    "TraceKind",
    "TracePage",
    "TraceQuery",
    "TradingState",
    "api_base",
    "is_own_stop",
    "position_facts",
    "trigger_kind",
]
