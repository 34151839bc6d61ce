"""`perps-desktop token new` and `headless --serve` as a user runs them: real processes, real files."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp

from tests.helpers import wait_until
from tests.integration.test_engine_headless import _line


def _env(tmp_path):
    return {**os.environ, "PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs"),
            "QT_QPA_PLATFORM": "offscreen"}


async def _run(tmp_path, *args):
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "perps_desktop", *args, cwd=tmp_path,
                                                env=_env(tmp_path), stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def test_a_served_core_answers_its_token_and_never_writes_it(tmp_path):
    rc, out, _ = await _run(tmp_path, "token", "new", "--scope", "read", "--name", "laptop")
    assert rc == 0
    token = out.splitlines()[-1]
    assert token.startswith("pdt_") and len(token) > 40 and " " not in token
    rc, listed, _ = await _run(tmp_path, "token", "list")
    assert rc == 0 and "laptop\tread" in listed and token not in listed
    rc, _, err = await _run(tmp_path, "token", "new", "--scope", "read", "--name", "laptop")
    assert rc == 2 and "exists" in err

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "perps_desktop", "headless", "--serve", "127.0.0.1:0", "--status-interval", "60",
        cwd=tmp_path, env=_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = await _line(proc.stdout)
        while not line.startswith("api: "):
            line = await _line(proc.stdout)
        url = line.removeprefix("api: ")
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/snapshot", headers={"Authorization": f"Bearer {token}"}) as resp:
                assert resp.status == 200 and (await resp.json())["identity"]["mode"] == "paper"
            async with http.get(url + "/snapshot", headers={"Authorization": "Bearer pdt_nope"}) as resp:
                assert resp.status == 401
        rc, _, _ = await _run(tmp_path, "token", "revoke", "laptop")
        assert rc == 0
        async with aiohttp.ClientSession() as http:        # re-read while it runs, no restart

            async def refused() -> bool:
                async with http.get(url + "/snapshot", headers={"Authorization": f"Bearer {token}"}) as resp:
                    return resp.status == 401

            await wait_until(refused, timeout=30)
        proc.send_signal(signal.SIGTERM)
        rest, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert token.encode() not in written + rest + err
