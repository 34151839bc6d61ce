"""EIP-712 verification of signed actions: who signed an L1 action or a user-signed action.

Recovery uses coincurve (libsecp256k1), about 50x faster than eth-account's pure-Python path.
The action hash and its EIP-712 digest are written here again on purpose, not imported from the
client's `exchange/signing`: the simulator stands alone and checks a signature as the venue does, so
a mistake in the client's hashing fails here instead of being agreed with (both are held to the
official SDK: tests/unit/exchange/test_signing.py, tests/integration/test_sdk_interop.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgpack
from coincurve import PublicKey
from eth_hash.auto import keccak

__all__ = [
    "USER_SIGNED_TYPES",
    "SignatureError",
    "action_hash",
    "l1_digest",
    "recover_l1_signer",
    "recover_user_signer",
    "user_signed_digest",
]


class SignatureError(ValueError):
    """The signature cannot be parsed or recovered."""


def _type_hash(primary: str, fields: Sequence[tuple[str, str]]) -> bytes:
    return keccak(f"{primary}({','.join(f'{t} {n}' for n, t in fields)})".encode())


_DOMAIN_FIELDS = (("name", "string"), ("version", "string"), ("chainId", "uint256"),
                  ("verifyingContract", "address"))
_DOMAIN_TYPEHASH = _type_hash("EIP712Domain", _DOMAIN_FIELDS)
_AGENT_TYPEHASH = _type_hash("Agent", (("source", "string"), ("connectionId", "bytes32")))

# The user-signed actions a client may send at start, with their EIP-712 field lists.
USER_SIGNED_TYPES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "approveBuilderFee": ("HyperliquidTransaction:ApproveBuilderFee",
                          (("hyperliquidChain", "string"), ("maxFeeRate", "string"), ("builder", "address"),
                           ("nonce", "uint64"))),
    "approveAgent": ("HyperliquidTransaction:ApproveAgent",
                     (("hyperliquidChain", "string"), ("agentAddress", "address"), ("agentName", "string"),
                      ("nonce", "uint64"))),
    "usdSend": ("HyperliquidTransaction:UsdSend",
                (("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
                 ("time", "uint64"))),
    "withdraw3": ("HyperliquidTransaction:Withdraw",
                  (("hyperliquidChain", "string"), ("destination", "string"), ("amount", "string"),
                   ("time", "uint64"))),
}


def _encode(kind: str, value: object) -> bytes:
    if kind == "string":
        if not isinstance(value, str):
            raise SignatureError("a signed string field is not a string")
        return keccak(value.encode())
    if kind == "bytes32":
        if not isinstance(value, bytes | bytearray) or len(value) != 32:
            raise SignatureError("a signed bytes32 field is not 32 bytes")
        return bytes(value)
    if kind == "address":
        if not isinstance(value, str):
            raise SignatureError("a signed address field is not a string")
        raw = bytes.fromhex(value[2:] if value.startswith("0x") else value)
        if len(raw) != 20:
            raise SignatureError("a signed address field is not 20 bytes")
        return raw.rjust(32, b"\0")
    if kind in ("uint256", "uint64"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SignatureError("a signed integer field is not a non-negative integer")
        return value.to_bytes(32, "big")
    if kind == "bool":
        return int(bool(value)).to_bytes(32, "big")
    raise SignatureError(f"unsupported EIP-712 type {kind}")


def _domain(name: str, chain_id: int) -> bytes:
    return keccak(_DOMAIN_TYPEHASH + _encode("string", name) + _encode("string", "1")
                  + _encode("uint256", chain_id) + bytes(32))


_EXCHANGE_DOMAIN = _domain("Exchange", 1337)


def action_hash(action: object, vault: str | None, nonce: int, expires_after: int | None) -> bytes:
    """keccak(msgpack(action) ‖ nonce ‖ vault flag ‖ expiry), the phantom agent's connectionId."""
    data = msgpack.packb(action)
    data += nonce.to_bytes(8, "big")
    if vault is None:
        data += b"\x00"
    else:
        data += b"\x01" + bytes.fromhex(vault[2:] if vault.startswith("0x") else vault)
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(8, "big")
    return keccak(data)


def l1_digest(connection_id: bytes, is_mainnet: bool) -> bytes:
    """The 32-byte EIP-712 digest a wallet signs for an L1 action."""
    struct = keccak(_AGENT_TYPEHASH + _encode("string", "a" if is_mainnet else "b") + connection_id)
    return keccak(b"\x19\x01" + _EXCHANGE_DOMAIN + struct)


def user_signed_digest(action: Mapping[str, object], primary: str, fields: Sequence[tuple[str, str]],
                       chain_id: int) -> bytes:
    struct = _type_hash(primary, fields) + b"".join(_encode(t, action.get(n)) for n, t in fields)
    return keccak(b"\x19\x01" + _domain("HyperliquidSignTransaction", chain_id) + keccak(struct))


def _recover(digest: bytes, signature: object) -> str:
    if not isinstance(signature, Mapping):
        raise SignatureError("signature must be an object with r, s and v")
    try:
        r = int(str(signature["r"]), 16)
        s = int(str(signature["s"]), 16)
        v = signature["v"]
    except (KeyError, ValueError):
        raise SignatureError("signature must have hex r and s and a numeric v") from None
    if isinstance(v, bool) or not isinstance(v, int) or v not in (0, 1, 27, 28):
        raise SignatureError("signature v must be 27 or 28")
    if not (0 < r < 2**256 and 0 < s < 2**256):
        raise SignatureError("signature r and s are out of range")
    sig = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27 if v >= 27 else v])
    try:
        pub = PublicKey.from_signature_and_message(sig, digest, hasher=None)
    except ValueError:                  # coincurve: no point on the curve for this r, s, v
        raise SignatureError("signature does not recover to a public key") from None
    return "0x" + keccak(pub.format(compressed=False)[1:])[-20:].hex()


def recover_l1_signer(action: object, signature: object, vault: str | None, nonce: int,
                      expires_after: int | None, is_mainnet: bool) -> str:
    """The lower-case address that signed an L1 action for the given network."""
    try:
        conn = action_hash(action, vault, nonce, expires_after)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SignatureError(f"the action cannot be hashed: {exc}") from None
    return _recover(l1_digest(conn, is_mainnet), signature)


def recover_user_signer(action: Mapping[str, object], signature: object, is_mainnet: bool) -> str:
    """The signer of a user-signed action (approveBuilderFee, approveAgent, ...) on the given chain."""
    kind = action.get("type")
    if kind not in USER_SIGNED_TYPES:
        raise SignatureError(f"{kind} is not a user-signed action")
    primary, fields = USER_SIGNED_TYPES[str(kind)]
    chain = action.get("signatureChainId")
    try:
        chain_id = int(str(chain), 16)
    except ValueError:
        raise SignatureError("signatureChainId must be a hex chain id") from None
    signed = dict(action)
    signed["hyperliquidChain"] = "Mainnet" if is_mainnet else "Testnet"
    if kind == "approveAgent" and "agentName" not in signed:
        signed["agentName"] = ""
    return _recover(user_signed_digest(signed, primary, fields, chain_id), signature)
