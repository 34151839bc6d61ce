"""Who the app trades as in each mode, and the live confirmation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from eth_account import Account

from perps_desktop.app.identity import confirm_live, resolve_identity
from perps_desktop.config import load_settings
from perps_desktop.errors import ConfigError

KEY = "0x" + "7a" * 32


def test_paper_makes_a_fresh_throwaway_key_and_ignores_the_environment(monkeypatch):
    monkeypatch.setenv("HL_PRIVATE_KEY", KEY)
    a, b = resolve_identity(load_settings(mode="paper")), resolve_identity(load_settings(mode="paper"))
    assert a.private_key != b.private_key and KEY not in (a.private_key, b.private_key)
    assert a.address == Account.from_key(a.private_key).address.lower()
    assert not a.read_only and a.private_key not in repr(a)


def test_paper_takes_a_key_handed_in_by_the_caller():
    ident = resolve_identity(load_settings(mode="paper"), private_key=KEY)
    assert ident.address == Account.from_key(KEY).address.lower()


def test_watch_is_read_only_and_needs_an_address():
    addr = "0x" + "ab" * 20
    ident = resolve_identity(load_settings(mode="watch", address=addr))
    assert ident.read_only and ident.address == addr and ident.private_key is None
    with pytest.raises(ConfigError, match="PERPS_ADDRESS"):
        resolve_identity(load_settings(mode="watch"))


def test_live_key_from_the_environment_then_the_keyring(monkeypatch):
    monkeypatch.setenv("HL_PRIVATE_KEY", KEY)
    assert resolve_identity(load_settings(mode="live"), keyring_lookup=lambda: None).private_key == KEY
    monkeypatch.delenv("HL_PRIVATE_KEY")
    assert resolve_identity(load_settings(mode="live"), keyring_lookup=lambda: KEY).private_key == KEY
    with pytest.raises(ConfigError, match="keyring"):
        resolve_identity(load_settings(mode="live"), keyring_lookup=lambda: None)


@pytest.mark.parametrize("bad", ["not-a-key-0123", "0x" + "ab" * 31, "0x" + "00" * 32, "0x" + "ff" * 32])
def test_a_malformed_live_key_is_refused_without_echoing_it(bad):
    with pytest.raises(ConfigError) as info:                  # not hex, too short, zero, above the curve order
        resolve_identity(load_settings(mode="live"), keyring_lookup=lambda: bad)
    assert bad not in str(info.value) and "<hidden>" in str(info.value)


def test_resolving_an_identity_does_not_import_eth_account():
    code = ("import sys; from perps_desktop.app import App; from perps_desktop.app.identity import resolve_identity;"
            "from perps_desktop.config import load_settings;"
            "resolve_identity(load_settings(mode='paper')); print('eth_account' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False", out.stderr


async def test_live_confirmation_names_network_and_address_and_refusal_stops():
    ident = resolve_identity(load_settings(mode="live"), keyring_lookup=lambda: KEY)
    seen: list[str] = []

    async def ask(text: str) -> bool:
        seen.append(text)
        return True

    await confirm_live(ident, "mainnet", "https://api.hyperliquid.xyz", ask)
    assert "LIVE on mainnet" in seen[0] and ident.address in seen[0] and KEY not in seen[0]
    with pytest.raises(ConfigError, match="not confirmed"):
        await confirm_live(ident, "mainnet", "https://api.hyperliquid.xyz", lambda text: False)
    with pytest.raises(ConfigError, match="not confirmed"):
        await confirm_live(ident, "mainnet", "https://api.hyperliquid.xyz", None)
    paper = resolve_identity(load_settings(mode="paper"))
    await confirm_live(paper, "testnet", "http://127.0.0.1:1", None)          # paper never asks
