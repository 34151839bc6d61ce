"""Render docs/timeline.png: a 40 s paper session, then the Timeline dock on one fill's story.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/timeline_screenshot.py [OUT.png]

A README picture, not a test: the App on the embedded simulator, the real window, the story of
the latest strategy fill whose stop has been placed, chosen as "Show story" on its row does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from perps_desktop.app import App, TraceQuery  # noqa: E402
from perps_desktop.config import load_settings  # noqa: E402
from perps_desktop.ui import MainWindow, WindowOptions  # noqa: E402


async def main(out: Path) -> None:
    tmp = Path(tempfile.mkdtemp())
    settings = load_settings(mode="paper", db_path=str(tmp / "traces.sqlite3"), strategy_interval_ms=500,
                             strategy_threshold_pct=0.01, trace_batch_flush_ms=200, symbols="BTC,ETH,SOL")
    async with App(settings) as app:
        window = MainWindow(app, WindowOptions(layout_path=tmp / "window.ini", restore_layout=False))
        window.resize(1440, 900)
        window.show()
        window.show_dock("timeline")
        d = window.docks
        window.resizeDocks([d["positions"], d["timeline"]], [300, 500], Qt.Orientation.Vertical)
        window.resizeDocks([d["timeline"], d["breakers"]], [1160, 280], Qt.Orientation.Horizontal)
        await asyncio.sleep(40)
        await app.services.store.flush()
        fills = (await app.query_traces(TraceQuery(kind="fill", symbol="BTC", limit=50))).traces
        for f in fills:
            chain = await app.chain_of(f.id)
            if chain[0].kind == "signal" and any(t.decision == "stop_placed" for t in chain):
                full = await app.get_trace(f.id)
                window.controller.show_story("fill", "BTC", full.payload["tid"], chain[0].time_ms)
                break
        panel = window.panels["timeline"]
        for _ in range(100):
            await asyncio.sleep(0.1)
            if panel.chain and panel.data is not None and panel.plot.chain_ids:
                break
        panel.follow_check.setChecked(False)
        await asyncio.sleep(0.5)
        pixmap = window.grab()
        pixmap.save(str(out))
        print(f"{out}: {pixmap.width()}x{pixmap.height()}, story of {len(panel.chain)} steps")
        window.close()
        window.deleteLater()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("timeline.png"))
    qapp = QApplication.instance() or QApplication([])
    qapp.setQuitOnLastWindowClosed(False)
    qasync.run(main(target))
