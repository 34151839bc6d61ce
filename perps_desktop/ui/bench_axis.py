"""An axis for the Benchmarks dock's charts whose labels never overlap and are never cut.

pyqtgraph draws every label of a fixed tick list (`setTicks`) wherever it falls, so in a narrow
column "0.5×", "1×", "1.6×", "3×" and "5×" printed over each other, and a label at the end of an
axis ran into the next column. `LabelAxis` is given its labels in order of importance (the
target line first) and, each time the axis is laid out at its real size in pixels, keeps a label
only when it fits inside the axis and clear of the labels kept before it. The text is measured
with the painter that draws it, as pyqtgraph measures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter

__all__ = ["LabelAxis", "label_axis"]

_GAP_PX = (6.0, 2.0)  # the least room between two labels side by side, one above the other


def label_axis(plot: pg.PlotItem, name: str) -> LabelAxis:
    """The `LabelAxis` a plot was made with ("bottom", "left")."""
    axis = plot.getAxis(name)
    assert isinstance(axis, LabelAxis)
    return axis


class LabelAxis(pg.AxisItem):
    """An axis labelled at chosen values only, most important first, as many as fit."""

    def __init__(self, orientation: str, **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self._order: list[float] = []
        self._text: dict[float, str] = {}
        self._painter: QPainter | None = None
        self.shown: list[str] = []
        """The labels drawn at the last layout, in axis order (tests read it)."""

    def set_labels(self, labels: Sequence[tuple[float, str]]) -> None:
        """(value, label) pairs, the most important first: a label that does not fit beside the
        ones before it is left out."""
        self._order = [value for value, _ in labels]
        self._text = dict(labels)
        self.picture = None
        self.update()

    def generateDrawSpecs(self, p: QPainter) -> Any:
        self._painter = p
        try:
            return super().generateDrawSpecs(p)
        finally:
            self._painter = None

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        if hi <= lo or size <= 0 or self._painter is None:
            self.shown = []
            return []
        along = 0 if self.orientation in ("bottom", "top") else 1
        taken: list[tuple[float, float]] = []
        kept: list[float] = []
        for value in self._order:
            if not lo <= value <= hi:
                continue
            centre = (value - lo) / (hi - lo) * size
            half = self._extent(self._text[value], along) / 2 + _GAP_PX[along] / 2
            a, b = centre - half, centre + half
            if a < 0 or b > size or any(a < right and left < b for left, right in taken):
                continue
            taken.append((a, b))
            kept.append(value)
        kept.sort()
        self.shown = [self._text[v] for v in kept]
        return [(1.0, kept)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [self._text.get(v, "") for v in values]

    def _extent(self, text: str, along: int) -> float:
        """The label's length along the axis, measured as pyqtgraph measures it to draw it."""
        assert self._painter is not None
        rect = self._painter.boundingRect(QRectF(0, 0, 100, 100), Qt.AlignmentFlag.AlignCenter, text)
        return rect.width() if along == 0 else rect.height()
