"""RiskPanel: the risk manager's figures against their limits, and the trading state with its buttons."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from perps_desktop.app import CoreSnapshot, RiskSnapshot, TradingState
from perps_desktop.ui.format import fmt_pct, fmt_usd
from perps_desktop.ui.freshness import trading_badge
from perps_desktop.ui.names import ACTION_PROPERTY
from perps_desktop.ui.widgets import Badge, Gauge

__all__ = ["RiskPanel"]

_STATE_BUTTONS = (
    (TradingState.ACTIVE, "Active", "setActiveButton", "Trade normally"),
    (TradingState.REDUCING, "Reducing", "setReducingButton", "Only orders that shrink positions"),
    (TradingState.HALTED, "Halted", "setHaltedButton", "No new orders"),
)


def _share(value: float, limit: float) -> float | None:
    return value / limit if limit > 0 else None


class RiskPanel(QWidget):
    """Gauges (equity, exposure, leverage, margin, drawdown, daily PnL, concentration) and the state."""

    trading_state_requested = Signal(object, str)
    """A state button was clicked: (TradingState, reason)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("riskPanel")
        self.state_badge = Badge(object_name="tradingStateLabel", accessible_name="Trading state", parent=self)
        self.state_reason = QLabel("", self)
        self.state_reason.setObjectName("tradingStateReason")
        self.state_reason.setWordWrap(True)
        self.state_buttons: dict[TradingState, QPushButton] = {}
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for state, text, name, tip in _STATE_BUTTONS:
            b = QPushButton(text, self)
            b.setObjectName(name)
            b.setAccessibleName(f"Set trading state {text}")
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setProperty(ACTION_PROPERTY, True)
            b.setProperty("stateButton", state.value.lower())
            b.clicked.connect(lambda _=False, s=state: self._on_state_clicked(s))
            self.state_buttons[state] = b
            buttons.addWidget(b)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.state_badge)
        top.addWidget(self.state_reason, 1)

        self.gauges = {
            "equity": Gauge("Equity (vs peak)", object_name="equityGauge", warn_at=2.0, crit_at=3.0),
            "exposure": Gauge("Exposure", object_name="exposureGauge"),
            "leverage": Gauge("Leverage", object_name="leverageGauge"),
            "margin": Gauge("Margin use", object_name="marginGauge", warn_at=0.5, crit_at=0.8),
            "drawdown": Gauge("Drawdown", object_name="drawdownGauge", warn_at=0.5, crit_at=0.8),
            "daily": Gauge("Daily loss vs limit", object_name="dailyPnlGauge", warn_at=0.5, crit_at=0.8),
            "concentration": Gauge("Concentration", object_name="concentrationGauge"),
        }
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(2)
        for n, g in enumerate(self.gauges.values()):
            g.setParent(self)
            grid.addWidget(g, n, 0)
        self.decisions = QLabel("", self)
        self.decisions.setObjectName("riskDecisions")
        self.decisions.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(6)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addLayout(grid)
        lay.addWidget(self.decisions)
        lay.addStretch(1)
        self._state: TradingState | None = None
        self._read_only = False

    def _on_state_clicked(self, state: TradingState) -> None:
        self._check(self._state)        # the button shows the core's state, not the click
        if state is not self._state:
            self.trading_state_requested.emit(state, "set by the trader in the window")

    def _check(self, state: TradingState | None) -> None:
        for s, b in self.state_buttons.items():
            b.setChecked(s is state)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        for b in self.state_buttons.values():
            b.setEnabled(not read_only)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        r = snap.risk
        if r is None:
            self.state_badge.set("NO RISK DATA", "unknown")
            return
        self._state = r.trading_state
        self._check(r.trading_state)
        text, state = trading_badge(snap) or (r.trading_state.value, r.trading_state.value.lower())
        self.state_badge.set(text.partition(":")[0], state)      # the line below names the breaker
        reason = (f"{snap.pause_reason}; " if snap.pause_reason else "") + (r.state_reason or "")
        if self.state_reason.text() != reason:
            self.state_reason.setText(reason)
        self._set_gauges(r)
        if r.decisions:
            text = "Risk decisions: " + " · ".join(f"{k} {v:,}" for k, v in sorted(r.decisions.items()))
            if self.decisions.text() != text:
                self.decisions.setText(text)

    def _set_gauges(self, r: RiskSnapshot) -> None:
        g = self.gauges
        below_peak = (r.peak_equity - r.equity) if r.peak_equity > 0 else 0.0
        g["equity"].set_value(_share(r.equity, r.peak_equity) if r.peak_equity else None,
                              f"{fmt_usd(r.equity, decimals=0)} / peak {fmt_usd(r.peak_equity, decimals=0)}",
                              f"{fmt_usd(below_peak)} below the peak")
        g["exposure"].set_value(_share(r.exposure, r.max_exposure),
                                f"{fmt_usd(r.exposure, decimals=0)} / {fmt_usd(r.max_exposure, decimals=0)}")
        g["leverage"].set_value(_share(r.leverage, r.max_leverage), f"{r.leverage:.2f}x / {r.max_leverage:.0f}x")
        g["margin"].set_value(r.margin_use_pct / 100.0, fmt_pct(r.margin_use_pct))
        g["drawdown"].set_value(_share(r.drawdown_pct, r.max_drawdown_pct),
                                f"{fmt_pct(r.drawdown_pct, decimals=2)} / {fmt_pct(r.max_drawdown_pct, decimals=0)}")
        loss = max(0.0, -r.daily_pnl)
        limit = fmt_usd(r.daily_loss_limit, decimals=0)
        daily = fmt_usd(r.daily_pnl, signed=True, decimals=0)
        g["daily"].set_value(_share(loss, r.daily_loss_limit), f"{daily} / −{limit}",
                             "Today's PnL against the daily loss limit")
        g["concentration"].set_value(r.concentration_pct / 100.0, fmt_pct(r.concentration_pct),
                                     "The largest position's share of the exposure")
