"""ReplayBar: the time slider of `gui --replay DB` — a past session's moments, at 1x, 10x or 60x.

A toolbar under the window: the slider spans the file's first to last trace (a step a second),
the label says the moment shown, Play moves it on in real time times the chosen speed. Moving
it asks for that moment (`seek_requested(time_ms)`); the runner hands that to the
`ReplayControl`, whose next snapshot the window draws like any other.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QToolBar, QWidget

from perps_desktop.ui.format import fmt_datetime

__all__ = ["SPEEDS", "ReplayBar"]

SPEEDS = (1, 10, 60)
_TICK_MS = 200                  # how often Play moves the moment on


class ReplayBar(QToolBar):
    """Slider, moment, Play and speed over [first_ms, last_ms] (see the module docstring)."""

    seek_requested = Signal(object)
    """A moment is wanted: (time_ms)."""

    def __init__(self, first_ms: int, last_ms: int, parent: QWidget | None = None) -> None:
        super().__init__("Replay", parent)
        self.setObjectName("replayBar")
        self.setAccessibleName("Replay time")
        self.setMovable(False)
        self.first_ms, self.last_ms = first_ms, max(first_ms, last_ms)
        self.time_ms = self.last_ms
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.setObjectName("replayPlayButton")
        self.play_button.setAccessibleName("Play the replay")
        self.play_button.setCheckable(True)
        self.speed_combo = QComboBox(self)
        self.speed_combo.setObjectName("replaySpeed")
        self.speed_combo.setAccessibleName("Replay speed")
        for s in SPEEDS:
            self.speed_combo.addItem(f"{s}x", s)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("replaySlider")
        self.slider.setAccessibleName("Replay moment")
        self.slider.setRange(0, (self.last_ms - self.first_ms) // 1000)
        self.slider.setValue(self.slider.maximum())
        self.slider.setMinimumWidth(400)
        self.label = QLabel(self)
        self.label.setObjectName("replayTime")
        for w in (self.play_button, self.speed_combo, self.slider, self.label):
            self.addWidget(w)
        self._timer = QTimer(self)
        self._timer.setInterval(_TICK_MS)
        self._timer.timeout.connect(self._advance)
        self.play_button.toggled.connect(self._play)
        self.slider.valueChanged.connect(self._moved)
        self._show()

    @property
    def speed(self) -> int:
        return int(self.speed_combo.currentData())

    def seek(self, time_ms: int) -> None:
        """Move to `time_ms` (clamped), as if the slider were dragged there."""
        self.time_ms = min(max(int(time_ms), self.first_ms), self.last_ms)
        self.slider.blockSignals(True)
        self.slider.setValue((self.time_ms - self.first_ms) // 1000)
        self.slider.blockSignals(False)
        self._show()
        self.seek_requested.emit(self.time_ms)

    def _moved(self, value: int) -> None:
        self.time_ms = self.first_ms + value * 1000
        self._show()
        self.seek_requested.emit(self.time_ms)

    def _play(self, on: bool) -> None:
        self.play_button.setText("⏸ Pause" if on else "▶ Play")
        if on and self.time_ms >= self.last_ms:
            self.seek(self.first_ms)                 # from the start again
        (self._timer.start if on else self._timer.stop)()

    def _advance(self) -> None:
        self.seek(self.time_ms + _TICK_MS * self.speed)
        if self.time_ms >= self.last_ms:
            self.play_button.setChecked(False)

    def _show(self) -> None:
        self.label.setText(f"{fmt_datetime(self.time_ms)}  ({(self.time_ms - self.first_ms) / 1000:,.0f} s in)")
