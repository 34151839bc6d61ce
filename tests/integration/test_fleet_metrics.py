"""Two cores' metrics carry a `bot` label each, and the Grafana fleet dashboard names only real metrics."""

from __future__ import annotations

import json
import re
from importlib import resources

import aiohttp

from perps_desktop.app import App
from perps_desktop.app.metrics import MetricsServer
from tests.helpers import wait_until
from tests.integration.engine_support import fast_settings


async def test_every_sample_names_its_core_and_the_dashboard_reads_real_metrics(tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    texts = {}
    for bot in ("core-a", "core-b"):
        (tmp_path / bot).mkdir()
        async with App(fast_settings(tmp_path / bot, sim)) as app:
            await wait_until(lambda app=app: app.services.engine.orders_sent >= 1, timeout=30)
            async with MetricsServer(app, 0, bot=bot) as server, aiohttp.ClientSession() as http, \
                    http.get(server.url) as resp:
                texts[bot] = await resp.text()
    for bot, text in texts.items():
        samples = [ln for ln in text.splitlines() if ln.startswith("perps_")]
        assert samples and all(f'bot="{bot}"' in ln for ln in samples), [ln for ln in samples if bot not in ln][:3]
    scraped = {m.group(1) for m in re.finditer(r"^(perps_[a-z_]+?)(?:_bucket|_count|_sum)?[{ ]", texts["core-a"],
                                               re.M)}
    board = json.loads(resources.files("perps_desktop").joinpath("resources/grafana-fleet.json").read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    named = {n for e in exprs for n in re.findall(r"perps_[a-z_]+", e)}
    assert named and named <= scraped, named - scraped
    assert all('bot=~"$bot"' in e for e in exprs)
