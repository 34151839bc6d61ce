"""Row trace_insert_100_pg: trace_insert_100's workload on the PostgreSQL store.

One sample = `record()` 100 traces on the loop + `await flush()`: serialise, compress the
payloads over 1 KB, one binary COPY into `traces` (its six indices and the generated text
search column), COMMIT, and the answer back on the loop. Both sides start from the same 10,000
rows (2,000 with --quick) in one database; "before" is the same store with
`TraceStoreConfig.unoptimised()`: a COPY and a COMMIT per trace. The server is the one of
PERPS_BENCH_PG_URL when set, else a local one from the pgserver wheel (fsync off: this measures
the store, not a disk), started for the row (`bench/pg_server.py`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._trace_data import make_traces
from perps_desktop.bench.cases.trace_insert_100 import BATCH, _insert, _prefill
from perps_desktop.bench.pg_server import bench_config, bench_database, server_label
from perps_desktop.store import TraceStore

__all__ = ["CASE"]


async def _run(ctx: BenchContext) -> Measurement:
    async with bench_database("insert") as url:
        base = bench_config(ctx, url)
        after_cfg = replace(base, batch_size=max(BATCH, base.batch_size))
        before_cfg = base.unoptimised()
        await _prefill(after_cfg, 500 if ctx.smoke else ctx.size(10_000, 2_000))
        fresh = make_traces(BATCH * 2 * (ctx.warmup + ctx.repetitions + 1), seed=11,
                            start_ms=int(time.time() * 1000) + 3_600_000, span_ms=600_000)
        starts = iter(range(0, len(fresh), BATCH))

        def side(store: TraceStore) -> Any:
            def run() -> Any:
                start = next(starts)
                return _insert(store, fresh[start:start + BATCH])
            return run

        async with TraceStore(after_cfg) as after, TraceStore(before_cfg) as before:
            commits = {"after": after.stats().batches, "before": before.stats().batches}
            m = await ctx.compare(after=side(after), before=side(before))
            samples = len(m.after) + ctx.warmup
            extra: dict[str, Any] = {
                "traces_per_sample": BATCH,
                "commits_per_sample_after": (after.stats().batches - commits["after"]) / samples,
                "commits_per_sample_before": (before.stats().batches - commits["before"]) / samples,
                "server": server_label(),
                "before_config": "batch 1 (a COPY and a COMMIT per trace), no caches",
            }
    return Measurement(after=m.after, before=m.before, extra=extra)


CASE = BenchCase(
    name="trace_insert_100_pg",
    title="TraceStore Batch Insert (100), PostgreSQL",
    run=_run,
    report_before_ms=250.0,
    report_after_ms=35.0,
    target_ratio=7.0,
    target_text=">= 7x: one COPY and COMMIT per 100 traces against one per trace",
    plain="How long 100 decisions take to be written to a PostgreSQL trace database, from record() to committed.",
)
