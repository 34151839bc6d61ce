"""One window, two headless cores: the panels show the chosen remote core; the fleet halts and flattens both."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import pytest

from perps_desktop.app import TradingState
from perps_desktop.ui.attach import FleetDock, attach_targets, make_fleet
from tests.helpers import wait_until
from tests.integration.api_support import served

pytestmark = pytest.mark.slow


async def test_the_window_shows_each_remote_core_and_halt_all_and_flatten_all_reach_both(tmp_path, sim_server,
                                                                                       make_window):
    sim = await sim_server(rate_limit_per_min=0)
    asked: list[dict] = []

    async def yes(**kw):
        asked.append(kw)
        return True
    async with contextlib.AsyncExitStack() as stack:
        a_app, a_srv, a_tok, _ = await stack.enter_async_context(served(tmp_path, sim, "core-a"))
        b_app, b_srv, b_tok, _ = await stack.enter_async_context(served(tmp_path, sim, "core-b"))
        fleet = make_fleet([(a_srv.url, a_tok["trade"]), (b_srv.url, b_tok["trade"])])
        await fleet.start()
        stack.push_async_callback(fleet.aclose)
        w = make_window(fleet, confirmer=yes)                  # the trader says yes to every confirmation
        dock = FleetDock(w, fleet, confirmer=yes)
        assert w.findChild(type(dock.dock), "fleetDock") is dock.dock

        def shown_positions():
            return sorted(str(k) for k in w.panels["positions"].model.row_keys())

        def core_positions(app):
            return sorted(str(p.symbol) for p in app.snapshot().positions if p.size != 0)
        await wait_until(lambda: bool(core_positions(a_app)) and shown_positions() == core_positions(a_app),
                         timeout=60)
        await wait_until(lambda: [r.name for r in dock.panel.rows] == ["core-a", "core-b"], timeout=10)
        table = dock.panel.table
        table.clicked.emit(table.model().index(1, 0))          # the trader clicks core-b's row
        await wait_until(lambda: w.panels["positions"].model.rowCount() > 0 and shown_positions()
                         == core_positions(b_app) and fleet.snapshot().address == b_app.identity.address, timeout=60)

        report = await w.controller.flatten_all()              # a button on the chosen core, its bot named
        assert "bot core-b (remote)" in asked[-1]["venue"] and report.ok
        assert [r.what for r in b_app.journal.records()].count("flatten all") == 1
        assert "flatten all" not in [r.what for r in a_app.journal.records()]

        dock.panel.halt_button.click()
        await asyncio.gather(*dock.tasks)
        assert "core-a" in " ".join(asked[-1]["items"]) and "core-b" in " ".join(asked[-1]["items"])
        assert [(n, ok) for n, ok, _ in dock.results] == [("core-a", True), ("core-b", True)]
        for app in (a_app, b_app):
            assert app.snapshot().risk.trading_state is TradingState.HALTED
        await wait_until(lambda: [r.trading_state for r in dock.panel.rows] == ["HALTED", "HALTED"], timeout=10)

        await wait_until(lambda: bool(core_positions(a_app)), timeout=30)    # halted: a's positions stay open
        dock.panel.flatten_button.click()                       # one confirmation naming both bots
        await asyncio.gather(*dock.tasks)
        assert asked[-1]["title"] == "Flatten all 2 bots?"
        assert "core-a" in " ".join(asked[-1]["items"]) and "core-b" in " ".join(asked[-1]["items"])
        assert [(n, ok) for n, ok, _ in dock.results] == [("core-a", True), ("core-b", True)]
        assert [r.what for r in a_app.journal.records()].count("flatten all") == 1
        assert [r.what for r in b_app.journal.records()].count("flatten all") == 2
        await wait_until(lambda: core_positions(a_app) == [] and core_positions(b_app) == [], timeout=30)
        await wait_until(lambda: [r.positions for r in dock.panel.rows] == [0, 0], timeout=10)
        dock.timer.stop()


def test_attach_targets_take_a_token_file_or_the_environment(tmp_path):
    f = tmp_path / "tok"
    f.write_text("pdt_abc\n")
    assert attach_targets(["http://h:1", "http://g:2"], [str(f)], None) == [
        ("http://h:1/api/v1", "pdt_abc"), ("http://g:2/api/v1", "pdt_abc")]
    assert attach_targets(["http://h:1"], [], "pdt_env") == [("http://h:1/api/v1", "pdt_env")]
    with pytest.raises(ValueError, match="needs a token"):
        attach_targets(["http://h:1"], [], None)
    with pytest.raises(ValueError, match="token-file"):
        attach_targets(["http://h:1"], [str(tmp_path / "missing")], None)


async def test_gui_attach_renders_the_remote_cores_positions(tmp_path, sim_server):
    """`gui --attach URL --token-file F --screenshot` as a new user runs it, against a served core."""
    import asyncio
    import os

    sim = await sim_server(rate_limit_per_min=0)
    async with served(tmp_path, sim, "core-a") as (app, server, tokens, _):
        await wait_until(lambda: bool(app.snapshot().positions), timeout=60)
        tok = tmp_path / "token"
        tok.write_text(tokens["read"] + "\n")
        shot = tmp_path / "attached.png"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "perps_desktop", "gui", "--attach", server.url, "--token-file", str(tok),
            "--screenshot", str(shot), "--exit-after", "6", cwd=tmp_path,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 90)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert shot.stat().st_size > 10_000 and "screenshot:" in out.decode()
        assert tokens["read"] not in out.decode() + err.decode()


async def test_file_attach_adds_a_core_and_remembers_the_target_not_the_token(tmp_path, sim_server, make_window):
    from perps_desktop.ui.attach_dialog import AttachDialog, RecentTargets, ask_attach

    sim = await sim_server(rate_limit_per_min=0)
    async with contextlib.AsyncExitStack() as stack:
        _a, a_srv, a_tok, _ = await stack.enter_async_context(served(tmp_path, sim, "core-a"))
        _b, b_srv, b_tok, _ = await stack.enter_async_context(served(tmp_path, sim, "core-b"))
        fleet = make_fleet([(a_srv.url, a_tok["read"])])
        await fleet.start()
        stack.push_async_callback(fleet.aclose)
        w = make_window(fleet)
        dock = FleetDock(w, fleet)
        assert w.actions_by_name["attachAction"].text() == "&Attach…"
        tok = tmp_path / "b.token"
        tok.write_text(b_tok["read"])
        assert await ask_attach(w, answer=(b_srv.url, str(tok))) is not None
        await wait_until(lambda: [r.name for r in dock.panel.rows] == ["core-a", "core-b"], timeout=20)
        assert await ask_attach(w, answer=(b_srv.url, str(tmp_path / "missing"))) is None
        assert "token-file" in w.statusBar().currentMessage()
        ini = w.layout_store.path.parent / "attach.ini"
        assert b_tok["read"] not in ini.read_text() and str(tok) in ini.read_text()
        recent = RecentTargets(ini).load()
        dialog = AttachDialog(w, recent)
        assert dialog.target() == (b_srv.url, str(tok))
        dialog.deleteLater()
        dock.timer.stop()
