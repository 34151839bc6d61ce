"""BenchPanel: the Benchmarks dock — runs the suite in a subprocess and shows it as a trader reads it.

Run starts `perps-desktop bench --jsonl [--quick] [--only NAME]` through a QProcess, so the window's
loop never runs a benchmark. The stream it reads (see `bench/cli.py`) feeds four views, all in
one dock and none behind a tab: the ratio chart (per row: × faster than before, × the floor's
time, × ahead of the best peer), the live strip chart of the running row's samples, the selected
row's dated history with its regression threshold, and a table whose second column says in plain
words what each row measures. Cancel stops the process (SIGTERM, then a kill). The panel never
opens the history database: the subprocess sends it. Chart colours are Qt properties set from
the QSS (`qproperty-plotBackground` ...).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from PySide6.QtCore import Property, QProcess, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from perps_desktop.bench import row_names
from perps_desktop.ui.bench_charts import ChartColors, RatioChart
from perps_desktop.ui.bench_series import HistoryChart, LiveChart, unit_label
from perps_desktop.ui.bench_table import BenchTableModel, verdict, with_text
from perps_desktop.ui.table_view import DataTable

__all__ = ["BenchPanel"]

ALL = "All rows"
_KILL_AFTER_MS = 3000


def _color_property(attr: str) -> Property:
    def get(self: BenchPanel) -> QColor:
        return self._colors[attr]

    def put(self: BenchPanel, value: QColor) -> None:
        self._colors[attr] = QColor(value)
        self._restyle()

    return Property(QColor, get, put)


class BenchPanel(QWidget):
    """Run all rows or one, watch them arrive, and see each row's history."""

    row_received = Signal(dict)
    """A bench row finished in the subprocess: its JSON dict (with "history")."""
    run_finished = Signal(int)
    """The bench subprocess ended: its exit code (-1 when cancelled or it crashed)."""

    plotBackground = _color_property("plotBackground")
    plotForeground = _color_property("plotForeground")
    beforeColor = _color_property("beforeColor")
    afterColor = _color_property("afterColor")
    floorColor = _color_property("floorColor")
    missColor = _color_property("missColor")
    peerColor = _color_property("peerColor")
    peerColor2 = _color_property("peerColor2")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("benchPanel")
        self.setAccessibleName("Benchmarks")
        self._colors = {"plotBackground": QColor("#0d1117"), "plotForeground": QColor("#8b949e"),
                        "beforeColor": QColor("#8b949e"), "afterColor": QColor("#58a6ff"),
                        "floorColor": QColor("#3fb950"), "missColor": QColor("#f0883e"),
                        "peerColor": QColor("#d2a8ff"), "peerColor2": QColor("#e3b341")}
        self._rows: dict[str, dict[str, Any]] = {}
        self._order: list[str] = row_names()
        self._units: dict[str, str] = {}
        self._plain: dict[str, str] = {}
        self._buf = b""
        self._stderr: list[str] = []
        self._cancelled = False
        self._proc: QProcess | None = None

        self.combo = QComboBox(self)
        self.combo.setObjectName("benchRowCombo")
        self.combo.setAccessibleName("Benchmark row to run")
        self.combo.addItem(ALL, None)
        for name in row_names():
            self.combo.addItem(name, name)
        self.combo.currentIndexChanged.connect(self._combo_changed)
        self.quick = QCheckBox("Quick", self)
        self.quick.setObjectName("benchQuickCheck")
        self.quick.setAccessibleName("Quick run: fewer repetitions and smaller N")
        self.quick.setToolTip("--quick: under a minute for every row; a full run takes a few minutes")
        self.quick.setChecked(True)
        self.run_button = QPushButton("Run", self)
        self.run_button.setObjectName("benchRunButton")
        self.run_button.setAccessibleName("Run benchmarks")
        self.run_button.setToolTip("Run the selected row (or all) in a separate process")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("benchCancelButton")
        self.cancel_button.setAccessibleName("Cancel the benchmark run")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel("Not run yet", self)
        self.status.setObjectName("benchStatusLabel")
        self.status.setAccessibleName("Benchmark status")

        self.bars = RatioChart(self)
        self.live = LiveChart(self)
        self.history = HistoryChart(self)
        self.model = BenchTableModel(parent=self)
        self.table = DataTable(self.model, object_name="benchTable", accessible_name="Benchmark results",
                               parent=self)
        self.table.selectionModel().currentRowChanged.connect(self._table_changed)

        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 0)
        top.addWidget(QLabel("Row", self))
        top.addWidget(self.combo)
        top.addWidget(self.quick)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.status, 1)
        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.live.widget)
        right.addWidget(self.history.widget)
        charts = QSplitter(Qt.Orientation.Horizontal, self)
        charts.addWidget(self.bars.view)
        charts.addWidget(right)
        charts.setSizes([780, 520])
        split = QSplitter(Qt.Orientation.Vertical, self)    # the table spans the width: its plain words fit
        split.setObjectName("benchSplitter")
        split.addWidget(charts)
        split.addWidget(self.table)
        split.setSizes([520, 300])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        self._restyle()

    # --- styling -----------------------------------------------------------------------
    def chart_colors(self) -> ChartColors:
        c = self._colors
        return ChartColors(background=c["plotBackground"], foreground=c["plotForeground"], before=c["beforeColor"],
                           after=c["afterColor"], floor=c["floorColor"], miss=c["missColor"],
                           peers=(c["peerColor"], c["peerColor2"]))

    def _restyle(self) -> None:
        if not hasattr(self, "history"):
            return
        colors = self.chart_colors()
        self.bars.restyle(colors)
        self.live.restyle(colors)
        self.history.restyle(colors)
        self.bars.set_rows(self._order, self._rows)

    # --- running -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning

    def command(self) -> tuple[str, list[str]]:
        """The program and arguments Run starts (the frozen app runs itself)."""
        args = ["bench", "--jsonl", *(["--quick"] if self.quick.isChecked() else [])]
        only = self.combo.currentData()
        if only:
            args += ["--only", str(only)]
        if getattr(sys, "frozen", False):
            return sys.executable, args
        return sys.executable, ["-m", "perps_desktop", *args]

    def start(self) -> None:
        """Start a run (ignored while one is running)."""
        if self.running:
            return
        program, args = self.command()
        self._buf = b""
        self._stderr = []
        self._cancelled = False
        proc = QProcess(self)
        proc.setProgram(program)
        proc.setArguments(args)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self._proc = proc
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Starting {' '.join(args[:1] + args[1:])} …")
        proc.start()

    def cancel(self) -> None:
        """Stop the running subprocess: terminate now, kill if still alive after 3 s."""
        proc = self._proc
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return
        self._cancelled = True
        self.status.setText("Cancelling …")
        proc.terminate()
        QTimer.singleShot(_KILL_AFTER_MS, lambda: self._kill(proc))

    @staticmethod
    def _kill(proc: QProcess) -> None:
        try:
            if proc.state() != QProcess.ProcessState.NotRunning:
                proc.kill()
        except RuntimeError:   # already deleted with the panel
            pass

    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Kill a running subprocess at once (the window is closing)."""
        proc, self._proc = self._proc, None
        try:
            if proc is not None and proc.state() != QProcess.ProcessState.NotRunning:
                self._cancelled = True
                proc.kill()
                proc.waitForFinished(2000)
        except RuntimeError:   # Qt already deleted it with the panel (and killed it then)
            pass

    # --- reading the subprocess ------------------------------------------------------------
    def _read_stdout(self) -> None:
        if self._proc is None:
            return
        self._buf += bytes(self._proc.readAllStandardOutput().data())
        *lines, self._buf = self._buf.split(b"\n")
        for line in lines:
            if line.strip():
                self._line(line)

    def _read_stderr(self) -> None:
        if self._proc is None:
            return
        text = bytes(self._proc.readAllStandardError().data()).decode("utf-8", "replace")
        self._stderr = (self._stderr + [t for t in text.splitlines() if t.strip()])[-20:]

    def _line(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        event = msg.get("event")
        if event == "sample":
            self._sample(msg)
        elif event == "start":
            self._units.update({str(k): str(v) for k, v in (msg.get("units") or {}).items()})
            self._plain.update({str(k): str(v) for k, v in (msg.get("plain") or {}).items()})
            names = [str(n) for n in msg.get("rows") or []]
            self.live.row = None       # the next sample starts a fresh strip
            if len(names) > 1:      # a full run: its rows, in its order
                self._order = names
            else:                   # one row: keep the others' bars
                self._order = list(dict.fromkeys([*self._order, *names]))
            self.bars.set_rows(self._order, self._rows)
            self.status.setText(f"Running {len(names)} row(s) …")
        elif event == "row" and msg.get("name"):
            self.add_row(msg)
        elif event == "done":
            alerts = msg.get("alerts") or []
            text = f"Done in {msg.get('elapsed_s', 0):.1f} s: {msg.get('passed', 0)} pass, " \
                   f"{msg.get('missed', 0)} miss, {len(msg.get('errors') or [])} error"
            if alerts:
                text += f" — {len(alerts)} regression alert(s)"
            self.status.setText(text)

    def _sample(self, msg: dict[str, Any]) -> None:
        name, side, value = msg.get("name"), msg.get("side"), msg.get("value")
        if not isinstance(name, str) or not isinstance(side, str) or not isinstance(value, int | float):
            return
        if self.live.row != name:
            self.live.start_row(name, unit_label(self._units.get(name, "ms")))
            self.status.setText(f"Measuring {name} …")
        self.live.add_sample(side, float(value))

    def add_row(self, row: dict[str, Any]) -> None:
        """Show one bench JSON row (what the subprocess streams)."""
        name = str(row["name"])
        if not row.get("plain") and name in self._plain:
            row = {**row, "plain": self._plain[name]}
        self._rows[name] = with_text(row)
        if name not in self._order:
            self._order.append(name)
        self.bars.set_rows(self._order, self._rows)
        self.model.set_rows([self._rows[n] for n in self._order if n in self._rows])
        selected = self.combo.currentData() or self._selected_name()
        if selected in (None, name):
            self.history.show_row(name, self._rows[name])
        self.status.setText(f"{name}: {verdict(row)} ({len(self._rows)} of {len(self._order)} rows)")
        self.row_received.emit(row)

    def _finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        if self._buf.strip():
            self._line(self._buf)
            self._buf = b""
        crashed = status != QProcess.ExitStatus.NormalExit
        if self._cancelled:
            self.status.setText("Cancelled")
        elif crashed or code not in (0, 1):
            tail = self._stderr[-1] if self._stderr else f"exit code {code}"
            self.status.setText(f"Bench failed: {tail}")
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.deleteLater()
        self.run_finished.emit(-1 if (crashed or self._cancelled) else code)

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:   # no finished() follows
            self.status.setText("Bench failed to start")
            self.run_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
            proc, self._proc = self._proc, None
            if proc is not None:
                proc.deleteLater()
            self.run_finished.emit(-1)

    # --- selection ------------------------------------------------------------------------
    def _selected_name(self) -> str | None:
        key = self.table.selected_key()
        return None if key is None else str(key)

    def _combo_changed(self) -> None:
        name = self.combo.currentData()
        if name and name in self._rows:
            self.history.show_row(name, self._rows[name])

    def _table_changed(self) -> None:
        name = self._selected_name()
        if name and name in self._rows:
            self.history.show_row(name, self._rows[name])

    # --- reading (tests, accessibility) -----------------------------------------------------
    def feed(self, lines: list[str] | list[bytes]) -> None:
        """Show a saved `bench --jsonl` stream as if a run had just sent it (a past run, a test)."""
        for line in lines:
            data = line.encode() if isinstance(line, str) else line
            if data.strip():
                self._line(data)

    def select(self, name: str) -> None:
        """Show `name`'s history (and select its line in the table)."""
        view_row = self.table.view_row_of(name)
        if view_row is not None:
            self.table.setCurrentIndex(self.table.model().index(view_row, 0))
        if name in self._rows:
            self.history.show_row(name, self._rows[name])

    def bar_names(self) -> list[str]:
        return self.bars.names()

    def row(self, name: str) -> dict[str, Any] | None:
        return self._rows.get(name)
