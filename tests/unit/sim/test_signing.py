from __future__ import annotations

import eth_account
import pytest
from hyperliquid.utils.signing import sign_agent, sign_approve_builder_fee, sign_l1_action

from perps_desktop.sim.signing import SignatureError, recover_l1_signer, recover_user_signer

KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
ACTION = {"type": "order", "orders": [{"a": 1, "b": True, "p": "100", "s": "100", "r": False,
                                       "t": {"limit": {"tif": "Gtc"}}}], "grouping": "na"}


def test_recovers_the_sdk_test_vector_on_both_networks():
    address = eth_account.Account.from_key(KEY).address.lower()
    testnet = {"r": "0x82b2ba28e76b3d761093aaded1b1cdad4960b3af30212b343fb2e6cdfa4e3d54",
               "s": "0x6b53878fc99d26047f4d7e8c90eb98955a109f44209163f52d8dc4278cbbd9f5", "v": 27}
    mainnet = {"r": "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
               "s": "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e", "v": 28}
    assert recover_l1_signer(ACTION, testnet, None, 0, None, is_mainnet=False) == address
    assert recover_l1_signer(ACTION, mainnet, None, 0, None, is_mainnet=True) == address
    assert recover_l1_signer(ACTION, testnet, None, 0, None, is_mainnet=True) != address


def test_vault_expiry_and_short_hex_are_part_of_the_hash():
    wallet = eth_account.Account.create()
    vault = "0x" + "12" * 20
    sig = sign_l1_action(wallet, ACTION, vault, 1234, 99999, False)
    assert recover_l1_signer(ACTION, sig, vault, 1234, 99999, False) == wallet.address.lower()
    assert recover_l1_signer(ACTION, sig, None, 1234, 99999, False) != wallet.address.lower()
    assert recover_l1_signer(ACTION, sig, vault, 1234, None, False) != wallet.address.lower()
    stripped = {"r": hex(int(sig["r"], 16)), "s": hex(int(sig["s"], 16)), "v": sig["v"]}
    assert recover_l1_signer(ACTION, stripped, vault, 1234, 99999, False) == wallet.address.lower()


def test_user_signed_actions_recover_their_signer():
    wallet = eth_account.Account.create()
    fee = {"maxFeeRate": "0.01%", "builder": "0x" + "ab" * 20, "nonce": 5, "type": "approveBuilderFee"}
    sig = sign_approve_builder_fee(wallet, fee, False)
    assert recover_user_signer(fee, sig, False) == wallet.address.lower()
    agent = {"type": "approveAgent", "agentAddress": "0x" + "cd" * 20, "agentName": "", "nonce": 6}
    sig = sign_agent(wallet, agent, True)
    del agent["agentName"]  # the SDK drops an empty name after signing
    assert recover_user_signer(agent, sig, True) == wallet.address.lower()


@pytest.mark.parametrize("sig", [None, {}, {"r": "0xzz", "s": "0x1", "v": 27}, {"r": "0x1", "s": "0x1", "v": 5},
                                 {"r": "0x0", "s": "0x1", "v": 27}, {"r": "0x1", "s": "0x1", "v": True},
                                 {"r": hex(2**256 - 1), "s": hex(2**256 - 1), "v": 27}])
def test_malformed_signatures_raise_a_signature_error(sig):
    with pytest.raises(SignatureError):
        recover_l1_signer(ACTION, sig, None, 0, None, False)
