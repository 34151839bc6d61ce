"""Row order_sign: microseconds to sign one Hyperliquid L1 order action (target <= 50 us).

Both sides are `exchange.L1Signer` on the same actions and nonces: "after" with the EIP-712
domain separator and Agent type hash precomputed (three keccaks and one coincurve sign per
order), "before" with `precomputed=False`, the official SDK's route (eth-account's
`encode_typed_data` + `Account.sign_message`, which uses coincurve when installed). One sample
signs N orders and is reported per signature. The row also checks both sides sign byte-identically.
"""

from __future__ import annotations

import secrets
import time

from perps_desktop.bench.case import BenchCase, BenchContext, Measurement
from perps_desktop.exchange import L1Signer

__all__ = ["CASE"]


def _actions(n: int) -> list[dict]:
    return [{"type": "order", "orders": [{"a": i % 15, "b": i % 2 == 0, "p": f"{65000 + i}", "s": "0.01",
                                          "r": False, "t": {"limit": {"tif": "Gtc"}},
                                          "c": "0x" + f"{i:032x}"}], "grouping": "na"} for i in range(n)]


def _signer_loop(signer: L1Signer, actions: list[dict], nonce0: int):
    def sign_all() -> None:
        for i, action in enumerate(actions):
            signer.sign_l1_action(action, nonce=nonce0 + i)
    return sign_all


async def _run(ctx: BenchContext) -> Measurement:
    n = 20 if ctx.smoke else ctx.size(500, 100)
    key = "0x" + secrets.token_hex(32)
    fast, slow = L1Signer(key), L1Signer(key, precomputed=False)
    actions = _actions(n)
    nonce0 = int(time.time() * 1000)
    same = all(fast.sign_l1_action(a, nonce=nonce0 + i) == slow.sign_l1_action(a, nonce=nonce0 + i)
               for i, a in enumerate(actions[:20]))
    if not same:
        raise RuntimeError("the precomputed and the typed-data signers disagree")
    m = await ctx.compare(after=_signer_loop(fast, actions, nonce0), before=_signer_loop(slow, actions, nonce0))
    per_us = 1000.0 / n  # ms for n signatures -> us per signature
    return Measurement(after=[s * per_us for s in m.after], before=[s * per_us for s in (m.before or [])],
                       extra={"signatures_per_sample": n, "byte_identical": same,
                              "before_path": "eth-account encode_typed_data + Account.sign_message (the SDK's)",
                              "after_path": "precomputed EIP-712 hashes + coincurve sign_recoverable"})


CASE = BenchCase(
    name="order_sign",
    title="Order signing (per signature)",
    run=_run,
    unit="us",
    target_after=50.0,
    target_ratio=4.0,
    target_text="<= 50 us per signature (floor ~29 us), >= 4x the SDK's eth-account path",
)
