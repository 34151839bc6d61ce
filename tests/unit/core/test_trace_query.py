"""TraceQuery is the page cache's key: its cached hash must follow every field equality uses."""

from __future__ import annotations

from dataclasses import fields, replace

from perps_desktop.core.models import TraceQuery

OTHER = {"symbol": "ETH", "kind": "fill", "strategy": "s2", "bot": "b2", "text": "vwap", "since_ms": 5, "until_ms": 9,
         "limit": 7, "offset": 3, "count_total": True, "with_payload": False, "chain": 4}


def test_every_compared_field_is_in_the_hash():
    base = TraceQuery(symbol="BTC", limit=50)
    compared = [f.name for f in fields(TraceQuery) if f.compare]
    assert sorted(compared) == sorted(OTHER)          # a new field must be added to OTHER and the hash
    for name in compared:
        changed = replace(base, **{name: OTHER[name]})
        assert changed != base and hash(changed) != hash(base), name


def test_equal_queries_hash_alike_and_find_each_other_in_a_dict():
    a, b = TraceQuery(symbol="BTC", limit=50), TraceQuery(symbol="BTC", limit=50)
    assert a == b and hash(a) == hash(b) and a is not b
    assert {(a, 3): "page"}[(b, 3)] == "page"
    assert "_hash" not in repr(a)
