"""API tokens: made once, shown once, kept only as a hash; and `perps-desktop token new|list|revoke`.

A token is 32 random bytes (url-safe, prefixed `pdt_` so a leaked one is recognisable in a scan).
The data directory keeps only its SHA-256 (a token is random, not a password: a slow hash buys
nothing), its name, scope and creation time, in `api-tokens.json` written owner-only. `read` may
look (snapshot, stream, traces); `trade` may also act. The served core re-reads the file when it
changes, so a revoked token stops working within a second without a restart.

Failed authentication is rate-limited per client address (`FailedAuthLimiter`): a guesser gets
429 with Retry-After long before a token could be found.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from perps_desktop.config import Settings, data_dir
from perps_desktop.core.clock import monotonic, wall_ms

__all__ = ["SCOPES", "FailedAuthLimiter", "TokenInfo", "TokenStore", "default_token_path", "run"]

SCOPES = ("read", "trade")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PREFIX = "pdt_"


def default_token_path() -> Path:
    return data_dir() / "api-tokens.json"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """What is kept of a token: never the token itself."""

    name: str
    scope: str
    sha256: str
    created_ms: int

    @property
    def may_act(self) -> bool:
        return self.scope == "trade"


class TokenStore:
    """The hashed tokens in one JSON file. Reads and writes are small blocking file calls: the
    served core makes them on a thread (`asyncio.to_thread(store.reload_if_changed)`)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_token_path()
        self._tokens: dict[str, TokenInfo] = {}
        self._stamp: tuple[int, int] | None = None

    # --- file ----------------------------------------------------------------------------------
    def _read(self) -> dict[str, TokenInfo]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise OSError(f"{self.path}: not a token file ({exc})") from None
        return {t["name"]: TokenInfo(name=t["name"], scope=t["scope"], sha256=t["sha256"],
                                     created_ms=int(t.get("created_ms", 0))) for t in raw.get("tokens", ())}

    def _write(self, tokens: dict[str, TokenInfo]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        body = {"tokens": [{"name": t.name, "scope": t.scope, "sha256": t.sha256, "created_ms": t.created_ms}
                           for t in sorted(tokens.values(), key=lambda t: t.name)]}
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, indent=1)
        os.replace(tmp, self.path)
        self._tokens, self._stamp = tokens, self._file_stamp()

    def __len__(self) -> int:
        """Tokens loaded (what `verify` checks against)."""
        return len(self._tokens)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def reload_if_changed(self) -> bool:
        """Re-read the file when it changed (a `token new` or `revoke` from another process)."""
        stamp = self._file_stamp()
        if stamp == self._stamp and (stamp is not None or not self._tokens):
            return False
        self._tokens, self._stamp = self._read(), stamp
        return True

    # --- tokens ----------------------------------------------------------------------------------
    def new(self, name: str, scope: str) -> str:
        """A fresh token named `name`; returns it (the only time it exists in clear)."""
        if not _NAME.match(name):
            raise ValueError(f"token name {name!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter "
                             "or digit")
        if scope not in SCOPES:
            raise ValueError(f"scope {scope!r}: one of {', '.join(SCOPES)}")
        tokens = self._read()
        if name in tokens:
            raise ValueError(f"a token named {name!r} exists; revoke it first or pick another name")
        token = _PREFIX + secrets.token_urlsafe(32)
        tokens[name] = TokenInfo(name=name, scope=scope, sha256=_hash(token), created_ms=wall_ms())
        self._write(tokens)
        return token

    def revoke(self, name: str) -> bool:
        tokens = self._read()
        if tokens.pop(name, None) is None:
            return False
        self._write(tokens)
        return True

    def list(self) -> list[TokenInfo]:
        return sorted(self._read().values(), key=lambda t: t.name)

    def verify(self, token: str) -> TokenInfo | None:
        """The token's entry, or None. Compares every hash in constant time (no early exit)."""
        digest = _hash(token)
        found = None
        for info in self._tokens.values():
            if hmac.compare_digest(info.sha256, digest):
                found = info
        return found


class FailedAuthLimiter:
    """At most `limit` failed authentications per client in `window_s`; past that, refused outright."""

    def __init__(self, limit: int = 10, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self._fails.setdefault(client, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, client: str) -> float:
        """Seconds this client must wait (0: it may try)."""
        now = monotonic()
        q = self._recent(client, now)
        if not q:
            self._fails.pop(client, None)
        return 0.0 if len(q) < self.limit else max(0.1, self.window_s - (now - q[0]))

    def failed(self, client: str) -> None:
        self._recent(client, monotonic()).append(monotonic())
        if len(self._fails) > 10_000:           # a flood of addresses: keep the newest, bounded
            self._fails.pop(next(iter(self._fails)))


# --- `perps-desktop token ...` ---------------------------------------------------------------------
def run(args: argparse.Namespace, settings: Settings) -> int:
    """`token new --scope read|trade --name NAME` | `token list` | `token revoke NAME`."""
    store = TokenStore(Path(args.tokens) if getattr(args, "tokens", None) else None)
    try:
        if args.token_command == "new":
            token = store.new(args.name, args.scope)
            print(f"token {args.name!r} ({args.scope}) made; only its hash is kept in {store.path}.")
            print("It is shown this once: give it to the window with --token-file F or PERPS_ATTACH_TOKEN.")
            print(token)
            return 0
        if args.token_command == "revoke":
            if store.revoke(args.name):
                print(f"token {args.name!r} revoked")
                return 0
            print(f"perps-desktop token: no token named {args.name!r}", file=sys.stderr)
            return 1
        rows = store.list()
        if not rows:
            print(f"no tokens in {store.path}")
        for t in rows:
            made = time.strftime("%Y-%m-%d %H:%M", time.localtime(t.created_ms / 1000))
            print(f"{t.name}\t{t.scope}\tmade {made}\tsha256 {t.sha256[:12]}…")
        return 0
    except (ValueError, OSError) as exc:
        print(f"perps-desktop token: {exc}", file=sys.stderr)
        return 2
