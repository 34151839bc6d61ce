"""The window's panels: one widget family per module; each takes snapshots and emits intents."""

from __future__ import annotations

from perps_desktop.ui.panels.actions import ActionsPanel
from perps_desktop.ui.panels.alerts import AlertsPanel
from perps_desktop.ui.panels.breakers import BreakersPanel
from perps_desktop.ui.panels.caches import CachesPanel
from perps_desktop.ui.panels.fleet import FleetPanel
from perps_desktop.ui.panels.orders import FillsPanel, OrdersPanel
from perps_desktop.ui.panels.performance import PerformancePanel
from perps_desktop.ui.panels.positions import PositionsPanel
from perps_desktop.ui.panels.recovery import RecoveryPanel
from perps_desktop.ui.panels.risk import RiskPanel
from perps_desktop.ui.panels.timeline import TimelinePanel
from perps_desktop.ui.panels.traces import TracesPanel

__all__ = [
    "ActionsPanel",
    "AlertsPanel",
    "BreakersPanel",
    "CachesPanel",
    "FillsPanel",
    "FleetPanel",
    "OrdersPanel",
    "PerformancePanel",
    "PositionsPanel",
    "RecoveryPanel",
    "RiskPanel",
    "TimelinePanel",
    "TracesPanel",
]
