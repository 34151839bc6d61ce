"""Nonces grow strictly per signer, even within one millisecond or when the clock steps back."""

from __future__ import annotations

import threading

from perps_desktop.core.clock import ManualClock
from perps_desktop.exchange.nonce import NonceSource


def test_same_millisecond_still_increases():
    nonces = NonceSource(ManualClock(wall_ms=1_700_000_000_000))
    got = [nonces.next("0xAbC") for _ in range(5)]
    assert got == [1_700_000_000_000 + i for i in range(5)]


def test_clock_stepping_back_does_not_reuse_a_nonce():
    clock = ManualClock(wall_ms=1000)
    nonces = NonceSource(clock)
    a = nonces.next("0xa")
    clock.set_wall_ms(900)
    b = nonces.next("0xa")
    clock.set_wall_ms(2000)
    c = nonces.next("0xa")
    assert a < b < c and c == 2000


def test_signers_are_independent_and_case_insensitive():
    nonces = NonceSource(ManualClock(wall_ms=50))
    assert nonces.next("0xAA") == 50
    assert nonces.next("0xaa") == 51
    assert nonces.next("0xbb") == 50
    assert nonces.last("0xAa") == 51


def test_threads_never_share_a_nonce():
    nonces = NonceSource()
    out: list[int] = []

    def work():
        out.extend(nonces.next("0xa") for _ in range(2000))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == len(out) == 8000
