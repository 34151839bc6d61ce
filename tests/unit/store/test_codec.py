"""Payload encoding and rows -> Traces."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from decimal import Decimal

import pytest

from perps_desktop.core.models import Side, Trace, TraceKind
from perps_desktop.store.codec import ZSTD_MAGIC, PayloadEncoder, decode_blob, decode_payload, traces_from_rows


def test_small_payloads_stay_plain_json_and_big_ones_are_zstd():
    enc = PayloadEncoder(min_bytes=1024, level=3)
    small = enc.encode({"a": 1})
    big = enc.encode({"rows": [{"k": i, "v": i * 1.5} for i in range(200)]})
    assert small == b'{"a":1}'
    assert big is not None and big[:4] == ZSTD_MAGIC
    assert decode_blob(small) == {"a": 1}
    assert decode_blob(big) == {"rows": [{"k": i, "v": i * 1.5} for i in range(200)]}
    assert enc.encode(None) is None and decode_blob(None) is None


def test_values_json_cannot_hold_are_written_as_text_and_a_bad_payload_keeps_its_trace():
    enc = PayloadEncoder(min_bytes=1024, level=3)
    assert decode_blob(enc.encode({"px": Decimal("65000.5"), 1: {"b"}})) == {"px": "65000.5", "1": ["b"]}
    loop: dict = {}
    loop["self"] = loop
    assert "_unserialisable" in decode_blob(enc.encode(loop))
    assert enc.errors == 1


def test_rows_coerce_enums_and_decimals_so_binding_cannot_fail():
    enc = PayloadEncoder(min_bytes=1024, level=3)
    row = enc.row(Trace(kind=TraceKind.ORDER, time_ms=5, side=Side.BUY, size=Decimal("0.5"), price=Decimal("1.25")))
    assert row[:8] == (5, "order", None, None, "B", 0.5, 1.25, None)
    assert type(row[1]) is str and type(row[5]) is float


def test_traces_from_rows_equal_the_dataclass_built_normally():
    row = (7, 1000, "risk", "BTC", "s1", "A", 1.5, 65000.0, "reject", "too big", 0.25, "box/0xab..cd", b'{"x":1}', 5)
    (built,) = traces_from_rows([row], decode=True)
    normal = Trace(id=7, time_ms=1000, kind="risk", symbol="BTC", strategy="s1", side="A", size=1.5, price=65000.0,
                   decision="reject", reason="too big", latency_ms=0.25, bot="box/0xab..cd", payload={"x": 1},
                   chain=5)
    assert built == normal
    assert all(getattr(built, f.name) == getattr(normal, f.name) for f in dataclasses.fields(Trace))
    (lazy,) = traces_from_rows([row], decode=False)
    assert lazy.payload is None and lazy.payload_blob == b'{"x":1}' and decode_payload(lazy) == {"x": 1}
    assert lazy == replace(normal, payload=None)


def test_a_page_of_rows_becomes_frozen_traces_equal_to_the_constructor_s():
    rows = [(i, 1000 + i, "risk", "BTC" if i % 2 else None, "s1", "A", 1.5 * i, None, "reject", f"r{i}", 0.25,
             f"bot{i % 2}", b'{"x":1}' if i % 3 else None, i // 2 or None) for i in range(1, 7)]
    for decode in (True, False):
        built = traces_from_rows(iter(rows), decode=decode)           # a cursor is an iterator
        expected = [Trace(id=r[0], time_ms=r[1], kind=r[2], symbol=r[3], strategy=r[4], side=r[5], size=r[6],
                          price=r[7], decision=r[8], reason=r[9], latency_ms=r[10], bot=r[11],
                          payload=decode_blob(r[12]) if decode else None,
                          payload_blob=None if decode else r[12], chain=r[13]) for r in rows]
        assert built == expected
        for got, want in zip(built, expected, strict=True):     # every field, the uncompared ones too
            assert all(getattr(got, f.name) == getattr(want, f.name) for f in dataclasses.fields(Trace))
        if not decode:                          # (a decoded payload is a dict: unhashable)
            assert [hash(t) for t in built] == [hash(t) for t in expected]
        assert all(type(t) is Trace for t in built)
        with pytest.raises(dataclasses.FrozenInstanceError):
            built[0].price = 1.0  # type: ignore[misc]
        assert replace(built[1], price=2.0).price == 2.0
    assert traces_from_rows(iter(()), decode=True) == []
