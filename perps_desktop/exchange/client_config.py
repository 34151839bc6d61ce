"""ClientConfig: the exchange client's settings in their units, built from `Settings`.

The benchmark's "before" side is the same client built from `naive()`: every cache TTL 0, no
single-flight, no order coalescing, one request at a time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["MAINNET_URL", "TESTNET_URL", "ClientConfig"]

MAINNET_URL = "https://api.hyperliquid.xyz"
TESTNET_URL = "https://api.hyperliquid-testnet.xyz"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConfig:
    base_url: str = TESTNET_URL
    is_mainnet: bool = False                # signs with source "a"; the SDK's rule: base_url is mainnet's
    vault_address: str | None = None        # trade for a vault / sub-account (signed into every action)
    timeout_s: float = 10.0                 # every HTTP call, connect to last byte
    read_timeout_s: float = 3.0             # each /info attempt (retried): a venue that hangs is an outage
    max_retries: int = 3                    # info calls after a transport error; ambiguous exchange actions
    retry_base_s: float = 0.2
    retry_cap_s: float = 5.0
    rate_limit_max_retries: int = 6         # 429s absorbed (with backoff) before RateLimited reaches a caller
    rate_limit_weight_per_min: int = 1200
    mids_ttl_s: float = 0.5                 # allMids, l2Book, candles
    account_ttl_s: float = 2.0              # clearinghouseState, userFills
    orders_ttl_s: float = 1.0               # openOrders, orderStatus
    meta_ttl_s: float = 300.0               # meta (asset ids and decimals)
    cache_max_entries: int = 1000
    single_flight: bool = True              # identical concurrent requests share one call
    coalesce_ms: float = 2.0                # orders within this window go out as one bulk action (0: off)
    order_batch_max: int = 40               # orders per bulk action (weight 1 + n/40)
    max_concurrency: int = 0                # requests in flight at once (0: unlimited, 1: sequential)
    order_expiry_s: float | None = None     # expiresAfter on actions (None: timeout_s); 0 disables
    dead_man_switch_s: int | None = None    # keep a scheduleCancel this far ahead while alive
    ws_heartbeat_s: float = 20.0
    ws_reconnect_base_s: float = 0.5
    ws_reconnect_cap_s: float = 30.0
    stream_mids: bool = True                # subscribe to allMids and feed the mids cache from it
    stream_account: bool = True             # subscribe to clearinghouseState + openOrders; serve reads from them
    push_settle_s: float = 2.0              # a pushed part our replies promised more than is dropped after this
    push_wait_s: float = 0.5                # a read waits this long for a push that trails a reply, then REST
    cache_prefix: str = "api"               # cache names in the registry: <prefix>.mids, ...

    @property
    def ws_url(self) -> str:
        base = self.base_url.rstrip("/")
        return ("wss" + base[5:] if base.startswith("https") else "ws" + base[4:]) + "/ws"

    @property
    def read_limit_s(self) -> float:
        """Each /info attempt's timeout: `read_timeout_s`, never longer than `timeout_s`."""
        return min(self.read_timeout_s, self.timeout_s)

    @property
    def expiry_ms(self) -> int | None:
        """How far after its nonce an action expires (None: no expiresAfter)."""
        expiry = self.timeout_s if self.order_expiry_s is None else self.order_expiry_s
        return int(expiry * 1000) if expiry > 0 else None

    @classmethod
    def from_settings(cls, settings: Settings, *, base_url: str | None = None, **overrides: Any) -> ClientConfig:
        """From the one `Settings`; `base_url` (e.g. the embedded simulator's) beats the settings'."""
        url = (base_url or settings.base_url or (MAINNET_URL if settings.network == "mainnet" else TESTNET_URL))
        url = url.rstrip("/")
        x = settings.exchange
        values: dict[str, Any] = {
            "base_url": url,
            "is_mainnet": url == MAINNET_URL,
            "timeout_s": x.api_timeout_ms / 1000.0,
            "read_timeout_s": x.api_read_timeout_ms / 1000.0,
            "max_retries": x.api_max_retries,
            "retry_base_s": x.api_retry_base_ms / 1000.0,
            "retry_cap_s": x.api_retry_max_ms / 1000.0,
            "rate_limit_max_retries": x.rate_limit_max_retries,
            "rate_limit_weight_per_min": x.rate_limit_weight_per_min,
            "mids_ttl_s": x.mids_cache_ttl_ms / 1000.0,
            "account_ttl_s": x.account_cache_ttl_ms / 1000.0,
            "orders_ttl_s": x.orders_cache_ttl_ms / 1000.0,
            "cache_max_entries": x.api_cache_max_entries,
            "single_flight": x.api_single_flight,
            "coalesce_ms": x.order_coalesce_ms,
            "order_batch_max": x.order_batch_max,
            "dead_man_switch_s": x.dead_man_switch_s,
            "ws_heartbeat_s": x.ws_heartbeat_s,
            "ws_reconnect_base_s": x.ws_reconnect_base_ms / 1000.0,
            "ws_reconnect_cap_s": x.ws_reconnect_max_ms / 1000.0,
        }
        values.update(overrides)
        return cls(**values)

    def naive(self) -> ClientConfig:
        """The same client with every optimisation off: the benchmark's "before" side."""
        return dataclasses.replace(self, mids_ttl_s=0.0, account_ttl_s=0.0, orders_ttl_s=0.0, meta_ttl_s=0.0,
                                   single_flight=False, coalesce_ms=0.0, max_concurrency=1, stream_mids=False,
                                   stream_account=False)

    def replace(self, **changes: Any) -> ClientConfig:
        return dataclasses.replace(self, **changes)
