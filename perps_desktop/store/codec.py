"""Traces to rows and back: orjson for payloads, zstd for the big ones, rows -> Traces a column at a time.

Why zstd, level 1: the 59 of 100 float-heavy payloads over 1 KB (bench/cases/_trace_data.py,
median 1.15 KB) compress in 0.37 ms with zstd-1, 0.50 ms with zstd-3 and 1.69 ms with zlib-6, all
to the same ~1.86x; a blob decompresses in ~3 µs with zstd against ~8 µs with zlib (this machine,
CPU time; research/perf-limits.md found the same 3.3x zstd-vs-zlib gap). Payloads under
`compress_min_bytes` stay plain JSON: a zstd frame costs a ~13-byte header and a few µs, which
small payloads do not pay back.

A stored payload is the JSON bytes, or a zstd frame of them. JSON never starts with the zstd
magic number (0x28 = "(" cannot start a JSON text), so the blob says itself which it is.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import repeat
from pathlib import PurePath
from typing import Any

import orjson
import zstandard

from perps_desktop.core.models import Trace

__all__ = ["PayloadEncoder", "decode_blob", "decode_payload", "traces_from_rows"]

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_DUMPS_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_dumps = orjson.dumps

# The columns of a stored trace, in SELECT order (see schema.COLUMNS).
_ROW_FIELDS = ("id", "time_ms", "kind", "symbol", "strategy", "side", "size", "price", "decision", "reason",
               "latency_ms", "bot")
_PAYLOAD = len(_ROW_FIELDS)      # the payload's column follows them, then the chain's


def _default(obj: Any) -> Any:
    """What orjson cannot write itself: exact numbers as text, sets as lists, the rest as repr."""
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=repr)
    if isinstance(obj, bytes | bytearray):
        return bytes(obj).hex()
    if isinstance(obj, PurePath):
        return str(obj)
    return repr(obj)


class PayloadEncoder:
    """Serialises and compresses payloads; one per thread (a zstd compressor is not thread-safe)."""

    __slots__ = ("_compress", "bot", "errors", "min_bytes")

    def __init__(self, *, min_bytes: int, level: int, bot: str = "") -> None:
        self.min_bytes = min_bytes
        self.bot = bot                   # written for traces that do not name their bot
        self._compress = zstandard.ZstdCompressor(level=level).compress
        self.errors = 0

    def encode(self, payload: Any) -> bytes | None:
        if payload is None:
            return None
        try:
            # plain orjson first (15% cheaper than with the options); it refuses exactly what the
            # options and `_default` exist for, and writes everything else the same
            data = _dumps(payload)
        except TypeError:                # orjson.JSONEncodeError is a TypeError
            data = self._dumps_any(payload)
        if len(data) >= self.min_bytes:
            return self._compress(data)
        return data

    def _dumps_any(self, payload: Any) -> bytes:
        try:
            return _dumps(payload, default=_default, option=_DUMPS_OPTIONS)
        except TypeError as exc:          # e.g. a circular structure: keep the trace
            self.errors += 1
            return _dumps({"_unserialisable": f"{type(exc).__name__}: {exc}"})

    def row(self, t: Trace) -> tuple[Any, ...]:
        """The INSERT parameters of one trace after its id and chain (values coerced so binding cannot fail)."""
        time_ms, kind, symbol, strategy, side = t.time_ms, t.kind, t.symbol, t.strategy, t.side
        size, price, decision, reason, latency = t.size, t.price, t.decision, t.reason, t.latency_ms
        # the common case (plain str / float / None) costs no call; anything else is coerced
        return (time_ms if type(time_ms) is int else int(time_ms),
                kind if type(kind) is str else str(kind),
                symbol if symbol is None or type(symbol) is str else str(symbol),
                strategy if strategy is None or type(strategy) is str else str(strategy),
                side if side is None or type(side) is str else str(side),
                size if size is None or type(size) is float else float(size),
                price if price is None or type(price) is float else float(price),
                decision if decision is None or type(decision) is str else str(decision),
                reason if type(reason) is str else (str(reason) if reason is not None else ""),
                latency if latency is None or type(latency) is float else float(latency),
                t.bot or self.bot,
                self.encode(t.payload))


_local = threading.local()


def decode_blob(blob: bytes | None) -> Any:
    """The payload stored in `blob` (None stays None)."""
    if blob is None:
        return None
    if blob[:4] == ZSTD_MAGIC:
        dec = getattr(_local, "decompress", None)
        if dec is None:
            dec = _local.decompress = zstandard.ZstdDecompressor().decompress
        blob = dec(blob)
    return orjson.loads(blob)


def decode_payload(trace: Trace) -> Any:
    """A trace's payload, decoding the stored bytes of a query result when it has not been yet."""
    if trace.payload is not None:
        return trace.payload
    return decode_blob(trace.payload_blob)


# --- rows -> Traces --------------------------------------------------------------------------
# 100 reads build ~2,500 traces. Trace is a frozen slotted dataclass: its __init__ stores each of
# its 16 fields through object.__setattr__ (~2.2 µs a trace here). A page is instead filled column
# by column through the slots' own member descriptors (`Trace.<field>.__set__`, the descriptor
# protocol object.__setattr__ itself ends in, skipping only the frozen check), each column one
# `map` run in C over the page: ~0.85 µs a trace, the fastest public way measured (per-row
# descriptor calls 0.9, object.__setattr__ 1.5). What comes out is a plain Trace; tests/unit/store
# checks every field against Trace(...). A field the rows do not carry gets its default (`story`
# is only for recording: a trace read back has its chain). It costs trace_read_100 ~13% against
# the `__class__` swap from a look-alike class it replaced (~0.3 µs a trace); only a tuple-based
# Trace (NamedTuple, ~0.2 µs) builds faster, at the price of Trace's dataclass API and equality.

_SET: dict[str, Callable[[Trace, Any], None]] = {
    f.name: Trace.__dict__[f.name].__set__ for f in dataclasses.fields(Trace)}
_COLUMN_SETTERS = tuple(_SET[name] for name in (*_ROW_FIELDS, "payload_blob", "chain"))   # schema.COLUMNS' order
_DEFAULTS = tuple((_SET[f.name], f.default, f.default_factory) for f in dataclasses.fields(Trace)
                  if f.name not in (*_ROW_FIELDS, "payload_blob", "chain", "payload"))
# runs a `map` to its end, keeping nothing
_consume: Callable[[Iterable[None]], None] = deque[None](maxlen=0).extend


def traces_from_rows(rows: Iterable[tuple[Any, ...]], *, decode: bool) -> list[Trace]:
    """Traces from rows in `schema.COLUMNS` order: payloads decoded (`decode`), or left as the
    stored bytes in `payload_blob` for `decode_payload` to read when someone asks."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return []
    out: list[Trace] = list(map(object.__new__, repeat(Trace, len(rows))))
    columns = tuple(zip(*rows, strict=True))
    for setter, column in zip(_COLUMN_SETTERS, columns, strict=True):
        _consume(map(setter, out, column))
    if decode:
        _consume(map(_SET["payload"], out, map(decode_blob, columns[_PAYLOAD])))
        _consume(map(_SET["payload_blob"], out, repeat(None)))
    else:
        _consume(map(_SET["payload"], out, repeat(None)))
    for setter, default, factory in _DEFAULTS:
        _consume(map(setter, out, repeat(default) if factory is dataclasses.MISSING else
                     (factory() for _ in out)))
    return out
