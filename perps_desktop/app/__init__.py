"""The composition root: builds the services once for the window and headless alike."""

from __future__ import annotations

from perps_desktop.app.control import CoreControl
from perps_desktop.app.snapshot import CoreSnapshot, TraceCounters

__all__ = ["CoreControl", "CoreSnapshot", "TraceCounters"]
