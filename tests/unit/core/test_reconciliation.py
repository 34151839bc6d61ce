"""PartialReconcile: parts arrive one by one, a failed part is named and read again alone."""

from __future__ import annotations

import pytest

from perps_desktop.core.reconciliation import PartialReconcile
from perps_desktop.errors import TransportError


async def test_the_parts_that_arrived_are_shown_and_kept_and_only_the_missing_one_is_read_again():
    calls = {"account": 0, "orders": 0, "fills": 0}
    fills_fail = [True]
    shown: list[str] = []

    def reader(name: str):
        async def read() -> str:
            calls[name] += 1
            if name == "fills" and fills_fail[0]:
                raise TransportError("HTTP 500: 'injected error'", endpoint="info:userFills")
            return name.upper()
        return read

    parts = PartialReconcile({n: reader(n) for n in calls}, lambda name, value: shown.append(name))
    with pytest.raises(TransportError):
        await parts.run()
    assert sorted(shown) == ["account", "orders"] and not parts.complete
    assert parts.describe() == "have account, orders; missing fills (info:userFills: HTTP 500: 'injected error')"
    fills_fail[0] = False
    assert await parts.run() == ("ACCOUNT", "ORDERS", "FILLS")
    assert calls == {"account": 1, "orders": 1, "fills": 2} and parts.complete
