from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import aiohttp
import pytest

from perps_desktop.config import load_settings
from perps_desktop.sim import cli
from tests.helpers import wait_until


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_simulate_logs_its_url_serves_and_stops_cleanly_on_a_signal(sig):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "simulate", "--port", "0", "--seed", "5",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    url = None
    try:
        while url is None:
            line = (await asyncio.wait_for(proc.stderr.readline(), timeout=60)).decode()
            assert line, "the simulator exited before announcing its URL"
            if "simulator: http://" in line:
                url = line.split("simulator: ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http, http.post(url + "/info", json={"type": "allMids"}) as resp:
            assert resp.status == 200 and "BTC" in await resp.json()
        proc.send_signal(sig)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_run_falls_back_to_the_settings_seed(monkeypatch):
    seen = {}

    async def fake_serve(host, port, seed, rate_limit_per_min=1200, stop=None, announce=False):
        seen.update(host=host, port=port, seed=seed, limit=rate_limit_per_min)

    monkeypatch.setattr(cli, "serve", fake_serve)
    monkeypatch.setenv("SIM_SEED", "41")
    settings = load_settings()
    assert cli.run(argparse.Namespace(host="127.0.0.1", port=8787, seed=None), settings) == 0
    assert seen == {"host": "127.0.0.1", "port": 8787, "seed": 41, "limit": 1200}
    assert cli.run(argparse.Namespace(host="127.0.0.1", port=1, seed=3), settings) == 0
    assert seen["seed"] == 3


async def test_serve_stops_when_asked(caplog):
    caplog.set_level(logging.INFO, logger="perps_desktop.sim")
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(cli.serve("127.0.0.1", 0, 1, stop=stop))
    await wait_until(lambda: task.done() or any("simulator: http://" in r.getMessage() for r in caplog.records))
    (line,) = [r.getMessage() for r in caplog.records if "simulator: http://" in r.getMessage()]
    async with aiohttp.ClientSession() as http, \
            http.post(line.split("simulator: ", 1)[1] + "/info", json={"type": "allMids"}) as resp:
        assert resp.status == 200                       # serving, until asked to stop
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, timeout=10)
