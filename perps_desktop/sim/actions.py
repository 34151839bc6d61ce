"""`POST /exchange`: parse the signed envelope, verify the signer and nonce, run the action.

Structural problems (wrong types, unknown action) raise WireError (HTTP 422 text, as the venue's
deserializer does); business refusals come back as HTTP 200 `{"status":"err","response":...}`
or as per-order `{"error": ...}` statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, cast

from perps_desktop.sim.accounts import Account
from perps_desktop.sim.events import EventBatch
from perps_desktop.sim.nonces import NonceBook
from perps_desktop.sim.orders import OrderSpec, Trigger
from perps_desktop.sim.signing import USER_SIGNED_TYPES, SignatureError, recover_l1_signer, recover_user_signer
from perps_desktop.sim.venue import Venue
from perps_desktop.sim.wire import WireError, as_bool, as_int, norm_address, norm_cloid, parse_decimal

__all__ = ["ActionHandler", "action_weight"]

OK_DEFAULT = {"status": "ok", "response": {"type": "default"}}
MAX_BUILDER_F = 100                      # 0.1% in tenths of a basis point
_SCHEDULE_MIN_LEAD_MS = 5_000


def _err(msg: str) -> dict:
    return {"status": "err", "response": msg}


def action_weight(action: object) -> int:
    """IP weight: 1 + floor(batch length / 40)."""
    if not isinstance(action, Mapping):
        return 1
    for key in ("orders", "cancels", "modifies"):
        items = action.get(key)
        if isinstance(items, list):
            return 1 + len(items) // 40
    return 1


def parse_order(wire: object, where: str) -> OrderSpec:
    if not isinstance(wire, Mapping):
        raise WireError(f"{where} must be an order object")
    for key in ("a", "b", "p", "s", "r", "t"):
        if key not in wire:
            raise WireError(f"{where} is missing field {key!r}")
    t = wire["t"]
    tif: str | None = None
    trigger: Trigger | None = None
    if isinstance(t, Mapping) and isinstance(t.get("limit"), Mapping):
        tif = t["limit"].get("tif")
        if tif not in ("Gtc", "Ioc", "Alo"):
            raise WireError(f"{where}.t.limit.tif must be Gtc, Ioc or Alo, got {tif!r}")
    elif isinstance(t, Mapping) and isinstance(t.get("trigger"), Mapping):
        trig = t["trigger"]
        tpsl = trig.get("tpsl")
        if tpsl not in ("tp", "sl"):
            raise WireError(f"{where}.t.trigger.tpsl must be tp or sl, got {tpsl!r}")
        trigger = Trigger(is_market=as_bool(trig.get("isMarket"), f"{where}.t.trigger.isMarket"),
                          px=parse_decimal(trig.get("triggerPx"), f"{where}.t.trigger.triggerPx", text_only=True),
                          tpsl=tpsl)
    else:
        raise WireError(f"{where}.t must be {{'limit': {{'tif': ...}}}} or {{'trigger': {{...}}}}")
    cloid = norm_cloid(wire["c"], f"{where}.c") if wire.get("c") is not None else None
    return OrderSpec(asset=as_int(wire["a"], f"{where}.a"), is_buy=as_bool(wire["b"], f"{where}.b"),
                     px=parse_decimal(wire["p"], f"{where}.p", text_only=True),
                     sz=parse_decimal(wire["s"], f"{where}.s", text_only=True),
                     reduce_only=as_bool(wire["r"], f"{where}.r"), tif=tif, trigger=trigger, cloid=cloid)


def _items(action: Mapping, key: str) -> list:
    items = action.get(key)
    if not isinstance(items, list):
        raise WireError(f"action.{key} must be a list")
    return items


class ActionHandler:
    """Runs signed actions against the venue; `is_mainnet` None accepts both networks' signatures."""

    def __init__(self, venue: Venue, *, flush: Callable[[EventBatch], None], is_mainnet: bool | None = None) -> None:
        self.venue = venue
        self.flush = flush
        self.is_mainnet = is_mainnet
        self.nonces = NonceBook()
        self.agents: dict[str, str] = {}          # agent address -> master address
        self.requests_used: dict[str, int] = {}

    def reset(self) -> None:
        self.nonces.clear()
        self.agents.clear()
        self.requests_used.clear()

    # -- envelope -------------------------------------------------------------------------------
    def handle(self, body: object, now: int) -> dict:
        if not isinstance(body, Mapping):
            raise WireError("the body must be a JSON object with action, nonce and signature")
        for key in ("action", "nonce", "signature"):
            if key not in body:
                raise WireError(f"missing field `{key}`")
        action = body["action"]
        if not isinstance(action, Mapping) or not isinstance(action.get("type"), str):
            raise WireError("action must be an object with a string `type`")
        nonce = as_int(body["nonce"], "nonce")
        if nonce < 0 or nonce >= 2**64:
            raise WireError("nonce must fit in an unsigned 64-bit integer")
        vault = body.get("vaultAddress")
        vault = norm_address(vault, "vaultAddress") if vault is not None else None
        expires = body.get("expiresAfter")
        expires = as_int(expires, "expiresAfter") if expires is not None else None
        kind = action["type"]
        run = self._runner(kind)
        parsed = run[0](action)
        try:
            signer = self._recover(action, body["signature"], vault, nonce, expires)
        except SignatureError as exc:
            return _err(f"Invalid signature: {exc}.")
        user = self.agents.get(signer, signer)
        acct = self.venue.account(user)
        if acct is None:
            return _err(f"User or API Wallet {signer} does not exist.")
        if vault is not None and vault != user:
            return _err(f"Vault {vault} does not exist or {user} may not trade for it.")
        if expires is not None and expires < now:
            return _err(f"Action expired: expiresAfter {expires} is before the block time {now}.")
        if (msg := self.nonces.use(signer, nonce, now)) is not None:
            return _err(msg)
        self.requests_used[user] = self.requests_used.get(user, 0) + 1
        batch = EventBatch()
        reply = run[1](acct, parsed, now, batch)
        self.flush(batch)
        return reply

    def _recover(self, action: Mapping, sig: object, vault: str | None, nonce: int, expires: int | None) -> str:
        """The signer under the first network whose recovery names a known user (testnet first)."""
        nets = (False, True) if self.is_mainnet is None else (self.is_mainnet,)
        first = ""
        for net in nets:
            if action["type"] in USER_SIGNED_TYPES:
                chain = action.get("hyperliquidChain")
                if chain is not None and chain != ("Mainnet" if net else "Testnet"):
                    continue
                signer = recover_user_signer(action, sig, net)
            else:
                signer = recover_l1_signer(action, sig, vault, nonce, expires, net)
            if self.agents.get(signer, signer) in self.venue.accounts:
                return signer
            first = first or signer
        if not first:
            raise SignatureError("hyperliquidChain must be Mainnet or Testnet")
        return first

    def _runner(self, kind: str) -> tuple[Callable[[Mapping], object], Callable[[Account, object, int, EventBatch],
                                                                                 dict]]:
        table = {
            "order": (self._parse_order, self._order), "cancel": (self._parse_cancel, self._cancel),
            "cancelByCloid": (self._parse_cancel_cloid, self._cancel_cloid),
            "modify": (self._parse_modify, self._modify), "batchModify": (self._parse_batch_modify, self._modify),
            "scheduleCancel": (self._parse_schedule, self._schedule),
            "updateLeverage": (self._parse_leverage, self._leverage),
            "updateIsolatedMargin": (self._parse_margin, self._margin),
            "noop": (lambda a: None, lambda acct, p, now, b: OK_DEFAULT),
            "setReferrer": (self._parse_referrer, self._referrer),
            "approveBuilderFee": (self._parse_builder_fee, self._builder_fee),
            "approveAgent": (self._parse_agent, self._agent),
        }
        if kind not in table:
            raise WireError(f"unknown action type {kind!r}; this venue accepts: {', '.join(sorted(table))}")
        return table[kind]

    # -- orders ---------------------------------------------------------------------------------
    def _parse_order(self, action: Mapping) -> tuple[list[OrderSpec], str, tuple[str, int] | None]:
        specs = [parse_order(w, f"orders[{i}]") for i, w in enumerate(_items(action, "orders"))]
        grouping = action.get("grouping", "na")
        if grouping not in ("na", "normalTpsl", "positionTpsl"):
            raise WireError(f"grouping must be na, normalTpsl or positionTpsl, got {grouping!r}")
        builder = action.get("builder")
        parsed_builder = None
        if builder is not None:
            if not isinstance(builder, Mapping):
                raise WireError("builder must be {b: address, f: fee in tenths of a basis point}")
            parsed_builder = (norm_address(builder.get("b"), "builder.b"), as_int(builder.get("f"), "builder.f"))
        return specs, str(grouping), parsed_builder

    def _order(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        specs, grouping, builder = cast("tuple[list[Any], str, tuple[str, int] | None]", parsed)
        if builder is not None:
            addr, f = builder
            if f < 0 or f > MAX_BUILDER_F:
                return _err(f"Builder fee {f} is above the maximum of {MAX_BUILDER_F} (0.1%).")
            approved = acct.builder_approvals.get(addr)
            if approved is not None and Decimal(f) / 100_000 > approved:
                return _err("Builder fee has not been approved.")
        statuses: list[object] = []
        parent = None
        for i, spec in enumerate(specs):
            err = self.venue.check(acct, spec)
            if err is not None:
                statuses.append({"error": err})
                continue
            status = self.venue.place(acct, spec, now, batch, builder=builder,
                                      parent=parent if grouping == "normalTpsl" and i > 0 else None)
            if i == 0 and grouping == "normalTpsl":
                parent = self.venue.last_order
            statuses.append(status)
        return {"status": "ok", "response": {"type": "order", "data": {"statuses": statuses}}}

    def _parse_cancel(self, action: Mapping) -> list[tuple[int, int]]:
        out = []
        for i, c in enumerate(_items(action, "cancels")):
            if not isinstance(c, Mapping):
                raise WireError(f"cancels[{i}] must be {{a, o}}")
            out.append((as_int(c.get("a"), f"cancels[{i}].a"), as_int(c.get("o"), f"cancels[{i}].o")))
        return out

    def _cancel(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        statuses = [self.venue.cancel(acct, a, o, now, batch) for a, o in parsed]  # type: ignore[attr-defined]
        return {"status": "ok", "response": {"type": "cancel", "data": {"statuses": statuses}}}

    def _parse_cancel_cloid(self, action: Mapping) -> list[tuple[int, str]]:
        out = []
        for i, c in enumerate(_items(action, "cancels")):
            if not isinstance(c, Mapping):
                raise WireError(f"cancels[{i}] must be {{asset, cloid}}")
            out.append((as_int(c.get("asset"), f"cancels[{i}].asset"), norm_cloid(c.get("cloid"),
                                                                                 f"cancels[{i}].cloid")))
        return out

    def _cancel_cloid(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        statuses = [self.venue.cancel_by_cloid(acct, a, c, now, batch) for a, c in parsed]  # type: ignore[attr-defined]
        return {"status": "ok", "response": {"type": "cancel", "data": {"statuses": statuses}}}

    @staticmethod
    def _modify_ref(m: object, where: str) -> tuple[int | str, OrderSpec]:
        if not isinstance(m, Mapping):
            raise WireError(f"{where} must be {{oid, order}}")
        ref = m.get("oid")
        ref = norm_cloid(ref, f"{where}.oid") if isinstance(ref, str) else as_int(ref, f"{where}.oid")
        return ref, parse_order(m.get("order"), f"{where}.order")

    def _parse_modify(self, action: Mapping) -> list[tuple[int | str, OrderSpec]]:
        return [self._modify_ref(action, "action")]

    def _parse_batch_modify(self, action: Mapping) -> list[tuple[int | str, OrderSpec]]:
        return [self._modify_ref(m, f"modifies[{i}]") for i, m in enumerate(_items(action, "modifies"))]

    def _modify(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        if not parsed:                  # well-formed, so not a deserializing error: the venue says no
            return _err("batchModify needs at least one modify")
        statuses = [self.venue.modify(acct, ref, spec, now, batch) for ref, spec in parsed]  # type: ignore[attr-defined]
        return {"status": "ok", "response": {"type": "order", "data": {"statuses": statuses}}}

    # -- account settings -----------------------------------------------------------------------
    def _parse_schedule(self, action: Mapping) -> int | None:
        t = action.get("time")
        return as_int(t, "time") if t is not None else None

    def _schedule(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        if parsed is None:
            acct.scheduled_cancel = None
            return OK_DEFAULT
        assert isinstance(parsed, int)
        if parsed < now + _SCHEDULE_MIN_LEAD_MS:
            return _err("Scheduled cancel time too early, must be at least 5 seconds after current time.")
        day = now - now % 86_400_000
        if sum(1 for t in acct.scheduled_cancel_fired if t >= day) >= 10:
            return _err("Too many scheduled cancel triggers today (max 10); the count resets at 00:00 UTC.")
        acct.scheduled_cancel = parsed
        return OK_DEFAULT

    def _parse_leverage(self, action: Mapping) -> tuple[int, bool, int]:
        return (as_int(action.get("asset"), "asset"), as_bool(action.get("isCross"), "isCross"),
                as_int(action.get("leverage"), "leverage"))

    def _leverage(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        asset, is_cross, lev = cast("tuple[int, bool, int]", parsed)
        coin = self.venue.coin_of(asset)
        if coin is None:
            return _err(f"Asset {asset} does not exist.")
        spec = self.venue.markets.by_name[coin]
        if not 1 <= lev <= spec.max_leverage:
            return _err(f"Invalid leverage value: {lev} (allowed 1 to {spec.max_leverage} for {coin}).")
        if is_cross and spec.only_isolated:
            return _err(f"Cross margin is not allowed for {coin}.")
        pos = acct.positions.get(coin)
        if pos is not None:
            if pos.is_cross != is_cross:
                return _err("Cannot switch leverage type with open position.")
            mark = self.venue.markets.mids[coin]
            need = pos.notional(mark) / lev
            if pos.is_cross:
                if lev < pos.leverage and need - pos.margin_used(mark) > acct.available(self.venue.marks()):
                    return _err("Insufficient margin to decrease leverage.")
            else:
                extra = need - pos.iso_margin - pos.upnl(mark)
                if extra > 0:
                    if extra > acct.available(self.venue.marks()):
                        return _err("Insufficient margin to decrease leverage.")
                    acct.usdc -= extra
                    pos.iso_margin += extra
            pos.leverage = lev
        acct.leverage[coin] = (is_cross, lev)
        return OK_DEFAULT

    def _parse_margin(self, action: Mapping) -> tuple[int, bool, int]:
        return (as_int(action.get("asset"), "asset"), as_bool(action.get("isBuy"), "isBuy"),
                as_int(action.get("ntli"), "ntli"))

    def _margin(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        asset, _is_buy, ntli = cast("tuple[int, bool, int]", parsed)
        coin = self.venue.coin_of(asset)
        if coin is None:
            return _err(f"Asset {asset} does not exist.")
        pos = acct.positions.get(coin)
        if pos is None:
            return _err("Cannot update margin for empty position.")
        if pos.is_cross:
            return _err("Cannot update margin for cross position; switch to isolated first.")
        amount = Decimal(ntli) / 1_000_000
        mark = self.venue.markets.mids[coin]
        if amount > 0 and amount > acct.available(self.venue.marks()):
            return _err("Insufficient margin to add.")
        if amount < 0 and pos.iso_margin + amount + pos.upnl(mark) < pos.notional(mark) / pos.leverage:
            return _err("Insufficient margin to remove: the position would fall below its initial margin.")
        acct.usdc -= amount
        pos.iso_margin += amount
        return OK_DEFAULT

    def _parse_referrer(self, action: Mapping) -> str:
        code = action.get("code")
        if not isinstance(code, str) or not code:
            raise WireError("code must be a non-empty string")
        return code

    def _referrer(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        if acct.referrer is not None:
            return _err("Referrer already set.")
        acct.referrer = str(parsed)
        return OK_DEFAULT

    def _parse_builder_fee(self, action: Mapping) -> tuple[str, Decimal]:
        rate = action.get("maxFeeRate")
        if not isinstance(rate, str) or not rate.endswith("%"):
            raise WireError(f"maxFeeRate must be a percentage string like '0.01%', got {rate!r}")
        return norm_address(action.get("builder"), "builder"), parse_decimal(rate[:-1], "maxFeeRate") / 100

    def _builder_fee(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        builder, rate = cast("tuple[str, Decimal]", parsed)
        if rate > Decimal(MAX_BUILDER_F) / 100_000:
            return _err("Max fee rate too high: the limit for perps is 0.1%.")
        acct.builder_approvals[builder] = rate
        return OK_DEFAULT

    def _parse_agent(self, action: Mapping) -> str:
        return norm_address(action.get("agentAddress"), "agentAddress")

    def _agent(self, acct: Account, parsed: object, now: int, batch: EventBatch) -> dict:
        self.agents[str(parsed)] = acct.address
        return OK_DEFAULT
