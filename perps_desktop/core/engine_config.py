"""The engine's settings and its start-up report: plain values, apart from the loop that uses them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from perps_desktop.core.models import Order, Position

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["EngineConfig", "ReconcileReport"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineConfig:
    interval_s: float = 1.0                 # STRATEGY_INTERVAL_MS: one tick
    recovery_interval_s: float = 2.0        # RECOVERY_INTERVAL_MS
    orders_refresh_s: float = 30.0          # open orders are re-read at least this often (served by the venue's
                                            # openOrders pushes while the stream is live; else REST, weight 20)
    audit_interval_s: float = 60.0          # REST audit of account, open orders and fills (weight ~45): catches
                                            # what a push missed; slower while the rate budget is tight
    slippage_pct: float = 1.0               # ORDER_SLIPPAGE_PCT: IOC limit = mid x (1 +/- this)
    fills_kept: int = 200                   # FILLS_KEPT: newest fills held for the window
    stop_loss_pct: float = 2.0              # STOP_LOSS_PCT: each position's reduce-only stop, % from entry
    trade: bool = True                      # False in watch mode: read, judge, never send
    start_reconcile_s: float = 1.0          # start() waits this long for reconciliation; the loop goes on
    stop_grace_s: float = 1.0               # a write in flight at a stop gets this long, then is "unknown"

    @classmethod
    def from_settings(cls, settings: Settings, *, trade: bool = True) -> EngineConfig:
        s = settings.engine
        return cls(interval_s=s.strategy_interval_ms / 1000.0,
                   recovery_interval_s=settings.recovery.recovery_interval_ms / 1000.0,
                   slippage_pct=s.order_slippage_pct, fills_kept=s.fills_kept, stop_loss_pct=s.stop_loss_pct,
                   trade=trade)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileReport:
    """What the engine found on the exchange at start (published as "engine.reconciled")."""

    positions: tuple[Position, ...]
    orders: tuple[Order, ...]
    fills: int
    equity: Decimal
    time_ms: int
    message: str
