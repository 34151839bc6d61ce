"""CoreSnapshot: everything the window and `headless` show, in one frozen value.

The app builds a new snapshot when the core changes (its `version` increases); the window
renders the newest one at most 10 times a second and never reaches below the app layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from perps_desktop.app.budget import RateBudgetSnapshot
from perps_desktop.app.journal import ActionRecord
from perps_desktop.core import FreshnessSnapshot
from perps_desktop.core.caching import CacheStats
from perps_desktop.core.models import (
    AccountState,
    ActionReport,
    Alert,
    BreakerSnapshot,
    Fill,
    MonitorSnapshot,
    Order,
    Position,
    RecoveryAction,
    RecoveryFinding,
    RiskSnapshot,
)

__all__ = ["CoreSnapshot", "TraceCounters"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceCounters:
    recorded: int = 0
    flushed: int = 0
    dropped: int = 0
    queued: int = 0
    per_second: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreSnapshot:
    version: int
    time_ms: int
    mode: str                                   # paper | watch | live
    network: str                                # mainnet | testnet
    address: str | None
    base_url: str
    connected: bool                             # REST answering and the stream connected (freshness)
    read_only: bool                             # watch mode or no key: every action disabled
    account: AccountState | None = None
    positions: tuple[Position, ...] = ()
    orders: tuple[Order, ...] = ()
    fills: tuple[Fill, ...] = ()                # newest first, bounded
    mids: dict[str, float] = field(default_factory=dict)
    risk: RiskSnapshot | None = None
    breakers: tuple[BreakerSnapshot, ...] = ()
    findings: tuple[RecoveryFinding, ...] = ()
    recovery_history: tuple[RecoveryAction, ...] = ()
    caches: tuple[CacheStats, ...] = ()
    monitor: MonitorSnapshot | None = None
    alerts: tuple[Alert, ...] = ()              # newest first, bounded
    traces: TraceCounters = field(default_factory=TraceCounters)
    last_action: ActionReport | None = None
    status_text: str = ""
    freshness: FreshnessSnapshot | None = None  # data ages, REST / stream reachability, stale or not
    actions: tuple[ActionRecord, ...] = ()      # the trader's actions, newest first (ActionJournal)
    pause_reason: str = ""                      # why the engine does not trade now ("" while it may)
    budget: RateBudgetSnapshot | None = None    # the venue's request budgets: weight per minute, queued requests
