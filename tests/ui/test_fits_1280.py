"""At 1280x720 the default paper session shows every cell whole: no "FORCED OP…", no "Reduce 5…".

The window runs over the real App on the simulator, at the size `--size 1280x720` gives it, in
its default layout. For the positions, orders, breakers and risk panels, each visible cell's
text is measured against the rectangle Qt draws it in (the same style call Qt's own eliding
uses), each header against its section, chips against their column, and each label against
the width it was given; the risk panel must not need to scroll.
"""

from __future__ import annotations

import contextlib

import pytest
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QPushButton, QStyle, QStyleOptionViewItem, QWidget

from perps_desktop.app import BreakerState
from perps_desktop.ui.table_model import CHIP_ROLE
from perps_desktop.ui.table_view import DataTable, chips_width
from tests.helpers import wait_until
from tests.ui.test_window_on_simulator import running_app, sim_open_orders, sim_positions, venue

pytestmark = pytest.mark.slow

HEADER_PAD = 2 * 6 + 2          # the QSS's section padding, both sides, and its border


def elided_cells(table: DataTable) -> list[str]:
    """'column: text' of every visible cell, header or chip run that does not fit its column."""
    out = []
    model, header, style = table.model(), table.horizontalHeader(), table.style()
    delegate = table.itemDelegate()
    bold = QFont(table.font())
    bold.setWeight(QFont.Weight.DemiBold)
    head_fm = QFontMetrics(bold)
    for c, col in enumerate(table.source_model.columns):
        if header.isSectionHidden(c) or c == table.action_col:
            continue
        width = header.sectionSize(c)
        if head_fm.horizontalAdvance(col.title) + HEADER_PAD > width:
            out.append(f"header {col.title!r} in {width}px")
        for r in range(model.rowCount()):
            index = model.index(r, c)
            if col.chips:
                words = index.data(CHIP_ROLE)
                need = chips_width(tuple(words or ()), table.fontMetrics())
                if need > width:
                    out.append(f"{col.title}: chips {words} need {need}px of {width}px")
                continue
            opt = QStyleOptionViewItem()
            table.initViewItemOption(opt)
            opt.rect = table.visualRect(index)
            delegate.initStyleOption(opt, index)
            if not opt.text:
                continue
            rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, table)
            if opt.fontMetrics.horizontalAdvance(opt.text) > rect.width():
                out.append(f"{col.title}: {opt.text!r} in {rect.width()}px")
    return out


def cut_labels(panel: QWidget) -> list[str]:
    """Visible one-line labels narrower than their text."""
    return [f"{lab.objectName() or 'label'}: {lab.text()!r} ({lab.width()} < {lab.sizeHint().width()})"
            for lab in panel.findChildren(QLabel)
            if lab.isVisible() and lab.text() and not lab.wordWrap() and lab.width() < lab.sizeHint().width()]


def cut_buttons(panel: QWidget) -> list[str]:
    """Visible buttons (row icons, state buttons) narrower than their text."""
    out = []
    for b in panel.findChildren(QPushButton):
        if not b.isVisible() or not b.text():
            continue
        need = b.fontMetrics().horizontalAdvance(b.text()) + 4
        if b.contentsRect().width() < need:
            out.append(f"button {b.objectName()}: {b.text()!r} ({b.contentsRect().width()} < {need})")
    return out


def scrolls(widget: QWidget) -> list[str]:
    """Scroll areas (around or in `widget`) that need to scroll to show it all."""
    areas = [a for a in widget.findChildren(QAbstractScrollArea) if not isinstance(a, DataTable)]
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    areas += [parent] if parent is not None else []
    return [f"{a.objectName()}: {a.verticalScrollBar().maximum()}px" for a in areas
            if a.isVisible() and (a.verticalScrollBar().maximum() > 0 or a.horizontalScrollBar().maximum() > 0)]


async def test_the_default_session_at_1280x720_cuts_no_text(sim_server, make_window, qtbot):
    async with venue(sim_server) as sim, running_app(sim) as app:
        w = make_window(app, first_size=(1280, 720))
        address = app.identity.address
        await wait_until(lambda: len(sim_positions(sim, address)) >= 2 and sim_open_orders(sim, address) >= 2,
                         timeout=30)
        app.force_open_breaker("exchange_orders")         # the longest state word: "FORCED OPEN"
        await wait_until(lambda: w.panels["breakers"].model.rowCount() >= 5
                         and w.panels["positions"].model.rowCount() >= 2
                         and w.panels["orders"].model.rowCount() >= 2, timeout=15)
        await wait_until(lambda: any(b.state is BreakerState.FORCED_OPEN for b in app.snapshot().breakers))
        assert (w.width(), w.height()) == (1280, 720)
        problems = []
        for key in ("positions", "orders", "breakers", "risk"):
            w.show_dock(key)
            panel = w.panels[key]
            await wait_until(lambda p=panel: p.isVisible() and not p.visibleRegion().isEmpty())
            w.render_snapshot()

            def cut(key: str = key, panel: QWidget = panel) -> list[str]:
                found = [f"{key}/{t.objectName()} {p}" for t in panel.findChildren(DataTable) for p in elided_cells(t)]
                return found + [f"{key} {p}" for p in cut_labels(panel) + cut_buttons(panel) + scrolls(panel)]

            with contextlib.suppress(TimeoutError):         # laid out once the loop has run its events
                await wait_until(lambda cut=cut: not cut(), timeout=10)
            problems += cut()
        app.reset_breaker("exchange_orders")
        assert problems == []
