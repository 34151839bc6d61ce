"""Settings: every variable of the report, validated once at start, from the environment and `.env`.

A bad value stops start-up with one line naming the variable, the value given and what is allowed
(`ConfigError`); the CLI turns that into exit code 2. Nothing else in the package reads os.environ.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from dotenv import dotenv_values
from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from perps_desktop.errors import ConfigError

__all__ = ["APP_NAME", "Settings", "data_dir", "display_available", "load_settings", "log_dir", "refused"]

APP_NAME = "perps-desktop"

Mode = Literal["paper", "watch", "live"]
Network = Literal["mainnet", "testnet"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _env(name: str) -> Any:
    return AliasChoices(name, name.lower())


def _outside_settings(name: str) -> str | None:
    """A setting read where no Settings is at hand: the environment, else `.env` (as Settings reads it)."""
    value = os.environ.get(name)
    if value is None and Path(".env").is_file():
        value = dotenv_values(".env", encoding="utf-8").get(name)
    return value or None


def data_dir() -> Path:
    """Where the trace database and benchmark history live (PERPS_DATA_DIR overrides)."""
    override = _outside_settings("PERPS_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def attach_token() -> str | None:
    """PERPS_ATTACH_TOKEN: the API token `gui --attach` sends when no --token-file is given. Never a
    flag (a flag is in the process list); never a Setting (it is not the core's, and never shown)."""
    return os.environ.get("PERPS_ATTACH_TOKEN", "").strip() or None


def display_available() -> bool:
    """Whether Qt can open a window: a display server, or a Qt platform chosen explicitly."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def log_dir() -> Path:
    """Where the rotating log file lives (PERPS_LOG_DIR overrides)."""
    override = _outside_settings("PERPS_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


# upper bounds shared by several settings: beyond them a value is a typo, not a choice
_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_MAX_USD = 1e12


def _int(default: int, name: str, *, le: int, ge: int = 0, **kw: Any) -> Any:
    """An integer setting; the upper bound is required, so no new setting is left unbounded."""
    return Field(default, ge=ge, le=le, validation_alias=_env(name), **kw)


def _float(default: float, name: str, *, le: float, ge: float | None = 0.0, **kw: Any) -> Any:
    """A finite number (no inf or nan), bounded above like `_int`."""
    return Field(default, ge=ge, le=le, allow_inf_nan=False, validation_alias=_env(name), **kw)


def _blank_is_unset(v: Any) -> Any:
    """An optional setting given as the empty string means "not set" (as in the README's table)."""
    return None if v == "" else v


# what the text settings accept, in the words of the error line and the README's table
_SHAPES = {
    "base_url": "an http:// or https:// URL, e.g. http://127.0.0.1:8787 (empty: the embedded simulator in "
                "paper mode, the venue otherwise)",
    "address": "a 0x-prefixed 40-hex-digit address",
    "db_path": "a file path or a postgresql:// URL (empty: traces.sqlite3 in the data directory)",
    "hl_private_key": "a 0x-prefixed 64-hex-digit private key (or none: the OS keyring)",
    "data_dir": "a directory path this user can create and write (empty: the user data directory)",
    "log_dir": "a directory path this user can create and write (empty: the user log directory)",
    "bot": "a name of 1 to 100 characters, no blanks at either end (empty: the host and shortened account)",
    "symbols": "a comma-separated list of coin names (letters and digits), e.g. BTC,ETH",
}
_COIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_]{0,31}")
_HEX_KEY = re.compile(r"0x[0-9a-fA-F]{64}")


class Settings(BaseSettings):
    """All settings. Names are the environment variables; attributes are their lower-case form."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True,
        populate_by_name=True, case_sensitive=False,
    )

    # --- app -------------------------------------------------------------------------------
    mode: Mode = Field("paper", validation_alias=_env("PERPS_MODE"))
    network: Network = Field("testnet", validation_alias=_env("PERPS_NETWORK"))
    base_url: str | None = Field(None, validation_alias=_env("PERPS_BASE_URL"))
    address: str | None = Field(None, validation_alias=_env("PERPS_ADDRESS"))
    db_path: str | None = Field(None, validation_alias=_env("PERPS_DB_PATH"))   # a file, or postgresql://…
    bot: str | None = Field(None, validation_alias=_env("PERPS_BOT"), max_length=100)  # names this core's traces
    log_level: LogLevel = Field("INFO", validation_alias=_env("PERPS_LOG_LEVEL"))
    # read by data_dir() / log_dir() straight from the environment (they serve code without Settings);
    # here so a blank or padded value is refused at start like any other setting
    data_dir: str | None = Field(None, validation_alias=_env("PERPS_DATA_DIR"))
    log_dir: str | None = Field(None, validation_alias=_env("PERPS_LOG_DIR"))
    hl_private_key: SecretStr | None = Field(None, validation_alias=_env("HL_PRIVATE_KEY"), repr=False)
    sim_seed: int = _int(7, "SIM_SEED", le=4_294_967_295)
    # the simulator's IP weight budget per minute (the venue's is 1200; 0 = unlimited)
    sim_rate_limit_per_min: int = _int(1200, "SIM_RATE_LIMIT_PER_MIN", le=1_000_000)

    # --- trace store (report) --------------------------------------------------------------
    trace_batch_size: int = _int(100, "TRACE_BATCH_SIZE", ge=1, le=10_000)
    trace_batch_flush_ms: int = _int(5000, "TRACE_BATCH_FLUSH_MS", ge=1, le=300_000)
    trace_cache_size: int = _int(500, "TRACE_CACHE_SIZE", le=100_000)
    trace_retention_days: int = _int(30, "TRACE_RETENTION_DAYS", ge=1, le=3650)
    trace_queue_max: int = _int(100_000, "TRACE_QUEUE_MAX", ge=1, le=1_000_000)
    trace_compress_min_bytes: int = _int(1024, "TRACE_COMPRESS_MIN_BYTES", ge=1, le=1_048_576)
    trace_history_size: int = _int(100, "TRACE_HISTORY_SIZE", ge=1, le=100_000)
    # the optimisations the benchmark's "before" side switches off (store/store_config.py says why)
    trace_journal_mode: Literal["wal", "delete"] = Field("wal", validation_alias=_env("TRACE_JOURNAL_MODE"))
    trace_synchronous: Literal["normal", "full"] = Field("normal", validation_alias=_env("TRACE_SYNCHRONOUS"))
    trace_statement_cache: int = _int(128, "TRACE_STATEMENT_CACHE", le=10_000)
    trace_lazy_payload: bool = Field(True, validation_alias=_env("TRACE_LAZY_PAYLOAD"))

    # --- position recovery (report) --------------------------------------------------------
    max_recovery_attempts: int = _int(3, "MAX_RECOVERY_ATTEMPTS", ge=1, le=100)
    recovery_cache_ttl_ms: int = _int(5000, "RECOVERY_CACHE_TTL_MS", le=_HOUR_MS)
    recovery_alert_cooldown_ms: int = _int(300_000, "RECOVERY_ALERT_COOLDOWN_MS", le=_DAY_MS)
    recovery_history_size: int = _int(100, "RECOVERY_HISTORY_SIZE", ge=1, le=100_000)
    recovery_parallelism: int = _int(0, "RECOVERY_PARALLELISM", le=1000)
    recovery_interval_ms: int = _int(2000, "RECOVERY_INTERVAL_MS", ge=100, le=_HOUR_MS)
    stale_position_s: int = _int(600, "STALE_POSITION_S", ge=1, le=2_592_000)

    # --- circuit breaker (report) ----------------------------------------------------------
    cb_base_backoff_ms: int = _int(1000, "CB_BASE_BACKOFF_MS", ge=1, le=_HOUR_MS)
    cb_max_backoff_ms: int = _int(60_000, "CB_MAX_BACKOFF_MS", ge=1, le=_HOUR_MS)
    cb_max_recovery_attempts: int = _int(5, "CB_MAX_RECOVERY_ATTEMPTS", ge=1, le=100)
    cb_alert_cooldown_ms: int = _int(300_000, "CB_ALERT_COOLDOWN_MS", le=_DAY_MS)
    cb_failure_threshold: int = _int(5, "CB_FAILURE_THRESHOLD", ge=1, le=10_000)
    cb_failure_rate: float = _float(0.5, "CB_FAILURE_RATE", ge=None, gt=0.0, le=1.0)
    cb_window_ms: int = _int(60_000, "CB_WINDOW_MS", ge=1, le=_HOUR_MS)
    cb_half_open_max_calls: int = _int(1, "CB_HALF_OPEN_MAX_CALLS", ge=1, le=1000)
    health_history_size: int = _int(500, "HEALTH_HISTORY_SIZE", ge=1, le=100_000)
    health_check_timeout_ms: int = _int(2000, "HEALTH_CHECK_TIMEOUT_MS", ge=1, le=300_000)
    health_check_interval_ms: int = _int(2000, "HEALTH_CHECK_INTERVAL_MS", ge=100, le=_HOUR_MS)
    health_check_parallel: bool = Field(True, validation_alias=_env("HEALTH_CHECK_PARALLEL"))

    # --- risk manager (report) -------------------------------------------------------------
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

    # --- exchange client (report prose) ----------------------------------------------------
    mids_cache_ttl_ms: int = _int(500, "MIDS_CACHE_TTL_MS", le=600_000)
    account_cache_ttl_ms: int = _int(2000, "ACCOUNT_CACHE_TTL_MS", le=600_000)
    orders_cache_ttl_ms: int = _int(1000, "ORDERS_CACHE_TTL_MS", le=600_000)
    api_cache_max_entries: int = _int(1000, "API_CACHE_MAX_ENTRIES", ge=1, le=1_000_000)
    api_timeout_ms: int = _int(10_000, "API_TIMEOUT_MS", ge=100, le=600_000)
    api_read_timeout_ms: int = _int(3_000, "API_READ_TIMEOUT_MS", ge=100, le=600_000)
    stale_after_ms: int = _int(10_000, "STALE_AFTER_MS", ge=100, le=600_000)
    venue_dark_alert_s: int = _int(10, "VENUE_DARK_ALERT_S", ge=1, le=3600)
    api_max_retries: int = _int(3, "API_MAX_RETRIES", le=20)
    api_single_flight: bool = Field(True, validation_alias=_env("API_SINGLE_FLIGHT"))
    order_coalesce_ms: float = _float(2.0, "ORDER_COALESCE_MS", le=1000.0)
    rate_limit_weight_per_min: int = _int(1200, "RATE_LIMIT_WEIGHT_PER_MIN", ge=120, le=1_000_000)
    dead_man_switch_s: int | None = Field(None, ge=5, le=86_400, validation_alias=_env("DEAD_MAN_SWITCH_S"))
    ws_heartbeat_s: float = _float(20.0, "WS_HEARTBEAT_S", ge=0.1, le=3600.0)
    api_retry_base_ms: int = _int(200, "API_RETRY_BASE_MS", ge=1, le=600_000)
    api_retry_max_ms: int = _int(5000, "API_RETRY_MAX_MS", ge=1, le=600_000)
    rate_limit_max_retries: int = _int(6, "RATE_LIMIT_MAX_RETRIES", le=100)
    order_batch_max: int = _int(40, "ORDER_BATCH_MAX", ge=1, le=1000)
    ws_reconnect_base_ms: int = _int(500, "WS_RECONNECT_BASE_MS", ge=1, le=600_000)
    ws_reconnect_max_ms: int = _int(30_000, "WS_RECONNECT_MAX_MS", ge=1, le=600_000)

    # --- strategy / engine -----------------------------------------------------------------
    symbols: str = Field("BTC,ETH,SOL", validation_alias=_env("SYMBOLS"))
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

    _unset_if_empty = field_validator("base_url", "address", "db_path", "bot", "data_dir", "log_dir",
                                      "hl_private_key", "dead_man_switch_s", mode="before")(_blank_is_unset)

    @field_validator("symbols")
    @classmethod
    def _symbols_shape(cls, v: str) -> str:
        coins = [s.strip() for s in v.split(",")]
        if not any(coins) or not all(_COIN.fullmatch(c) for c in coins if c):
            raise ValueError(_SHAPES["symbols"])
        return v

    @field_validator("address")
    @classmethod
    def _address_shape(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not (v.startswith("0x") and len(v) == 42 and all(c in "0123456789abcdefABCDEF" for c in v[2:])):
            raise ValueError(_SHAPES["address"])
        return v.lower()

    @field_validator("base_url")
    @classmethod
    def _base_url_shape(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            parts = urlsplit(v)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and v == v.strip()
            _ = parts.port                          # a port that is not a number 0-65535 raises
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(_SHAPES["base_url"])
        return v

    @field_validator("db_path", "bot", "data_dir", "log_dir")
    @classmethod
    def _no_blank_ends(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and (not v.strip() or v != v.strip()):
            raise ValueError(_SHAPES[str(info.field_name)])
        return v

    @field_validator("hl_private_key")
    @classmethod
    def _key_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _HEX_KEY.fullmatch(v.get_secret_value()):
            raise ValueError(_SHAPES["hl_private_key"])
        return v

    @property
    def symbol_list(self) -> tuple[str, ...]:
        return tuple(s.strip().upper() for s in self.symbols.split(",") if s.strip())

    def trace_db_path(self) -> Path:
        return Path(self.db_path) if self.db_path and not self.trace_db_url() else data_dir() / "traces.sqlite3"

    def trace_db_url(self) -> str | None:
        """PERPS_DB_PATH / --db when it names a PostgreSQL database (postgresql://…), else None."""
        db = (self.db_path or "").strip()
        return db if db.startswith(("postgresql://", "postgres://")) else None


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field.upper()


def _num(v: float) -> str:
    """A bound as a reader writes it: 3600000, 0.1, 1e+12 (not 1000000000000.0)."""
    return format(v, "g") if isinstance(v, float) and abs(v) >= 1e6 else str(v)


def _allowed(field: str) -> str:
    """Say in words what a field accepts, from its annotation and constraints (the README's column)."""
    if field in _SHAPES:
        return _SHAPES[field]
    info = Settings.model_fields[field]
    ann = info.annotation
    args = getattr(ann, "__args__", ())
    literal = [a for a in args if isinstance(a, str)]
    if literal:
        return "one of " + ", ".join(literal)
    for inner in (ann, *args):
        if getattr(inner, "__args__", None) and all(isinstance(a, str) for a in inner.__args__):
            return "one of " + ", ".join(inner.__args__)
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "text"}
    base = next((kind[t] for t in (int, float, bool, str) if ann is t or t in args), "a valid value")
    bounds = []
    for m in info.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{word} {_num(getattr(m, attr))}")
    return base + (" " + " and ".join(bounds) if bounds else "")


def refused(field: str, value: object) -> ConfigError:
    """The error for a value of `field` that passed validation but proved unusable at start (a
    directory that cannot be created, say): the same line as a validation failure."""
    return ConfigError(_env_name(field), value, _allowed(field))


def load_settings(**overrides: Any) -> Settings:
    """Build the one Settings object, or raise ConfigError for the first bad value."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        field = next((f for f in Settings.model_fields if f == field or _env_name(f).lower() == field.lower()), field)
        value = err.get("input")
        if field == "hl_private_key":
            value = "<hidden>"                      # never echoed, not even a wrong one
        if field in Settings.model_fields:
            raise ConfigError(_env_name(field), value, _allowed(field)) from None
        raise ConfigError(field, value, err.get("msg", "a valid value")) from None
