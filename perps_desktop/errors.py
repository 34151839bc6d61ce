"""The project's one error hierarchy.

    PerpsError
    ├── StartRefused                start-up cannot go on: one line, exit 2 (the setting or endpoint,
    │   │                           the value, what is allowed or what to try)
    │   ├── ConfigError             a setting is missing or out of range
    │   └── VenueUnreachable        the endpoint did not answer at start
    ├── ExchangeError               anything the venue or the way to it did wrong
    │   ├── TransportError          the request did not get a usable answer
    │   │   ├── ExchangeTimeout     (also a TimeoutError)
    │   │   ├── RateLimited         HTTP 429 or the local rate budget said no
    │   │   └── MalformedReply      the reply was not the shape the endpoint promises
    │   └── ExchangeRejected        the venue answered and said no (the reason is kept)
    ├── StoreError                  the trace store could not read or write
    │   ├── StoreCorrupt            the database file is not a usable SQLite file
    │   └── SchemaTooNew            the file was written by a newer perps-desktop
    └── BreakerOpen                 a circuit breaker refused the call

Programmer mistakes stay ValueError / TypeError / RuntimeError.
"""

from __future__ import annotations

__all__ = [
    "BreakerOpen",
    "ConfigError",
    "ExchangeError",
    "ExchangeRejected",
    "ExchangeTimeout",
    "MalformedReply",
    "PerpsError",
    "RateLimited",
    "SchemaTooNew",
    "StartRefused",
    "StoreCorrupt",
    "StoreError",
    "TransportError",
    "VenueUnreachable",
]


class PerpsError(Exception):
    """Root of every error perps-desktop raises on purpose."""


class StartRefused(PerpsError):
    """Start-up cannot go on; the message is the whole story in one line, and the CLI exits 2."""


class ConfigError(StartRefused):
    """A setting was refused: carries the variable's name, the value given and what is allowed."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"{name}={value!r} is not allowed: {allowed}")


class VenueUnreachable(StartRefused):
    """The endpoint did not answer at start: which URL, what happened, and what to try."""

    def __init__(self, url: str, what: str, hint: str) -> None:
        self.url = url
        super().__init__(f"{url} did not answer at start ({what}); {hint}")


class ExchangeError(PerpsError):
    """The venue or the path to it failed.

    Attributes:
        endpoint: the call, e.g. "exchange:order".
        request_sent: False when the request surely never left (no connection): an action that
            failed so can be sent again without asking the venue what became of it.
        expires_after: for a signed action, the venue time (ms) after which it can no longer be
            taken (its `expiresAfter`), or None; an ambiguous failure is waited out until then.
        http_status: the HTTP status the venue answered with, when it answered with an error one
            (5xx: a server there but ill; 429: rate limited), or None.
    """

    def __init__(self, message: str, *, endpoint: str = "", request_sent: bool = True,
                 expires_after: int | None = None, http_status: int | None = None) -> None:
        self.endpoint = endpoint
        self.request_sent = request_sent
        self.expires_after = expires_after
        self.http_status = http_status
        super().__init__(f"{endpoint}: {message}" if endpoint else message)


class TransportError(ExchangeError):
    """No usable answer arrived (connection, timeout, rate limit, garbage)."""


class ExchangeTimeout(TransportError, TimeoutError):
    """The call took longer than its timeout."""


class RateLimited(TransportError):
    """The venue answered 429 or the local budget was exhausted."""


class MalformedReply(TransportError):
    """The reply did not have the shape the endpoint promises; quotes its start."""

    def __init__(self, endpoint: str, reason: str, body: object) -> None:
        text = body if isinstance(body, str) else repr(body)
        self.body_start = text[:200]
        super().__init__(f"{reason}; reply starts {self.body_start!r}", endpoint=endpoint)


class ExchangeRejected(ExchangeError):
    """The venue answered and refused the action; `reason` is its message."""

    def __init__(self, reason: str, *, endpoint: str = "", http_status: int | None = None) -> None:
        self.reason = reason
        super().__init__(reason, endpoint=endpoint, http_status=http_status)


class StoreError(PerpsError):
    """The trace store failed to read or write."""


class StoreCorrupt(StoreError):
    """The database file at `path` is damaged or not SQLite."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        super().__init__(f"trace database {path} is not usable: {detail}")


class SchemaTooNew(StoreError):
    """The file was written by a newer perps-desktop than this one."""


class BreakerOpen(PerpsError):
    """A circuit breaker refused the call; `retry_in_s` says when it will try again."""

    def __init__(self, breaker: str, state: str, retry_in_s: float | None = None) -> None:
        self.breaker = breaker
        self.state = state
        self.retry_in_s = retry_in_s
        wait = f", next try in {retry_in_s:.1f}s" if retry_in_s is not None else ""
        super().__init__(f"breaker {breaker} is {state}{wait}")
