"""The rows' child simulator: starts, answers /sim, and is gone once the block ends."""

from __future__ import annotations

import aiohttp
import psutil

from perps_desktop.bench.cases._sim_child import SimChild, sim_child, sim_control


def test_host_and_port_come_from_the_url() -> None:
    sim = SimChild(url="http://127.0.0.1:40123", pid=1)
    assert (sim.host, sim.port) == ("127.0.0.1", 40123)


async def test_a_child_simulator_serves_then_stops(tmp_path) -> None:
    log = tmp_path / "sim.log"
    async with sim_child(log=log) as sim, aiohttp.ClientSession() as http:
        assert sim.url.startswith("http://127.0.0.1:") and psutil.pid_exists(sim.pid)
        assert (await sim_control(http, sim.url, {"type": "fund", "user": "0x" + "1" * 40, "usdc": "10"}))["status"] \
            == "ok"
        stats = await sim_control(http, sim.url, {"type": "stats"})
        assert "requests" in stats
        pid = sim.pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert log.exists()
