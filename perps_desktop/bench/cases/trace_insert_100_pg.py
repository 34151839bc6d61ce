"""Row trace_insert_100_pg: trace_insert_100's workload on the PostgreSQL store.

One sample = `record()` 100 traces on the loop + `await flush()`: serialise, compress the
payloads over 1 KB, one binary COPY into `traces` (its six indices and the generated text
search column), COMMIT, and the answer back on the loop. Both sides start from the same 10,000
rows (2,000 with --quick) in one database; "before" is the same store with
`TraceStoreConfig.unoptimised()`: a COPY and a COMMIT per trace. The server is the one of
PERPS_BENCH_PG_URL when set, else a local one from the pgserver wheel (fsync off: this measures
the store, not a disk), started for the row (`bench/pg_server.py`).

The floor is the driver alone: the same batches, encoded beforehand, in one binary COPY and one
COMMIT through a bare psycopg connection on the bench's own thread. The peer "asyncpg" does the
same with asyncpg's `copy_records_to_table` on the loop: the other driver the store could have
been built on, timed in the same rounds (the figure behind choosing psycopg, README "Traces").
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement, Side
from perps_desktop.bench.cases._trace_data import make_traces
from perps_desktop.bench.cases.trace_insert_100 import BATCH, _insert, _prefill
from perps_desktop.bench.pg_server import bench_config, bench_database, server_label
from perps_desktop.core.clock import wall_ms
from perps_desktop.store import TraceStore, TraceStoreConfig
from perps_desktop.store.codec import PayloadEncoder
from perps_desktop.store.schema import INSERT_COLUMNS

__all__ = ["CASE"]

ASYNCPG = "asyncpg"
_COPY_SQL = f"COPY traces ({INSERT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = ("int8", "text", "text", "text", "text", "float8", "float8", "text", "text", "float8", "text", "bytea")


class _DriverCopies:
    """The floor and the peer: pre-encoded batches through a bare connection of each driver."""

    def __init__(self, config: TraceStoreConfig, traces: list[Any]) -> None:
        import psycopg

        enc = PayloadEncoder(min_bytes=config.compress_min_bytes, level=config.compress_level, bot=config.bot)
        self.rows = [enc.row(t) for t in traces]
        self.url = config.url or ""
        self.psycopg = psycopg.connect(self.url)
        self.asyncpg: Any = None

    async def open_asyncpg(self) -> bool:
        try:
            import asyncpg
        except ImportError:        # a dev dependency: without it the row has no peer
            return False
        self.asyncpg = await asyncpg.connect(self.url)
        return True

    def psycopg_copy(self, start: int) -> None:
        conn = self.psycopg
        with conn.cursor() as cur, cur.copy(_COPY_SQL) as copy:
            copy.set_types(_COPY_TYPES)
            for row in self.rows[start:start + BATCH]:
                copy.write_row(row)
        conn.commit()

    async def asyncpg_copy(self, start: int) -> None:
        async with self.asyncpg.transaction():
            await self.asyncpg.copy_records_to_table("traces", records=self.rows[start:start + BATCH],
                                                     columns=INSERT_COLUMNS.split(", "))

    async def close(self) -> None:
        self.psycopg.close()
        if self.asyncpg is not None:
            await self.asyncpg.close()


async def _run(ctx: BenchContext) -> Measurement:
    async with bench_database("insert") as url:
        base = bench_config(ctx, url)
        after_cfg = replace(base, batch_size=max(BATCH, base.batch_size))
        before_cfg = base.unoptimised()
        await _prefill(after_cfg, 500 if ctx.smoke else ctx.size(10_000, 2_000))
        fresh = make_traces(BATCH * 4 * (ctx.warmup + ctx.repetitions + 1), seed=11,
                            start_ms=wall_ms() + 3_600_000, span_ms=600_000)
        starts = iter(range(0, len(fresh), BATCH))
        drivers = _DriverCopies(after_cfg, fresh)
        peers: dict[str, Side] = {}
        if await drivers.open_asyncpg():
            peers[ASYNCPG] = lambda: drivers.asyncpg_copy(next(starts))

        def side(store: TraceStore) -> Any:
            def run() -> Any:
                start = next(starts)
                return _insert(store, fresh[start:start + BATCH])
            return run

        async with TraceStore(after_cfg) as after, TraceStore(before_cfg) as before:
            commits = {"after": after.stats().batches, "before": before.stats().batches}
            try:
                m = await ctx.compare(after=side(after), before=side(before),
                                      floor=lambda: drivers.psycopg_copy(next(starts)), peers=peers)
            finally:
                await drivers.close()
            samples = len(m.after) + ctx.warmup
            extra: dict[str, Any] = {
                "traces_per_sample": BATCH,
                "commits_per_sample_after": (after.stats().batches - commits["after"]) / samples,
                "commits_per_sample_before": (before.stats().batches - commits["before"]) / samples,
                "server": server_label(),
                "before_config": "batch 1 (a COPY and a COMMIT per trace), no caches",
            }
    return Measurement(after=m.after, before=m.before, floor=m.floor, peers=m.peers, extra=extra,
                       peer_info={ASYNCPG: {"call": "copy_records_to_table, pre-encoded rows, on the loop"}}
                       if ASYNCPG in m.peers else {})


CASE = BenchCase(
    name="trace_insert_100_pg",
    title="TraceStore Batch Insert (100), PostgreSQL",
    run=_run,
    report_before_ms=250.0,
    report_after_ms=35.0,
    target_ratio=7.0,
    target_floor_ratio=2.0,
    target_text=">= 7x: one COPY and COMMIT per 100 traces against one per trace; within 2x of the driver's "
                "bare COPY of pre-encoded rows",
    floor_text="pre-encoded rows, one binary COPY and COMMIT on a bare psycopg connection, on the caller's "
               "thread: no serialising, no compression, no writer-thread hop",
    plain="How long 100 decisions take to be written to a PostgreSQL trace database, from record() to committed.",
)
