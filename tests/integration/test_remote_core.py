"""RemoteCore and Fleet: two served cores on the simulator, read and driven over their API."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

from perps_desktop.app import Fleet, RemoteCore, TraceQuery, TradingState, api_base
from perps_desktop.app.api_server import ApiServer
from tests.helpers import wait_until
from tests.integration.api_support import served


async def test_the_remote_snapshot_is_the_cores_own_and_actions_reach_it(tmp_path, sim_server):
    sim = await sim_server()
    async with served(tmp_path, sim) as (app, server, tokens, seen), \
            RemoteCore(server.url, tokens["trade"]) as remote:
        await app.wait_until_reconciled()
        await wait_until(lambda: remote.connected and bool(remote.snapshot().positions), timeout=30)
        shown = remote.snapshot()
        assert shown.connected and not remote.read_only
        # the streamed snapshot, field for field one the core made (the version alone is the window's own)
        assert [v for v, core in seen.items() if dataclasses.replace(shown, version=v) == core]
        assert remote.bot == "core-a"
        await remote.set_trading_state(TradingState.HALTED, "test")
        assert app.snapshot().risk.trading_state is TradingState.HALTED
        report = await remote.cancel_all()
        assert report.ok and report.action == "cancel_all"
        with pytest.raises(RuntimeError, match="breaker"):
            await remote.reset_breaker("no_such_breaker")
        cut = app.snapshot().time_ms - 1                  # all recorded before it is in the store after the flush
        await wait_until(lambda: app.trace_counters().flushed >= app.trace_counters().recorded, timeout=10)
        page = await remote.query_traces(TraceQuery(kind="action", strategy="api:laptop", limit=10))
        assert {t.decision for t in page.traces} == {"done", "failed"} and len(page.traces) == 3
        one = await remote.get_trace(page.traces[0].id)
        assert one is not None and one.reason == page.traces[0].reason
        assert await remote.get_trace(10**12) is None
        symbol = shown.positions[0].symbol                  # the Timeline dock reads the same over the API
        mine, theirs = await app.load_timeline(symbol, cut - 600_000, cut), \
            await remote.load_timeline(symbol, cut - 600_000, cut)
        assert theirs.traces and [t.id for t in theirs.traces] == [t.id for t in mine.traces]
        assert theirs.mids == mine.mids and theirs.symbol == symbol
        assert await remote.find_story("position", symbol) == await app.find_story("position", symbol)
        with pytest.raises(RuntimeError, match="400"):
            await remote.find_story("nonsense", symbol)
        assert tokens["trade"] not in repr(remote)


async def test_a_read_token_attaches_read_only(tmp_path, sim_server):
    sim = await sim_server()
    async with served(tmp_path, sim) as (_app, server, tokens, _), RemoteCore(server.url, tokens["read"]) as remote:
        await wait_until(lambda: remote.connected, timeout=30)
        assert remote.read_only and remote.snapshot().read_only
        with pytest.raises(RuntimeError, match="403"):
            await remote.cancel_all()


async def test_a_lost_connection_says_so_and_reconnects(tmp_path, sim_server):
    sim = await sim_server()
    async with served(tmp_path, sim) as (app, server, tokens, _):
        port = server.port
        remote = RemoteCore(server.url, tokens["trade"])
        async with remote:
            await wait_until(lambda: remote.connected, timeout=30)
            await server.aclose()                       # the core's API goes away; the core runs on
            await wait_until(lambda: not remote.connected, timeout=30)
            lost = remote.snapshot()
            assert not lost.connected and "lost" in lost.status_text and "reconnecting in" in lost.status_text
            assert lost.freshness is not None and lost.freshness.stale and not lost.freshness.rest_ok
            assert "lost" in lost.freshness.last_error          # the connection light's tooltip says why
            again = ApiServer(app, tokens=server.tokens, bot="core-a", port=port)
            async with again:
                await wait_until(lambda: remote.connected, timeout=60)
                assert remote.reconnects >= 1 and remote.snapshot().connected


async def test_fleet_halt_reaches_both_cores_and_selection_switches_the_face(tmp_path, sim_server):
    sim = await sim_server()
    async with contextlib.AsyncExitStack() as stack:
        a_app, a_srv, a_tok, _ = await stack.enter_async_context(served(tmp_path, sim, "core-a"))
        b_app, b_srv, b_tok, _ = await stack.enter_async_context(served(tmp_path, sim, "core-b"))
        fleet = Fleet([RemoteCore(a_srv.url, a_tok["trade"]), RemoteCore(b_srv.url, b_tok["trade"])])
        await fleet.start()
        stack.push_async_callback(fleet.aclose)
        await wait_until(lambda: all(c.connected for c in fleet.cores), timeout=30)
        assert fleet.names() == ["core-a", "core-b"]
        assert fleet.snapshot().address == a_app.identity.address
        fleet.select(1)
        await wait_until(lambda: fleet.snapshot().address == b_app.identity.address, timeout=10)
        rows = fleet.rows()
        assert [r.name for r in rows] == ["core-a", "core-b"] and all(r.connected for r in rows)
        results = await fleet.halt_all()
        assert [(name, ok) for name, ok, _ in results] == [("core-a", True), ("core-b", True)]
        for app in (a_app, b_app):
            assert app.snapshot().risk.trading_state is TradingState.HALTED
        await wait_until(lambda: [r.trading_state for r in fleet.rows()] == ["HALTED", "HALTED"], timeout=10)


def test_api_base_accepts_the_forms_people_type():
    assert api_base("http://127.0.0.1:8788") == "http://127.0.0.1:8788/api/v1"
    assert api_base("https://bots.example.com/api/v1/") == "https://bots.example.com/api/v1"
    with pytest.raises(ValueError):
        api_base("127.0.0.1:8788")
