"""The trading core: asyncio only, no Qt, no I/O of its own."""

from perps_desktop.core.account_view import AccountView
from perps_desktop.core.alerts import AlertConfig, AlertManager, AlertSink, log_sink
from perps_desktop.core.breaker import (
    BREAKER_NAMES,
    BreakerConfig,
    BreakerRegistry,
    BreakerTransition,
    CircuitBreaker,
)
from perps_desktop.core.bus import EventBus
from perps_desktop.core.chains import ChainBook
from perps_desktop.core.engine import TradingEngine
from perps_desktop.core.engine_config import EngineConfig, ReconcileReport
from perps_desktop.core.execution import Execution, OrderExecutor
from perps_desktop.core.freshness import Freshness, FreshnessSnapshot
from perps_desktop.core.health import (
    HealthChecker,
    HealthConfig,
    HealthResult,
    freshness_check,
    loop_lag_check,
    ping_check,
)
from perps_desktop.core.inflight import InFlight, TrackedExchange
from perps_desktop.core.lanes import Lane, current_lane, in_lane, runs_in
from perps_desktop.core.mid_sampler import MidSampler
from perps_desktop.core.monitor import MonitorConfig, PerformanceMonitor
from perps_desktop.core.position_facts import PositionFacts, position_facts
from perps_desktop.core.recovery import PositionRecovery
from perps_desktop.core.recovery_rules import PositionContext, RecoveryConfig, analyse_position, new_cloid
from perps_desktop.core.risk import RiskManager, TradingStateChanged
from perps_desktop.core.risk_rules import Portfolio, PortfolioRisk, PositionRisk, RiskConfig
from perps_desktop.core.stops import StopLoss, StopLossManager, StopSync
from perps_desktop.core.strategy import MomentumStrategy, StrategyConfig

__all__ = [
    "BREAKER_NAMES",
    "AccountView",
    "AlertConfig",
    "AlertManager",
    "AlertSink",
    "BreakerConfig",
    "BreakerRegistry",
    "BreakerTransition",
    "ChainBook",
    "CircuitBreaker",
    "EngineConfig",
    "EventBus",
    "Execution",
    "Freshness",
    "FreshnessSnapshot",
    "HealthChecker",
    "HealthConfig",
    "HealthResult",
    "InFlight",
    "Lane",
    "MidSampler",
    "MomentumStrategy",
    "MonitorConfig",
    "OrderExecutor",
    "PerformanceMonitor",
    "Portfolio",
    "PortfolioRisk",
    "PositionContext",
    "PositionFacts",
    "PositionRecovery",
    "PositionRisk",
    "ReconcileReport",
    "RecoveryConfig",
    "RiskConfig",
    "RiskManager",
    "StopLoss",
    "StopLossManager",
    "StopSync",
    "StrategyConfig",
    "TrackedExchange",
    "TradingEngine",
    "TradingStateChanged",
    "analyse_position",
    "current_lane",
    "freshness_check",
    "in_lane",
    "log_sink",
    "loop_lag_check",
    "new_cloid",
    "ping_check",
    "position_facts",
    "runs_in",
]
