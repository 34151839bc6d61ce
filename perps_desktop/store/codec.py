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
from collections.abc import Callable
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import orjson
import zstandard

from perps_desktop.core.models import Trace

__all__ = ["PayloadEncoder", "decode_blob", "decode_payload", "traces_from_rows"]

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_DUMPS_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

# The columns of a stored trace, in SELECT order (see schema.COLUMNS).
_ROW_FIELDS = ("id", "time_ms", "kind", "symbol", "strategy", "side", "size", "price", "decision", "reason",
               "latency_ms")


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

    __slots__ = ("_compress", "errors", "min_bytes")

    def __init__(self, *, min_bytes: int, level: int) -> None:
        self.min_bytes = min_bytes
        self._compress = zstandard.ZstdCompressor(level=level).compress
        self.errors = 0

    def encode(self, payload: Any) -> bytes | None:
        if payload is None:
            return None
        try:
            data = orjson.dumps(payload, default=_default, option=_DUMPS_OPTIONS)
        except (TypeError, orjson.JSONEncodeError) as exc:   # e.g. a circular structure: keep the trace
            self.errors += 1
            data = orjson.dumps({"_unserialisable": f"{type(exc).__name__}: {exc}"})
        if len(data) >= self.min_bytes:
            return self._compress(data)
        return data

    def row(self, t: Trace) -> tuple[Any, ...]:
        """The INSERT parameters of one trace (values coerced so binding cannot fail)."""
        return (int(t.time_ms), _text(t.kind), _text(t.symbol), _text(t.strategy), _text(t.side),
                _real(t.size), _real(t.price), _text(t.decision), _text(t.reason) or "", _real(t.latency_ms),
                self.encode(t.payload))


def _text(v: Any) -> str | None:
    return v if v is None or type(v) is str else str(v)


def _real(v: Any) -> float | None:
    return v if v is None or type(v) is float else float(v)


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
# 100 reads build ~2,500 traces; the frozen dataclass __init__ costs ~2 µs a trace (13
# object.__setattr__ calls), setting the slots directly in one loop ~0.6 µs. tests/unit/store
# checks the result equals Trace(...). Fields added to Trace later get their defaults via _EXTRA.

def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    return Trace.__dict__[name].__set__  # type: ignore[no-any-return]


_SETTERS = tuple(_slot_setter(n) for n in _ROW_FIELDS)
_s_payload = _slot_setter("payload")
_s_blob = _slot_setter("payload_blob")
_EXTRA = tuple(
    (_slot_setter(f.name), f.default, f.default_factory)
    for f in dataclasses.fields(Trace) if f.name not in (*_ROW_FIELDS, "payload", "payload_blob"))
_new = object.__new__


def traces_from_rows(rows: list[tuple[Any, ...]], *, decode: bool) -> list[Trace]:
    """Traces from rows in `schema.COLUMNS` order: payloads decoded (`decode`), or left as the
    stored bytes in `payload_blob` for `decode_payload` to read when someone asks."""
    new, cls = _new, Trace
    s_id, s_time, s_kind, s_symbol, s_strategy, s_side, s_size, s_price, s_decision, s_reason, s_latency = _SETTERS
    s_payload, s_blob, extra, dec = _s_payload, _s_blob, _EXTRA, decode_blob
    out = []
    append = out.append
    for r in rows:
        t = new(cls)
        s_id(t, r[0])
        s_time(t, r[1])
        s_kind(t, r[2])
        s_symbol(t, r[3])
        s_strategy(t, r[4])
        s_side(t, r[5])
        s_size(t, r[6])
        s_price(t, r[7])
        s_decision(t, r[8])
        s_reason(t, r[9])
        s_latency(t, r[10])
        if decode:
            s_payload(t, dec(r[11]))
            s_blob(t, None)
        else:
            s_payload(t, None)
            s_blob(t, r[11])
        for setter, default, factory in extra:
            setter(t, default if factory is dataclasses.MISSING else factory())
        append(t)
    return out
