"""exchange: the async Hyperliquid client (transport, signing, wire format, caches, rate budget, stream)."""

from perps_desktop.exchange.client import ClientState, HyperliquidClient
from perps_desktop.exchange.client_config import MAINNET_URL, TESTNET_URL, ClientConfig
from perps_desktop.exchange.nonce import NonceSource
from perps_desktop.exchange.rate_budget import BudgetWait, RateBudget
from perps_desktop.exchange.signing import L1Signer, action_hash, l1_digest
from perps_desktop.exchange.stats import LATENCY_BUCKETS_S, ClientStats, LatencySnapshot
from perps_desktop.exchange.stream import ExchangeStream
from perps_desktop.exchange.wire import info_weight, round_price, round_size, to_wire

__all__ = [
    "LATENCY_BUCKETS_S",
    "MAINNET_URL",
    "TESTNET_URL",
    "BudgetWait",
    "ClientConfig",
    "ClientState",
    "ClientStats",
    "ExchangeStream",
    "HyperliquidClient",
    "L1Signer",
    "LatencySnapshot",
    "NonceSource",
    "RateBudget",
    "action_hash",
    "info_weight",
    "l1_digest",
    "round_price",
    "round_size",
    "to_wire",
]
