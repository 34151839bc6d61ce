"""What the window says about how true its numbers are: the STALE banner, the connection light,
and the trading-state badge when a breaker has paused trading.

A dark venue's last numbers must not look live: past the staleness threshold a red banner
names the time the data is from and how long the venue has been silent, and the tables grey
their numbers (`DataTable.set_stale`). The light says which side failed, REST or the stream.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QWidget

from perps_desktop.app import CoreSnapshot
from perps_desktop.core.pauses import trading_words
from perps_desktop.ui.format import fmt_time

__all__ = ["StaleBanner", "connection_text", "grey", "trading_badge"]


def grey(widget: QWidget, stale: bool) -> None:
    """Set `stale` on `widget` for the QSS to grey its labels (descendants re-polished on a change only)."""
    if widget.property("stale") == stale:
        return
    widget.setProperty("stale", stale)
    style = widget.style()
    for w in (widget, *widget.findChildren(QLabel)):
        style.unpolish(w)
        style.polish(w)


def stale_text(snap: CoreSnapshot) -> str | None:
    """The banner text (`STALE — data as of 12:03:41 (venue unreachable 8 s)`), or None while fresh."""
    f = snap.freshness
    if f is None or not f.stale:
        return None
    as_of = f.account_as_of_ms
    since = f"data as of {fmt_time(as_of)}" if as_of is not None else "no account data yet"
    if not f.rest_ok:
        why = f"venue unreachable {f.unreachable_s:.0f} s"
    elif not f.stream_ok:
        why = "the stream is down"
    else:
        why = f"{f.data_age_s:.0f} s without a confirmation"
    return f"STALE — {since} ({why})"


def connection_text(snap: CoreSnapshot) -> tuple[str, str]:
    """The connection light: (text, tooltip). REST and the stream are judged separately."""
    f = snap.freshness
    if f is None:
        return ("● connected" if snap.connected else "● disconnected"), ""
    tip = f"REST: {'answering' if f.rest_ok else 'unreachable'} · stream: {'connected' if f.stream_ok else 'down'}"
    if f.last_error:
        tip += f"\nlast error: {f.last_error}"
    if not f.rest_ok:
        return f"● venue unreachable {f.unreachable_s:.0f} s", tip
    if not f.stream_ok:
        return "● stream down (REST ok)", tip
    return "● connected", tip


def trading_badge(snap: CoreSnapshot) -> tuple[str, str] | None:
    """The trading-state badge (text, state property), or None without risk data. A pause forced by
    a breaker shows as such: the state may say ACTIVE while no order can go out."""
    if snap.risk is None:
        return None
    state = snap.risk.trading_state.value
    words = trading_words(state, snap.pause_reason)
    return (words, "paused") if words != state else (state, state.lower())


class StaleBanner(QToolBar):
    """A red strip under the summary bar, shown only while the account data is stale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Data age", parent)
        self.setObjectName("staleBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.label = QLabel("", self)
        self.label.setObjectName("staleBanner")
        self.label.setAccessibleName("Data is stale")
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(self.label)
        self.setVisible(False)

    def set_snapshot(self, snap: CoreSnapshot) -> bool:
        """Show or hide; True while stale."""
        text = stale_text(snap)
        if text is not None and self.label.text() != text:
            self.label.setText(text)
        if self.isHidden() != (text is None):
            self.setVisible(text is not None)
        return text is not None
