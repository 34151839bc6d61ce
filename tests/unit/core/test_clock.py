"""The one clock: the system clock reads `time`, a ManualClock moves only when told."""

from __future__ import annotations

import time

import pytest

from perps_desktop.core.clock import SYSTEM_CLOCK, Clock, ManualClock, monotonic, wall_ms


def test_the_system_clock_is_the_process_clock() -> None:
    before_ms, before = time.time_ns() // 1_000_000, time.monotonic()
    assert before_ms <= SYSTEM_CLOCK.wall_ms() <= time.time_ns() // 1_000_000
    assert before <= SYSTEM_CLOCK.monotonic() <= time.monotonic()
    assert SYSTEM_CLOCK.monotonic is time.monotonic and monotonic is time.monotonic   # no extra call on hot paths
    assert before_ms <= wall_ms() <= time.time_ns() // 1_000_000


def test_a_manual_clock_stands_still_until_advanced_and_moves_both_readings() -> None:
    clock: Clock = ManualClock(wall_ms=5_000, monotonic=10.0)
    assert (clock.monotonic(), clock.wall_ms()) == (10.0, 5_000)
    assert (clock.monotonic(), clock.wall_ms()) == (10.0, 5_000)
    assert isinstance(clock, ManualClock)
    clock.advance(1.5)
    assert (clock.monotonic(), clock.wall_ms()) == (11.5, 6_500)
    clock.set_wall_ms(100)                       # the wall clock may step back (NTP); monotonic never does
    assert (clock.monotonic(), clock.wall_ms()) == (11.5, 100)
    with pytest.raises(ValueError):
        clock.advance(-1)
