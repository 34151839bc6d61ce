"""Who the app trades as, per mode: a throwaway paper key, a watched address, or the live key.

paper: a fresh key made here for the simulator (or one handed in by a test), never read from
       the environment, so a paper run can never sign with a real key.
watch: an address (PERPS_ADDRESS / --address), no key: read-only.
live:  the key from HL_PRIVATE_KEY or the OS keyring (service "perps-desktop", user
       "hl_private_key"); the trader must confirm the network and address before anything starts.
The key lives only inside the returned `Identity` and the client's signer; it is never logged.
"""

from __future__ import annotations

import inspect
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from perps_desktop.config import APP_NAME, Settings
from perps_desktop.errors import ConfigError
from perps_desktop.exchange import L1Signer

__all__ = ["KEYRING_USER", "Confirm", "Identity", "confirm_live", "resolve_identity"]

KEYRING_USER = "hl_private_key"
Confirm = Callable[[str], bool | Awaitable[bool]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    mode: str
    address: str
    private_key: str | None = field(default=None, repr=False)

    @property
    def read_only(self) -> bool:
        return self.private_key is None

    @property
    def bot(self) -> str:
        """This core's name in a trace database several cores share: host and shortened account."""
        a = self.address or ""
        return f"{socket.gethostname()}/{a[:6]}..{a[-4:]}" if a else socket.gethostname()


def _address_of(key: str) -> str:
    """The key's address (lower case), by the client's own signer: no eth_account import at start."""
    return L1Signer(key).address.lower()


def _keyring_key() -> str | None:
    try:
        import keyring
        return keyring.get_password(APP_NAME, KEYRING_USER)
    except Exception:                 # no backend on a headless box, locked keychain ...
        return None


def resolve_identity(settings: Settings, *, private_key: str | None = None,
                     keyring_lookup: Callable[[], str | None] = _keyring_key) -> Identity:
    """The identity for `settings.mode`; raises ConfigError when the mode's requirement is missing."""
    mode = settings.mode
    if mode == "paper":
        paper_key = private_key or "0x" + secrets.token_hex(32)
        return Identity(mode=mode, address=_address_of(paper_key), private_key=paper_key)
    if mode == "watch":
        if not settings.address:
            raise ConfigError("PERPS_ADDRESS", None, "watch mode needs the 0x… address to show (--address)")
        return Identity(mode=mode, address=settings.address)
    key = private_key or (settings.hl_private_key.get_secret_value() if settings.hl_private_key else None) \
        or keyring_lookup()
    if not key:
        raise ConfigError("HL_PRIVATE_KEY", None, f"live mode needs HL_PRIVATE_KEY or a key in the OS keyring "
                                                  f"(service {APP_NAME}, user {KEYRING_USER})")
    try:
        address = _address_of(key)
    except (ValueError, TypeError):   # not 64 hex digits, or not a valid secp256k1 key
        raise ConfigError("HL_PRIVATE_KEY", "<hidden>", "a 0x-prefixed 64-hex-digit private key") from None
    return Identity(mode=mode, address=address, private_key=key)


async def confirm_live(identity: Identity, network: str, base_url: str, confirm: Confirm | None) -> None:
    """Ask the trader to confirm live trading on `network` as the identity's address; refuse if not."""
    if identity.mode != "live":
        return
    text = (f"Trade LIVE on {network} ({base_url}) as {identity.address}? "
            f"Orders sent from now on use real funds.")
    answer = False
    if confirm is not None:
        result = confirm(text)
        answer = bool(await result) if inspect.isawaitable(result) else bool(result)
    if not answer:
        raise ConfigError("PERPS_MODE", "live", f"live trading on {network} as {identity.address} was not confirmed")
