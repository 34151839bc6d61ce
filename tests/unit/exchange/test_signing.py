"""Our L1 signer against the official SDK's sign_l1_action, byte for byte."""

from __future__ import annotations

import itertools

import pytest
from eth_account import Account
from hyperliquid.utils.signing import action_hash as sdk_action_hash
from hyperliquid.utils.signing import sign_l1_action as sdk_sign_l1_action

from perps_desktop.exchange.signing import L1Signer, action_hash, keccak256

KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
OTHER_KEY = "0x" + "8f" * 32
VAULT = "0x1719884eb866cb12b2287399b15f7db5e7d775ea"

ORDER = {"type": "order", "orders": [{"a": 1, "b": True, "p": "100", "s": "100", "r": False,
                                      "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}
ACTIONS = [
    ORDER,
    {"type": "order", "orders": [
        {"a": 0, "b": False, "p": "65000.5", "s": "0.01234", "r": True, "t": {"limit": {"tif": "Ioc"}},
         "c": "0x00000000000000000000000000000001"},
        {"a": 3, "b": True, "p": "0.0012", "s": "1500", "r": False,
         "t": {"trigger": {"isMarket": True, "triggerPx": "0.0011", "tpsl": "sl"}}},
    ], "grouping": "normalTpsl"},
    {"type": "cancel", "cancels": [{"a": 0, "o": 91490942}, {"a": 2, "o": 2**40 + 7}]},
    {"type": "cancelByCloid", "cancels": [{"asset": 0, "cloid": "0x" + "ab" * 16}]},
    {"type": "batchModify", "modifies": [{"oid": 123, "order": ORDER["orders"][0]}]},
    {"type": "scheduleCancel", "time": 1_700_000_060_000},
    {"type": "scheduleCancel"},
    {"type": "updateLeverage", "asset": 0, "isCross": True, "leverage": 10},
]


@pytest.mark.parametrize(("action", "is_mainnet", "vault", "expires_after"), list(itertools.product(
    ACTIONS, (False, True), (None, VAULT), (None, 1_700_000_010_000))))
def test_signature_is_byte_identical_to_the_sdk(action, is_mainnet, vault, expires_after):
    nonce = 1_700_000_000_123
    ours = L1Signer(KEY).sign_l1_action(action, nonce=nonce, vault_address=vault, expires_after=expires_after,
                                        is_mainnet=is_mainnet)
    sdk = sdk_sign_l1_action(Account.from_key(KEY), action, vault, nonce, expires_after, is_mainnet)
    assert ours == sdk
    assert action_hash(action, vault, nonce, expires_after) == sdk_action_hash(action, vault, nonce, expires_after)


def test_the_typed_data_path_gives_the_same_signature():
    slow = L1Signer(OTHER_KEY, precomputed=False)
    fast = L1Signer(OTHER_KEY)
    for nonce in range(1, 30):
        for action in ACTIONS[:3]:
            assert fast.sign_l1_action(action, nonce=nonce) == slow.sign_l1_action(action, nonce=nonce)


def test_the_reference_vector_of_the_wire_notes():
    signer = L1Signer(KEY)
    assert signer.address == "0x14791697260E4c9A71f18484C9f997B308e59325"
    assert signer.sign_l1_action(ORDER, nonce=0) == {
        "r": "0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54",
        "s": "0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5", "v": 27}
    assert signer.sign_l1_action(ORDER, nonce=0, is_mainnet=True) == {
        "r": "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
        "s": "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e", "v": 28}


def test_hex_drops_leading_zeros_like_the_sdk():
    # over many nonces some r or s starts with a zero nibble; the SDK's to_hex drops it
    signer = L1Signer(KEY)
    wallet = Account.from_key(KEY)
    short = 0
    for nonce in range(200):
        ours = signer.sign_l1_action(ORDER, nonce=nonce)
        short += len(ours["r"]) < 66 or len(ours["s"]) < 66
        if len(ours["r"]) < 66 or len(ours["s"]) < 66:
            assert ours == sdk_sign_l1_action(wallet, ORDER, None, nonce, None, False)
    assert short > 0


def test_address_matches_eth_account_and_key_stays_out_of_repr():
    signer = L1Signer(OTHER_KEY)
    assert signer.address == Account.from_key(OTHER_KEY).address
    assert "8f8f" not in repr(signer)


def test_bad_key_is_refused():
    with pytest.raises(ValueError, match="32 bytes"):
        L1Signer("0x1234")


def test_keccak_is_ethereums():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
