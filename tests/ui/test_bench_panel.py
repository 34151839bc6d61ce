"""The Benchmarks dock runs the suite in a subprocess and draws rows as they arrive."""

from __future__ import annotations

import pytest

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
    for name in ("benchRunButton", "benchCancelButton", "benchRowCombo", "benchBarChart", "benchHistoryChart",
                 "benchTable"):
        assert panel.findChild(object, name) is not None, name
    assert panel.combo.findData(ROW) >= 0
    assert not panel.cancel_button.isEnabled()


def test_command_runs_the_bench_cli_quick_with_jsonl_for_the_selected_row(panel):
    panel.combo.setCurrentIndex(panel.combo.findData(ROW))
    _program, args = panel.command()
    assert args[-5:] == ["bench", "--jsonl", "--quick", "--only", ROW]
    panel.combo.setCurrentIndex(0)
    assert "--only" not in panel.command()[1]


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
