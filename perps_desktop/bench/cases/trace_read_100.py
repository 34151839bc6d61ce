"""Row trace_read_100: 100 reads on a 100,000-trace database (report: 120 -> 40 ms).

One sample = 50 traces by id (payload decoded) + 50 "recent by symbol" pages of 50 rows, with
the LRU emptied first (cold): `get_many` then `query_many`, one thread hop each (awaiting both at
once only makes the two reader threads take turns at the GIL). The database (~100 MB; 20,000
rows with --quick) is built once per run with the store's own batched writer, then copied, so
each side reads its own identical file (and neither side's reads evict the other's pages).

A sample is timed from the request to the results in the caller's hands. Emptying the LRU,
letting go of the previous sample's results and collecting the garbage happen before the clock
starts (`ctx.compare(settle=...)`), on both sides alike: otherwise one side's sample would pay
for freeing the other side's 2,500 traces (the before side's come with every payload decoded:
~7 ms of deallocation) and for the collections its ~100k objects bring on. Rows come from
the cursor straight into Traces, so a sample's own garbage collections stay few.
"before" is the same store with `TraceStoreConfig.unoptimised()`: no LRU, no statement reuse,
every page's payloads decoded, rollback journal. `extra` reports the warm read (everything from
the LRU; target <= 0.1 ms), the same 100 reads awaited one by one, and what decoding every
payload of the 50 pages would cost.

The floor (`_trace_data.ReadFloor`) runs the same 100 reads as plain SELECTs on a bare read-only
connection to a third copy of the file, on the bench's own thread, and keeps the rows as tuples.
"""

from __future__ import annotations

import asyncio
import gc
import random
import shutil
import statistics
import time
from dataclasses import replace
from typing import Any

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.bench.cases._trace_data import SYMBOLS, ReadFloor, make_traces, settle_files
from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import TraceQuery
from perps_desktop.store import TraceStore, TraceStoreConfig, decode_payload

__all__ = ["CASE"]


async def _build(config: TraceStoreConfig, rows: int) -> None:
    bulk = replace(config, batch_size=5000, queue_max=rows + 1, retention_delay_s=3600.0, check_on_open=False)
    async with TraceStore(bulk) as store:
        chunk = 10_000
        for start in range(0, rows, chunk):
            for t in make_traces(min(chunk, rows - start), seed=start + 1,
                                 start_ms=wall_ms() - (rows - start) * 1000, span_ms=chunk * 1000):
                store.record(t)
            await store.flush()


async def _run(ctx: BenchContext) -> Measurement:
    rows = 5_000 if ctx.smoke else ctx.size(100_000, 20_000)
    base = TraceStoreConfig(path=ctx.workdir / "read_after.sqlite3", retention_delay_s=3600.0)
    if ctx.settings is not None:
        base = TraceStoreConfig.from_settings(ctx.settings, path=base.path, retention_delay_s=3600.0)
    t0 = time.perf_counter()
    await _build(base, rows)
    build_s = time.perf_counter() - t0
    before_cfg = replace(base.unoptimised(), path=ctx.workdir / "read_before.sqlite3")
    floor_path = ctx.workdir / "read_floor.sqlite3"
    await asyncio.to_thread(shutil.copyfile, base.path, before_cfg.path)
    await asyncio.to_thread(shutil.copyfile, base.path, floor_path)
    await asyncio.to_thread(settle_files, base.path, before_cfg.path, floor_path)

    rng = random.Random(42)
    ids = rng.sample(range(1, rows + 1), 50)
    queries = [TraceQuery(symbol=s, limit=50) for s in SYMBOLS[:50]]

    held: list[Any] = []           # the last sample's results, let go of before the next one starts

    async def read(store: TraceStore) -> None:
        found = await store.get_many(ids)              # a batch each, one hop each: as the window reads
        pages = await store.query_many(queries)
        if len(found) != 50 or any(len(p.traces) != 50 for p in pages):
            raise RuntimeError("the fixture database does not hold the rows the row reads")
        held.append((found, pages))

    async def warm(store: TraceStore) -> None:
        held.append((await store.get_many(ids), await store.query_many(queries)))

    async def one_by_one(store: TraceStore) -> None:
        for i in ids:
            held.append(await store.get(i))
        for q in queries:
            held.append(await store.query(q))

    async def release(*, collect: bool = True) -> None:
        held.clear()
        await asyncio.sleep(0)     # let the loop drop its last references too
        if collect:                # and the garbage the last sample made (the before side's is ~100k objects)
            gc.collect()

    floor = ReadFloor(floor_path, ids, [q.symbol for q in queries if q.symbol], 50)

    def floor_side() -> None:
        found, pages = floor.read()
        if len(found) != 50 or any(len(p) != 50 for p in pages):
            raise RuntimeError("the floor did not read the rows the row reads")
        held.append((found, pages))

    async with TraceStore(base) as after, TraceStore(before_cfg) as before:
        stores = {"after": after, "before": before}

        async def cold(side: str) -> None:
            if side in stores:
                stores[side].clear_cache()
            await release()

        try:
            m = await ctx.compare(after=lambda: read(after), before=lambda: read(before), floor=floor_side,
                                  settle=cold)
        finally:
            floor.close()
        await read(after)
        await release()
        # warm: one side, nothing to collect between samples (a full collection walks every object
        # and leaves the caches it reads cold: 0.10 ms instead of 0.04 here)
        warm_m = await ctx.compare(after=lambda: warm(after), settle=lambda _side: release(collect=False),
                                   repetitions=max(ctx.repetitions, 5), live=False)
        seq_m = await ctx.compare(after=lambda: one_by_one(after), settle=cold, live=False)
        await release()
        before.clear_cache()
        before_pages = await before.query_many(queries)
        after.clear_cache()
        pages = await after.query_many(queries)
        blobs = [t for p in pages for t in p.traces]
        t1 = time.perf_counter()
        for t in blobs:
            decode_payload(t)
        decode_ms = (time.perf_counter() - t1) * 1000.0
        stats = after.stats()
    extra: dict[str, Any] = {
        "rows": rows,
        "db_mb": round(base.path.stat().st_size / 1e6, 1),
        "fixture_build_s": round(build_s, 2),
        "warm_after_ms": round(statistics.median(warm_m.after), 4),
        "warm_target_ms": 0.1,
        "one_by_one_cold_after_ms": round(statistics.median(seq_m.after), 3),
        "decode_all_page_payloads_ms": round(decode_ms, 2),
        "page_rows": len(blobs),
        "page_payloads_decoded_after": sum(t.payload is not None for t in blobs),
        "page_payloads_decoded_before": sum(t.payload is not None for p in before_pages for t in p.traces),
        "full_text": stats.full_text,
        "before_config": "no LRU, no statement cache, payloads decoded eagerly, journal DELETE",
    }
    return Measurement(after=m.after, before=m.before, floor=m.floor, extra=extra)


CASE = BenchCase(
    name="trace_read_100",
    title="TraceStore Read (100 queries)",
    run=_run,
    report_before_ms=120.0,
    report_after_ms=40.0,
    target_ratio=3.0,
    target_floor_ratio=1.6,
    target_text=">= 3x cold on 100k rows, within 1.6x of the same SELECTs returning raw tuples "
                "(<= 0.1 ms warm via the LRU)",
    plain="How long the window takes to read 100 trace lookups (50 by id, 50 pages of 50) from a 100k-trace file.",
    floor_text="the same SELECTs on a bare connection, rows kept as tuples, on the caller's thread: no Trace "
               "objects, no LRU, no reader-thread hop",
)
