"""Two cores writing to one PostgreSQL database: the window's Traces dock finds each by its bot."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from perps_desktop.app import App
from perps_desktop.config import Settings
from tests.helpers import wait_until

pytestmark = pytest.mark.slow


async def _core(url: str, bot: str, cwd) -> int:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "headless", "--db", url, "--duration", "4", cwd=cwd,
        env={**os.environ, "PERPS_BOT": bot}, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(proc.wait(), 120)


async def test_two_cores_in_one_database_are_each_searchable_with_the_bot_filter(pg_url, sim_server, make_window,
                                                                                 tmp_path):
    codes = await asyncio.gather(_core(pg_url, "core-a", tmp_path), _core(pg_url, "core-b", tmp_path))
    assert codes == [0, 0]
    sim = await sim_server(rate_limit_per_min=0)
    app = App(Settings(mode="paper", base_url=sim.url, db_path=pg_url, bot="window"))
    try:
        await app.start()
        w = make_window(app)
        w.show_dock("traces")
        panel = w.panels["traces"]
        combo = panel.bot_combo
        await wait_until(lambda: {"core-a", "core-b"} <= {combo.itemData(i) for i in range(combo.count())},
                         timeout=20)

        def shows_only(bot: str, rows: int | None = None) -> bool:
            bots = {panel.model.item_for(k).bot for k in panel.model.row_keys()}
            n = panel.model.rowCount()
            return not panel.pending and bots == {bot} and (n > 0 if rows is None else n == rows)

        for bot in ("core-a", "core-b"):
            combo.setCurrentIndex(combo.findData(bot))
            await wait_until(lambda b=bot: shows_only(b))
            panel.text_edit.setText("stopping")              # each core's last trace, by full-text search
            await wait_until(lambda b=bot: shows_only(b, rows=1))
            panel.text_edit.setText("")
        combo.setCurrentIndex(0)                             # all bots again: the query names none
        await wait_until(lambda: not panel.pending)
        assert panel.query().bot is None
    finally:
        await app.aclose()
        await sim.aclose()
