"""MidSampler: at most one sample per symbol per second, of the symbols wanted only."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.core.mid_sampler import MidSampler


class Sink:
    def __init__(self) -> None:
        self.samples: list[tuple[str, int, float]] = []

    def record_mids(self, samples) -> None:
        self.samples.extend(samples)


def test_one_sample_per_symbol_per_second_of_the_wanted_symbols():
    sink = Sink()
    wanted = {"BTC", "ETH"}
    sampler = MidSampler(sink, lambda: wanted)
    mids = {"BTC": Decimal("65000.5"), "ETH": Decimal("3400"), "SOL": Decimal("150")}
    assert sampler.sample(mids, 10_000) == 2
    assert sampler.sample(mids, 10_999) == 0                   # the same second
    wanted.add("SOL")
    assert sampler.sample({"BTC": Decimal("65001"), "SOL": Decimal("151")}, 10_999) == 1   # SOL's first
    assert sampler.sample({"BTC": Decimal("65002")}, 11_000) == 1
    assert sorted(sink.samples) == [("BTC", 10, 65000.5), ("BTC", 11, 65002.0), ("ETH", 10, 3400.0),
                                    ("SOL", 10, 151.0)]
