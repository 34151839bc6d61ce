"""Each trace names the core that wrote it (`bot`), and reads filter by it."""

from __future__ import annotations

from perps_desktop.core.models import Trace, TraceQuery
from perps_desktop.store import TraceStore, TraceStoreConfig


async def test_traces_carry_the_store_s_bot_unless_they_name_their_own_and_reads_filter_by_it(tmp_path):
    cfg = TraceStoreConfig(path=tmp_path / "t.sqlite3", retention_delay_s=3600.0, bot="box/0x12ab..cdef")
    async with TraceStore(cfg) as store:
        for i in range(6):
            store.record(Trace(kind="risk", time_ms=1000 + i, reason=f"size capped {i}",
                               bot="other" if i % 3 == 0 else ""))
        await store.flush()
        mine = await store.query(TraceQuery(bot="box/0x12ab..cdef"))
        assert [t.time_ms for t in mine.traces] == [1005, 1004, 1002, 1001]
        assert {t.bot for t in mine.traces} == {"box/0x12ab..cdef"}
        other = await store.query(TraceQuery(bot="other", text="capped"))
        assert [t.time_ms for t in other.traces] == [1003, 1000]
        assert (await store.get(mine.traces[0].id)).bot == "box/0x12ab..cdef"
    async with TraceStore(TraceStoreConfig(path=cfg.path, read_only=True)) as reader:
        assert len((await reader.query(TraceQuery(bot="other"))).traces) == 2
