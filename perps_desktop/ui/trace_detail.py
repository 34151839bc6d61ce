"""TraceDetail: one trace as labelled fields a trader reads, with its payload folded away.

Raw JSON (side "A", epoch milliseconds, 17-digit floats) is developer output. Here each field
has a label and the formatter of its kind: local date, time and zone; side as buy / sell; sizes
and prices as the tables print them. The payload stays one click away, indented, its floats
cut to ten significant digits (a float's binary noise is not information).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from perps_desktop.app import Trace
from perps_desktop.ui.format import DASH, fmt_datetime, fmt_ms, fmt_px, fmt_size

__all__ = ["TraceDetail", "describe_trace", "payload_text"]

_SIDES = {"B": "buy", "A": "sell", "buy": "buy", "sell": "sell"}


def describe_trace(t: Trace) -> list[tuple[str, str]]:
    """(label, text) of every field a trace has, in reading order; empty fields are left out."""
    rows = [
        ("Time", fmt_datetime(t.time_ms, with_ms=True)),
        ("Kind", t.kind),
        ("Symbol", t.symbol or ""),
        ("Side", _SIDES.get(t.side or "", t.side or "")),
        ("Size", fmt_size(t.size) if t.size is not None else ""),
        ("Price", fmt_px(t.price) if t.price is not None else ""),
        ("Decision", t.decision or ""),
        ("Reason", t.reason),
        ("Latency", fmt_ms(t.latency_ms) if t.latency_ms is not None else ""),
        ("Strategy", t.strategy or ""),
        ("Bot", getattr(t, "bot", "") or ""),
        ("Story", f"#{t.chain}" if getattr(t, "chain", None) else ""),
        ("ID", f"#{t.id}" if t.id else ""),
    ]
    return [(label, text) for label, text in rows if text and text != DASH]


def _trim(v: Any) -> Any:
    if isinstance(v, float):
        return float(f"{v:.10g}")
    if isinstance(v, dict):
        return {k: _trim(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_trim(x) for x in v]
    return v


def payload_text(payload: dict[str, Any] | None) -> str:
    """The payload as indented JSON with trimmed floats ("" when there is none)."""
    return json.dumps(_trim(payload), indent=2, default=str, ensure_ascii=False) if payload else ""


class TraceDetail(QWidget):
    """The selected trace: a form of labelled fields and a collapsible payload."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traceDetail")
        self.setAccessibleName("Selected trace")
        self.placeholder = QLabel("Select a trace to see everything recorded with it.", self)
        self.placeholder.setObjectName("traceDetailPlaceholder")
        self.placeholder.setWordWrap(True)
        self.form_box = QWidget(self)
        self.form = QFormLayout(self.form_box)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setHorizontalSpacing(10)
        self.form.setVerticalSpacing(3)
        self.payload_button = QToolButton(self)
        self.payload_button.setObjectName("tracePayloadToggle")
        self.payload_button.setAccessibleName("Show or hide the payload")
        self.payload_button.setCheckable(True)
        self.payload_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.payload_button.setArrowType(Qt.ArrowType.RightArrow)
        self.payload_button.toggled.connect(self._fold)
        self.payload = QPlainTextEdit(self)
        self.payload.setObjectName("tracePayload")
        self.payload.setAccessibleName("Payload of the selected trace")
        self.payload.setReadOnly(True)
        self.payload.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 8, 6)
        lay.setSpacing(6)
        lay.addWidget(self.placeholder)
        lay.addWidget(self.form_box)
        lay.addWidget(self.payload_button)
        lay.addWidget(self.payload, 1)
        lay.addStretch(0)
        self.trace: Trace | None = None
        self.clear()

    def _fold(self, open_: bool) -> None:
        self.payload.setVisible(open_)
        self.payload_button.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)

    def _set_message(self, text: str) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.placeholder.setText(text)
        self.placeholder.setVisible(True)
        self.form_box.setVisible(False)
        self.payload_button.setVisible(False)
        self.payload.setVisible(False)
        self.payload.setPlainText("")

    def clear(self) -> None:
        """Nothing selected (also after a filter change: the old trace may not match it)."""
        self.trace = None
        self._set_message("Select a trace to see everything recorded with it.")

    def show_trace(self, trace: Trace | None) -> None:
        if trace is None:
            self.trace = None
            self._set_message("This trace is no longer in the store.")
            return
        self.trace = trace
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, text in describe_trace(trace):
            value = QLabel(text, self.form_box)
            value.setObjectName(f"traceField{label}")
            value.setWordWrap(label == "Reason")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            caption = QLabel(label, self.form_box)
            caption.setObjectName("traceFieldLabel")
            self.form.addRow(caption, value)
        self.placeholder.setVisible(False)
        self.form_box.setVisible(True)
        body = payload_text(trace.payload)
        self.payload.setPlainText(body)
        self.payload_button.setVisible(bool(body))
        self.payload_button.setText(f"Payload ({len(trace.payload or {})} fields)")
        self._fold(self.payload_button.isChecked() and bool(body))

    def field(self, label: str) -> str | None:
        """The text shown for `label` (tests and accessibility)."""
        w = self.form_box.findChild(QLabel, f"traceField{label}")
        return w.text() if w is not None and self.form_box.isVisibleTo(self) else None

    def toPlainText(self) -> str:
        """Everything shown, as text: the fields, then the payload (copying, tests)."""
        if self.trace is None:
            return self.placeholder.text()
        fields = "\n".join(f"{label}: {text}" for label, text in describe_trace(self.trace))
        return fields + ("\n" + self.payload.toPlainText() if self.payload.toPlainText() else "")
