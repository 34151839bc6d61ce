"""Domain values, events and snapshots: frozen dataclasses shared by every layer.

Prices and sizes are `Decimal` (exact at the wire); risk maths and display convert to float.
Times are integer milliseconds since the epoch (`*_ms`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perps_desktop.core.caching import CacheStats

__all__ = [
    "AccountState", "ActionReport", "ActionStep", "Alert", "Asset", "BookLevel", "BreakerSnapshot",
    "BreakerState", "Candle", "Decision", "Fill", "L2Book", "MonitorSnapshot", "Order", "OrderRequest",
    "OrderResult", "OrderState", "OrderStatus", "OrderUpdate", "Position", "RecoveryAction",
    "RecoveryFinding", "RiskDecision", "RiskSnapshot", "Severity", "Side", "Signal", "Story", "StreamEvent",
    "StreamEventKind", "TimingStats", "Trace", "TraceKind", "TracePage", "TraceQuery", "TradingState",
]

class Side(enum.StrEnum):
    BUY = "B"
    SELL = "A"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class TradingState(enum.StrEnum):
    """As NautilusTrader's: REDUCING lets only orders that shrink positions pass."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REDUCE = "reduce"
    REJECT = "reject"


class BreakerState(enum.IntEnum):
    """Values are the metric's: perps_breaker_state{breaker}."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2
    FORCED_OPEN = 3
    DISABLED = 4


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2
    CRITICAL = 3


class TraceKind(enum.StrEnum):
    SIGNAL = "signal"
    RISK = "risk"
    ORDER = "order"
    FILL = "fill"
    BREAKER = "breaker"
    RECOVERY = "recovery"
    ALERT = "alert"
    ACTION = "action"
    SYSTEM = "system"


class OrderStatus(enum.StrEnum):
    RESTING = "resting"
    FILLED = "filled"
    ERROR = "error"
    CANCELED = "canceled"


# --- exchange-facing values ------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    symbol: str
    size: Decimal                       # signed: > 0 long, < 0 short
    entry_px: Decimal
    mark_px: Decimal
    unrealized_pnl: Decimal
    leverage: int
    leverage_type: str = "cross"
    liquidation_px: Decimal | None = None
    margin_used: Decimal = Decimal(0)
    position_value: Decimal = Decimal(0)
    updated_ms: int = 0
    funding_since_open: Decimal | None = None   # cumFunding.sinceOpen: > 0 paid, < 0 received

    @property
    def side(self) -> Side:
        return Side.BUY if self.size > 0 else Side.SELL

    @property
    def notional(self) -> float:
        return abs(float(self.size)) * float(self.mark_px)

    @property
    def liquidation_distance_pct(self) -> float | None:
        """How far the mark is from liquidation, in percent of the mark (None: no liquidation)."""
        if self.liquidation_px is None or self.mark_px <= 0:
            return None
        return abs(float(self.mark_px) - float(self.liquidation_px)) / float(self.mark_px) * 100.0

    @property
    def roe_pct(self) -> float | None:
        """Return on the margin put up: uPnL / (entry value / leverage), in percent (the venue's
        returnOnEquity); what a trader compares, where uPnL / value hides the leverage."""
        margin = abs(float(self.size)) * float(self.entry_px) / max(1, self.leverage)
        return float(self.unrealized_pnl) / margin * 100.0 if margin else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    oid: int
    symbol: str
    side: Side
    limit_px: Decimal
    size: Decimal                       # remaining
    orig_size: Decimal
    timestamp_ms: int
    cloid: str | None = None
    reduce_only: bool = False
    order_type: str = "Limit"
    tif: str | None = "Gtc"
    trigger_px: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    symbol: str
    side: Side
    px: Decimal
    size: Decimal
    time_ms: int
    oid: int
    tid: int
    cloid: str | None = None
    fee: Decimal = Decimal(0)
    closed_pnl: Decimal = Decimal(0)
    direction: str = ""
    crossed: bool = True
    start_position: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    address: str
    equity: Decimal                     # accountValue
    total_notional: Decimal
    margin_used: Decimal
    withdrawable: Decimal
    positions: tuple[Position, ...]
    time_ms: int
    maintenance_margin: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """One order as the core asks for it; the client rounds px/size to the venue's rules."""

    symbol: str
    is_buy: bool
    size: Decimal
    limit_px: Decimal
    reduce_only: bool = False
    tif: str = "Gtc"                    # Gtc | Ioc | Alo
    trigger_px: Decimal | None = None   # set for TP/SL trigger orders
    tpsl: str | None = None             # "tp" | "sl"
    trigger_is_market: bool = True
    cloid: str | None = None            # the client fills one in when None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderResult:
    status: OrderStatus
    cloid: str | None = None
    oid: int | None = None
    filled_size: Decimal = Decimal(0)
    avg_px: Decimal | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in (OrderStatus.RESTING, OrderStatus.FILLED, OrderStatus.CANCELED)


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    """One perp of the venue's `meta` universe; `asset_id` is its index there (the wire's `a`)."""

    name: str
    asset_id: int
    sz_decimals: int
    max_leverage: int
    only_isolated: bool = False
    is_delisted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderState:
    """An `orderStatus` answer: `status` is the venue's word (open, filled, canceled, ...,
    or "unknownOid" when the venue never saw the order)."""

    status: str
    order: Order | None = None
    status_ms: int = 0

    @property
    def known(self) -> bool:
        return self.status != "unknownOid"


@dataclass(frozen=True, slots=True, kw_only=True)
class BookLevel:
    px: Decimal
    size: Decimal
    n: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class L2Book:
    symbol: str
    time_ms: int
    bids: tuple[BookLevel, ...]         # best (highest) first
    asks: tuple[BookLevel, ...]         # best (lowest) first


@dataclass(frozen=True, slots=True, kw_only=True)
class Candle:
    symbol: str
    interval: str
    open_ms: int
    close_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trades: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdate:
    """An order's new state as pushed by the venue's orderUpdates stream."""

    order: Order
    status: str
    status_ms: int


class StreamEventKind(enum.StrEnum):
    MIDS = "mids"                       # allMids pushed
    FILLS = "fills"                     # own fills (stream, snapshot or the REST refresh after a gap)
    ORDERS = "orders"                   # own order updates
    USER = "user"                       # other user events (funding, liquidation, nonUserCancel)
    CONNECTED = "connected"             # the stream (re)connected and resubscribed
    DISCONNECTED = "disconnected"       # the stream dropped; a reconnect is under way


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamEvent:
    """One thing the exchange stream tells the engine. Fills are deduplicated by trade id."""

    kind: StreamEventKind
    time_ms: int
    mids: dict[str, Decimal] | None = None
    fills: tuple[Fill, ...] = ()
    orders: tuple[OrderUpdate, ...] = ()
    gap_fill: bool = False              # fills found by the REST refresh after a reconnect
    data: dict[str, Any] | None = None  # USER: the raw event; (DIS)CONNECTED: {"attempt": n, ...}


# --- core values -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class Signal:
    symbol: str
    side: Side
    size: Decimal
    price: Decimal
    strategy: str
    reason: str = ""
    leverage: float = 1.0
    reduce_only: bool = False
    time_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskDecision:
    decision: Decision
    size: Decimal                       # the size allowed (0 when rejected)
    reason: str
    checks: tuple[str, ...] = ()


class Story:
    """A handle on one chain of traces while it is being recorded: the id of the trace that started
    it, which the store fills in when it writes that first trace (0 until then).

    Not a value but a mutable handle, because the core records a signal and, microseconds later,
    the risk decision and order it caused, long before the store has given the signal its id. The
    store writes traces in the order they were recorded, so the first trace carrying a story is
    written first and names the chain; every later one (a fill pushed minutes later) joins it.
    """

    __slots__ = ("id",)

    def __init__(self, chain: int = 0) -> None:
        self.id = chain

    def __repr__(self) -> str:
        return f"Story({self.id})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace:
    """One recorded decision; `id` is 0 until the store assigns one.

    `chain` is the id of the trace that started its story (a signal, a manual action, a recovery
    finding, a breaker transition...): set by the store when it writes the trace, from `story`
    (the chain it was recorded in) or, with neither, the trace's own id. Traces written before
    chains existed have None.
    """

    kind: str
    time_ms: int
    id: int = 0
    symbol: str | None = None
    strategy: str | None = None
    side: str | None = None
    size: float | None = None
    price: float | None = None
    decision: str | None = None
    reason: str = ""
    latency_ms: float | None = None
    # which core wrote it ("host/0x12ab..cdef" by default): "" until the store stamps its own
    bot: str = ""
    payload: dict[str, Any] | None = None
    # the stored (maybe zstd-compressed) JSON of `payload`, set on query results instead of a
    # decoded `payload` so a page of traces costs no JSON decoding; `store.decode_payload` reads it
    payload_blob: bytes | None = field(default=None, repr=False, compare=False)
    chain: int | None = None
    story: Story | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceQuery:
    symbol: str | None = None
    kind: str | None = None
    strategy: str | None = None
    bot: str | None = None              # only this core's traces (a database several cores share)
    text: str | None = None             # full-text match on the reason
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int = 100
    offset: int = 0
    count_total: bool = False           # also count every match (TracePage.total); costs a scan
    with_payload: bool = True           # False: leave payloads out (a table view), ~15% cheaper
    chain: int | None = None            # only the traces of this chain
    # A query is the key of the store's page cache, looked up once per page read: its hash is
    # computed once here, not from its ten fields on every lookup (~1 µs each).
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash(tuple(getattr(self, name) for name in _TRACE_QUERY_KEY)))

    def __hash__(self) -> int:
        return self._hash


# the fields equality compares, so the cached hash follows them (a field added later included)
_TRACE_QUERY_KEY = tuple(f.name for f in fields(TraceQuery) if f.compare)


@dataclass(frozen=True, slots=True, kw_only=True)
class TracePage:
    traces: tuple[Trace, ...]
    offset: int
    limit: int
    total: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    key: str
    source: str
    severity: Severity
    message: str
    time_ms: int
    count: int = 1                      # repeats folded into this one by the cooldown


# --- snapshots for the window and headless ---------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerSnapshot:
    name: str
    state: BreakerState
    failures: int
    successes: int
    consecutive_failures: int
    recovery_attempts: int
    next_retry_at: float | None         # the clock's monotonic() deadline while OPEN
    last_error: str | None
    last_change_ms: int
    calls: int = 0
    rejected: int = 0
    avg_response_ms: float = 0.0
    failure_rate: float = 0.0           # share of the calls in the breaker's window that failed
    retry_in_s: float | None = None     # seconds until the next trial while OPEN (None: none planned)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskSnapshot:
    trading_state: TradingState
    state_reason: str
    equity: float
    peak_equity: float
    exposure: float
    max_exposure: float
    leverage: float
    max_leverage: float
    margin_use_pct: float
    drawdown_pct: float
    max_drawdown_pct: float
    daily_pnl: float
    daily_loss_limit: float
    concentration_pct: float = 0.0
    decisions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryFinding:
    symbol: str
    problem: str                        # oversize | overleveraged | near_liquidation | orphaned | stale | unprotected
    action: str                         # CLOSE | REDUCE | ALERT
    reason: str
    reduce_fraction: float = 0.0        # for REDUCE: the share of the position to cut
    severity: Severity = Severity.WARNING


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionStep:
    """One order or cancel that a recovery or manual action sent, with its outcome."""

    what: str                           # e.g. "close BTC 0.5", "cancel ETH oid 12"
    ok: bool
    detail: str = ""
    oid: int | None = None
    cloid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionReport:
    action: str                         # close | reduce | cancel | cancel_all | flatten_all | recovery
    ok: bool
    steps: tuple[ActionStep, ...] = ()
    message: str = ""
    time_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryAction:
    finding: RecoveryFinding
    report: ActionReport
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TimingStats:
    name: str
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorSnapshot:
    time_ms: int
    loop_lag_ms_p50: float
    loop_lag_ms_p99: float
    loop_lag_ms_last: float
    rss_bytes: int
    timings: tuple[TimingStats, ...] = ()
    counters: dict[str, int] = field(default_factory=dict)
    caches: tuple[CacheStats, ...] = ()   # every registered TTLCache's counters
