"""The Timeline's arrays: a re-read window converts only what is new, and draws exactly what a full build draws."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from perps_desktop.app import TimelineData, Trace
from perps_desktop.ui.timeline_arrays import SlidingColumns
from perps_desktop.ui.timeline_plot import _SYMBOLS, CATEGORIES, TimelinePlot, category


def _pairs(records):
    return np.array([[r[0] for r in records], [r[1] for r in records]], dtype=float).reshape(2, -1)


def test_a_slid_window_converts_only_its_new_tail_and_anything_else_all_of_it():
    converted: list[int] = []

    def convert(records):
        converted.append(len(records))
        return _pairs(records)
    cols = SlidingColumns(convert, lambda r: float(r[0]))
    day = [(t, float(t * 10)) for t in range(1000)]
    assert np.array_equal(cols.update(day[:600]), _pairs(day[:600])) and converted == [600]
    slid = day[5:610]                                        # 5 gone at the start, 10 new at the end
    assert np.array_equal(cols.update(slid), _pairs(slid)) and converted[-1] == 10 and cols.reused == 595
    assert np.array_equal(cols.update(slid), _pairs(slid)) and converted[-1] == 0     # read again, unchanged
    late = [*slid[:300], (304, -1.0), *slid[300:]]            # a record that came in the middle: all again
    assert np.array_equal(cols.update(late), _pairs(late)) and converted[-1] == len(late) and cols.reused == 0
    ties = [(7, 1.0), (7, 2.0), (7, 3.0), (8, 4.0)]            # equal times: found by equality, not time alone
    cols.update(ties)
    more = [*ties[1:], (9, 5.0)]
    assert np.array_equal(cols.update(more), _pairs(more)) and cols.reused == 3
    other = [(2000 + t, 1.0) for t in range(50)]              # another window
    assert np.array_equal(cols.update(other), _pairs(other)) and converted[-1] == 50
    assert cols.update([]).shape == (2, 0)


def _timeline(start_s: int, seconds: int) -> TimelineData:
    kinds = (("signal", None), ("risk", "reject"), ("order", "stop_placed"), ("fill", None), ("breaker", "open"))
    times = range(start_s, start_s + seconds)               # every record a function of its second alone
    traces = tuple(Trace(kind=kinds[s % 5][0], decision=kinds[s % 5][1], time_ms=s * 1000, id=s + 1, symbol="BTC",
                         side="AB"[s % 2], price=100.0 + s % 7, reason=f"t{s}") for s in times)
    mids = tuple((s * 1000, 100.0 + s % 13) for s in times)
    return TimelineData(symbol="BTC", since_ms=start_s * 1000, until_ms=(start_s + seconds) * 1000, mids=mids,
                        traces=traces)


def test_the_markers_drawn_are_those_pyqtgraph_builds_point_by_point(qtbot):
    from PySide6.QtWidgets import QWidget

    host = QWidget()                    # the plot inside a widget, as in the dock (closed once, by qtbot)
    qtbot.addWidget(host)
    plot = TimelinePlot(host)
    colors = [QColor.fromHsv(i * 360 // len(CATEGORIES), 200, 220) for i in range(len(CATEGORIES))]
    plot.set_colors(colors, price=QColor("white"), background=QColor("black"), foreground=QColor("gray"))
    reference = pg.ScatterPlotItem(pxMode=True, size=9.0, pen=None, hoverable=True)
    for data in (_timeline(1000, 400), _timeline(1030, 400)):        # a first read, then one slid on 30 s
        plot.set_data(data)
        cats = [category(t) for t in data.traces]
        got = plot.all_markers.data
        reference.setData(x=got["x"], y=got["y"], data=np.arange(len(cats)), symbol=[_SYMBOLS[c] for c in cats],
                          brush=[pg.mkBrush(colors[CATEGORIES.index(c)]) for c in cats])
        want = reference.data
        assert len(got) == len(data.traces) == 400
        assert np.array_equal(got["x"], [t.time_ms / 1000.0 for t in data.traces])
        assert list(got["symbol"]) == list(want["symbol"]) and list(got["data"]) == list(want["data"])
        assert [b.color().name() for b in got["brush"]] == [b.color().name() for b in want["brush"]]
        assert np.array_equal(got["size"], want["size"]) and np.array_equal(got["visible"], want["visible"])
        rect = [(r["w"], r["h"]) for r in got["sourceRect"]]
        assert rect == [(r["w"], r["h"]) for r in want["sourceRect"]] and all(w > 0 for w, _ in rect)
        assert plot.traces == data.traces and plot.describe(0).endswith(f"trace #{data.traces[0].id}")
    assert plot._marks.reused == 370                                  # the slid read reused its overlap
    plot.grab()
