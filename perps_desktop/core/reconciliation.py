"""PartialReconcile: the start-up read of the account in parts, each shown as soon as it parses.

Reconciliation reads the account (positions), the open orders and the recent fills side by side.
Taken all or nothing, one part the venue fails or garbles hid the parts that arrived, and the
status stayed "reconciling" while the reason sat in a log line. Here each part is handed on the
moment it arrives; a part that fails is named with its reason in `missing`, and the next attempt
reads only the parts still missing. Trading waits for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from perps_desktop.core.gathering import gather_all
from perps_desktop.errors import PerpsError

__all__ = ["PartialReconcile"]


class PartialReconcile:
    """`readers` by part name, in the order `run()` returns them; `on_part(name, value)` hears each arrival."""

    def __init__(self, readers: Mapping[str, Callable[[], Awaitable[Any]]],
                 on_part: Callable[[str, Any], None]) -> None:
        self._readers = dict(readers)
        self._on_part = on_part
        self.have: dict[str, Any] = {}
        self.missing: dict[str, str] = dict.fromkeys(self._readers, "not read yet")

    @property
    def complete(self) -> bool:
        return not self.missing

    async def run(self) -> tuple[Any, ...]:
        """Read every part still missing, side by side; all parts in order once all are in, else the
        first failure is raised (the parts that arrived are kept for the next call)."""
        await gather_all(*(self._one(name) for name in self._readers if name not in self.have))
        return tuple(self.have[name] for name in self._readers)

    async def _one(self, name: str) -> None:
        self.missing[name] = "reading"
        try:
            value = await self._readers[name]()
        except (PerpsError, TimeoutError) as exc:
            self.missing[name] = str(exc) or type(exc).__name__
            raise
        except asyncio.CancelledError:
            self.missing[name] = "interrupted (no answer in time)"
            raise
        self.have[name] = value
        self.missing.pop(name, None)
        self._on_part(name, value)

    def describe(self) -> str:
        """For the status line, e.g. `have account, orders; missing fills (info:userFills: HTTP 500)`."""
        have = ", ".join(n for n in self._readers if n in self.have) or "nothing yet"
        missing = "; ".join(f"{n} ({why})" for n, why in self.missing.items())
        return f"have {have}; missing {missing}" if missing else f"have {have}"
