"""The trading core: asyncio only, no Qt, no I/O of its own."""

from perps_desktop.core.alerts import AlertConfig, AlertManager, AlertSink, log_sink
from perps_desktop.core.breaker import (
    BREAKER_NAMES,
    BreakerConfig,
    BreakerRegistry,
    BreakerTransition,
    CircuitBreaker,
)
from perps_desktop.core.health import (
    HealthChecker,
    HealthConfig,
    HealthResult,
    freshness_check,
    loop_lag_check,
    ping_check,
)
from perps_desktop.core.monitor import MonitorConfig, PerformanceMonitor, format_snapshot
from perps_desktop.core.risk import RiskManager, TradingStateChanged
from perps_desktop.core.risk_rules import Portfolio, PortfolioRisk, PositionRisk, RiskConfig

__all__ = [
    "BREAKER_NAMES",
    "AlertConfig",
    "AlertManager",
    "AlertSink",
    "BreakerConfig",
    "BreakerRegistry",
    "BreakerTransition",
    "CircuitBreaker",
    "HealthChecker",
    "HealthConfig",
    "HealthResult",
    "MonitorConfig",
    "PerformanceMonitor",
    "Portfolio",
    "PortfolioRisk",
    "PositionRisk",
    "RiskConfig",
    "RiskManager",
    "TradingStateChanged",
    "format_snapshot",
    "freshness_check",
    "log_sink",
    "loop_lag_check",
    "ping_check",
]
