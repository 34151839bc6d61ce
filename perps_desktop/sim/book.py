"""A coin's L2 book: resting user orders in price-time priority over a synthetic market maker."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal

from perps_desktop.sim.orders import Order
from perps_desktop.sim.wire import fmt

__all__ = ["BookFill", "OrderBook"]

LEVELS = 20
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class BookFill:
    """One match: the taker got `sz` at `px` from `maker` (None = the synthetic market maker)."""

    px: Decimal
    sz: Decimal
    maker: Order | None


class OrderBook:
    """User orders sorted best-first, plus synthetic depth regenerated around the mid every block."""

    def __init__(self, coin: str, sz_decimals: int, depth_usd: float, salt: int) -> None:
        self.coin = coin
        self.sz_decimals = sz_decimals
        self.depth_usd = depth_usd
        self.salt = salt
        self.bids: list[Order] = []   # best (highest) first, then oldest first
        self.asks: list[Order] = []   # best (lowest) first, then oldest first
        self.mid = _ZERO
        self.tick = Decimal(1)
        self.step = 0
        self._taken: dict[tuple[bool, Decimal], Decimal] = {}
        self._levels_cache: tuple[list[dict], list[dict]] | None = None

    # -- synthetic depth ------------------------------------------------------------------------
    def reprice(self, mid: Decimal, tick: Decimal, step: int) -> None:
        """A new block: synthetic levels are rebuilt around `mid` and fully replenished."""
        self.mid, self.tick, self.step = mid, tick, step
        self._taken.clear()
        self._levels_cache = None

    def best_synthetic(self, is_ask: bool) -> Decimal:
        return self.mid + self.tick if is_ask else self.mid - self.tick

    def _synthetic(self, is_ask: bool, i: int) -> tuple[Decimal, Decimal, int]:
        """(px, remaining size, order count) of synthetic level i (1 = best)."""
        px = self.mid + self.tick * i if is_ask else self.mid - self.tick * i
        if px <= 0:
            return px, _ZERO, 0
        h = (self.step * 7919 + i * 104729 + self.salt + (13 if is_ask else 0)) % 1000
        usd = self.depth_usd * (1.0 + 0.25 * i) * (0.5 + h / 1000.0)
        sz = Decimal(repr(round(usd / float(px), self.sz_decimals)))
        sz -= self._taken.get((is_ask, px), _ZERO)
        return px, max(sz, _ZERO), 1 + h % 9

    # -- user orders ----------------------------------------------------------------------------
    def add(self, order: Order) -> None:
        if order.is_buy:
            bisect.insort(self.bids, order, key=lambda o: (-o.limit_px, o.oid))
        else:
            bisect.insort(self.asks, order, key=lambda o: (o.limit_px, o.oid))
        self._levels_cache = None

    def remove(self, order: Order) -> None:
        side = self.bids if order.is_buy else self.asks
        try:
            side.remove(order)
        except ValueError:
            return
        self._levels_cache = None

    def best(self, is_ask: bool) -> Decimal:
        """Best price on a side including user orders."""
        syn = self.best_synthetic(is_ask)
        side = self.asks if is_ask else self.bids
        if not side:
            return syn
        return min(syn, side[0].limit_px) if is_ask else max(syn, side[0].limit_px)

    def would_cross(self, is_buy: bool, px: Decimal, user: str) -> bool:
        """True if a limit order at `px` would take liquidity now."""
        if is_buy:
            return px >= self.best_synthetic(True) or any(o.limit_px <= px for o in self.asks[:1] if o.user != user)
        return px <= self.best_synthetic(False) or any(o.limit_px >= px for o in self.bids[:1] if o.user != user)

    # -- matching -------------------------------------------------------------------------------
    def match(self, is_buy: bool, limit_px: Decimal, sz: Decimal, user: str) -> tuple[list[BookFill], list[Order]]:
        """Take up to `sz` at prices no worse than `limit_px`; returns fills and self-trade-expired makers.

        Price-time priority: at each price, resting user orders (oldest first) fill before the
        synthetic level. A resting order of the taker itself is expired (the venue's self-trade rule).
        """
        fills: list[BookFill] = []
        expired: list[Order] = []
        remaining = sz
        resting = self.asks if is_buy else self.bids
        i = 1
        while remaining > 0:
            syn_px, syn_sz, _ = self._synthetic(is_buy, i)
            if syn_sz <= 0 and syn_px > 0 and i <= LEVELS:
                i += 1
                continue
            user_px = resting[0].limit_px if resting else None
            use_user = user_px is not None and (i > LEVELS or (user_px <= syn_px if is_buy else user_px >= syn_px))
            if use_user:
                assert user_px is not None
                if (user_px > limit_px) if is_buy else (user_px < limit_px):
                    break
                maker = resting[0]
                if maker.user == user:
                    resting.pop(0)
                    expired.append(maker)
                    continue
                take = min(remaining, maker.sz)
                maker.sz -= take
                if maker.sz <= 0:
                    resting.pop(0)
                fills.append(BookFill(px=maker.limit_px, sz=take, maker=maker))
                remaining -= take
                continue
            if i > LEVELS or syn_px <= 0 or ((syn_px > limit_px) if is_buy else (syn_px < limit_px)):
                break
            take = min(remaining, syn_sz)
            key = (is_buy, syn_px)
            self._taken[key] = self._taken.get(key, _ZERO) + take
            fills.append(BookFill(px=syn_px, sz=take, maker=None))
            remaining -= take
        if fills or expired:
            self._levels_cache = None
        return fills, expired

    def crossed_by_market(self) -> list[Order]:
        """Resting user orders the synthetic market has traded through (mid moved past them)."""
        out = [o for o in self.bids if o.limit_px >= self.best_synthetic(True)]
        out += [o for o in self.asks if o.limit_px <= self.best_synthetic(False)]
        return out

    # -- views ----------------------------------------------------------------------------------
    def levels(self) -> tuple[list[dict], list[dict]]:
        """Up to 20 aggregated levels per side, best first, in the venue's `{px, sz, n}` shape."""
        if self._levels_cache is not None:
            return self._levels_cache
        self._levels_cache = (self._side(False), self._side(True))
        return self._levels_cache

    def _side(self, is_ask: bool) -> list[dict]:
        agg: dict[Decimal, list] = {}
        for i in range(1, LEVELS + 1):
            px, sz, n = self._synthetic(is_ask, i)
            if sz > 0:
                agg[px] = [sz, n]
        for o in self.asks if is_ask else self.bids:
            slot = agg.setdefault(o.limit_px, [_ZERO, 0])
            slot[0] += o.sz
            slot[1] += 1
        prices = sorted(agg, reverse=not is_ask)[:LEVELS]
        return [{"px": fmt(p), "sz": fmt(agg[p][0]), "n": agg[p][1]} for p in prices]
