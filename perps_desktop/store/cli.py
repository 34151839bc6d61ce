"""`perps-desktop traces`: read a trace database from the shell, as a table, CSV or JSON.

    perps-desktop traces --symbol BTC --since 2h --limit 20
    perps-desktop traces --kind risk --format json > risk.json
    perps-desktop traces --chain 1234 --format json       # the story trace 1234 belongs to, oldest first

Opens the file read-only (it can be read while the app writes it) and never migrates it.
Newest first. Exit 0; 1 when the database is missing or unusable; 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

import orjson

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import Trace, TraceQuery
from perps_desktop.errors import StoreError
from perps_desktop.store.codec import decode_payload
from perps_desktop.store.store_config import TraceStoreConfig
from perps_desktop.store.trace_store import TraceStore

if TYPE_CHECKING:
    from perps_desktop.config import Settings

__all__ = ["format_time", "parse_since", "run"]

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_TABLE_COLUMNS = ("id", "chain", "time", "kind", "symbol", "strategy", "side", "size", "price", "decision",
                  "latency_ms", "reason")
_CSV_COLUMNS = ("id", "chain", "time_ms", "time", "kind", "symbol", "strategy", "side", "size", "price", "decision",
                "latency_ms", "bot", "reason", "payload")


def parse_since(text: str, *, now_ms: int | None = None) -> int:
    """`--since`: epoch milliseconds, an ISO time (UTC unless it says otherwise), or an age (15m, 2h, 1d)."""
    now = now_ms if now_ms is not None else wall_ms()
    s = text.strip()
    if s.isdigit():
        return int(s)
    m = _AGE.match(s)
    if m:
        return now - int(float(m.group(1)) * _UNIT_MS[m.group(2).lower()])
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"--since {text!r}: give an ISO time, epoch ms, or an age like 15m / 2h / 1d") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def format_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _record(t: Trace) -> dict[str, Any]:
    return {"id": t.id, "chain": t.chain, "time_ms": t.time_ms, "time": format_time(t.time_ms), "kind": t.kind,
            "symbol": t.symbol, "strategy": t.strategy, "side": t.side, "size": t.size, "price": t.price,
            "decision": t.decision, "latency_ms": t.latency_ms, "bot": t.bot, "reason": t.reason,
            "payload": decode_payload(t)}


def _write_table(traces: Sequence[Trace], out: IO[str]) -> None:
    rows = [[_cell(r[c]) for c in _TABLE_COLUMNS] for r in map(_record, traces)]
    widths = [max([len(c), *(len(row[i]) for row in rows)]) for i, c in enumerate(_TABLE_COLUMNS)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
    out.write(fmt.format(*_TABLE_COLUMNS).rstrip() + "\n")
    for row in rows:
        out.write(fmt.format(*row).rstrip() + "\n")
    if not rows:
        out.write("(no traces match)\n")


def _write_csv(traces: Sequence[Trace], out: IO[str]) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_CSV_COLUMNS)
    for rec in map(_record, traces):
        payload = rec["payload"]
        rec["payload"] = "" if payload is None else orjson.dumps(payload).decode()
        w.writerow([_cell(rec[c]) if c != "payload" else rec[c] for c in _CSV_COLUMNS])


def _write_json(traces: Sequence[Trace], out: IO[str]) -> None:
    out.write(orjson.dumps([_record(t) for t in traces], option=orjson.OPT_INDENT_2).decode() + "\n")


_WRITERS: dict[str, Callable[[Sequence[Trace], IO[str]], None]] = {
    "table": _write_table, "csv": _write_csv, "json": _write_json}


async def _read(config: TraceStoreConfig, query: TraceQuery, chain: int | None) -> tuple[Trace, ...]:
    async with TraceStore(config) as store:
        if chain is not None:
            return await store.chain_of(chain, limit=query.limit)
        return (await store.query(query)).traces


def run(args: argparse.Namespace, settings: Settings) -> int:
    """The `traces` subcommand (arguments parsed by perps_desktop.cli)."""
    fmt = getattr(args, "format", "table") or "table"
    limit = getattr(args, "limit", 50)
    if limit is None or limit < 0:
        print("perps-desktop traces: --limit must be >= 0", file=sys.stderr)
        return 2
    try:
        since = getattr(args, "since", None)
        since_ms = parse_since(since) if since else None
    except ValueError as exc:
        print(f"perps-desktop traces: {exc}", file=sys.stderr)
        return 2
    config = TraceStoreConfig.from_settings(settings, read_only=True, lazy_payload=False, check_on_open=False,
                                            read_threads=1, cache_size=0, query_cache_size=0)
    chain = getattr(args, "chain", None)
    query = TraceQuery(symbol=getattr(args, "symbol", None), kind=getattr(args, "kind", None),
                       bot=getattr(args, "bot", None), since_ms=since_ms, limit=min(limit, 100_000))
    if chain is not None:                   # a story is printed whole (up to 100,000 traces), oldest first
        query = TraceQuery(limit=100_000)
    try:
        traces = asyncio.run(_read(config, query, chain))
    except StoreError as exc:
        print(f"perps-desktop traces: {exc}", file=sys.stderr)
        return 1
    if chain is not None and not traces:
        print(f"perps-desktop traces: no trace with id {chain}", file=sys.stderr)
        return 1
    _WRITERS[fmt](traces, sys.stdout)
    return 0
