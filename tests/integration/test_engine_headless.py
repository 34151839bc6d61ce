"""`perps-desktop headless` as a real process: status lines, metrics, SIGTERM flushes every trace."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

import aiohttp

from perps_desktop.app import App
from perps_desktop.app.metrics import MetricsServer
from tests.helpers import wait_until
from tests.integration.engine_support import fast_settings

STOPPED = re.compile(r"^stopped traces_recorded=(\d+) traces_flushed=(\d+)$")


async def _line(stream: asyncio.StreamReader, timeout: float = 30.0) -> str:
    raw = await asyncio.wait_for(stream.readline(), timeout)
    assert raw, "headless closed stdout early"
    return raw.decode().rstrip("\n")


async def test_headless_prints_status_serves_metrics_and_flushes_everything_on_sigterm(tmp_path):
    env = {**os.environ, "PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs"),
           "STRATEGY_INTERVAL_MS": "200", "STRATEGY_LOOKBACK": "2", "STRATEGY_THRESHOLD_PCT": "0.0001",
           "TRACE_BATCH_FLUSH_MS": "60000", "QT_QPA_PLATFORM": "offscreen", "PERPS_BOT": "headless-test"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "headless", "--metrics-port", "0", "--status-interval", "0.5",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        first = await _line(proc.stdout)
        assert first.startswith("metrics: http://127.0.0.1:"), first
        url = first.removeprefix("metrics: ")
        lines = [await _line(proc.stdout) for _ in range(4)]
        assert all("equity" in ln and "breakers" in ln and "traces" in ln and "loop lag" in ln for ln in lines)
        assert all(" per min" in ln or "rate-limited:" in ln for ln in lines)        # the venue's request budget
        assert any("trading ACTIVE" in ln for ln in lines), lines
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
            text = await resp.text()
        bot = 'bot="headless-test"'               # every sample names its core (PERPS_BOT): a fleet scrapes apart
        for name in (f'perps_breaker_state{{{bot},breaker="exchange_info"}} 0.0',
                     f"perps_cache_hits_total{{{bot},cache=", f"perps_cache_misses_total{{{bot},cache=",
                     f'perps_api_requests_total{{{bot},endpoint="info",type="clearinghouseState"}}',
                     f"perps_traces_recorded_total{{{bot}}} ", f"perps_traces_flushed_total{{{bot}}} ",
                     f"perps_loop_lag_seconds{{{bot}}} "):
            assert name in text, name
        proc.send_signal(signal.SIGTERM)
        out = (await asyncio.wait_for(proc.stdout.read(), 60)).decode().splitlines()
        rc = await asyncio.wait_for(proc.wait(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    err = (await proc.stderr.read()).decode()
    assert rc == 0, err[-2000:]
    m = STOPPED.match(out[-1])
    assert m, out[-3:]
    recorded, flushed = int(m[1]), int(m[2])
    assert recorded == flushed > 0                       # the 60 s batch timer never fired: the stop flushed
    assert "simulator: http://127.0.0.1:" in err


async def test_metrics_scrape_in_process_names_every_family(tmp_path):
    async with App(fast_settings(tmp_path)) as app:
        await wait_until(lambda: app.services.engine.orders_sent >= 1, timeout=30)
        async with MetricsServer(app, 0) as server, aiohttp.ClientSession() as http, http.get(server.url) as resp:
            text = await resp.text()
        assert server.scrapes == 1 and server.port > 0
    families = set(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert {("perps_breaker_state", "gauge"), ("perps_cache_hits_total", "counter"),
            ("perps_cache_misses_total", "counter"), ("perps_api_requests_total", "counter"),
            ("perps_traces_recorded_total", "counter"), ("perps_traces_flushed_total", "counter"),
            ("perps_risk_decisions_total", "counter"), ("perps_loop_lag_seconds", "gauge")} <= families
    assert re.search(r'^perps_risk_decisions_total\{decision="approve"\} [1-9]', text, re.M)
    assert re.search(r'^perps_breaker_state\{breaker="position_recovery"\} 0\.0$', text, re.M)
    assert re.search(r'^perps_cache_hits_total\{cache="recovery"\} ', text, re.M)
