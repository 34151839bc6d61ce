"""A breaker's pause in every textual face of the core: the headless status line, the metrics and the
API's headline say what the window's badge says ("PAUSED: exchange_info open"), the moment the
breaker opens — not only after the engine's next tick."""

from __future__ import annotations

from perps_desktop.app import App
from perps_desktop.app.headless import format_status
from perps_desktop.app.metrics import build_registry
from perps_desktop.app.wire import envelope_json
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings


async def test_a_breaker_that_opens_between_ticks_pauses_every_face_in_the_badges_words(tmp_path, sim_server):
    import orjson
    from prometheus_client import generate_latest

    sim = await sim_server()
    settings = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, cb_base_backoff_ms=60_000,
                             cb_max_backoff_ms=60_000)
    async with App(settings) as app:
        await app.wait_until_reconciled()
        await wait_until(lambda: app.snapshot().status_text == "trading ACTIVE", timeout=20)
        metrics = build_registry(app)
        assert b"perps_trading_paused 0.0" in generate_latest(metrics)

        app.services.breakers.get("exchange_info").trip("a request timed out")    # no tick in between
        snap = app.snapshot()
        assert snap.status_text.endswith("PAUSED: exchange_info open"), snap.status_text
        assert "PAUSED: exchange_info open |" in format_status(snap)
        assert b"perps_trading_paused 1.0" in generate_latest(metrics)
        head = orjson.loads(envelope_json(snap, "bot"))
        assert head["trading"] == "PAUSED: exchange_info open" and head["tradingState"] == "ACTIVE"

        app.services.breakers.reset("exchange_info")
        await wait_until(lambda: app.snapshot().status_text == "trading ACTIVE", timeout=20)
        assert orjson.loads(envelope_json(app.snapshot(), "bot"))["trading"] == "ACTIVE"
