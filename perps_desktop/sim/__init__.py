"""The Hyperliquid-compatible exchange simulator: a standalone aiohttp venue for tests and paper mode."""

from __future__ import annotations

from perps_desktop.sim.faults import FAULT_KINDS
from perps_desktop.sim.markets import DEFAULT_MARKETS, MarketSpec
from perps_desktop.sim.server import SimState, Simulator

__all__ = ["DEFAULT_MARKETS", "FAULT_KINDS", "MarketSpec", "SimState", "Simulator"]
