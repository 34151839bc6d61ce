"""A simulator venue without sockets: actions signed like the SDK does, a clock the test moves."""

from __future__ import annotations

from decimal import Decimal

import eth_account
import orjson
from hyperliquid.utils.signing import sign_l1_action

from perps_desktop.sim.actions import ActionHandler
from perps_desktop.sim.housekeeping import Housekeeper
from perps_desktop.sim.info import InfoHandler
from perps_desktop.sim.markets import DEFAULT_MARKETS
from perps_desktop.sim.venue import Venue

T0 = 1_700_000_000_000


class RecordingSink:
    """Keeps every event the venue publishes."""

    def __init__(self) -> None:
        self.fills: list[tuple[str, list[dict]]] = []
        self.updates: list[tuple[str, list[dict]]] = []
        self.trades: list[tuple[str, list[dict]]] = []
        self.user_events: list[tuple[str, dict]] = []
        self.blocks = 0
        self.accounts_touched: list[set[str]] = []

    def on_fills(self, user, fills):
        self.fills.append((user, fills))

    def on_order_updates(self, user, updates):
        self.updates.append((user, updates))

    def on_trades(self, coin, trades):
        self.trades.append((coin, trades))

    def on_user_event(self, user, event):
        self.user_events.append((user, event))

    def on_block(self, coins_changed):
        self.blocks += 1

    def on_accounts(self, users):
        self.accounts_touched.append(set(users))

    def statuses(self, oid: int) -> list[str]:
        return [u["status"] for _, ups in self.updates for u in ups if u["order"]["oid"] == oid]


class Harness:
    def __init__(self, seed: int = 7, funding_interval_ms: int = 60_000) -> None:
        self.now = T0
        self.venue = Venue(DEFAULT_MARKETS, seed, self.now)
        self.sink = RecordingSink()
        self.venue.sink = self.sink
        self.keeper = Housekeeper(self.venue, funding_interval_ms=funding_interval_ms, now_ms=self.now)
        self.actions = ActionHandler(self.venue, flush=lambda b: b.flush(self.sink))
        self.info = InfoHandler(self.venue, lambda user: {"used": self.actions.requests_used.get(user, 0)},
                                lambda: self.actions.agents)
        self._nonce = T0

    def wallet(self, usdc: float = 100_000):
        w = eth_account.Account.create()
        if usdc:
            self.venue.fund(w.address.lower(), Decimal(str(usdc)), self.now)
        return w

    def body(self, wallet, action: dict, *, nonce: int | None = None, vault: str | None = None,
             expires: int | None = None, mainnet: bool = False) -> dict:
        if nonce is None:
            self._nonce += 1
            nonce = self._nonce
        sig = sign_l1_action(wallet, action, vault, nonce, expires, mainnet)
        return {"action": action, "nonce": nonce, "signature": sig, "vaultAddress": vault, "expiresAfter": expires}

    def act(self, wallet, action: dict, **kw) -> dict:
        return self.actions.handle(self.body(wallet, action, **kw), self.now)

    def order(self, wallet, coin: str, is_buy: bool, sz: str, px: str, *, tif: str = "Gtc", reduce_only=False,
              cloid: str | None = None, trigger: dict | None = None) -> dict:
        wire = {"a": self.asset(coin), "b": is_buy, "p": px, "s": sz, "r": reduce_only,
                "t": {"trigger": trigger} if trigger else {"limit": {"tif": tif}}}
        if cloid:
            wire["c"] = cloid
        reply = self.act(wallet, {"type": "order", "orders": [wire], "grouping": "na"})
        assert reply["status"] == "ok", reply
        return reply["response"]["data"]["statuses"][0]

    def ask(self, body: dict):
        return orjson.loads(self.info.answer(body, self.now)[0])

    def asset(self, coin: str) -> int:
        return self.venue.markets.asset_of[coin]

    def mid(self, coin: str) -> Decimal:
        return self.venue.markets.mids[coin]

    def set_mid(self, coin: str, px: str) -> None:
        self.venue.set_mid(coin, Decimal(px), self.now)

    def block(self, ms: int = 200, n: int = 1) -> None:
        for _ in range(n):
            self.now += ms
            self.keeper.block(self.now)

    def position(self, wallet) -> dict[str, dict]:
        state = self.ask({"type": "clearinghouseState", "user": wallet.address})
        return {p["position"]["coin"]: p["position"] for p in state["assetPositions"]}
