"""The window's two strips: the summary bar (big numbers on top) and the status bar (bottom)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QToolBar, QWidget

from perps_desktop.app import CoreSnapshot
from perps_desktop.ui.format import DASH, fmt_count, fmt_ms, fmt_usd, short_address
from perps_desktop.ui.freshness import connection_text, trading_badge
from perps_desktop.ui.theme import set_state
from perps_desktop.ui.widgets import Badge, Stat

__all__ = ["StatusStrip", "SummaryBar", "trading_status", "venue_badge", "venue_line"]


def _tone(v: float) -> str:
    return "" if abs(v) < 0.005 else ("pos" if v > 0 else "neg")


def venue_badge(mode: str, network: str) -> tuple[str, str]:
    """(text, state) of the mode badge: which venue the orders go to, in words.

    Paper mode trades a simulator (embedded, or one at --base-url), whatever PERPS_NETWORK says,
    so it says "simulator", not "testnet"; live says its network in a colour nobody misses.
    """
    if mode == "paper":
        return "PAPER · simulator", "paper"
    if mode == "live":
        return f"LIVE · {network}", f"live-{network}"
    return f"{mode.upper()} · {network}", mode


def venue_line(mode: str, network: str, address: str | None) -> str:
    """One line naming venue and account, e.g. "LIVE · mainnet · account 0x1234…abcd" (confirmations)."""
    return f"{venue_badge(mode, network)[0]} · account {short_address(address)}"


def trading_status(snap: CoreSnapshot) -> tuple[str, str]:
    """(text, state) of whether orders can go out now — one answer for the summary badge and the
    status bar, so they never disagree (no green TRADING beside HALTED)."""
    if snap.read_only:
        return "READ-ONLY", "readonly"
    if snap.risk is None:
        return "NO RISK DATA", "unknown"
    badge = trading_badge(snap)
    if badge is not None and badge[1] == "paused":      # a breaker stops orders whatever the state says
        return badge
    state = snap.risk.trading_state.value
    if state == "ACTIVE":
        return "TRADING", "active"
    return ("REDUCING ONLY", "reducing") if state == "REDUCING" else (f"{state}", state.lower())


class SummaryBar(QToolBar):
    """Equity, uPnL, daily PnL, exposure, positions, orders and the trading state at a glance."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Summary", parent)
        self.setObjectName("summaryBar")
        self.setAccessibleName("Account summary")
        self.setMovable(False)
        self.setFloatable(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.mode = Badge(object_name="modeBadge", accessible_name="Mode", parent=self)
        self.stats = {
            "equity": Stat("Equity", object_name="equityStat"),
            "upnl": Stat("Unrealized PnL", object_name="upnlStat"),
            "daily": Stat("Daily PnL", object_name="dailyPnlStat"),
            "exposure": Stat("Exposure", object_name="exposureStat"),
            "margin": Stat("Margin used", object_name="marginStat"),
            "positions": Stat("Positions", object_name="positionsStat"),
            "orders": Stat("Orders", object_name="ordersStat"),
        }
        self.addWidget(self.mode)
        for s in self.stats.values():
            s.setParent(self)
            self.addWidget(s)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.state = Badge(object_name="summaryTradingState", accessible_name="Trading state", parent=self)
        self.addWidget(self.state)

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        self.mode.set(*venue_badge(snap.mode, snap.network))
        tip = f"{snap.base_url or 'no venue'}\naccount {snap.address or 'none'}"
        if self.mode.toolTip() != tip:
            self.mode.setToolTip(tip)
        self.state.set(*trading_status(snap))
        acct = snap.account
        st = self.stats
        f = snap.freshness
        if acct is None and f is not None and "account" not in f.as_of_ms:
            # the venue has not answered since the start (a venue dark at launch): unknown, not $0.00
            for key in ("equity", "upnl", "daily", "exposure", "margin", "positions", "orders"):
                st[key].set(DASH)
            return
        upnl = sum(float(p.unrealized_pnl) for p in snap.positions)
        st["equity"].set(fmt_usd(acct.equity if acct else (snap.risk.equity if snap.risk else None)))
        st["upnl"].set(fmt_usd(upnl, signed=True), _tone(upnl))
        if snap.risk is not None:
            st["daily"].set(fmt_usd(snap.risk.daily_pnl, signed=True), _tone(snap.risk.daily_pnl))
            st["exposure"].set(fmt_usd(snap.risk.exposure, decimals=0))
        else:
            st["exposure"].set(fmt_usd(sum(p.notional for p in snap.positions), decimals=0))
        st["margin"].set(fmt_usd(acct.margin_used, decimals=0) if acct else "–")
        st["positions"].set(fmt_count(sum(1 for p in snap.positions if p.size != 0)))
        st["orders"].set(fmt_count(len(snap.orders)))


class StatusStrip:
    """Permanent labels in the QStatusBar: mode/network, address, connection, loop lag, traces, access."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        bar.setObjectName("statusBar")
        bar.setAccessibleName("Status")

        def label(name: str, accessible: str) -> QLabel:
            lab = QLabel("–", bar)
            lab.setObjectName(name)
            lab.setAccessibleName(accessible)
            bar.addPermanentWidget(lab)
            return lab

        self.mode = label("modeLabel", "Mode and network")
        self.address = label("addressLabel", "Account address")
        self.connection = label("connectionLabel", "Connection")
        self.lag = label("loopLagLabel", "Event loop lag")
        self.traces = label("tracesLabel", "Traces recorded")
        self.budget = label("rateBudgetLabel", "Venue request budget")
        self.access = label("accessLabel", "Read-only or trading")

    def set_snapshot(self, snap: CoreSnapshot) -> None:
        text, state = venue_badge(snap.mode, snap.network)
        self._set(self.mode, text)
        set_state(self.mode, "state", state)
        self._set(self.address, short_address(snap.address))
        self.address.setToolTip(f"{snap.address or 'no address'}\n{snap.base_url}")
        text, tip = connection_text(snap)
        self._set(self.connection, text)
        self.connection.setToolTip(tip)
        set_state(self.connection, "state", "ok" if snap.connected else "bad")
        m = snap.monitor
        if m is not None:
            self._set(self.lag, f"loop lag {fmt_ms(m.loop_lag_ms_last)} · p99 {fmt_ms(m.loop_lag_ms_p99)}")
            p99 = m.loop_lag_ms_p99
            set_state(self.lag, "level", "crit" if p99 > 50 else ("warn" if p99 > 16 else "ok"))
        t = snap.traces
        self._set(self.traces, f"traces {t.recorded:,} ({t.per_second:.0f}/s)"
                  + (f" · {t.dropped:,} dropped" if t.dropped else ""))
        b = snap.budget
        if b is not None:                   # weight per minute, or "rate-limited: order queued 3 s"
            self._set(self.budget, b.text)
            set_state(self.budget, "level", b.level)
            self.budget.setToolTip(b.detail())
        text, state = trading_status(snap)
        self._set(self.access, text)
        set_state(self.access, "state", state)

    @staticmethod
    def _set(lab: QLabel, text: str) -> None:
        if lab.text() != text:
            lab.setText(text)
