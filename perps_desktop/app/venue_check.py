"""Start-up checks against the venue: it answers, and it lists every coin SYMBOLS names.

Both run once, before anything trades or is funded, so a wrong URL or a venue that is down is one
line naming the URL, what happened and what to try (exit 2), instead of a traceback or a core that
waits forever; and `SYMBOLS=BTC,FOO` is refused naming FOO and the coins there are, instead of
silently never trading FOO.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from perps_desktop.config import Settings
from perps_desktop.core.models import Asset
from perps_desktop.errors import ConfigError, ExchangeError, VenueUnreachable
from perps_desktop.exchange import HyperliquidClient

__all__ = ["check_symbols", "fetch_meta"]

_NAMED_AT_MOST = 40           # the known coins a refusal lists (mainnet has ~200)


def _hint(settings: Settings) -> str:
    if settings.mode == "paper":
        return ("check that a simulator or Hyperliquid-compatible endpoint runs there (PERPS_BASE_URL / "
                "--base-url), or leave it empty in paper mode for the embedded simulator")
    return ("check the network and that the endpoint runs there (PERPS_BASE_URL / --base-url; empty: the "
            f"{settings.network} venue)")


async def fetch_meta(client: HyperliquidClient, base_url: str, settings: Settings) -> Sequence[Asset]:
    """The venue's perps (`meta`), or VenueUnreachable naming the URL, what happened and what to try.

    Bounded by twice the request timeout, whatever the client's retries would add up to. The client's
    own failure (its last timed-out attempt included) is named as it is; the deadline only when it cut
    the read short.
    """
    timeout_ms = settings.exchange.api_timeout_ms
    deadline = max(5.0, 2 * timeout_ms / 1000.0)
    try:
        async with asyncio.timeout(deadline):
            return await client.meta()
    except ExchangeError as exc:              # before TimeoutError: ExchangeTimeout is one
        raise VenueUnreachable(base_url, str(exc), _hint(settings)) from None
    except TimeoutError:
        raise VenueUnreachable(base_url, f"no answer within {deadline:g} s; API_TIMEOUT_MS={timeout_ms}",
                               _hint(settings)) from None


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
