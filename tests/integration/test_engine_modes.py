"""The three modes against the simulator: watch is read-only, live asks first and never leaks the key."""

from __future__ import annotations

import logging

import pytest

from perps_desktop.app import App
from perps_desktop.errors import ConfigError
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings, open_position, sim_positions

LIVE_KEY = "0x" + "5e" * 32


async def test_watch_mode_shows_an_account_and_refuses_every_action(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as trader:
        await trader.wait_until_reconciled()
        await open_position(trader, "ETH", 2000)
        addr = trader.identity.address
    watched = fast_settings(tmp_path, sim, mode="watch", address=addr, db_path=str(tmp_path / "watch.sqlite3"))
    async with App(watched) as app:
        await app.wait_until_reconciled()
        snap = app.snapshot()
        assert app.read_only and snap.read_only and snap.mode == "watch" and snap.address == addr
        assert [p.symbol for p in snap.positions] == ["ETH"]
        for report in (await app.close_position("ETH"), await app.reduce_position("ETH", 0.5),
                       await app.cancel_all(), await app.flatten_all(), await app.cancel_order("ETH", 1)):
            assert not report.ok and "read-only" in report.message
        report = await app.run_recovery_now()
        assert report.ok and report.steps == () and "read-only" in report.message
        await wait_until(lambda: app.services.engine.ticks >= 5, timeout=10)
        assert app.services.engine.orders_sent == 0
    assert (await sim_positions(sim.url, addr))["ETH"] > 0


async def test_watch_mode_needs_an_address(tmp_path):
    with pytest.raises(ConfigError, match="PERPS_ADDRESS"):
        await App(fast_settings(tmp_path, mode="watch")).start()


async def test_live_mode_refused_at_the_confirmation_starts_nothing(tmp_path, sim_server, monkeypatch):
    sim = await sim_server(rate_limit_per_min=0)
    monkeypatch.setenv("HL_PRIVATE_KEY", LIVE_KEY)
    asked: list[str] = []
    app = App(fast_settings(tmp_path, sim, mode="live"), confirm=lambda text: asked.append(text) or False)
    with pytest.raises(ConfigError, match="not confirmed"):
        await app.start()
    assert app.state == "closed"
    (text,) = asked
    assert "LIVE on testnet" in text and sim.url in text and "0x" in text and LIVE_KEY not in text
    assert sim.stats()["requests"].get("exchange:order", 0) == 0


async def test_live_mode_takes_the_key_from_the_keyring_and_never_logs_it(tmp_path, sim_server, caplog):
    caplog.set_level(logging.DEBUG)
    sim = await sim_server(rate_limit_per_min=0)

    async def yes(text: str) -> bool:
        return True

    app = App(fast_settings(tmp_path, sim, mode="live"), confirm=yes, keyring_lookup=lambda: LIVE_KEY)
    async with app:
        await app.wait_until_reconciled()
        assert not app.read_only and app.snapshot().mode == "live"
        assert app.identity.address.startswith("0x") and LIVE_KEY not in repr(app.identity)
    assert LIVE_KEY[2:] not in caplog.text
    assert app.state == "closed"


async def test_live_mode_without_a_key_says_where_to_put_one(tmp_path):
    with pytest.raises(ConfigError, match="HL_PRIVATE_KEY"):
        await App(fast_settings(tmp_path, mode="live"), keyring_lookup=lambda: None).start()


async def test_the_keyring_is_read_off_the_loop(tmp_path):
    """The OS keyring may wait on a daemon or a locked keychain: it is asked from a worker thread."""
    import threading

    asked_on: list[threading.Thread] = []

    def lookup() -> None:
        asked_on.append(threading.current_thread())
        return None

    with pytest.raises(ConfigError):
        await App(fast_settings(tmp_path, mode="live"), keyring_lookup=lookup).start()
    assert asked_on and asked_on[0] is not threading.main_thread()
