"""Start-up reconciliation in parts: one malformed row never hides the rest of the account."""

from __future__ import annotations

from decimal import Decimal

from perps_desktop.app import App
from perps_desktop.core.models import OrderRequest, Severity
from tests.helpers import wait_until
from tests.integration.engine_support import QUIET, fast_settings, open_position, sim_positions

KEY = "0x" + "5e" * 32


async def test_a_fills_reply_with_one_bad_row_still_shows_positions_orders_and_the_other_fills(
        tmp_path, sim_server):
    sim = await sim_server(rate_limit_per_min=0)
    quiet = fast_settings(tmp_path, sim, strategy_threshold_pct=QUIET, symbols="BTC,ETH")
    async with App(quiet, private_key=KEY) as first:
        await first.wait_until_reconciled()
        addr = first.identity.address
        await open_position(first, "BTC", 2_000)
        await open_position(first, "ETH", 1_000)
        mid = await first.services.client.mid("BTC")
        rest = await first.services.client.place_order(OrderRequest(
            symbol="BTC", is_buy=True, size=Decimal("0.001"), limit_px=(mid * Decimal("0.5")).quantize(Decimal(1)),
            tif="Gtc"))
        assert rest.ok and rest.oid is not None
    fills = sim.venue.account(addr).fills
    assert len(fills) >= 2
    del fills[0]["tid"]                       # as the venue sent fills in 2023
    positions = await sim_positions(sim.url, addr)

    async with App(quiet, private_key=KEY) as second:
        await second.wait_until_reconciled()
        snap = second.snapshot()
        assert {p.symbol: p.size for p in snap.positions} == positions
        assert rest.oid in {o.oid for o in snap.orders}
        assert len(snap.fills) == len(fills) - 1
        assert second.services.client.counters.skipped_rows["info:userFills"] >= 1
        await wait_until(lambda: any(a.key == "malformed:info:userFills" for a in second.snapshot().alerts))
        alert = next(a for a in second.snapshot().alerts if a.key == "malformed:info:userFills")
        assert alert.severity is Severity.WARNING and "'tid'" in alert.message
        assert not second.snapshot().status_text.startswith("starting")
