"""Arbitrary JSON never crashes a handler: the only exception is WireError (answered 422)."""

from __future__ import annotations

import eth_account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perps_desktop.sim.actions import ActionHandler
from perps_desktop.sim.info import InfoHandler
from perps_desktop.sim.wire import WireError
from tests.unit.sim.harness import Harness

USER = eth_account.Account.create().address
scalars = st.one_of(st.none(), st.booleans(), st.integers(0, 20), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["0.01", "65000", "1e3", "-1", "NaN", USER, "BTC",
                                                           "0x" + "1" * 32, "Gtc", "tp"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)

_harness = Harness()
INFO_TYPES = sorted(_harness.info.routes)
ACTION_TYPES = ["order", "cancel", "cancelByCloid", "modify", "batchModify", "scheduleCancel", "updateLeverage",
                "updateIsolatedMargin", "noop", "setReferrer", "approveBuilderFee", "approveAgent"]
FIELDS = ["user", "coin", "oid", "startTime", "endTime", "req", "dex", "builder", "interval"]
ACTION_FIELDS = ["orders", "cancels", "modifies", "grouping", "builder", "oid", "order", "time", "asset",
                 "isCross", "leverage", "isBuy", "ntli", "code", "maxFeeRate", "agentAddress", "nonce",
                 "signatureChainId", "hyperliquidChain"]


def _order_like() -> st.SearchStrategy:
    return st.fixed_dictionaries({"a": scalars, "b": scalars, "p": scalars, "s": scalars, "r": scalars,
                                  "t": st.one_of(json_values, st.just({"limit": {"tif": "Gtc"}}),
                                                 st.fixed_dictionaries({"trigger": json_values}))})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(INFO_TYPES), extra=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))
def test_info_raises_only_wire_errors(kind, extra):
    info: InfoHandler = _harness.info
    try:
        payload, weight = info.answer({"type": kind, **extra}, _harness.now)
    except WireError:
        return
    assert isinstance(payload, bytes) and weight >= 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(ACTION_TYPES),
       extra=st.dictionaries(st.sampled_from(ACTION_FIELDS), st.one_of(json_values, st.lists(_order_like(),
                                                                                                max_size=2)),
                             max_size=4),
       nonce=st.one_of(st.integers(-5, 2**66), scalars), signature=json_values,
       vault=st.one_of(st.none(), st.just(USER), scalars), expires=st.one_of(st.none(), st.integers(-5, 2**66)))
def test_actions_raise_only_wire_errors(kind, extra, nonce, signature, vault, expires):
    handler: ActionHandler = _harness.actions
    body = {"action": {"type": kind, **extra}, "nonce": nonce, "signature": signature, "vaultAddress": vault,
            "expiresAfter": expires}
    try:
        reply = handler.handle(body, _harness.now)
    except WireError:
        return
    assert reply["status"] in ("ok", "err")


_WALLET = _harness.wallet(1_000_000)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(ACTION_TYPES),
       extra=st.dictionaries(st.sampled_from(ACTION_FIELDS), st.one_of(json_values, st.lists(_order_like(),
                                                                                                max_size=2)),
                             max_size=4))
def test_signed_random_actions_reach_the_venue_and_raise_only_wire_errors(kind, extra):
    action = {"type": kind, **extra}
    try:
        body = _harness.body(_WALLET, action)
    except (TypeError, ValueError, OverflowError):  # the SDK cannot even sign it
        return
    try:
        reply = _harness.actions.handle(body, _harness.now)
    except WireError:
        return
    assert reply["status"] in ("ok", "err")
