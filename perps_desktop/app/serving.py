"""serve / stop_serving: an aiohttp application on host:port for the core's own servers (API, metrics).

Both servers started a runner without signal handling or access log, bound a TCP site (port 0:
a free one) and read back the port it got, then cleaned the runner up at close; this is that once.
"""

from __future__ import annotations

from aiohttp import web

__all__ = ["serve", "stop_serving"]


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app` on host:port; the runner (give it to `stop_serving`) and the port bound (port 0: the free one)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()          # a port in use: nothing left half-open
        raise
    addresses = runner.addresses
    return runner, int(addresses[0][1]) if addresses else port


async def stop_serving(runner: web.AppRunner | None) -> None:
    """Stop a server `serve` started (None: nothing to stop)."""
    if runner is not None:
        await runner.cleanup()
