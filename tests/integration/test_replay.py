"""A replay rebuilds the core's state at a past moment from the traces alone, on a copied, read-only file."""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal

from perps_desktop.app import App, TraceQuery
from perps_desktop.app.replay import ReplayControl, apply_fill
from perps_desktop.app.state_trace import STATE_STRATEGY, positions_from
from perps_desktop.store import decode_payload
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings, open_position

SETTLED_MS = 2500          # a state traced this long after the last fill holds it (the account was read since)


def test_a_fill_averages_an_increase_keeps_a_reduction_and_restarts_a_flip():
    d = Decimal
    assert apply_fill(d(0), d(0), d("2"), d("100")) == (d(2), d(100))
    assert apply_fill(d(2), d(100), d("2"), d("110")) == (d(4), d(105))
    assert apply_fill(d(4), d(105), d("-1"), d("120")) == (d(3), d(105))
    assert apply_fill(d(3), d(105), d("-5"), d("90")) == (d(-2), d(90))
    assert apply_fill(d(-2), d(90), d("2"), d("80")) == (d(0), d(0))


async def test_a_replay_at_a_past_moment_has_the_positions_the_core_traced_then(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET)) as app:
        await app.wait_until_reconciled()
        state = app.services.state
        state.interval_s = 0.5
        engine = app.services.engine

        async def settled(n: int) -> None:                       # the account read since, and n states traced
            start = state.recorded
            await wait_until(lambda: state.recorded >= start + n, timeout=20)
        await settled(2)
        await open_position(app, "BTC", 4000)
        await wait_until(lambda: any(p.symbol == "BTC" for p in engine.positions), timeout=20)
        await settled(6)
        await open_position(app, "ETH", 3000, buy=False)
        await open_position(app, "BTC", 2000)                      # an increase: the entry averages
        await wait_until(lambda: len(engine.positions) == 2, timeout=20)
        await settled(6)
        assert (await app.reduce_position("BTC", 0.5)).ok          # a reduction by hand
        await settled(6)
        await app.services.store.flush()
    copy = tmp_path / "elsewhere" / "night.sqlite3"                # "copied from another machine": the file alone
    copy.parent.mkdir()
    shutil.copy(tmp_path / "traces.sqlite3", copy)
    before = copy.read_bytes()
    async with ReplayControl(copy) as replay:
        states = list(reversed((await replay.query_traces(TraceQuery(kind="system", strategy=STATE_STRATEGY,
                                                                      limit=1000))).traces))
        fills = list(reversed((await replay.query_traces(TraceQuery(kind="fill", limit=1000))).traces))
        first = await replay.seek_now(replay.first_ms)
        assert first.positions == () and first.read_only and first.mode == "replay"
        assert not (await replay.close_position("BTC")).ok          # a replay only shows
        assert (await replay.seek_now(replay.last_ms)).positions    # the end: what was left open
    assert copy.read_bytes() == before                               # the copy was never written
    assert len(fills) >= 4 and len(states) >= 20
    # The oracle: each state the core traced. The replay gets only the first of them (the rest are
    # deleted from a second copy) and must rebuild each later one from the fills traced since.
    payloads = [decode_payload(s) for s in states]
    fill_ms = [int(decode_payload(f)["venue_ms"]) for f in fills]
    thin = tmp_path / "elsewhere" / "thin.sqlite3"
    shutil.copy(copy, thin)
    with sqlite3.connect(thin) as conn:
        conn.execute("DELETE FROM traces WHERE kind = 'system' AND strategy = ? AND id > ?",
                     (STATE_STRATEGY, states[0].id))
    compared = changed = 0
    async with ReplayControl(thin) as replay:
        for cur, payload in zip(states[1:], payloads[1:], strict=True):
            as_of = payload["as_of_ms"]
            last_fill = max((ms for ms in fill_ms if ms <= as_of), default=0)
            if as_of - last_fill < SETTLED_MS or any(as_of < ms <= cur.time_ms for ms in fill_ms):
                continue                                           # the core's own view was still catching up
            snap = await replay.seek_now(cur.time_ms)
            want = {p.symbol: p for p in positions_from(payload)}
            got = {p.symbol: p for p in snap.positions}
            assert {s: p.size for s, p in got.items()} == {s: p.size for s, p in want.items()}, cur.time_ms
            for s, p in want.items():
                assert abs(got[s].entry_px - p.entry_px) <= p.entry_px * Decimal("1e-6"), (s, got[s].entry_px)
            compared += 1
            changed += bool(want)
    assert compared >= 3 and changed >= 3                            # BTC, BTC + ETH, BTC halved


async def test_a_replay_reads_postgresql_and_shows_the_core_named_when_several_share_it(pg_url, tmp_path,
                                                                                         sim_server):
    import pytest

    from perps_desktop.errors import StoreError

    sim = await sim_server(rate_limit_per_min=0)
    for bot, symbol in (("core-a", "BTC"), ("core-b", "ETH")):     # two cores, one database
        async with App(fast_settings(tmp_path, sim, db_path=pg_url, bot=bot, strategy_threshold_pct=QUIET)) as app:
            await app.wait_until_reconciled()
            state = app.services.state
            state.interval_s = 0.5
            await open_position(app, symbol, 3000)
            engine = app.services.engine
            await wait_until(lambda s=symbol, e=engine: any(p.symbol == s for p in e.positions), timeout=20)
            start = state.recorded
            await wait_until(lambda st=state, n=start + 2: st.recorded >= n, timeout=20)
            await app.services.store.flush()
    with pytest.raises(StoreError, match=r"2 cores \(core-a, core-b\).*--bot NAME"):
        async with ReplayControl(pg_url):
            pass
    for bot, symbol in (("core-a", "BTC"), ("core-b", "ETH")):
        async with ReplayControl(pg_url, bot=bot) as replay:
            snap = await replay.seek_now(replay.last_ms)
            assert [p.symbol for p in snap.positions] == [symbol], (bot, snap.positions)
            assert snap.read_only and snap.base_url.startswith("postgresql://") and bot in snap.status_text
            page = await replay.query_traces(TraceQuery(kind="fill", limit=100))
            assert page.traces and {t.bot for t in page.traces} == {bot}
            for coin in ("BTC", "ETH"):                             # its timeline: its own events alone
                data = await replay.load_timeline(coin, replay.first_ms, replay.last_ms + 1)
                assert {t.bot for t in data.traces} <= {bot} and bool(data.traces) == (coin == symbol)
