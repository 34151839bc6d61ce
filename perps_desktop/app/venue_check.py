"""Start-up checks against the venue: it answers, and it lists every coin SYMBOLS names.

Both run once, before anything trades or is funded. What the first answer (or its absence) says
decides the start, the same in paper, watch and live mode:

- **No venue there** (the connection is refused, the name does not resolve, the reply is a 4xx or
  not Hyperliquid's JSON): a wrong URL, which no waiting fixes. One line naming the URL, what
  happened and what to try (exit 2) at once, instead of a traceback or a core that waits forever.
- **A venue that is there but ill** (no reply within one attempt's timeout, HTTP 5xx, 429): the
  core comes up at once and says so (status "venue unreachable", `perps_connected` 0, the
  `exchange_info` breaker opens on the next failed read) and keeps trying; the engine reconciles
  and sends nothing until the venue answers. A bot restarted during a venue's bad minute must be
  there, guarding its positions, when the venue comes back, and a trader must see within seconds
  why nothing moves, not sit for 12 s of retries before a refusal (#15). Paper mode on the
  embedded simulator never meets this; paper on a remote simulator meets it as live would.
- **A coin the venue does not list** (`SYMBOLS=BTC,FOO`) is refused naming FOO and the coins there
  are, instead of silently never trading FOO. When the venue was ill at start, `LateMetaCheck`
  reads `meta` in the background and, should SYMBOLS then name an unknown coin, hands the same
  refusal to `on_refused` (the app halts trading with it and raises a critical alert).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from perps_desktop.config import Settings
from perps_desktop.core.backoff import backoff_s
from perps_desktop.core.lifecycle import Background
from perps_desktop.core.models import Asset
from perps_desktop.errors import ConfigError, ExchangeError, PerpsError, RateLimited, VenueUnreachable
from perps_desktop.exchange import HyperliquidClient

__all__ = ["LateMetaCheck", "check_symbols", "fetch_meta"]

log = logging.getLogger(__name__)

_NAMED_AT_MOST = 40           # the known coins a refusal lists (mainnet has ~200)


def _hint(settings: Settings) -> str:
    if settings.mode == "paper":
        return ("check that a simulator or Hyperliquid-compatible endpoint runs there (PERPS_BASE_URL / "
                "--base-url), or leave it empty in paper mode for the embedded simulator")
    return ("check the network and that the endpoint runs there (PERPS_BASE_URL / --base-url; empty: the "
            f"{settings.network} venue)")


def _read_limit_s(settings: Settings) -> float:
    x = settings.exchange
    return min(x.api_read_timeout_ms, x.api_timeout_ms) / 1000.0


def _ill(exc: ExchangeError) -> bool:
    """A server is there and answers badly or not at all (timeout, 5xx, 429): waiting may fix it."""
    return isinstance(exc, TimeoutError | RateLimited) or (exc.http_status or 0) >= 500


async def fetch_meta(client: HyperliquidClient, base_url: str, settings: Settings) -> Sequence[Asset] | None:
    """The venue's perps (`meta`); None when the venue is there but ill (see the module docstring);
    VenueUnreachable naming the URL, what happened and what to try when no venue is there.

    One attempt, unretried: what it meets is the verdict (a hanging venue costs one attempt's
    timeout, not the client's 4 x 3 s of retries; `LateMetaCheck` retries in the background). The
    deadline, a second past that timeout, only bounds a wait for the rate budget or 429s.
    """
    deadline = _read_limit_s(settings) + 1.0
    try:
        async with asyncio.timeout(deadline):
            return await client.meta(retry=False)
    except ExchangeError as exc:              # before TimeoutError: ExchangeTimeout is one
        if not _ill(exc):
            raise VenueUnreachable(base_url, str(exc), _hint(settings)) from None
        why = str(exc)
    except TimeoutError:
        why = f"no answer within {deadline:g} s"
    log.warning("%s did not answer at start (%s): coming up without it, trading nothing until it answers; "
                "trying again in the background", base_url, why)
    return None


def check_symbols(settings: Settings, assets: Sequence[Asset], base_url: str) -> None:
    """Refuse SYMBOLS naming a coin the venue does not list (or lists as delisted)."""
    known = sorted(a.name for a in assets if not a.is_delisted)
    unknown = [s for s in settings.engine.symbol_list if s not in known]
    if not unknown:
        return
    listed = ", ".join(known[:_NAMED_AT_MOST])
    if len(known) > _NAMED_AT_MOST:
        listed += f" … ({len(known)} in all)"
    what = "is not a coin" if len(unknown) == 1 else "are not coins"
    raise ConfigError("SYMBOLS", settings.engine.symbols,
                      f"{', '.join(unknown)} {what} of {base_url}; it lists {listed or 'none'}")


class LateMetaCheck(Background):
    """The start-up check of SYMBOLS, when the venue was ill at start: `meta` is read in the background
    until it comes, then checked; a refusal goes to `on_refused`. One attempt at a time, `backoff_s`
    apart (from `base_s` up to `cap_s`): a read costs 20 of the venue's 1200 weight a minute, and a
    dark venue is asked often enough by the engine's own reads. An async context manager: closing it
    stops the reads at once."""

    TASK_NAME = "late-meta-check"

    def __init__(self, client: HyperliquidClient, settings: Settings, base_url: str, *,
                 on_refused: Callable[[ConfigError], None], base_s: float = 2.0, cap_s: float = 30.0) -> None:
        super().__init__()
        self._client = client
        self._settings = settings
        self._base_url = base_url
        self._on_refused = on_refused
        self.base_s, self.cap_s = base_s, cap_s
        self.checked = False                 # meta came and SYMBOLS was checked against it

    async def __aenter__(self) -> LateMetaCheck:
        self._spawn()
        return self

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                assets = await self._client.meta(retry=False)
            except (PerpsError, TimeoutError) as exc:
                log.info("meta still not read: %s", exc)
                await asyncio.sleep(backoff_s(attempt, base_s=self.base_s, cap_s=self.cap_s))
                attempt += 1
                continue
            self.checked = True
            try:
                check_symbols(self._settings, assets, self._base_url)
            except ConfigError as exc:
                self._on_refused(exc)
            else:
                log.info("%s answered: every coin of SYMBOLS is listed", self._base_url)
            return
