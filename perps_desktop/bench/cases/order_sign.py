"""Row order_sign: microseconds to sign one Hyperliquid L1 order action.

Both sides are `exchange.L1Signer` on the same actions and nonces: "after" with the EIP-712
domain separator and Agent type hash precomputed (three keccaks and one coincurve sign per
order), "before" with `precomputed=False`, the official SDK's route (eth-account's
`encode_typed_data` + `Account.sign_message`, which uses coincurve when installed). One sample
signs N orders and is reported per signature. The row also checks both sides sign byte-identically.

The floor is the raw secp256k1 sign (`coincurve.PrivateKey.sign_recoverable`) of each order's
final EIP-712 digest, computed beforehand: it leaves out msgpack, the three keccaks and the hex
formatting of r and s. The peer is the official SDK's own `hyperliquid.utils.signing.sign_l1_action`
with an eth-account wallet (a dev dependency, never a runtime one). All three produce the same
signature, which the row checks.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import coincurve

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.core.clock import wall_ms
from perps_desktop.exchange import L1Signer, action_hash, l1_digest

__all__ = ["CASE"]

SDK = "hyperliquid-python-sdk"


def _actions(n: int) -> list[dict]:
    return [{"type": "order", "orders": [{"a": i % 15, "b": i % 2 == 0, "p": f"{65000 + i}", "s": "0.01",
                                          "r": False, "t": {"limit": {"tif": "Gtc"}},
                                          "c": "0x" + f"{i:032x}"}], "grouping": "na"} for i in range(n)]


def _signer_loop(signer: L1Signer, actions: list[dict], nonce0: int):
    def sign_all() -> None:
        for i, action in enumerate(actions):
            signer.sign_l1_action(action, nonce=nonce0 + i)
    return sign_all


def _digests(actions: list[dict], nonce0: int) -> list[bytes]:
    """Each action's final EIP-712 digest (testnet): what the floor signs, made before the clock starts."""
    return [l1_digest(action_hash(action, None, nonce0 + i, None), False) for i, action in enumerate(actions)]


def _floor_loop(key: str, digests: list[bytes]) -> Callable[[], list[bytes]]:
    private = coincurve.PrivateKey(bytes.fromhex(key.removeprefix("0x")))

    def sign_all() -> list[bytes]:
        sign = private.sign_recoverable
        return [sign(d, hasher=None) for d in digests]
    return sign_all


def _sdk_signer(key: str) -> Callable[[dict, int], dict[str, Any]]:
    """The SDK's own `sign_l1_action` with an eth-account wallet (testnet); ImportError without the SDK."""
    import eth_account
    from hyperliquid.utils.signing import sign_l1_action

    wallet = eth_account.Account.from_key(key)
    return lambda action, nonce: sign_l1_action(wallet, action, None, nonce, None, False)


def _sdk_loop(sign: Callable[[dict, int], dict[str, Any]], actions: list[dict], nonce0: int) -> Callable[[], None]:
    def sign_all() -> None:
        for i, action in enumerate(actions):
            sign(action, nonce0 + i)
    return sign_all


def _wire(sig: bytes) -> dict[str, Any]:
    return {"r": hex(int.from_bytes(sig[:32], "big")), "s": hex(int.from_bytes(sig[32:64], "big")), "v": 27 + sig[64]}


async def _run(ctx: BenchContext) -> Measurement:
    n = 20 if ctx.smoke else ctx.size(500, 100)
    key = "0x" + secrets.token_hex(32)
    # eth-account and the SDK are imported on first use: that reads files, so not on the loop
    fast, slow = await asyncio.to_thread(lambda: (L1Signer(key), L1Signer(key, precomputed=False)))
    actions = _actions(n)
    nonce0 = wall_ms()
    floor = _floor_loop(key, _digests(actions, nonce0))
    try:
        sdk: Callable[[dict, int], dict[str, Any]] | None = await asyncio.to_thread(_sdk_signer, key)
        peer_info: dict[str, dict[str, Any]] = {SDK: {"function": "hyperliquid.utils.signing.sign_l1_action"}}
    except ImportError as exc:    # a dev dependency not installed: the row still runs, the peer is missing
        sdk, peer_info = None, {SDK: {"missing": f"{exc}: pip install -e '.[dev]'"}}
    floor_sigs = floor()
    same = all(fast.sign_l1_action(a, nonce=nonce0 + i) == slow.sign_l1_action(a, nonce=nonce0 + i)
               == _wire(floor_sigs[i]) == (sdk(a, nonce0 + i) if sdk is not None else _wire(floor_sigs[i]))
               for i, a in enumerate(actions[:20]))
    if not same:
        raise RuntimeError("the precomputed signer, the typed-data signer, the SDK and the raw sign disagree")
    m = await ctx.compare(after=_signer_loop(fast, actions, nonce0), before=_signer_loop(slow, actions, nonce0),
                          floor=floor, peers={SDK: _sdk_loop(sdk, actions, nonce0)} if sdk is not None else None,
                          scale=1000.0 / n)  # ms for n signatures -> us per signature
    return Measurement(after=m.after, before=m.before, floor=m.floor, peers=m.peers, peer_info=peer_info,
                       extra={"signatures_per_sample": n, "byte_identical": same,
                              "before_path": "eth-account encode_typed_data + Account.sign_message",
                              "after_path": "precomputed EIP-712 hashes + coincurve sign_recoverable",
                              "floor_path": "coincurve sign_recoverable of a precomputed digest"})


CASE = BenchCase(
    name="order_sign",
    title="Order signing (per signature)",
    run=_run,
    unit="us",
    target_ratio=4.0,
    target_floor_ratio=1.6,
    target_text="within 1.6x of the raw secp256k1 sign, >= 4x the eth-account path, ahead of the SDK's signer",
    plain="How long it takes to sign one order before it is sent.",
    floor_text="the raw secp256k1 sign of a precomputed digest: no msgpack, no keccak, no hex formatting",
    peers=(SDK,),
)
