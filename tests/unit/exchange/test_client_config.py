"""ClientConfig from Settings, and the naive switch of the benchmark."""

from __future__ import annotations

from perps_desktop.config import load_settings
from perps_desktop.exchange.client_config import MAINNET_URL, TESTNET_URL, ClientConfig


def test_from_settings_carries_the_reports_values():
    cfg = ClientConfig.from_settings(load_settings())
    assert cfg.base_url == TESTNET_URL and not cfg.is_mainnet
    assert (cfg.mids_ttl_s, cfg.account_ttl_s, cfg.orders_ttl_s) == (0.5, 2.0, 1.0)
    assert cfg.coalesce_ms == 2.0 and cfg.timeout_s == 10.0
    assert cfg.ws_url == "wss://api.hyperliquid-testnet.xyz/ws"


def test_mainnet_signing_only_for_the_mainnet_url():
    assert ClientConfig.from_settings(load_settings(network="mainnet")).is_mainnet
    local = ClientConfig.from_settings(load_settings(network="mainnet"), base_url="http://127.0.0.1:8787/")
    assert not local.is_mainnet and local.ws_url == "ws://127.0.0.1:8787/ws"
    assert ClientConfig.from_settings(load_settings(), base_url=MAINNET_URL).is_mainnet


def test_settings_reach_the_client(monkeypatch):
    monkeypatch.setenv("MIDS_CACHE_TTL_MS", "250")
    monkeypatch.setenv("ORDER_COALESCE_MS", "0")
    monkeypatch.setenv("DEAD_MAN_SWITCH_S", "30")
    cfg = ClientConfig.from_settings(load_settings())
    assert cfg.mids_ttl_s == 0.25 and cfg.coalesce_ms == 0 and cfg.dead_man_switch_s == 30


def test_naive_switches_every_optimisation_off():
    naive = ClientConfig().naive()
    assert (naive.mids_ttl_s, naive.account_ttl_s, naive.orders_ttl_s, naive.meta_ttl_s) == (0, 0, 0, 0)
    assert not naive.single_flight and naive.coalesce_ms == 0 and naive.max_concurrency == 1


def test_expiry_follows_the_timeout_unless_set():
    assert ClientConfig(timeout_s=2.0).expiry_ms == 2000
    assert ClientConfig(order_expiry_s=0).expiry_ms is None
