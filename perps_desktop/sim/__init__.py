"""The Hyperliquid-compatible exchange simulator: a standalone aiohttp venue for tests and paper mode."""

from __future__ import annotations

from perps_desktop.sim.faults import FAULT_KINDS
from perps_desktop.sim.guard import refuse_unless_json_and_same_origin
from perps_desktop.sim.markets import DEFAULT_MARKETS, MarketSpec
from perps_desktop.sim.server import SimState, Simulator

__all__ = ["DEFAULT_MARKETS", "FAULT_KINDS", "MarketSpec", "SimState", "Simulator",
           "refuse_unless_json_and_same_origin"]
