"""At start, ask the venue what became of the writes a previous stop left unknown.

A stop gives an order in flight a short grace, then cuts it off and traces it as "unknown" with its
cloids (`TradingEngine.aclose`). The next start reads those traces, asks `orderStatus` by cloid for
each one not looked up yet, and traces the answer ("looked_up"), so the trader learns whether
that order reached the book, filled, or never arrived. Runs in the background: start-up does not
wait for a venue that may be slow.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from perps_desktop.core.clock import wall_ms
from perps_desktop.core.models import Trace, TraceKind, TraceQuery
from perps_desktop.errors import PerpsError
from perps_desktop.store import decode_payload

if TYPE_CHECKING:
    from perps_desktop.exchange import HyperliquidClient
    from perps_desktop.store import TraceStore

__all__ = ["look_up_unknown_orders"]

log = logging.getLogger(__name__)

_LOOK_BACK_MS = 7 * 24 * 3600 * 1000
_MAX = 50


def _cloids(trace: Trace) -> list[str]:
    payload = decode_payload(trace)
    if not isinstance(payload, dict):
        return []
    found = payload.get("cloids") or [payload.get("cloid")]
    return [c for c in found if isinstance(c, str)]


async def look_up_unknown_orders(store: TraceStore, client: HyperliquidClient) -> int:
    """Look up every unknown order of the last week not looked up yet; returns how many were."""
    since = wall_ms() - _LOOK_BACK_MS
    page = await store.query(TraceQuery(kind=TraceKind.ORDER.value, since_ms=since, limit=1000))
    unknown: list[str] = []
    done: set[str] = set()
    for t in page.traces:
        if t.decision == "unknown":
            unknown += _cloids(t)
        elif t.decision == "looked_up":
            done.update(_cloids(t))
    todo = [c for c in dict.fromkeys(unknown) if c not in done][:_MAX]
    for cloid in todo:
        try:
            state = await client.order_status(cloid, fresh=True)
        except (PerpsError, TimeoutError) as exc:
            log.warning("order %s left unknown at the last stop: still unknown (%s)", cloid, exc)
            continue
        text = (f"order {cloid} left unknown at the last stop: the venue says {state.status}"
                + (f" ({state.order.symbol} {state.order.side.name.lower()} {state.order.size.normalize():f})"
                   if state.order is not None else ""))
        log.warning("%s", text)
        store.record(Trace(kind=TraceKind.ORDER.value, time_ms=wall_ms(), strategy="app",
                           symbol=state.order.symbol if state.order is not None else None, decision="looked_up",
                           reason=text, payload={"cloid": cloid, "status": state.status}))
    return len(todo)
