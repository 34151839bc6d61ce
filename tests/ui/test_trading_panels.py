"""Positions and orders read as the venue's screen: stops by their trigger, ROE, TP/SL, venue digits."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.app import Side
from perps_desktop.ui.panels import OrdersPanel, PositionsPanel
from tests import stubs


def _stop(**kw):
    fields = {"side": Side.SELL, "px": 60688, "size": 0.01, "trigger_px": Decimal(61300),
              "order_type": "Stop Market", "tif": None, "reduce_only": True,
              "cloid": "0x73746f70" + "00" * 12}
    fields.update(kw)
    return stubs.order("BTC", 7, **fields)


def test_a_stop_shows_its_trigger_and_market_not_its_slippage_limit(qtbot):
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    limit = stubs.order("ETH", 8, side=Side.BUY, px="3210.5", size=0.5, order_type="Limit", tif="Gtc")
    panel.set_snapshot(stubs.snapshot(orders=(_stop(), limit), mids={"BTC": 62555.0}))
    m = panel.model
    assert m.text(("BTC", 7), "type") == "Stop Market"
    assert m.text(("BTC", 7), "trigger") == "≤ 61,300 (2.0%)"       # a sell stop fires as the price falls
    assert m.text(("BTC", 7), "px") == "Market"
    assert "60,688" not in m.text(("BTC", 7), "px")
    assert m.text(("BTC", 7), "flags") == "reduce-only · bot stop"
    assert m.text(("ETH", 8), "type") == "Limit"
    assert m.text(("ETH", 8), "trigger") == ""
    assert m.text(("ETH", 8), "px") == "3,210.5"
    assert m.text(("ETH", 8), "flags") == "GTC"


def test_a_pushed_order_without_its_type_is_not_called_a_limit(qtbot):
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.set_snapshot(stubs.snapshot(orders=(_stop(order_type="", trigger_px=None, reduce_only=False, cloid=None),)))
    assert panel.model.text(("BTC", 7), "type") == "Order"


def test_the_bots_own_stop_pushed_before_its_type_is_a_stop_market_not_a_limit(qtbot):
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    panel.set_snapshot(stubs.snapshot(orders=(_stop(order_type="", trigger_px=None, reduce_only=False),)))
    m = panel.model
    assert (m.text(("BTC", 7), "type"), m.text(("BTC", 7), "px")) == ("Stop Market", "Market")


def test_positions_show_roe_tpsl_funding_and_hide_a_far_liquidation(qtbot):
    panel = PositionsPanel()
    qtbot.addWidget(panel)
    sol = stubs.position("SOL", -6.66, entry="149.91", mark="149.59", leverage=20, liq="336136",
                         funding_since_open=Decimal("0.02"))
    btc = stubs.position("BTC", 0.01, entry=62000, mark=62555, leverage=20, liq=59500)
    fills = (stubs.fill("SOL", 1, side=Side.SELL, size=6.66, time_ms=1_700_000_000_000, start_position=Decimal(0)),)
    panel.set_snapshot(stubs.snapshot(positions=(sol, btc), orders=(_stop(),), fills=fills,
                                      mids={"SOL": 149.59, "BTC": 62555.0}))
    m = panel.model
    # uPnL +2.13 on 6.66 x 149.91 / 20 = $49.92 of margin: ROE 4.27% (0.21% of the value)
    assert m.text("SOL", "roe") == "+4.27%"
    assert m.text("SOL", "liq") == "far"
    assert "336,136" in m.data(m.index(0, _col(m, "liq")), 3)          # ToolTipRole says what is hidden
    assert m.text("SOL", "funding") == "−$0.02"                      # cumFunding counts what was paid
    assert m.text("SOL", "opened") != "earlier"
    assert m.text("SOL", "tpsl") == "none"
    assert m.text("BTC", "tpsl") == "SL 61,300 (2.0%)"
    assert m.text("BTC", "liq") == "59,500"
    assert m.text("BTC", "opened") == "earlier"                      # its opening fill is not among those kept


def _col(model, key: str) -> int:
    return next(i for i, c in enumerate(model.columns) if c.key == key)
