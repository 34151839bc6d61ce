from __future__ import annotations

from perps_desktop.bench.cases.sim_throughput import CASE
from perps_desktop.bench.runner import make_context


async def test_the_row_runs_once_with_a_tiny_n(tmp_path):
    m = await CASE.run(make_context(quick=False, smoke=True, settings=None, workdir=tmp_path))
    assert m.before is None and len(m.after) == 1 and m.after[0] > 0
    assert set(m.extra) >= {"server_cpu_us_per_request", "capacity_per_core_req_s", "connections"}
    assert CASE.unit == "req/s" and CASE.higher_is_better
