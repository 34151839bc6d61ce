from __future__ import annotations

import itertools

from perps_desktop.sim.markets import DEFAULT_MARKETS, Markets
from perps_desktop.sim.wire import price_error

T0 = 1_700_000_000_000


def _path(seed: int, steps: int = 50) -> list[dict]:
    m = Markets(DEFAULT_MARKETS, seed, T0)
    out = []
    for i in range(steps):
        m.step(T0 + 150 * (i + 1))
        out.append(dict(m.mids))
    return out


def test_same_seed_same_path_and_another_seed_another():
    assert _path(7) == _path(7)
    assert _path(7) != _path(8)


def test_at_least_ten_perps_with_realistic_specs():
    names = [s.name for s in DEFAULT_MARKETS]
    assert len(names) >= 10 and names[:3] == ["BTC", "ETH", "SOL"]
    btc = DEFAULT_MARKETS[0]
    assert (btc.sz_decimals, btc.max_leverage) == (5, 40)


def test_mids_move_and_stay_on_valid_prices():
    m = Markets(DEFAULT_MARKETS, 3, T0)
    start = dict(m.mids)
    for i in range(100):
        m.step(T0 + 200 * (i + 1))
        for s in DEFAULT_MARKETS:
            assert price_error(m.mids[s.name], s.sz_decimals) is None
    assert m.mids != start
    assert all(abs(m.mids[c] / start[c] - 1) < 0.2 for c in start)


def test_a_day_of_one_minute_candles_exists_from_the_start():
    m = Markets(DEFAULT_MARKETS, 1, T0)
    rows = m.candles("BTC")
    assert len(rows) == 1440
    assert rows[-1][0] == T0 - T0 % 60_000 - 60_000 and rows[-1][4] == m.mids["BTC"]  # ends where the walk starts
    assert all(b[0] - a[0] == 60_000 for a, b in itertools.pairwise(rows))
    assert all(r[3] <= min(r[1], r[4]) and r[2] >= max(r[1], r[4]) for r in rows)
    prev, base, ntl = m.day_stats("BTC", T0)
    assert prev > 0 and base > 0 and ntl > 0


def test_set_mid_moves_the_mid_and_the_all_mids_body():
    m = Markets(DEFAULT_MARKETS, 1, T0)
    from decimal import Decimal
    m.set_mid("BTC", Decimal("70000"), T0 + 1)
    assert m.mids["BTC"] == 70000
    assert b'"BTC":"70000.0"' in m.all_mids_body
