"""The matching venue: accounts, order placement, cancels, modifies and fills against the books."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from perps_desktop.sim.accounts import Account, q_money
from perps_desktop.sim.book import BookFill, OrderBook
from perps_desktop.sim.events import EventBatch, EventSink, NullSink
from perps_desktop.sim.markets import Markets, MarketSpec
from perps_desktop.sim.orders import Order, OrderSpec
from perps_desktop.sim.wire import ZERO, fmt, price_error, size_error

__all__ = ["MARKET_MAKER", "Venue"]

MARKET_MAKER = "0x00000000000000000000000000000000000000aa"
TAKER_FEE = Decimal("0.00045")
MAKER_FEE = Decimal("0.00015")
MIN_NOTIONAL = Decimal(10)
_BUILDER_UNIT = Decimal(100_000)       # builder fee `f` is in tenths of a basis point


class Venue:
    """Everything the exchange knows; mutated only from the event loop, one action at a time."""

    def __init__(self, specs: tuple[MarketSpec, ...], seed: int, now_ms: int) -> None:
        self.seed = seed
        self.markets = Markets(specs, seed, now_ms)
        self.books = {s.name: OrderBook(s.name, s.sz_decimals, 40_000.0, i * 7 + seed)
                      for i, s in enumerate(specs)}
        self.max_lev = {s.name: s.max_leverage for s in specs}
        self.accounts: dict[str, Account] = {}
        self.orders: dict[int, Order] = {}
        self.sink: EventSink = NullSink()
        self.last_order: Order | None = None
        self._next_oid = 1_000_000 + (seed % 1000) * 1000
        self._next_tid = 50_000_000
        for book in self.books.values():
            book.reprice(self.markets.mids[book.coin], self.markets.ticks[book.coin], 0)

    # -- lookups --------------------------------------------------------------------------------
    def coin_of(self, asset: int) -> str | None:
        specs = self.markets.specs
        return specs[asset].name if 0 <= asset < len(specs) else None

    def account(self, user: str) -> Account | None:
        return self.accounts.get(user)

    def marks(self) -> dict[str, Decimal]:
        return self.markets.mids

    def fund(self, user: str, usdc: Decimal, now_ms: int = 0) -> Account:
        """Credit USDC (a deposit in the user's ledger); creates the account."""
        acct = self.accounts.get(user)
        if acct is None:
            acct = self.accounts[user] = Account(address=user)
        acct.usdc += usdc
        acct.ledger.append({"time": now_ms, "hash": "0x" + "0" * 64,
                            "delta": {"type": "deposit", "usdc": fmt(usdc)}})
        return acct

    def set_mid(self, coin: str, px: Decimal, now_ms: int) -> None:
        self.markets.set_mid(coin, px, now_ms)
        book = self.books[coin]
        book.reprice(self.markets.mids[coin], self.markets.ticks[coin], self.markets.steps)

    def new_oid(self) -> int:
        self._next_oid += 1
        return self._next_oid

    def new_tid(self) -> int:
        self._next_tid += 1
        return self._next_tid

    # -- placing --------------------------------------------------------------------------------
    def check(self, acct: Account, spec: OrderSpec, replacing: Order | None = None) -> str | None:
        """The venue's per-order refusal, or None if the order may be placed."""
        coin = self.coin_of(spec.asset)
        if coin is None:
            return f"Asset {spec.asset} does not exist (this venue lists {len(self.markets.specs)} perps)."
        sz_dec = self.markets.by_name[coin].sz_decimals
        if (err := price_error(spec.px, sz_dec)) is not None:
            return f"{err} asset={spec.asset}"
        if spec.trigger is not None and (err := price_error(spec.trigger.px, sz_dec)) is not None:
            return f"Order has invalid trigger price. asset={spec.asset}"
        if (err := size_error(spec.sz, sz_dec)) is not None:
            return f"{err} asset={spec.asset}"
        mark = self.markets.mids[coin]
        if spec.tif is not None and (spec.px > mark * 20 or spec.px * 20 < mark):
            return f"Order price cannot be more than 95% away from the reference price. asset={spec.asset}"
        if spec.cloid is not None and spec.cloid in acct.live_cloids and (
                replacing is None or replacing.cloid != spec.cloid):
            return f"Order has duplicate cloid {spec.cloid}. asset={spec.asset}"
        pos = acct.positions.get(coin)
        szi = pos.szi if pos else ZERO
        if spec.reduce_only:
            if spec.trigger is None and (szi == 0 or (szi > 0) == spec.is_buy):
                return f"Reduce only order would increase position. asset={spec.asset}"
            return None
        if spec.sz * spec.px < MIN_NOTIONAL:
            return f"Order must have minimum value of $10. asset={spec.asset}"
        grow = spec.sz if szi == 0 or (szi > 0) == spec.is_buy else max(ZERO, spec.sz - abs(szi))
        _, lev = acct.leverage_of(coin, self.max_lev[coin])
        held = ZERO
        if replacing is not None and not replacing.is_pending_trigger and not replacing.reduce_only:
            held = replacing.sz * replacing.limit_px / replacing.leverage
        if grow * spec.px / lev > acct.available(self.marks()) + held:
            return f"Insufficient margin to place order. asset={spec.asset}"
        return None

    def place(self, acct: Account, spec: OrderSpec, now: int, batch: EventBatch,
              builder: tuple[str, int] | None = None, parent: Order | None = None) -> dict | str:
        """Place one checked order; returns its status in the venue's shape."""
        coin = self.coin_of(spec.asset)
        assert coin is not None
        sz = spec.sz
        pos = acct.positions.get(coin)
        if spec.reduce_only and spec.trigger is None and pos is not None:
            sz = min(sz, abs(pos.szi))
        order = Order(oid=self.new_oid(), user=acct.address, coin=coin, is_buy=spec.is_buy,
                      limit_px=spec.px, sz=sz, orig_sz=sz, timestamp=now, reduce_only=spec.reduce_only,
                      tif=spec.tif, cloid=spec.cloid, trigger=spec.trigger, builder=builder, status_ts=now,
                      leverage=acct.leverage_of(coin, self.max_lev[coin])[1])
        self.orders[order.oid] = order
        self.last_order = order
        if len(self.orders) > 200_000:
            for oid in list(self.orders)[:20_000]:
                if self.orders[oid].status not in ("open", "waitingForFill"):
                    del self.orders[oid]
        if parent is not None and parent.status == "open":
            parent.children.append(order)
            order.status = "waitingForFill"
            return "waitingForFill"
        if order.trigger is not None:
            self._rest(acct, order, now, batch, in_book=False)
            return self._resting(order)
        return self.execute(acct, order, spec.tif or "Gtc", now, batch)

    def execute(self, acct: Account, order: Order, tif: str, now: int, batch: EventBatch) -> dict:
        """Match a limit order against the book, then rest (Gtc/Alo) or cancel (Ioc) what is left."""
        book = self.books[order.coin]
        asset = self.markets.asset_of[order.coin]
        if tif == "Alo" and book.would_cross(order.is_buy, order.limit_px, acct.address):
            self.finish(acct, order, "badAloPxRejected", now, batch)
            bid, ask = book.best(False), book.best(True)
            return {"error": f"Post only order would have immediately matched, bbo was {fmt(bid)}@{fmt(ask)}. "
                             f"asset={asset}"}
        fills, expired = book.match(order.is_buy, order.limit_px, order.sz, acct.address)
        for maker in expired:
            self.finish(self.accounts[maker.user], maker, "selfTradeCanceled", now, batch, in_book=False)
        filled = ZERO
        notional = ZERO
        for f in fills:
            self.trade(acct, order, f, now, batch)
            filled += f.sz
            notional += f.sz * f.px
        avg = (notional / filled).quantize(Decimal("0.00000001")).normalize() if filled else ZERO
        if order.sz <= 0:
            self.finish(acct, order, "filled", now, batch)
            return {"filled": {"totalSz": fmt(filled), "avgPx": fmt(avg), "oid": order.oid}}
        if tif == "Ioc":
            if filled == 0:
                self.finish(acct, order, "iocCancelRejected", now, batch)
                return {"error": f"Order could not immediately match against any resting orders. asset={asset}"}
            self.finish(acct, order, "canceled", now, batch)
            return {"filled": {"totalSz": fmt(filled), "avgPx": fmt(avg), "oid": order.oid}}
        self._rest(acct, order, now, batch, in_book=True)
        return self._resting(order)

    def trade(self, acct: Account, order: Order, f: BookFill, now: int, batch: EventBatch,
              liquidation: dict | None = None) -> None:
        """Book one match: the taker's fill, the maker's fill (if a user), the public trade."""
        tid = self.new_tid()
        digest = "0x" + hashlib.sha256(tid.to_bytes(8, "big") + self.seed.to_bytes(8, "big", signed=True)).hexdigest()
        self.fill(acct, order, f.px, f.sz, crossed=True, now=now, tid=tid, digest=digest, batch=batch,
                   liquidation=liquidation)
        order.sz -= f.sz
        maker_user = MARKET_MAKER
        if f.maker is not None:
            maker = f.maker
            maker_user = maker.user
            self.fill(self.accounts[maker.user], maker, f.px, f.sz, crossed=False, now=now, tid=tid,
                       digest=digest, batch=batch)
            if maker.sz <= 0:
                self.finish(self.accounts[maker.user], maker, "filled", now, batch, in_book=False)
        buyer, seller = (acct.address, maker_user) if order.is_buy else (maker_user, acct.address)
        batch.trades[order.coin].append({"coin": order.coin, "side": order.side, "px": fmt(f.px),
                                         "sz": fmt(f.sz), "hash": digest, "time": now, "tid": tid,
                                         "users": [buyer, seller]})
        self.markets.add_volume(order.coin, f.px, f.sz, now)
        batch.books.add(order.coin)

    def fill(self, acct: Account, order: Order, px: Decimal, sz: Decimal, *, crossed: bool, now: int, tid: int,
              digest: str, batch: EventBatch, liquidation: dict | None = None) -> None:
        notional = px * sz
        fee = notional * (TAKER_FEE if crossed else MAKER_FEE)
        builder_fee = ZERO
        if order.builder is not None:
            builder_fee = notional * order.builder[1] / _BUILDER_UNIT
        res = acct.apply_fill(coin=order.coin, is_buy=order.is_buy, px=px, sz=sz,
                              fee=q_money(fee + builder_fee), max_leverage=self.max_lev[order.coin])
        row: dict[str, object] = {"coin": order.coin, "px": fmt(px), "sz": fmt(sz), "side": order.side,
                                  "time": now, "startPosition": fmt(res.start), "dir": res.direction,
                                  "closedPnl": fmt(q_money(res.closed_pnl)), "hash": digest, "oid": order.oid,
                                  "crossed": crossed, "fee": fmt(q_money(fee + builder_fee)), "tid": tid,
                                  "feeToken": "USDC"}
        if order.cloid is not None:
            row["cloid"] = order.cloid
        if builder_fee:
            row["builderFee"] = fmt(q_money(builder_fee))
        if liquidation is not None:
            row["liquidation"] = liquidation
        acct.fills.append(row)
        if len(acct.fills) > 10_000:
            del acct.fills[:1000]
        batch.fills[acct.address].append(row)

    def _resting(self, order: Order) -> dict:
        body: dict[str, object] = {"oid": order.oid}
        if order.cloid is not None:
            body["cloid"] = order.cloid
        return {"resting": body}

    def _rest(self, acct: Account, order: Order, now: int, batch: EventBatch, *, in_book: bool) -> None:
        order.status, order.status_ts = "open", now
        acct.open_orders[order.oid] = order
        if order.cloid is not None:
            acct.live_cloids[order.cloid] = order.oid
        if in_book:
            self.books[order.coin].add(order)
            batch.books.add(order.coin)
        batch.updates[acct.address].append(order.update())

    def finish(self, acct: Account, order: Order, status: str, now: int, batch: EventBatch,
                in_book: bool = True) -> None:
        """An order leaves the live set with `status` (filled, canceled, ...); children follow it."""
        was_live = acct.open_orders.pop(order.oid, None) is not None
        if order.cloid is not None and acct.live_cloids.get(order.cloid) == order.oid:
            del acct.live_cloids[order.cloid]
        if in_book and was_live and not order.is_pending_trigger:
            self.books[order.coin].remove(order)
            batch.books.add(order.coin)
        order.status, order.status_ts = status, now
        batch.updates[acct.address].append(order.update())
        children, order.children = order.children, []
        for child in children:
            if status == "filled":
                self._rest(acct, child, now, batch, in_book=False)
            else:
                self.finish(acct, child, "canceled", now, batch, in_book=False)

    # -- cancelling and modifying ---------------------------------------------------------------
    def cancel(self, acct: Account, asset: int, oid: int, now: int, batch: EventBatch,
               status: str = "canceled") -> str | dict:
        order = acct.open_orders.get(oid)
        coin = self.coin_of(asset)
        if order is None or order.coin != coin:
            return {"error": f"Order was never placed, already canceled, or filled. asset={asset}"}
        self.finish(acct, order, status, now, batch)
        return "success"

    def cancel_by_cloid(self, acct: Account, asset: int, cloid: str, now: int, batch: EventBatch) -> str | dict:
        oid = acct.live_cloids.get(cloid)
        if oid is None:
            return {"error": f"Order was never placed, already canceled, or filled. asset={asset}"}
        return self.cancel(acct, asset, oid, now, batch)

    def cancel_all(self, acct: Account, status: str, now: int, batch: EventBatch) -> int:
        orders = list(acct.open_orders.values())
        for order in orders:
            self.finish(acct, order, status, now, batch)
        return len(orders)

    def modify(self, acct: Account, ref: int | str, spec: OrderSpec, now: int, batch: EventBatch) -> dict | str:
        """Replace a live order (by oid or cloid) with a new one; the old order is canceled."""
        oid = acct.live_cloids.get(ref) if isinstance(ref, str) else ref
        old = acct.open_orders.get(oid) if oid is not None else None
        if old is None:
            return {"error": "Cannot modify canceled or filled order"}
        if (err := self.check(acct, spec, replacing=old)) is not None:
            return {"error": err}
        if self.coin_of(spec.asset) != old.coin:
            return {"error": "Cannot modify an order into a different asset"}
        self.finish(acct, old, "canceled", now, batch)
        return self.place(acct, spec, now, batch, builder=old.builder)
