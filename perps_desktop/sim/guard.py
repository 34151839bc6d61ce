"""The guard in front of every HTTP surface that changes state (`POST /sim` today).

A web page the trader happens to open can send a POST to 127.0.0.1 (a "simple" cross-origin
request: `text/plain` or a form, no preflight), so a loopback-only check is not enough. A request
that changes state must therefore be `application/json` (which a browser cannot send across
origins without a preflight this server never grants: 415 otherwise) and, when it carries an
`Origin` (browsers always send one on POST), that origin must be this server's own loopback
address (403 otherwise; a DNS-rebinding page has its own name as origin and is refused too).
Clients that are not browsers (curl, aiohttp, the SDK) send no Origin and pass.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["own_origins", "refuse_unless_json_and_same_origin"]

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def own_origins(request: web.Request) -> frozenset[str]:
    """The origins this server answers as: its loopback names on the port it listens on."""
    sock = request.transport.get_extra_info("sockname") if request.transport is not None else None
    port = sock[1] if sock else None
    return frozenset(f"{scheme}://{host}:{port}" for scheme in ("http", "https") for host in _LOOPBACK_NAMES)


def refuse_unless_json_and_same_origin(request: web.Request) -> web.Response | None:
    """None when the request may change state; otherwise the answer that refuses it (403 or 415)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin not in own_origins(request):
        return web.Response(status=403, text=f"{request.path} refuses requests from another origin ({origin})")
    if request.content_type != "application/json":
        return web.Response(status=415, text=f"{request.path} accepts only application/json "
                                             f"(got {request.content_type})")
    return None
