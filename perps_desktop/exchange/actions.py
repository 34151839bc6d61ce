"""Signed /exchange actions: orders (coalesced into bulk actions), cancels, modify, leverage, scheduleCancel.

An action is never sent blindly twice. A 429 means the venue did not take it, so it is signed
again with a fresh nonce and resent after a backoff. A timeout or a broken connection leaves
it unknown: every order carries a cloid and expires (`expiresAfter`) when the client stops
waiting, so the client then asks `orderStatus` by cloid and resends only the orders the venue
has never seen. Cancels are checked the same way by oid or cloid. Every own action invalidates
the account and order caches at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.clock import wall_ms
from perps_desktop.core.lanes import Lane, current_lane, in_lane
from perps_desktop.core.models import Order, OrderRequest, OrderResult, OrderState, OrderStatus
from perps_desktop.errors import ExchangeError, ExchangeRejected, MalformedReply, RateLimited, TransportError
from perps_desktop.exchange import parse, wire
from perps_desktop.exchange.client_config import ClientConfig
from perps_desktop.exchange.coalescer import Coalescer
from perps_desktop.exchange.info import InfoApi
from perps_desktop.exchange.nonce import NonceSource
from perps_desktop.exchange.pushed import PushedAccount
from perps_desktop.exchange.rate_budget import RateBudget
from perps_desktop.exchange.signing import L1Signer
from perps_desktop.exchange.stats import ClientCounters
from perps_desktop.exchange.transport import Transport

__all__ = ["ActionApi", "result_from_state"]

T = TypeVar("T")

_STATE_TO_RESULT = {"open": OrderStatus.RESTING, "filled": OrderStatus.FILLED, "triggered": OrderStatus.RESTING}
_GRACE_MS = 250  # after expiresAfter, how long the venue may still be finishing an action it took in time


def result_from_state(state: OrderState, cloid: str | None) -> OrderResult:
    """What an order's placement came to, read back from orderStatus after an ambiguous send."""
    order = state.order
    status = _STATE_TO_RESULT.get(state.status)
    oid = order.oid if order else None
    if status is not None:
        return OrderResult(status=status, cloid=cloid, oid=oid,
                           filled_size=(order.orig_size - order.size) if order else Decimal(0))
    if state.status == "rejected":
        return OrderResult(status=OrderStatus.ERROR, cloid=cloid, oid=oid, error="rejected")
    return OrderResult(status=OrderStatus.CANCELED, cloid=cloid, oid=oid, error=state.status)


class ActionApi:
    """The write side of the client; needs a signer (read-only clients refuse with ExchangeRejected)."""

    def __init__(self, transport: Transport, config: ClientConfig, info: InfoApi, budget: RateBudget,
                 counters: ClientCounters, signer: L1Signer | None, nonces: NonceSource,
                 on_change: Callable[[], None], pushed: PushedAccount | None = None) -> None:
        self._t = transport
        self._pushed = pushed
        self._cfg = config
        self._info = info
        self._budget = budget
        self._counters = counters
        self._signer = signer
        self._nonces = nonces
        self._on_change = on_change
        self.coalescer: Coalescer[tuple[OrderRequest, Lane | None], OrderResult] = Coalescer(
            self._place_coalesced, window_s=config.coalesce_ms / 1000.0, max_batch=config.order_batch_max)
        self.cancels: Coalescer[tuple[tuple[str, int], Lane | None], bool] = Coalescer(
            self._cancel_coalesced, window_s=config.coalesce_ms / 1000.0, max_batch=config.order_batch_max)

    # --- sending -----------------------------------------------------------------------------------

    async def post_action(self, action: dict[str, Any], *, batch: int = 1, timeout_s: float | None = None) -> Any:
        """Sign and send one action; a 429 is absorbed (re-signed, resent after backoff).

        A TransportError leaving here carries the action's `expires_after` (ms, or None), so an
        ambiguous failure can be waited out before the venue is asked what became of it.
        """
        if self._signer is None:
            raise ExchangeRejected("read-only client: no signing key", endpoint=f"exchange:{action['type']}")
        signer = self._signer
        cfg = self._cfg
        expires_after: int | None = None

        def signed() -> dict[str, Any]:     # built after the budget's wait: queueing must not age the nonce
            nonlocal expires_after
            nonce = self._nonces.next(signer.address)
            expires_after = nonce + cfg.expiry_ms if cfg.expiry_ms is not None else None
            signature = signer.sign_l1_action(action, nonce=nonce, vault_address=cfg.vault_address,
                                              expires_after=expires_after, is_mainnet=cfg.is_mainnet)
            return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": cfg.vault_address,
                    "expiresAfter": expires_after}

        try:
            return await self._info.sender.post("/exchange", signed, weight=wire.exchange_weight(batch),
                                                label=f"exchange:{action['type']}", lane=Lane.STRATEGY,
                                                timeout_s=timeout_s)
        except RateLimited:
            raise
        except TransportError as exc:
            exc.expires_after = expires_after
            raise

    @staticmethod
    def _left_ms(exc: ExchangeError) -> float:
        """How long the venue could still take the failed action (0 when it never left or has expired)."""
        expires_after = exc.expires_after
        if expires_after is None or not exc.request_sent:
            return 0.0
        return max(0.0, expires_after + _GRACE_MS - wall_ms())

    async def _resolve(self, exc: ExchangeError, check: Callable[[], Awaitable[T]], attempt: int, *,
                       done: Callable[[T], bool] = lambda r: r is not None) -> T | None:
        """What an ambiguous send came to: the last `check()` made once the action can no longer land.

        A send that never left returns None after a backoff (resend it). Otherwise, if a while
        remains before the action expires (a fast 5xx, a dropped connection), the venue is asked
        at once, and asked again after the expiry unless the first answer was `done`.
        """
        if not exc.request_sent:
            await asyncio.sleep(backoff_s(attempt, base_s=self._cfg.retry_base_s, cap_s=self._cfg.retry_cap_s))
            return None
        left = self._left_ms(exc)
        if left > 2 * _GRACE_MS:
            answer = await check()
            if done(answer):
                return answer
            left = self._left_ms(exc)
        if left > 0:
            await asyncio.sleep(left / 1000.0)
        return await check()

    def _changed(self) -> None:
        self._on_change()

    # --- orders --------------------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """One order; concurrent calls within `coalesce_ms` share one bulk order action."""
        if self._cfg.coalesce_ms > 0:
            return await self.coalescer.submit((request, current_lane()))
        return (await self.place_orders([request]))[0]

    async def _place_coalesced(self, items: list[tuple[OrderRequest, Lane | None]]) -> list[OrderResult]:
        """A coalesced batch goes in the most urgent lane of its orders (a Close riding with strategy orders
        keeps its place in the budget's queue)."""
        lanes = [lane for _, lane in items if lane is not None]
        with in_lane(min(lanes), keep_higher=False) if lanes else contextlib.nullcontext():
            return await self.place_orders([req for req, _ in items])

    async def place_orders(self, requests: Sequence[OrderRequest]) -> list[OrderResult]:
        """Bulk order action(s) of at most `order_batch_max`; one OrderResult per request, in order."""
        results: list[OrderResult | None] = [None] * len(requests)
        cloids: list[str] = []
        wires: list[dict[str, Any] | None] = []
        for i, req in enumerate(requests):
            cloid = wire.check_cloid(req.cloid) if req.cloid else wire.new_cloid()
            cloids.append(cloid)
            try:
                wires.append(wire.order_wire(req, await self._info.asset(req.symbol), cloid))
            except ValueError as exc:  # cannot be placed as asked: never sent
                wires.append(None)
                results[i] = OrderResult(status=OrderStatus.ERROR, cloid=cloid, error=str(exc))
        ready = {i: w for i, w in enumerate(wires) if w is not None}
        todo = list(ready)
        step = self._cfg.order_batch_max
        chunks = [todo[k:k + step] for k in range(0, len(todo), step)]
        try:
            outcomes = await asyncio.gather(*(self._send_orders([ready[i] for i in c], [cloids[i] for i in c])
                                              for c in chunks), return_exceptions=True)
        finally:
            if todo:
                self._changed()
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed and len(failed) == len(outcomes):
            raise failed[0]  # nothing went out: the caller's breaker sees the error
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            for j, i in enumerate(chunk):  # some chunks went out: the failed ones become error results
                results[i] = (outcome[j] if not isinstance(outcome, BaseException) else
                              OrderResult(status=OrderStatus.ERROR, cloid=cloids[i], error=str(outcome)))
        done = [r for r in results if r is not None]
        if self._pushed is not None:
            self._pushed.expect(done)       # pushed reads wait until they show these
        return done

    async def _send_orders(self, wires: list[dict[str, Any]], cloids: list[str]) -> list[OrderResult]:
        results: dict[str, OrderResult] = {}
        pending = list(range(len(wires)))
        attempt = 0
        while True:
            batch = [wires[i] for i in pending]
            self._counters.order_batches += 1
            self._counters.orders_sent += len(batch)
            try:
                reply = await self.post_action(wire.order_action(batch), batch=len(batch))
                for i, res in zip(pending, parse.parse_order_results(reply, [cloids[i] for i in pending]),
                                  strict=True):
                    results[cloids[i]] = res
                break
            except (MalformedReply, RateLimited):
                raise
            except TransportError as exc:  # timeout or broken connection: placed or not?
                refs = [cloids[i] for i in pending]
                states = await self._resolve(exc, lambda refs=refs: self._states(refs), attempt,  # type: ignore[misc]
                                             done=lambda states: all(s.known for s in states))
                unknown = []
                pairs = zip(refs, states, strict=True) if states is not None else ()  # None: never sent
                known = {c: s for c, s in pairs if s.known}
                for i in pending:
                    if cloids[i] in known:
                        self._counters.resends_avoided += 1
                        results[cloids[i]] = result_from_state(known[cloids[i]], cloids[i])
                    else:
                        unknown.append(i)
                if not unknown:
                    break
                if attempt >= self._cfg.max_retries:
                    if len(unknown) == len(wires):
                        raise
                    for i in unknown:
                        results[cloids[i]] = OrderResult(status=OrderStatus.ERROR, cloid=cloids[i],
                                                         error=f"not placed: {exc}")
                    break
                pending = unknown
                attempt += 1
                self._counters.retries += 1
        return [results[c] for c in cloids]

    async def _states(self, refs: Sequence[int | str]) -> list[OrderState]:
        self._counters.status_checks += len(refs)
        return list(await asyncio.gather(*(self._info.order_status(r, fresh=True) for r in refs)))

    async def modify(self, oid: int | str, request: OrderRequest) -> OrderResult:
        """Replace a resting order (by oid or cloid) with `request` (batchModify of one, as the SDK sends)."""
        cloid = wire.check_cloid(request.cloid) if request.cloid else wire.new_cloid()
        order = wire.order_wire(request, await self._info.asset(request.symbol), cloid)
        ref = wire.check_cloid(oid) if isinstance(oid, str) else int(oid)
        action = wire.batch_modify_action([(ref, order)])

        async def check() -> OrderResult | None:
            (state,) = await self._states([cloid])
            return result_from_state(state, cloid) if state.known else None

        async def send() -> OrderResult:
            reply = await self.post_action(action)
            return parse.parse_order_results(reply, [cloid], endpoint="exchange:batchModify")[0]

        try:
            result: OrderResult = await self._unambiguous(send, check)
            if self._pushed is not None:
                self._pushed.expect([result])
                if isinstance(ref, int):
                    self._pushed.expect_gone([ref])
            return result
        finally:
            self._changed()

    async def _unambiguous(self, send: Callable[[], Awaitable[Any]], check: Callable[[], Awaitable[Any | None]]) -> Any:
        """Send; after an ambiguous failure, `check` the venue (None = not done) and only then resend."""
        attempt = 0
        while True:
            try:
                return await send()
            except (MalformedReply, RateLimited):
                raise
            except TransportError as exc:
                done = await self._resolve(exc, check, attempt)
                if done is not None:
                    self._counters.resends_avoided += 1
                    return done
                if attempt >= self._cfg.max_retries:
                    raise
                attempt += 1
                self._counters.retries += 1

    # --- cancels -------------------------------------------------------------------------------------

    async def cancel(self, symbol: str, oid: int) -> bool:
        """One cancel; concurrent calls within `coalesce_ms` share one cancel action (weight 1 + n/40)."""
        if self._cfg.coalesce_ms > 0:
            return await self.cancels.submit(((symbol, oid), current_lane()))
        return (await self.cancel_many([(symbol, oid)]))[0]

    async def _cancel_coalesced(self, items: list[tuple[tuple[str, int], Lane | None]]) -> list[bool]:
        lanes = [lane for _, lane in items if lane is not None]
        with in_lane(min(lanes), keep_higher=False) if lanes else contextlib.nullcontext():
            return await self.cancel_many([target for target, _ in items])

    async def cancel_by_cloid(self, symbol: str, cloid: str) -> bool:
        return (await self.cancel_many([(symbol, wire.check_cloid(cloid))]))[0]

    async def cancel_many(self, targets: Sequence[tuple[str, int | str]]) -> list[bool]:
        """One cancel action per kind (by oid, by cloid); True where the order was cancelled."""
        if not targets:
            return []
        out: list[bool] = [False] * len(targets)
        by_oid = [i for i, (_, ref) in enumerate(targets) if not isinstance(ref, str)]
        by_cloid = [i for i, (_, ref) in enumerate(targets) if isinstance(ref, str)]
        try:
            for idx, by_cloid_kind in ((by_oid, False), (by_cloid, True)):
                if not idx:
                    continue
                pairs = [((await self._info.asset(targets[i][0])).asset_id, targets[i][1]) for i in idx]
                oids = [targets[i][1] if not by_cloid_kind else
                        (self._pushed.oid_of(str(targets[i][1])) if self._pushed is not None else None) for i in idx]
                oks = await self._cancel_batch(pairs, by_cloid_kind)
                for i, ok in zip(idx, oks, strict=True):
                    out[i] = ok
                if self._pushed is not None:
                    self._pushed.expect_gone(int(o) for o, ok in zip(oids, oks, strict=True) if ok and o is not None)
        finally:
            self._changed()
        return out

    async def _cancel_batch(self, pairs: list[tuple[int, Any]], by_cloid: bool) -> list[bool]:
        action = wire.cancel_by_cloid_action(pairs) if by_cloid else wire.cancel_action(pairs)
        label = f"exchange:{action['type']}"

        async def send() -> list[bool]:
            reply = await self.post_action(action, batch=len(pairs))
            return [err is None for err in parse.parse_cancel_statuses(reply, len(pairs), endpoint=label)]

        async def check() -> list[bool] | None:
            states = await self._states([ref for _, ref in pairs])
            if any(s.status == "open" for s in states):
                return None  # at least one still rests: the cancel did not land, send it again
            return [s.status == "canceled" for s in states]

        return await self._unambiguous(send, check)  # type: ignore[no-any-return]

    async def cancel_all(self) -> list[tuple[Order, bool]]:
        """Cancel every open order of the account (read fresh) in one action."""
        orders = await self._info.open_orders(fresh=True)
        oks = await self.cancel_many([(o.symbol, o.oid) for o in orders])
        return list(zip(orders, oks, strict=True))

    # --- account settings ---------------------------------------------------------------------------

    async def update_leverage(self, symbol: str, leverage: int, *, is_cross: bool = True) -> None:
        asset = await self._info.asset(symbol)
        await self._idempotent(wire.update_leverage_action(asset.asset_id, is_cross=is_cross, leverage=leverage))
        self._changed()

    async def schedule_cancel(self, time_ms: int | None) -> None:
        """Cancel all open orders at `time_ms` (>= now + 5 s); None clears the schedule."""
        await self._idempotent(wire.schedule_cancel_action(time_ms))

    async def noop(self, timeout_s: float | None = None) -> None:
        """A signed action that only uses up a nonce (`{"type": "noop"}`): the least a real /exchange
        request can do, so the `exchange_orders` breaker can try the venue without placing anything.
        Sent once (a failure is the answer)."""
        parse.exchange_response(await self.post_action({"type": "noop"}, timeout_s=timeout_s), "exchange:noop")

    async def _idempotent(self, action: dict[str, Any]) -> None:
        """Setting the same value twice is the same as once, so an ambiguous failure is resent."""
        label = f"exchange:{action['type']}"
        attempt = 0
        while True:
            try:
                reply = await self.post_action(action)
                parse.exchange_response(reply, label)
                return
            except (MalformedReply, RateLimited):
                raise
            except TransportError:
                if attempt >= self._cfg.max_retries:
                    raise
                await asyncio.sleep(backoff_s(attempt, base_s=self._cfg.retry_base_s, cap_s=self._cfg.retry_cap_s))
                attempt += 1
                self._counters.retries += 1
