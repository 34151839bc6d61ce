"""`POST /sim` cannot be driven from a web page: application/json only, and only from its own origin."""

from __future__ import annotations

import aiohttp
import orjson
import pytest

SET_MID = orjson.dumps({"type": "setMid", "coin": "BTC", "px": "1"})


async def _btc_mid(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(url + "/info", json={"type": "allMids"}) as resp:
        return (await resp.json())["BTC"]


async def _post(url: str, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(url + "/sim", data=SET_MID, headers=headers) as resp:
        return resp.status, await resp.text()


@pytest.mark.parametrize(("headers", "status"), [
    ({"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403),        # the drill's page
    ({"Content-Type": "application/json", "Origin": "http://evil.example"}, 403),
    ({"Content-Type": "application/json", "Origin": "null"}, 403),                 # a sandboxed page
    ({"Content-Type": "text/plain"}, 415),                                           # no Origin, wrong type
    ({"Content-Type": "application/x-www-form-urlencoded"}, 415),                    # a form (or curl -d)
])
async def test_a_request_a_web_page_could_send_is_refused_and_changes_nothing(sim_server, headers, status):
    sim = await sim_server()
    before = await _btc_mid(sim.url)
    got, text = await _post(sim.url, headers)
    assert got == status, text
    assert "/sim" in text
    after = await _btc_mid(sim.url)
    assert float(after) != 1.0 and abs(float(after) / float(before) - 1) < 0.01    # only the random walk moved it


@pytest.mark.parametrize("origin", [None, "own", "localhost"])
async def test_json_without_an_origin_or_from_its_own_is_obeyed(sim_server, origin):
    sim = await sim_server()
    port = sim.url.rsplit(":", 1)[1]
    headers = {"Content-Type": "application/json"}
    if origin == "own":
        headers["Origin"] = sim.url
    elif origin == "localhost":
        headers["Origin"] = f"http://localhost:{port}"
    status, text = await _post(sim.url, headers)
    assert status == 200, text
    assert abs(float(await _btc_mid(sim.url)) - 1.0) < 0.05
