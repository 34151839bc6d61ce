"""ConfirmDialog: "are you sure?" that names what will happen, where, and on which account.

Every confirmation opens with the venue and the shortened account ("LIVE · mainnet · account
0x1234…abcd"), in the mode badge's colours, so a trader never confirms on the wrong one. It is
awaited without a nested event loop.

`await ask(...)` opens the dialog window-modally with `open()` (not `exec()`, whose nested loop
would re-enter the qasync loop) and resolves when it closes. Tests find it by objectName
`confirmDialog` and call `accept()` or `reject()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

__all__ = ["ConfirmDialog", "ask"]


class ConfirmDialog(QDialog):
    """A title, a sentence, the list of what will be touched, and Confirm / Cancel."""

    def __init__(self, parent: QWidget | None, *, title: str, text: str, items: Sequence[str] = (),
                 confirm_text: str = "Confirm", danger: bool = False, venue: str = "",
                 venue_state: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setAccessibleName(title)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumWidth(420)
        heading = QLabel(title, self)
        heading.setObjectName("confirmTitle")
        body = QLabel(text, self)
        body.setObjectName("confirmText")
        body.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 16, 18, 14)
        lay.setSpacing(10)
        self.venue = venue
        if venue:                       # which venue and account this acts on, above everything else
            where = QLabel(venue, self)
            where.setObjectName("confirmVenue")
            where.setAccessibleName("Venue and account")
            where.setProperty("badge", True)
            where.setProperty("state", venue_state)
            lay.addWidget(where, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(heading)
        lay.addWidget(body)
        self.items = list(items)
        if self.items:
            lst = QListWidget(self)
            lst.setObjectName("confirmItems")
            lst.setAccessibleName("What will be affected")
            lst.addItems(self.items)
            lst.setMaximumHeight(min(220, 24 * len(self.items) + 8))
            lay.addWidget(lst)
        self.confirm_button = QPushButton(confirm_text, self)
        self.confirm_button.setObjectName("confirmButton")
        self.confirm_button.setAccessibleName(confirm_text)
        self.confirm_button.setProperty("danger", danger)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setDefault(True)          # Enter does the safe thing
        self.confirm_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)
        lay.addLayout(buttons)


async def ask(parent: QWidget | None, *, title: str, text: str, items: Sequence[str] = (),
              confirm_text: str = "Confirm", danger: bool = False, venue: str = "", venue_state: str = "",
              style_sheet: str | None = None) -> bool:
    """Show a ConfirmDialog and wait for the answer (True only when confirmed)."""
    dialog = ConfirmDialog(parent, title=title, text=text, items=items, confirm_text=confirm_text, danger=danger,
                           venue=venue, venue_state=venue_state)
    if style_sheet is not None:         # a dialog without a parent window does not inherit its theme
        dialog.setStyleSheet(style_sheet)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def done(result: int) -> None:
        if not answer.done():
            answer.set_result(result == QDialog.DialogCode.Accepted)

    dialog.finished.connect(done)
    dialog.open()
    try:
        return await answer
    finally:
        if dialog.isVisible():
            dialog.reject()
        dialog.deleteLater()
