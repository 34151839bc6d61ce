"""SlidingColumns: a re-read window's records as numeric columns, converting only what is new.

The Timeline reads its window again every few seconds while it follows (and on Refresh), and
each read is mostly the one before slid on: the same records less a few at the start, plus a
few at the end. Converting a day's 86,400 mid samples and 10,000 traces to arrays each time
costs ~15 ms of the window's loop; here the overlap is recognised — the new first record found
among the old ones by its time, and the old last record at the place in the new read that the
overlap's length says — and only the new tail is converted. Anything else (a record that came
in the middle, another symbol or window) converts the whole read again, so the columns are
always exactly `convert(records)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

__all__ = ["SlidingColumns"]

T = TypeVar("T")


class SlidingColumns(Generic[T]):
    """`update(records)` -> `convert(records)`, a (columns, n) float array whose row 0 is each
    record's time (ascending, `time_of`'s unit), reusing the last result's overlap."""

    def __init__(self, convert: Callable[[Sequence[T]], np.ndarray], time_of: Callable[[T], float]) -> None:
        self._convert = convert
        self._time_of = time_of
        self._records: Sequence[T] = ()
        self._columns: np.ndarray | None = None
        self.reused = 0                 # records taken from the last result (the latest update), for tests

    def update(self, records: Sequence[T]) -> np.ndarray:
        old, columns = self._records, self._columns
        self.reused = 0
        start = self._find(records[0]) if columns is not None and old and records else None
        if start is not None and columns is not None:
            overlap = len(old) - start
            if overlap <= len(records) and records[overlap - 1] == old[-1]:
                columns = np.concatenate([columns[:, start:], self._convert(records[overlap:])], axis=1)
                self.reused = overlap
            else:
                columns = self._convert(records)
        else:
            columns = self._convert(records)
        self._records, self._columns = records, columns
        return columns

    def _find(self, first: T) -> int | None:
        """Where `first` is among the last records (by its time, then equality), or None."""
        assert self._columns is not None
        times = self._columns[0]
        t = self._time_of(first)
        i = int(np.searchsorted(times, t, side="left"))
        while i < len(times) and times[i] == t:
            if self._records[i] == first:
                return i
            i += 1
        return None
