"""Row trace_read_100_pg: trace_read_100's workload on the PostgreSQL store.

One sample = 50 traces by id (payload decoded) + 50 "recent by symbol" pages of 50 rows, with
the LRU emptied first (cold): `get_many` then `query_many`, one reader-thread hop each, on a
100,000-trace database (20,000 with --quick) built with the store's own writer. "before" is the
same store with `TraceStoreConfig.unoptimised()`: no LRU, every page's payloads decoded. Both
sides read the same database (one server, so one shared buffer cache, warmed by the warm-up
rounds). The server: PERPS_BENCH_PG_URL's, else a local one from the pgserver wheel.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from typing import Any

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._trace_data import SYMBOLS
from perps_desktop.bench.cases.trace_read_100 import _build
from perps_desktop.bench.pg_server import bench_config, bench_database, server_label
from perps_desktop.core.models import TraceQuery
from perps_desktop.store import TraceStore

__all__ = ["CASE"]


async def _run(ctx: BenchContext) -> Measurement:
    rows = 5_000 if ctx.smoke else ctx.size(100_000, 20_000)
    async with bench_database("read") as url:
        base = bench_config(ctx, url)
        t0 = time.perf_counter()
        await _build(base, rows)
        build_s = time.perf_counter() - t0
        rng = random.Random(42)
        ids = rng.sample(range(1, rows + 1), 50)
        queries = [TraceQuery(symbol=s, limit=50) for s in SYMBOLS[:50]]
        held: list[Any] = []

        async def read(store: TraceStore) -> None:
            found = await store.get_many(ids)
            pages = await store.query_many(queries)
            if len(found) != 50 or any(len(p.traces) != 50 for p in pages):
                raise RuntimeError("the fixture database does not hold the rows the row reads")
            held.append((found, pages))

        async with TraceStore(base) as after, TraceStore(base.unoptimised()) as before:
            stores = {"after": after, "before": before}

            def cold(side: str) -> None:
                stores[side].clear_cache()
                held.clear()
                gc.collect()

            m = await ctx.compare(after=lambda: read(after), before=lambda: read(before), settle=cold)

            def drop(_side: str) -> None:
                held.clear()

            warm = await ctx.compare(after=lambda: read(after), settle=drop, live=False)
            held.clear()
    extra: dict[str, Any] = {
        "rows": rows,
        "fixture_build_s": round(build_s, 2),
        "warm_after_ms": round(statistics.median(warm.after), 4),
        "server": server_label(),
        "before_config": "no LRU, payloads decoded eagerly",
    }
    return Measurement(after=m.after, before=m.before, extra=extra)


CASE = BenchCase(
    name="trace_read_100_pg",
    title="TraceStore Read (100 queries), PostgreSQL",
    run=_run,
    report_before_ms=120.0,
    report_after_ms=40.0,
    target_ratio=1.5,
    target_text=">= 1.5x cold on 100k rows (lazy payloads; the server does the rest for both sides)",
    plain="How long the window takes to read 100 trace lookups (50 by id, 50 pages of 50) from PostgreSQL.",
)
