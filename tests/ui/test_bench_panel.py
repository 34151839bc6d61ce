"""The Benchmarks dock runs the suite in a subprocess and draws rows as they arrive."""

from __future__ import annotations

import itertools
import json

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPicture
from PySide6.QtWidgets import QMainWindow, QTabBar, QTabWidget

from perps_desktop.bench import REGRESSION_THRESHOLD, row_names
from perps_desktop.ui.bench_panel import BenchPanel
from tests.helpers import wait_until

ROW = "memory_bounded"   # always present (the bench framework's own row)


@pytest.fixture
def panel(qtbot):
    p = BenchPanel()
    qtbot.addWidget(p)
    p.resize(900, 600)
    p.show()
    yield p
    p.shutdown()   # no bench subprocess outlives its test


def test_panel_carries_the_contract_object_names(panel):
    for name in ("benchRunButton", "benchCancelButton", "benchRowCombo", "benchQuickCheck", "benchBarChart",
                 "benchLiveChart", "benchHistoryChart", "benchTable"):
        assert panel.findChild(object, name) is not None, name
    assert panel.combo.findData(ROW) >= 0
    assert not panel.cancel_button.isEnabled()


def test_command_runs_the_bench_cli_quick_with_jsonl_for_the_selected_row(panel):
    panel.combo.setCurrentIndex(panel.combo.findData(ROW))
    _program, args = panel.command()
    assert args[-5:] == ["bench", "--jsonl", "--quick", "--only", ROW]
    panel.combo.setCurrentIndex(0)
    assert "--only" not in panel.command()[1]
    panel.quick.setChecked(False)           # a full run
    assert panel.command()[1][-2:] == ["bench", "--jsonl"]


async def test_one_row_run_from_the_panel_draws_its_bar_and_history(panel):
    finished: list[int] = []
    panel.run_finished.connect(finished.append)
    panel.combo.setCurrentIndex(panel.combo.findData(ROW))
    assert ROW not in panel.bar_names()
    panel.run_button.click()
    assert panel.running and panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    await wait_until(lambda: ROW in panel.bar_names(), timeout=120)
    row = panel.row(ROW)
    assert row is not None and row["error"] is None and row["after_ms"]["median"] is not None
    assert panel.model.text(ROW, "verdict") in ("PASS", "MISS")
    await wait_until(lambda: bool(finished), timeout=30)
    assert finished == [0]
    assert panel.history.row == ROW and panel.history.points() == 1   # this run, from the history file
    assert panel.live.row == ROW and panel.live.samples["after"] and len(panel.live.samples["after"]) == row["samples"]
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


async def test_cancel_stops_the_subprocess(panel):
    finished: list[int] = []
    panel.run_finished.connect(finished.append)
    panel.combo.setCurrentIndex(0)          # all rows: long enough to cancel
    panel.run_button.click()
    await wait_until(lambda: panel.status.text().startswith("Running"), timeout=60)
    panel.cancel_button.click()
    await wait_until(lambda: bool(finished), timeout=30)
    assert finished == [-1]
    assert not panel.running
    assert panel.status.text() == "Cancelled"


def _row(name: str, *, after: float, before: float | None = None, floor: float | None = None,
         peers: dict | None = None, passed: bool | None = True, error: str | None = None,
         history: list | None = None) -> dict:
    """A `row` line as `bench --jsonl` sends it."""
    return {"event": "row", "name": name, "title": name, "unit": "ms", "plain": f"what {name} measures",
            "before_ms": None if before is None else {"median": before, "p95": before},
            "after_ms": None if error else {"median": after, "p95": after},
            "ratio": None if before is None or error else before / after,
            "floor_ms": None if floor is None else {"median": floor, "p95": floor},
            "floor_ratio": None if floor is None or error else after / floor,
            "peers": {k: {"median": v, "p95": v} for k, v in (peers or {}).items()},
            "peer_margin": min(peers.values()) / after if peers and not error else None,
            "target": {"ratio": 3.0, "floor_ratio": 1.6 if floor else None, "summary": ">= 3x"},
            "passed": False if error else passed, "error": error, "samples": 3, "history": history or []}


def _stream() -> list[str]:
    """A three-row run: one passes (floor and peer), one misses its floor, one fails."""
    day = 1_764_900_000_000
    history = [{"run": i, "time_ms": day + i * 86_400_000, "after": a, "before": 10.0, "ratio": 10.0 / a}
               for i, a in enumerate((1.0, 1.1, 1.5))]
    lines: list[dict] = [{"event": "start", "rows": ["fast", "slow", "broken"], "units": {"fast": "ms"},
                          "plain": {"fast": "what fast measures"}}]
    lines += [{"event": "sample", "name": "fast", "side": side, "value": v}
              for v in (1.0, 1.2, 0.9) for side, v in (("before", v * 10), ("after", v), ("floor", v * 0.8),
                                                       ("sdk", v * 2))]
    lines.append(_row("fast", before=10.0, after=1.0, floor=0.8, peers={"sdk": 2.0, "ccxt": 3.0}, history=history))
    lines += [{"event": "sample", "name": "slow", "side": "after", "value": 5.0}]
    lines.append(_row("slow", before=20.0, after=5.0, floor=2.0, passed=False))
    lines.append(_row("broken", after=0.0, error="RuntimeError: the simulator did not start"))
    lines.append({"event": "done", "elapsed_s": 1.0, "passed": 1, "missed": 1, "errors": ["broken"], "alerts": []})
    return [json.dumps(line) for line in lines]


def test_a_run_with_a_miss_and_an_error_is_drawn_as_ratios_live_samples_and_dated_history(panel, qtbot):
    panel.feed(_stream())
    bars = panel.bars
    assert panel.bar_names() == ["fast", "slow", "broken"]
    # one unit, times: speed-up over before, time over the floor, lead over the best peer
    assert bars.value("speedup", "fast") == 10.0 and bars.tone("speedup", "fast") == "ok"
    assert bars.value("floor", "fast") == pytest.approx(1.25) and bars.tone("floor", "fast") == "ok"
    assert bars.value("peer", "fast") == 2.0 and bars.tone("peer", "fast") == "ok"
    assert bars.value("floor", "slow") == 2.5 and bars.tone("floor", "slow") == "miss"   # the miss, in its colour
    assert bars.value("speedup", "broken") is None and bars.tone("speedup", "broken") is None
    assert {"10.0×", "1.25×", "2.00×", "2.50×", "ERROR"} <= set(bars.labels())
    # the table: a plain-words line per row, the verdicts
    assert [panel.model.text(n, "verdict") for n in ("fast", "slow", "broken")] == ["PASS", "MISS", "ERROR"]
    assert panel.model.text("fast", "plain") == "what fast measures"
    assert panel.model.text("slow", "floor") == "2.50×" and panel.model.text("fast", "peer") == "2.00×"
    assert panel.status.text().startswith("Done") and "1 miss, 1 error" in panel.status.text()
    # the live strip chart kept the last row's samples; the first row's were there while it ran
    assert panel.live.row == "slow" and panel.live.samples == {"after": [5.0]}
    panel.feed(_stream()[:14])
    assert panel.live.row == "fast" and len(panel.live.samples["after"]) == 3
    assert set(panel.live.samples) == {"before", "after", "floor", "sdk"}
    # history: dated points and the regression threshold (the run before, 20% worse)
    panel.select("fast")
    xs, ys = panel.history.after.getData()
    assert list(ys) == [1.0, 1.1, 1.5] and xs[1] - xs[0] == 86_400.0   # seconds since the epoch: dates
    tx, ty = panel.history.threshold.getData()      # a dash per run at the line it was held to, one for the next
    limit = 1 + REGRESSION_THRESHOLD
    assert list(ty[::2]) == pytest.approx([1.0 * limit, 1.1 * limit, 1.5 * limit])
    centres = [(a + b) / 2 for a, b in zip(tx[::2], tx[1::2], strict=True)]
    assert centres == pytest.approx([xs[1], xs[2], xs[2] + 86_400])
    assert type(panel.history.widget.getPlotItem().getAxis("bottom")).__name__ == "DateAxisItem"
    # one dock, no second tab bar inside it; and it renders
    assert not panel.findChildren(QTabBar) and not panel.findChildren(QTabWidget)
    image = panel.grab().toImage()
    assert not image.isNull() and image.width() > 0


def _full_run() -> list[str]:
    """Every kind of row a full run has: ratios from 0.02x to 135x, floors around the 1.6 line, peers
    either side of 1, and rows measured against an absolute limit only."""
    lines: list[dict] = [{"event": "start", "rows": [], "units": {}, "plain": {}}]
    for name, before, after, floor, peers in (
            ("trace_insert_100", 1401.0, 10.4, 6.51, None), ("trace_read_100", 55.2, 20.6, 14.7, None),
            ("risk_signal_1000", 18.3, 0.176, 0.122, None), ("portfolio_risk_1000", 26.1, 0.264, 11.6, None),
            ("api_calls_10", 523.0, 54.0, None, {"hyperliquid-python-sdk": 58.8}),
            ("recovery_analysis_10x100", 592.0, 9.87, None, None),
            ("order_sign", 478.0, 52.1, 42.2, {"hyperliquid-python-sdk": 514.0}),
            ("trace_insert_100_pg", 62.2, 4.39, 2.38, {"asyncpg": 2.54})):
        lines.append(_row(name, before=before, after=after, floor=floor, peers=peers))
    for name, value in (("ui_loop_lag", 13.4), ("manual_close_under_load", 5.79), ("timeline_10k", 9.1)):
        row = _row(name, after=value)
        row["target"] = {"summary": "<= 16 ms"}
        lines.append(row)
    lines.append({"event": "done", "elapsed_s": 1.0, "passed": 10, "missed": 1, "errors": [], "alerts": []})
    return [json.dumps(line) for line in lines]


def _drawn_labels(axis) -> list[tuple[QRectF, str]]:
    """The labels an axis draws, where it draws them (in its own coordinates), as pyqtgraph lays them out."""
    picture = QPicture()
    painter = QPainter(picture)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [(rect, text) for rect, _flags, text in specs[2]]


@pytest.mark.parametrize("size", [(937, 336), (1100, 300), (1280, 720), (1920, 1080)])
def test_no_axis_label_or_column_title_overlaps_or_is_cut(qtbot, size):
    """The dock as docked in a 1280x720 and a 1920x1080 window (937x336, 1100x300), and as large as
    each window: every axis label drawn clear of the others and inside its axis, every column
    title inside its column. (The ÷ floor axis printed 0.5×, 1×, 1.6×, 3× and 5× over each other.)"""
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = BenchPanel()
    window.setCentralWidget(panel)
    window.resize(*size)
    window.show()
    panel.feed(_full_run())
    panel.select("trace_insert_100")
    panel.live.start_row("trace_insert_100", "ms")
    for i, value in enumerate((12.0, 9.5, 10.1, 11.0, 10.4, 9.9, 10.7, 10.2, 10.3, 10.0, 10.6) * 3):
        panel.live.add_sample("after", value)
        panel.live.add_sample("floor", value * (0.6 + 0.01 * (i % 5)))
    bars = panel.bars
    axes = [(f"{key} ratios", plot.getAxis("bottom")) for key, plot in bars.plots.items()]
    axes += [("row names", bars.plots["speedup"].getAxis("left")),
             ("live values", panel.live.widget.getPlotItem().getAxis("left")),
             ("live samples", panel.live.widget.getPlotItem().getAxis("bottom"))]
    qtbot.waitUntil(lambda: all(_drawn_labels(axis) for _what, axis in axes), timeout=10_000)   # laid out
    for what, axis in axes:
        labels = _drawn_labels(axis)
        horizontal = axis.orientation == "bottom"
        length = axis.width() if horizontal else axis.height()
        spans = sorted((r.left(), r.right()) if horizontal else (r.top(), r.bottom()) for r, _text in labels)
        assert spans[0][0] >= 0 and spans[-1][1] <= length + 0.5, (what, [t for _r, t in labels])   # not cut
        for (_a, end), (start, _b) in itertools.pairwise(spans):
            assert end <= start, (what, [t for _r, t in labels])                                    # no overlap
    assert len(_drawn_labels(bars.plots["speedup"].getAxis("left"))) == len(row_names())         # every row named
    assert "1.6×" in bars.axis_labels("floor")                  # the target's label is the one always kept
    # a value is written right of the bar and of a target the bar falls short of, never over its mark
    assert bars.text_start("speedup", "trace_read_100") == pytest.approx(3.0)           # 2.68×, target 3×
    assert bars.text_start("floor", "order_sign") == pytest.approx(1.6)                 # 1.23×, the 1.6 line
    assert bars.text_start("floor", "trace_insert_100_pg") == pytest.approx(4.39 / 2.38)          # 1.84×: past it
    for key, plot in bars.plots.items():
        title = plot.titleLabel.item.boundingRect().width()
        assert title <= plot.vb.width(), (key, bars.titles()[key])
