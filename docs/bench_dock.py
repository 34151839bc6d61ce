"""Render the Benchmarks dock from a saved `bench --jsonl` stream: the README's docs/bench-dock.png.

    perps-desktop bench --jsonl > run.jsonl
    QT_QPA_PLATFORM=offscreen python docs/bench_dock.py run.jsonl docs/bench-dock.png [ROW]

The dock is fed the stream exactly as it reads a run's subprocess, then saved at 1400x820.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow


def main(argv: list[str]) -> int:
    app = QApplication(["bench-dock", "-platform", "offscreen"])
    from perps_desktop.ui.bench_panel import BenchPanel
    from perps_desktop.ui.theme import load_qss

    app.setStyleSheet(load_qss("dark"))
    window = QMainWindow()
    panel = BenchPanel()
    window.setCentralWidget(panel)
    window.resize(1400, 820)
    window.show()
    panel.feed(Path(argv[1]).read_text(encoding="utf-8").splitlines())
    panel.select(argv[3] if len(argv) > 3 else "trace_insert_100")
    for _ in range(20):
        app.processEvents()
    return 0 if window.grab().save(argv[2]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
