"""`headless --serve`: the core's API against a real App on the simulator, over loopback HTTP."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import orjson
import pytest

from perps_desktop.app.api_server import exposure_warning, parse_serve
from perps_desktop.app.tokens import TokenStore
from perps_desktop.app.wire import apply_delta, decode_snapshot, page_from_wire
from perps_desktop.config import data_dir, log_dir
from tests.helpers import wait_until
from tests.integration.api_support import auth_headers, post_headers, served


async def test_snapshot_and_stream_match_the_cores_own_snapshots(tmp_path, sim_server):
    sim = await sim_server()
    async with served(tmp_path, sim) as (app, server, tokens, seen), aiohttp.ClientSession() as http:
        await app.wait_until_reconciled()
        async with http.get(server.url + "/snapshot", headers=auth_headers(tokens["read"])) as resp:
            assert resp.status == 200
            env = await resp.json()
        snap = decode_snapshot(env["snapshot"])
        assert snap == seen[snap.version]
        assert env["bot"] == "core-a" and env["tradingState"] == "ACTIVE"
        assert env["identity"] == {"mode": "paper", "network": snap.network,
                                   "account": f"{snap.address[:6]}…{snap.address[-4:]}"}
        async with http.ws_connect(server.url + "/stream", headers=auth_headers(tokens["read"])) as ws:
            first = orjson.loads((await ws.receive(timeout=10)).data)
            assert first["type"] == "snapshot"
            got = decode_snapshot(first["snapshot"])
            assert got == seen[got.version]
            deltas, topics = 0, set()
            while deltas < 5 or not got.positions or not topics:   # the paper strategy opens positions soon
                msg = orjson.loads((await ws.receive(timeout=30)).data)
                assert msg["type"] == "delta"
                topics |= {e["topic"] for e in msg["events"]}      # the core's events ride along
                if msg["changed"]:
                    got = apply_delta(got, msg["changed"])
                    assert got.version == msg["version"]
                    assert got == seen[got.version]         # field for field what the core built
                    deltas += 1


async def test_401_403_400_415_409_and_failed_auth_is_rate_limited(tmp_path, sim_server):
    sim = await sim_server()
    async with served(tmp_path, sim) as (_app, server, tokens, _), aiohttp.ClientSession() as http:
        url = server.url
        async with http.get(url + "/snapshot") as resp:
            assert resp.status == 401 and "Bearer" in resp.headers["WWW-Authenticate"]
        async with http.get(url + "/snapshot", headers=auth_headers("pdt_wrong")) as resp:
            assert resp.status == 401
        body = {"type": "cancelAll"}
        async with http.post(url + "/actions", json=body, headers=post_headers(tokens["read"])) as resp:
            assert resp.status == 403 and "viewer" in (await resp.json())["error"]
        for bad in ({"type": "closePosition"}, {"type": "explode"}, {"type": "reducePosition", "symbol": "BTC",
                                                                     "fraction": 3}):
            async with http.post(url + "/actions", json=bad, headers=post_headers(tokens["trade"])) as resp:
                assert resp.status == 400, bad
                assert "bad action" in (await resp.json())["error"]
        async with http.post(url + "/actions", data=b"{}", headers={**post_headers(tokens["trade"]),
                                                                    "Content-Type": "text/plain"}) as resp:
            assert resp.status == 415
        async with http.post(url + "/actions", json=body, headers={**post_headers(tokens["trade"]),
                                                                    "Origin": "https://evil.example"}) as resp:
            assert resp.status == 403
        async with http.post(url + "/actions", json=body, headers={**auth_headers(tokens["trade"])}) as resp:
            assert resp.status == 400 and "Idempotency-Key" in (await resp.json())["error"]
        key = str(uuid.uuid4())
        async with http.post(url + "/actions", json=body, headers=post_headers(tokens["trade"], key)) as resp:
            assert resp.status == 200
        async with http.post(url + "/actions", json={"type": "flattenAll"},
                             headers=post_headers(tokens["trade"], key)) as r:
            assert r.status == 409
        async with http.get(url + "/traces?limit=zero", headers=auth_headers(tokens["read"])) as resp:
            assert resp.status == 400
        codes = []
        for _ in range(12):                 # two 401s above plus these: the 11th failure is refused outright
            async with http.get(url + "/snapshot", headers=auth_headers("pdt_guess")) as resp:
                codes.append(resp.status)
        assert codes[:8] == [401] * 8 and codes[-1] == 429
        async with http.get(url + "/snapshot", headers=auth_headers(tokens["read"])) as resp:
            assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1   # even a good token waits


async def test_a_retried_post_acts_once_and_the_trace_names_the_token(tmp_path, sim_server):
    sim = await sim_server()
    async with served(tmp_path, sim) as (app, server, tokens, _), aiohttp.ClientSession() as http:
        await app.wait_until_reconciled()
        key = str(uuid.uuid4())

        async def post():
            async with http.post(server.url + "/actions", json={"type": "cancelAll"},
                                 headers=post_headers(tokens["trade"], key)) as resp:
                assert resp.status == 200
                return await resp.json()
        answers = await asyncio.gather(post(), post())          # a retry while the first still runs
        answers.append(await post())                            # and one after it answered
        assert [a["ok"] for a in answers] == [True] * 3
        assert sorted(a["replayed"] for a in answers) == [False, True, True]
        assert len({orjson.dumps(a["report"]) for a in answers}) == 1
        assert [r.what for r in app.journal.records()].count("cancel all") == 1
        key = str(uuid.uuid4())                                 # a new key is a new action
        await post()
        assert [r.what for r in app.journal.records()].count("cancel all") == 2
        await wait_until(lambda: app.trace_counters().flushed >= app.trace_counters().recorded, timeout=10)
        async with http.get(server.url + "/traces?kind=action&strategy=api:laptop",
                            headers=auth_headers(tokens["read"])) as resp:
            page = page_from_wire(await resp.json())
        assert len(page.traces) == 2
        assert all("by token 'laptop'" in t.reason and t.decision == "done" for t in page.traces)


async def test_a_post_retried_after_the_core_restarted_acts_once(tmp_path, sim_server):
    """The answer was lost because the core went down; the client retries against the restarted core."""
    from perps_desktop.app import App
    from perps_desktop.app.api_server import ApiServer
    from tests.integration.engine_support import fast_settings

    sim = await sim_server()
    tokens = TokenStore(tmp_path / "tokens.json")
    token = tokens.new("laptop", "trade")
    key = str(uuid.uuid4())
    answers, journals = [], []
    for body in ({"type": "cancelAll"}, {"type": "cancelAll"}, {"type": "flattenAll"}):   # one core, restarted twice
        async with App(fast_settings(tmp_path, sim, strategy_threshold_pct=1000.0)) as app, \
                ApiServer(app, tokens=tokens, bot="core-a", port=0) as server, aiohttp.ClientSession() as http:
            await app.wait_until_reconciled()
            async with http.post(server.url + "/actions", json=body, headers=post_headers(token, key)) as resp:
                answers.append((resp.status, await resp.json()))
            journals.append([r.what for r in app.journal.records()])
    (s1, first), (s2, again), (s3, other) = answers
    assert (s1, s2) == (200, 200) and first["ok"] and not first["replayed"]
    assert again["replayed"] and again["report"] == first["report"]         # the first answer, not a second run
    assert journals[0].count("cancel all") == 1 and "cancel all" not in journals[1]
    assert s3 == 409 and "different request" in other["error"] and "flatten all" not in journals[2]


def test_only_a_loopback_address_goes_without_the_tls_warning():
    assert exposure_warning("127.0.0.1") is None and exposure_warning("::1") is None
    assert exposure_warning("localhost") is None
    for host in ("0.0.0.0", "192.168.1.5", "bots.example.com"):
        text = exposure_warning(host)
        assert text is not None and "TLS" in text and "SSH tunnel" in text and "reverse proxy" in text


def test_parse_serve_defaults_to_loopback():
    assert parse_serve("8788") == ("127.0.0.1", 8788)
    assert parse_serve(":0") == ("127.0.0.1", 0)
    assert parse_serve("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_serve("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError):
        parse_serve("host:port")


async def test_a_token_is_never_written_in_clear(tmp_path):
    store = TokenStore()
    token = store.new("laptop", "trade")
    assert store.path.parent == data_dir()
    written = b"".join(p.read_bytes() for d in (data_dir(), log_dir()) for p in d.rglob("*") if p.is_file())
    assert token.encode() not in written and token[4:].encode() not in written
    assert store.list()[0].sha256.encode() in written
    store.reload_if_changed()
    assert store.verify(token).name == "laptop" and store.verify(token + "x") is None
    assert store.revoke("laptop") and store.list() == []


async def test_a_refused_action_is_answered_in_the_cores_words_and_a_bug_is_also_logged_in_full(
        tmp_path, sim_server, monkeypatch, caplog):
    sim = await sim_server()
    async with served(tmp_path, sim) as (app, server, tokens, _), aiohttp.ClientSession() as http:
        await app.wait_until_reconciled()

        async def act(body):
            async with http.post(server.url + "/actions", json=body,
                                 headers=post_headers(tokens["trade"], str(uuid.uuid4()))) as resp:
                assert resp.status == 200
                return await resp.json()

        refused = await act({"type": "resetBreaker", "name": "no_such_breaker"})
        assert refused["ok"] is False and "no_such_breaker" in refused["error"]

        def broken(*args, **kwargs):
            raise ZeroDivisionError("a bug in the core")

        monkeypatch.setattr(app, "force_open_breaker", broken)
        answer = await act({"type": "forceOpenBreaker", "name": "exchange_orders"})
        assert answer["ok"] is False and answer["error"] == "ZeroDivisionError: a bug in the core"
        bugs = [r for r in caplog.records if r.levelname == "ERROR" and "forceOpenBreaker" in r.getMessage()]
        assert len(bugs) == 1 and bugs[0].exc_info is not None
        refusals = [r for r in caplog.records if r.levelname == "ERROR" and "resetBreaker" in r.getMessage()]
        assert refusals == []                                   # a refusal is no bug
