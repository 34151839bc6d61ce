"""The sections of `Settings`: one pydantic model per component, each field bounded once, here.

A section is what its component's config is built from (`BreakerConfig.from_settings` reads
`settings.breakers`, `TraceStoreConfig.from_settings` reads `settings.store`, ...); the configs do not
check the values again. Field names are the environment variables in lower case, and each field's
alias is its flat variable name (`API_READ_TIMEOUT_MS`), so `.env` files and the README's table stay
flat while the code reads `settings.exchange.api_read_timeout_ms`. `config.py` routes flat names
into their section.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

__all__ = ["SECTIONS", "BreakerSettings", "EngineSettings", "ExchangeSettings", "HealthSettings",
           "RecoverySettings", "RiskSettings", "SimSettings", "StoreSettings"]

# upper bounds shared by several settings: beyond them a value is a typo, not a choice
_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_MAX_USD = 1e12


def env(name: str) -> Any:
    """The field's alias: the variable's name as written in the environment, or in lower case."""
    return AliasChoices(name, name.lower())


def _int(default: int, name: str, *, le: int, ge: int = 0, **kw: Any) -> Any:
    """An integer setting; the upper bound is required, so no new setting is left unbounded."""
    return Field(default, ge=ge, le=le, validation_alias=env(name), **kw)


def _float(default: float, name: str, *, le: float, ge: float | None = 0.0, **kw: Any) -> Any:
    """A finite number (no inf or nan), bounded above like `_int`."""
    return Field(default, ge=ge, le=le, allow_inf_nan=False, validation_alias=env(name), **kw)


def blank_is_unset(v: Any) -> Any:
    """An optional setting given as the empty string means "not set" (as in the README's table)."""
    return None if v == "" else v


_COIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_]{0,31}")
SYMBOLS_SHAPE = "a comma-separated list of coin names (letters and digits), e.g. BTC,ETH"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")


class SimSettings(_Section):
    """The embedded simulator (paper mode)."""

    sim_seed: int = _int(7, "SIM_SEED", le=4_294_967_295)
    # the simulator's IP weight budget per minute (the venue's is 1200; 0 = unlimited)
    sim_rate_limit_per_min: int = _int(1200, "SIM_RATE_LIMIT_PER_MIN", le=1_000_000)


class StoreSettings(_Section):
    """The trace store (report); `store/store_config.py` says what each knob does."""

    trace_batch_size: int = _int(100, "TRACE_BATCH_SIZE", ge=1, le=10_000)
    trace_batch_flush_ms: int = _int(5000, "TRACE_BATCH_FLUSH_MS", ge=1, le=300_000)
    trace_cache_size: int = _int(500, "TRACE_CACHE_SIZE", le=100_000)
    trace_retention_days: int = _int(30, "TRACE_RETENTION_DAYS", ge=1, le=3650)
    trace_queue_max: int = _int(100_000, "TRACE_QUEUE_MAX", ge=1, le=1_000_000)
    trace_compress_min_bytes: int = _int(1024, "TRACE_COMPRESS_MIN_BYTES", ge=1, le=1_048_576)
    # the optimisations the benchmark's "before" side switches off
    trace_journal_mode: Literal["wal", "delete"] = Field(default="wal", validation_alias=env("TRACE_JOURNAL_MODE"))
    trace_synchronous: Literal["normal", "full"] = Field(default="normal", validation_alias=env("TRACE_SYNCHRONOUS"))
    trace_statement_cache: int = _int(128, "TRACE_STATEMENT_CACHE", le=10_000)
    trace_lazy_payload: bool = Field(default=True, validation_alias=env("TRACE_LAZY_PAYLOAD"))


class RecoverySettings(_Section):
    """Position recovery (report)."""

    max_recovery_attempts: int = _int(3, "MAX_RECOVERY_ATTEMPTS", ge=1, le=100)
    recovery_cache_ttl_ms: int = _int(5000, "RECOVERY_CACHE_TTL_MS", le=_HOUR_MS)
    recovery_alert_cooldown_ms: int = _int(300_000, "RECOVERY_ALERT_COOLDOWN_MS", le=_DAY_MS)
    recovery_history_size: int = _int(100, "RECOVERY_HISTORY_SIZE", ge=1, le=100_000)
    recovery_parallelism: int = _int(0, "RECOVERY_PARALLELISM", le=1000)
    recovery_interval_ms: int = _int(2000, "RECOVERY_INTERVAL_MS", ge=100, le=_HOUR_MS)
    stale_position_s: int = _int(600, "STALE_POSITION_S", ge=1, le=2_592_000)


class BreakerSettings(_Section):
    """The circuit breakers (report)."""

    cb_base_backoff_ms: int = _int(1000, "CB_BASE_BACKOFF_MS", ge=1, le=_HOUR_MS)
    cb_max_backoff_ms: int = _int(60_000, "CB_MAX_BACKOFF_MS", ge=1, le=_HOUR_MS)
    cb_max_recovery_attempts: int = _int(5, "CB_MAX_RECOVERY_ATTEMPTS", ge=1, le=100)
    cb_alert_cooldown_ms: int = _int(300_000, "CB_ALERT_COOLDOWN_MS", le=_DAY_MS)
    cb_failure_threshold: int = _int(5, "CB_FAILURE_THRESHOLD", ge=1, le=10_000)
    cb_failure_rate: float = _float(0.5, "CB_FAILURE_RATE", ge=None, gt=0.0, le=1.0)
    cb_window_ms: int = _int(60_000, "CB_WINDOW_MS", ge=1, le=_HOUR_MS)
    cb_half_open_max_calls: int = _int(1, "CB_HALF_OPEN_MAX_CALLS", ge=1, le=1000)


class HealthSettings(_Section):
    """The health checks behind the breakers (report)."""

    health_history_size: int = _int(500, "HEALTH_HISTORY_SIZE", ge=1, le=100_000)
    health_check_timeout_ms: int = _int(2000, "HEALTH_CHECK_TIMEOUT_MS", ge=1, le=300_000)
    health_check_interval_ms: int = _int(2000, "HEALTH_CHECK_INTERVAL_MS", ge=100, le=_HOUR_MS)
    health_check_parallel: bool = Field(default=True, validation_alias=env("HEALTH_CHECK_PARALLEL"))


class RiskSettings(_Section):
    """The risk manager (report)."""

    risk_cache_ttl_ms: int = _int(1000, "RISK_CACHE_TTL_MS", le=_HOUR_MS)
    portfolio_risk_cache_ttl_ms: int = _int(5000, "PORTFOLIO_RISK_CACHE_TTL_MS", le=_HOUR_MS)
    position_risk_cache_ttl_ms: int = _int(2000, "POSITION_RISK_CACHE_TTL_MS", le=_HOUR_MS)
    max_risk_cache_entries: int = _int(1000, "MAX_RISK_CACHE_ENTRIES", ge=1, le=1_000_000)
    max_position_notional_usd: float = _float(50_000.0, "MAX_POSITION_NOTIONAL_USD", ge=0.0, le=_MAX_USD)
    max_total_exposure_usd: float = _float(150_000.0, "MAX_TOTAL_EXPOSURE_USD", ge=0.0, le=_MAX_USD)
    max_leverage: float = _float(10.0, "MAX_LEVERAGE", ge=1.0, le=100.0)
    daily_loss_limit_usd: float = _float(5_000.0, "DAILY_LOSS_LIMIT_USD", ge=0.0, le=_MAX_USD)
    max_drawdown_pct: float = _float(20.0, "MAX_DRAWDOWN_PCT", ge=None, gt=0.0, le=100.0)
    min_liquidation_distance_pct: float = _float(5.0, "MIN_LIQUIDATION_DISTANCE_PCT", le=100.0)
    max_orders_per_minute: int = _int(60, "MAX_ORDERS_PER_MINUTE", ge=1, le=10_000)
    max_concentration_pct: float = _float(60.0, "MAX_CONCENTRATION_PCT", ge=None, gt=0.0, le=100.0)


class ExchangeSettings(_Section):
    """The exchange client (report prose)."""

    mids_cache_ttl_ms: int = _int(500, "MIDS_CACHE_TTL_MS", le=600_000)
    account_cache_ttl_ms: int = _int(2000, "ACCOUNT_CACHE_TTL_MS", le=600_000)
    orders_cache_ttl_ms: int = _int(1000, "ORDERS_CACHE_TTL_MS", le=600_000)
    api_cache_max_entries: int = _int(1000, "API_CACHE_MAX_ENTRIES", ge=1, le=1_000_000)
    api_timeout_ms: int = _int(10_000, "API_TIMEOUT_MS", ge=100, le=600_000)
    api_read_timeout_ms: int = _int(3_000, "API_READ_TIMEOUT_MS", ge=100, le=600_000)
    stale_after_ms: int = _int(10_000, "STALE_AFTER_MS", ge=100, le=600_000)
    venue_dark_alert_s: int = _int(10, "VENUE_DARK_ALERT_S", ge=1, le=3600)
    api_max_retries: int = _int(3, "API_MAX_RETRIES", le=20)
    api_single_flight: bool = Field(default=True, validation_alias=env("API_SINGLE_FLIGHT"))
    order_coalesce_ms: float = _float(2.0, "ORDER_COALESCE_MS", le=1000.0)
    rate_limit_weight_per_min: int = _int(1200, "RATE_LIMIT_WEIGHT_PER_MIN", ge=120, le=1_000_000)
    dead_man_switch_s: int | None = Field(default=None, ge=5, le=86_400, validation_alias=env("DEAD_MAN_SWITCH_S"))
    ws_heartbeat_s: float = _float(20.0, "WS_HEARTBEAT_S", ge=0.1, le=3600.0)
    api_retry_base_ms: int = _int(200, "API_RETRY_BASE_MS", ge=1, le=600_000)
    api_retry_max_ms: int = _int(5000, "API_RETRY_MAX_MS", ge=1, le=600_000)
    rate_limit_max_retries: int = _int(6, "RATE_LIMIT_MAX_RETRIES", le=100)
    order_batch_max: int = _int(40, "ORDER_BATCH_MAX", ge=1, le=1000)
    ws_reconnect_base_ms: int = _int(500, "WS_RECONNECT_BASE_MS", ge=1, le=600_000)
    ws_reconnect_max_ms: int = _int(30_000, "WS_RECONNECT_MAX_MS", ge=1, le=600_000)

    _unset_if_empty = field_validator("dead_man_switch_s", mode="before")(blank_is_unset)


class EngineSettings(_Section):
    """The strategy and the engine around it."""

    symbols: str = Field(default="BTC,ETH,SOL", validation_alias=env("SYMBOLS"))
    strategy_interval_ms: int = _int(1000, "STRATEGY_INTERVAL_MS", ge=50, le=_HOUR_MS)
    order_size_usd: float = _float(500.0, "ORDER_SIZE_USD", ge=10.0, le=1e9)
    paper_funding_usd: float = _float(100_000.0, "PAPER_FUNDING_USD", ge=100.0, le=_MAX_USD)
    alert_history_size: int = _int(100, "ALERT_HISTORY_SIZE", ge=1, le=100_000)
    loop_lag_sample_ms: int = _int(100, "LOOP_LAG_SAMPLE_MS", ge=10, le=60_000)
    strategy_lookback: int = _int(5, "STRATEGY_LOOKBACK", ge=2, le=10_000)
    strategy_threshold_pct: float = _float(0.02, "STRATEGY_THRESHOLD_PCT", le=1000.0)
    strategy_max_position_usd: float = _float(2_000.0, "STRATEGY_MAX_POSITION_USD", le=_MAX_USD)
    order_slippage_pct: float = _float(1.0, "ORDER_SLIPPAGE_PCT", ge=None, gt=0.0, le=50.0)
    fills_kept: int = _int(200, "FILLS_KEPT", ge=1, le=100_000)
    stop_loss_pct: float = _float(2.0, "STOP_LOSS_PCT", ge=None, gt=0.0, le=50.0)

    @field_validator("symbols")
    @classmethod
    def _symbols_shape(cls, v: str) -> str:
        coins = [s.strip() for s in v.split(",")]
        if not any(coins) or not all(_COIN.fullmatch(c) for c in coins if c):
            raise ValueError(SYMBOLS_SHAPE)
        return v

    @property
    def symbol_list(self) -> tuple[str, ...]:
        return tuple(s.strip().upper() for s in self.symbols.split(",") if s.strip())


# attribute of `Settings` -> its section's model (the order of the README's table)
SECTIONS: dict[str, type[_Section]] = {
    "sim": SimSettings, "store": StoreSettings, "recovery": RecoverySettings, "breakers": BreakerSettings,
    "health": HealthSettings, "risk": RiskSettings, "exchange": ExchangeSettings, "engine": EngineSettings,
}
