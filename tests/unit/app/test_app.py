"""App before it runs: it implements CoreControl, refuses actions, and closes idempotently."""

from __future__ import annotations

from perps_desktop.app import App, CoreControl
from perps_desktop.app.headless import format_status
from perps_desktop.config import load_settings


def test_app_has_every_core_control_member():
    wanted = {n for n in dir(CoreControl) if not n.startswith("_")}
    assert wanted <= set(dir(App)), wanted - set(dir(App))


async def test_a_new_app_snapshots_refuses_and_closes_twice():
    app = App(load_settings(mode="watch", address="0x" + "ab" * 20))
    snap = app.snapshot()
    assert snap.status_text == "new" and snap.read_only and snap.version == 1
    report = await app.flatten_all()
    assert not report.ok and "refused" in report.message
    await app.aclose()
    await app.aclose()
    assert app.state == "closed"
    assert app.snapshot().version == 2                  # a state change is a new snapshot
    assert "equity -" in format_status(app.snapshot())
