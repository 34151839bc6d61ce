"""HyperliquidClient implements the core's ExchangePort, and its lifecycle follows the house rules."""

from __future__ import annotations

import inspect

import pytest

from perps_desktop.core.caching import CacheRegistry
from perps_desktop.core.ports import ExchangePort
from perps_desktop.exchange import ClientConfig, ClientState, HyperliquidClient, L1Signer


def _port_methods() -> list[str]:
    return [n for n, v in vars(ExchangePort).items() if not n.startswith("_") and (callable(v) or
                                                                                 isinstance(v, property))]


@pytest.mark.parametrize("name", _port_methods())
def test_every_port_call_exists_with_compatible_parameters(name):
    port_attr = getattr(ExchangePort, name)
    ours = getattr(HyperliquidClient, name)
    if isinstance(port_attr, property):
        assert isinstance(ours, property)
        return
    assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(port_attr)
    want = list(inspect.signature(port_attr).parameters)
    have = list(inspect.signature(ours).parameters)
    assert have[:len(want)] == want


async def test_lifecycle_is_idempotent_and_refuses_to_reopen():
    registry = CacheRegistry()
    client = HyperliquidClient(ClientConfig(base_url="http://127.0.0.1:9"), private_key="0x" + "11" * 32,
                               registry=registry)
    assert client.address == client.signer_address.lower()
    assert {s.name for s in registry.stats()} == {"api.mids", "api.account", "api.orders", "api.meta"}
    async with client:
        assert client.state is ClientState.OPEN
    assert client.state is ClientState.CLOSED
    await client.aclose()
    with pytest.raises(RuntimeError, match="reopened"):
        await client.open()


def test_the_key_never_shows():
    key = "0x" + "ab" * 32
    client = HyperliquidClient(ClientConfig(), private_key=key)
    signer = L1Signer(key)                  # the signer the client makes of the key, as a caller makes it
    assert signer.address.lower() == client.address
    shown = [repr(o) for o in (client, client.actions, client.config, signer)] + [str(signer)]
    assert not [s for s in shown if "abab" in s]
