"""Small display widgets the panels share: a limit gauge, a big-number stat and a state badge.

They hold no colours: each sets a dynamic property (`level`, `tone`, `state`) that the QSS
selects on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from perps_desktop.ui.theme import set_state

__all__ = ["Badge", "Gauge", "Stat"]


class Gauge(QWidget):
    """A value against its limit: title, bar (share of the limit used) and "value / limit" text.

    `level` is "ok" below `warn_at`, "warn" below `crit_at`, "crit" above (shares of the limit).
    """

    def __init__(self, title: str, *, object_name: str, warn_at: float = 0.7, crit_at: float = 0.9,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        self.warn_at = warn_at
        self.crit_at = crit_at
        self._title = QLabel(title, self)
        self._title.setObjectName("gaugeTitle")
        self._value = QLabel("–", self)
        self._value.setObjectName("gaugeValue")
        self._value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("gaugeBar")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        lay.setHorizontalSpacing(8)
        lay.setVerticalSpacing(3)
        lay.addWidget(self._title, 0, 0)
        lay.addWidget(self._value, 0, 1)
        lay.addWidget(self.bar, 1, 0, 1, 2)
        self.share = 0.0
        self.level = "ok"

    def set_value(self, share: float | None, text: str, tip: str = "") -> None:
        """`share` of the limit used (0..1+, None: no limit); `text` shown on the right."""
        self._value.setText(text)
        self.setToolTip(tip)
        self.share = max(0.0, share or 0.0)
        bar_value = int(min(self.share, 1.0) * 1000)
        if self.bar.value() != bar_value:
            self.bar.setValue(bar_value)
        level = "warn" if self.share < self.crit_at else "crit"
        if share is None or self.share < self.warn_at:
            level = "ok"
        self.level = level
        set_state(self.bar, "level", level)
        set_state(self._value, "level", level)

    def text(self) -> str:
        return self._value.text()


class Stat(QWidget):
    """A caption over a big number, for the summary strip; `tone` colours the number."""

    def __init__(self, caption: str, *, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(caption)
        cap = QLabel(caption.upper(), self)
        cap.setObjectName("statCaption")
        self.value = QLabel("–", self)
        self.value.setObjectName("statValue")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 4, 14, 4)
        lay.setSpacing(0)
        lay.addWidget(cap)
        lay.addWidget(self.value)

    def set(self, text: str, tone: str = "") -> None:
        if self.value.text() != text:
            self.value.setText(text)
        set_state(self.value, "tone", tone)


class Badge(QLabel):
    """A pill showing a state word; the QSS colours it by its `state` property."""

    def __init__(self, *, object_name: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__("–", parent)
        self.setObjectName(object_name)
        self.setAccessibleName(accessible_name)
        self.setProperty("badge", True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def set(self, text: str, state: str) -> None:
        if self.text() != text:
            self.setText(text)
        set_state(self, "state", state)
