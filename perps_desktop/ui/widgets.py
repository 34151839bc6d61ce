"""Small display widgets the panels share: a limit gauge, a big-number stat, a state badge, a flush column.

They hold no colours: each sets a dynamic property (`level`, `tone`, `state`) that the QSS
selects on.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QLayout, QSizePolicy, QVBoxLayout, QWidget

from perps_desktop.ui.theme import set_state

__all__ = ["Badge", "Gauge", "LimitBar", "Stat", "flush_column", "on_screen"]


def _color_property(attr: str) -> Property:
    def getter(self: LimitBar) -> QColor:
        return getattr(self, attr)

    def setter(self: LimitBar, value: QColor) -> None:
        setattr(self, attr, QColor(value))
        self.update()

    return Property(QColor, getter, setter)


class LimitBar(QWidget):
    """A thin bar filled to `share` (0..1) in the colour of its `level`.

    Painted by itself with `update()` (coalesced into the next paint), unlike QProgressBar,
    whose setValue repaints synchronously — tens of ms per call under a window style sheet.
    Colours come from the QSS: `qproperty-trackColor`, `qproperty-okColor` ...
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._track = QColor("#21262d")
        self._ok = QColor("#2ea043")
        self._warn = QColor("#d29922")
        self._crit = QColor("#f85149")
        self.share = 0.0
        self.level = "ok"
        self.setFixedHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    trackColor = _color_property("_track")
    okColor = _color_property("_ok")
    warnColor = _color_property("_warn")
    critColor = _color_property("_crit")

    def sizeHint(self) -> QSize:
        return QSize(120, 8)

    def set(self, share: float, level: str) -> None:
        share = min(max(share, 0.0), 1.0)
        if abs(share - self.share) < 0.001 and level == self.level:
            return
        self.share, self.level = share, level
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(Qt.PenStyle.NoPen)
        r = QRectF(self.rect())
        radius = r.height() / 2
        p.setBrush(self._track)
        p.drawRoundedRect(r, radius, radius)
        if self.share > 0:
            fill = QRectF(r.left(), r.top(), max(r.height(), r.width() * self.share), r.height())
            p.setBrush({"warn": self._warn, "crit": self._crit}.get(self.level, self._ok))
            p.drawRoundedRect(fill, radius, radius)


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
        self.bar = LimitBar(self)
        self.bar.setObjectName("gaugeBar")
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 1, 0, 1)
        lay.setHorizontalSpacing(8)
        lay.setVerticalSpacing(2)
        lay.addWidget(self._title, 0, 0)
        lay.addWidget(self._value, 0, 1)
        lay.addWidget(self.bar, 1, 0, 1, 2)
        self.share = 0.0
        self.level = "ok"

    def set_value(self, share: float | None, text: str, tip: str = "") -> None:
        """`share` of the limit used (0..1+, None: no limit); `text` shown on the right."""
        if self._value.text() != text:
            self._value.setText(text)
        if self.toolTip() != tip:
            self.setToolTip(tip)
        self.share = max(0.0, share or 0.0)
        level = "warn" if self.share < self.crit_at else "crit"
        if share is None or self.share < self.warn_at:
            level = "ok"
        self.level = level
        self.bar.set(self.share, level)
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


def flush_column(owner: QWidget, *items: QWidget | QLayout | tuple[QWidget, int]) -> QVBoxLayout:
    """Lay `items` top to bottom in `owner`, edge to edge (a dock's content has its own frame).

    An item is a widget, a layout, or (widget, stretch).
    """
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    for item in items:
        if isinstance(item, tuple):
            lay.addWidget(item[0], item[1])
        elif isinstance(item, QLayout):
            lay.addLayout(item)
        else:
            lay.addWidget(item)
    return lay


def on_screen(widget: QWidget) -> bool:
    """Whether any of `widget` can be seen: a dock in a background tab stays `isVisible()` (so
    panels that poll or repaint on a timer ask this instead) but has an empty visible region."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
