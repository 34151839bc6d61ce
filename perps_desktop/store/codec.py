"""Traces to rows and back: orjson for payloads, zstd for the big ones, a fast row -> Trace.

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
from collections.abc import Callable, Iterable
from decimal import Decimal
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


# --- rows -> Traces without the dataclass __init__ ------------------------------------------
# 100 reads build ~2,500 traces. The frozen dataclass __init__ costs ~2 µs a trace (13
# object.__setattr__ calls) and setting the slots through their descriptors ~0.8 µs. Here a row
# is written into a `_Filling` — the same slots as Trace, without the frozen __setattr__ — with
# plain attribute stores, and the object then becomes a Trace by `__class__` assignment, which
# CPython allows between classes of identical layout: ~0.3 µs a trace, and what comes out is a
# real Trace (its type, equality, hashing and frozenness). tests/unit/store checks the result
# equals Trace(...). Should Trace gain fields the rows do not carry (_EXTRA), the slow path
# fills them with their defaults. `story` is only for recording: a trace read back has its chain.

class _Filling:
    __slots__ = Trace.__slots__


_EXTRA = tuple(
    (f.name, f.default, f.default_factory)
    for f in dataclasses.fields(Trace) if f.name not in (*_ROW_FIELDS, "payload", "payload_blob", "chain", "story"))


def _class_swap_works() -> bool:
    probe = object.__new__(_Filling)
    try:
        probe.__class__ = Trace      # type: ignore[assignment]
    except TypeError:                # a Trace whose layout no longer matches: use the descriptors
        return False
    return True


def traces_from_rows(rows: Iterable[tuple[Any, ...]], *, decode: bool) -> list[Trace]:
    """Traces from rows in `schema.COLUMNS` order: payloads decoded (`decode`), or left as the
    stored bytes in `payload_blob` for `decode_payload` to read when someone asks."""
    if not _FAST or _EXTRA:
        return _traces_from_rows_slow(rows, decode=decode)
    new, filling, cls = object.__new__, _Filling, Trace
    out: list[Any] = []
    append = out.append
    # one tuple unpack into the slots per row (~15% cheaper than twelve `t.x = r[i]`)
    if decode:
        dec = decode_blob
        for r in rows:
            t: Any = new(filling)
            (t.id, t.time_ms, t.kind, t.symbol, t.strategy, t.side, t.size, t.price, t.decision, t.reason,
             t.latency_ms, t.bot, blob, t.chain) = r
            t.payload = dec(blob)
            t.payload_blob = t.story = None
            t.__class__ = cls
            append(t)
    else:
        for r in rows:
            t = new(filling)
            (t.id, t.time_ms, t.kind, t.symbol, t.strategy, t.side, t.size, t.price, t.decision, t.reason,
             t.latency_ms, t.bot, t.payload_blob, t.chain) = r
            t.payload = t.story = None
            t.__class__ = cls
            append(t)
    return out


def _traces_from_rows_slow(rows: Iterable[tuple[Any, ...]], *, decode: bool) -> list[Trace]:
    setters = {n: _slot_setter(n) for n in (*_ROW_FIELDS, "payload", "payload_blob", "chain", "story",
                                            *(e[0] for e in _EXTRA))}
    out = []
    for r in rows:
        t = object.__new__(Trace)
        for i, name in enumerate(_ROW_FIELDS):
            setters[name](t, r[i])
        setters["payload"](t, decode_blob(r[_PAYLOAD]) if decode else None)
        setters["payload_blob"](t, None if decode else r[_PAYLOAD])
        setters["chain"](t, r[_PAYLOAD + 1])
        setters["story"](t, None)
        for name, default, factory in _EXTRA:
            setters[name](t, default if factory is dataclasses.MISSING else factory())
        out.append(t)
    return out


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    return Trace.__dict__[name].__set__  # type: ignore[no-any-return]


_FAST = _class_swap_works()
