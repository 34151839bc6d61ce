"""A real App on the simulator, served over its API (tests of api_server, remote, fleet, attach)."""

from __future__ import annotations

import contextlib
import uuid

from perps_desktop.app import App
from perps_desktop.app.api_server import ApiServer
from perps_desktop.app.tokens import TokenStore
from tests.integration.engine_support import fast_settings


@contextlib.asynccontextmanager
async def served(tmp_path, sim, name="core-a", **settings):
    """A running App on `sim`, served; every snapshot it builds kept by version (what the core saw)."""
    (tmp_path / name).mkdir(exist_ok=True)
    store = TokenStore(tmp_path / f"{name}-tokens.json")
    trade, read = store.new("laptop", "trade"), store.new("viewer", "read")
    async with App(fast_settings(tmp_path / name, sim, **settings)) as app:
        seen = {}
        build = app.snapshot

        def recording():
            s = build()
            seen[s.version] = s
            return s
        app.snapshot = recording
        async with ApiServer(app, tokens=store, bot=name, port=0) as server:
            yield app, server, {"trade": trade, "read": read}, seen


def auth_headers(token):
    return {"Authorization": f"Bearer {token}"}


def post_headers(token, key=None):
    return {**auth_headers(token), "Content-Type": "application/json", "Idempotency-Key": key or str(uuid.uuid4())}
