"""What happens every block: prices move, resting orders and triggers fill, funding, liquidations.

Also the scheduled cancels (dead-man switch) and a thin tape of market-maker trades.
"""

from __future__ import annotations

import random
from decimal import Decimal

from perps_desktop.sim.accounts import Account, q_money
from perps_desktop.sim.book import BookFill
from perps_desktop.sim.events import EventBatch
from perps_desktop.sim.orders import Order
from perps_desktop.sim.venue import MARKET_MAKER, Venue
from perps_desktop.sim.wire import ZERO, fmt

__all__ = ["Housekeeper"]

_SLIPPAGE = Decimal("0.1")
MAX_SCHEDULED_CANCELS_PER_DAY = 10


class Housekeeper:
    """Runs one block of venue time; `funding_interval_ms` sets how often funding is paid."""

    def __init__(self, venue: Venue, *, funding_interval_ms: int, now_ms: int) -> None:
        self.venue = venue
        self.funding_interval_ms = funding_interval_ms
        self.next_funding = now_ms + funding_interval_ms
        self.rng = random.Random(venue.seed * 31 + 1)
        self.liquidations = 0

    def block(self, now: int) -> None:
        v = self.venue
        v.markets.step(now)
        for coin, book in v.books.items():
            book.reprice(v.markets.mids[coin], v.markets.ticks[coin], v.markets.steps)
        batch = EventBatch()
        self._fill_crossed(now, batch)
        self._fire_triggers(now, batch)
        self._scheduled_cancels(now, batch)
        self._reduce_only_cleanup(now, batch)
        self._liquidate(now, batch)
        if now >= self.next_funding:
            self._pay_funding(now, batch)
            self.next_funding = now + self.funding_interval_ms
        self._tape(now, batch)
        batch.flush(v.sink)
        v.sink.on_block(set(v.books))

    # -- fills from price moves -----------------------------------------------------------------
    def _fill_crossed(self, now: int, batch: EventBatch) -> None:
        """Resting orders the market traded through fill in full at their limit price (as makers)."""
        v = self.venue
        for book in v.books.values():
            for order in book.crossed_by_market():
                acct = v.accounts[order.user]
                book.remove(order)
                if order.reduce_only:
                    pos = acct.positions.get(order.coin)
                    if pos is None or (pos.szi > 0) == order.is_buy:
                        v.finish(acct, order, "reduceOnlyCanceled", now, batch, in_book=False)
                        continue
                    order.sz = min(order.sz, abs(pos.szi))
                tid = v.new_tid()
                digest = "0x" + format(tid * 2654435761 + v.seed, "064x")[-64:]
                v.fill(acct, order, order.limit_px, order.sz, crossed=False, now=now, tid=tid,
                        digest=digest, batch=batch)
                buyer, seller = (order.user, MARKET_MAKER) if order.is_buy else (MARKET_MAKER, order.user)
                batch.trades[order.coin].append({"coin": order.coin, "side": "A" if order.is_buy else "B",
                                                 "px": fmt(order.limit_px), "sz": fmt(order.sz), "hash": digest,
                                                 "time": now, "tid": tid, "users": [buyer, seller]})
                v.markets.add_volume(order.coin, order.limit_px, order.sz, now)
                order.sz = ZERO
                v.finish(acct, order, "filled", now, batch, in_book=False)

    def _fire_triggers(self, now: int, batch: EventBatch) -> None:
        v = self.venue
        for acct in list(v.accounts.values()):
            for order in [o for o in acct.open_orders.values() if o.is_pending_trigger]:
                mark = v.markets.mids[order.coin]
                trig = order.trigger
                assert trig is not None
                if not (mark >= trig.px if trig.fires_above(order.is_buy) else mark <= trig.px):
                    continue
                acct.open_orders.pop(order.oid, None)
                order.triggered = True
                order.status, order.status_ts = "triggered", now
                batch.updates[acct.address].append(order.update())
                pos = acct.positions.get(order.coin)
                if order.reduce_only:
                    if pos is None or (pos.szi > 0) == order.is_buy:
                        v.finish(acct, order, "reduceOnlyCanceled", now, batch, in_book=False)
                        continue
                    order.sz = min(order.sz, abs(pos.szi))
                if trig.is_market:
                    order.limit_px = self._slipped(order, mark)
                    v.execute(acct, order, "Ioc", now, batch)
                else:
                    v.execute(acct, order, "Gtc", now, batch)

    def _slipped(self, order: Order, mark: Decimal) -> Decimal:
        book = self.venue.books[order.coin]
        px = mark * (1 + _SLIPPAGE) if order.is_buy else mark * (1 - _SLIPPAGE)
        return (px / book.tick).to_integral_value() * book.tick

    def _scheduled_cancels(self, now: int, batch: EventBatch) -> None:
        v = self.venue
        for acct in v.accounts.values():
            if acct.scheduled_cancel is not None and acct.scheduled_cancel <= now:
                acct.scheduled_cancel = None
                acct.scheduled_cancel_fired.append(now)
                v.cancel_all(acct, "scheduledCancel", now, batch)

    def _reduce_only_cleanup(self, now: int, batch: EventBatch) -> None:
        """Live reduce-only orders (triggers too) that would now open or grow a position are canceled."""
        v = self.venue
        for acct in v.accounts.values():
            for order in [o for o in acct.open_orders.values() if o.reduce_only]:
                pos = acct.positions.get(order.coin)
                if pos is None or (pos.szi > 0) == order.is_buy:
                    v.finish(acct, order, "reduceOnlyCanceled", now, batch)

    # -- risk -----------------------------------------------------------------------------------
    def _liquidate(self, now: int, batch: EventBatch) -> None:
        v = self.venue
        marks, max_lev = v.markets.mids, v.max_lev
        for acct in v.accounts.values():
            if not acct.positions:
                continue
            victims = []
            cross = [p for p in acct.positions.values() if p.is_cross]
            if cross and acct.cross_value(marks) < acct.cross_maintenance(marks, max_lev):
                victims.extend(cross)
            for p in acct.positions.values():
                if not p.is_cross and p.iso_margin + p.upnl(marks[p.coin]) < p.notional(marks[p.coin]) / (
                        2 * max_lev[p.coin]):
                    victims.append(p)
            if victims:
                self._liquidate_account(acct, victims, now, batch)

    def _liquidate_account(self, acct: Account, victims: list, now: int, batch: EventBatch) -> None:
        v = self.venue
        marks = v.markets.mids
        ntl = sum((p.notional(marks[p.coin]) for p in victims), ZERO)
        value = acct.account_value(marks)
        v.cancel_all(acct, "marginCanceled", now, batch)
        self.liquidations += 1
        info = {"liquidatedUser": acct.address, "markPx": "", "method": "market"}
        for p in list(victims):
            mark = marks[p.coin]
            is_buy = p.szi < 0
            order = Order(oid=v.new_oid(), user=acct.address, coin=p.coin, is_buy=is_buy, limit_px=mark,
                          sz=abs(p.szi), orig_sz=abs(p.szi), timestamp=now, reduce_only=True, tif="Ioc",
                          status="filled", status_ts=now)
            v.orders[order.oid] = order
            v.trade(acct, order, BookFill(px=mark, sz=abs(p.szi), maker=None), now, batch,
                    liquidation=dict(info, markPx=fmt(mark)))
        if acct.usdc < 0:
            acct.usdc = ZERO  # the insurance fund eats bad debt
        batch.user_events.append((acct.address, {"liquidation": {
            "lid": self.liquidations, "liquidator": MARKET_MAKER, "liquidated_user": acct.address,
            "liquidated_ntl_pos": fmt(q_money(ntl)), "liquidated_account_value": fmt(q_money(value))}}))

    def _pay_funding(self, now: int, batch: EventBatch) -> None:
        """Longs pay shorts `szi * mark * rate` when the rate is positive (and the reverse)."""
        v = self.venue
        for coin, rate in v.markets.funding.items():
            rows = v.markets.funding_history[coin]
            rows.append({"coin": coin, "fundingRate": fmt(rate), "premium": "0.0", "time": now})
            if len(rows) > 5000:
                del rows[:500]
        for acct in v.accounts.values():
            for coin, p in acct.positions.items():
                rate = v.markets.funding[coin]
                paid = q_money(p.szi * v.markets.mids[coin] * rate)
                if p.is_cross:
                    acct.usdc -= paid
                else:
                    p.iso_margin -= paid
                p.funding_all_time += paid
                p.funding_since_open += paid
                p.funding_since_change += paid
                delta = {"type": "funding", "coin": coin, "usdc": fmt(-paid), "szi": fmt(p.szi),
                         "fundingRate": fmt(rate), "nSamples": None}
                row = {"time": now, "hash": "0x" + "0" * 64, "delta": delta}
                acct.funding.append(row)
                if len(acct.funding) > 10_000:
                    del acct.funding[:1000]
                batch.user_events.append((acct.address, {"funding": {
                    "time": now, "coin": coin, "usdc": fmt(-paid), "szi": fmt(p.szi),
                    "fundingRate": fmt(rate)}}))

    def _tape(self, now: int, batch: EventBatch) -> None:
        """A few market-maker trades each block, so the tape and candle volumes are alive."""
        v = self.venue
        rng = self.rng
        for coin in v.books:
            if rng.random() > 0.3:
                continue
            book = v.books[coin]
            is_buy = rng.random() < 0.5
            px = book.best_synthetic(is_buy)
            notional = 500.0 + rng.random() * 20_000.0
            sz = Decimal(repr(round(notional / float(px), v.markets.by_name[coin].sz_decimals)))
            if sz <= 0:
                continue
            tid = v.new_tid()
            batch.trades[coin].append({"coin": coin, "side": "B" if is_buy else "A", "px": fmt(px), "sz": fmt(sz),
                                       "hash": "0x" + format(tid, "064x"), "time": now, "tid": tid,
                                       "users": [MARKET_MAKER, MARKET_MAKER]})
            v.markets.add_volume(coin, px, sz, now)
