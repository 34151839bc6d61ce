"""`perps-desktop traces`: the three formats, the filters, and what a missing or bad file says."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from perps_desktop.cli import main
from perps_desktop.core.models import Story, Trace
from perps_desktop.store import TraceStore, TraceStoreConfig
from perps_desktop.store.cli import parse_since

NOW = 1_750_000_000_000


def _make_db(path) -> None:
    async def fill() -> None:
        async with TraceStore(TraceStoreConfig(path=path, retention_delay_s=3600.0)) as store:
            for i in range(6):
                store.record(Trace(kind=("signal", "risk")[i % 2], time_ms=NOW + i * 1000, symbol=("BTC", "ETH")[i % 2],
                                   strategy="momo", side="B", size=0.5, price=65000.0 + i, decision="approve",
                                   reason=f"reason {i}", latency_ms=1.5,
                                   payload={"i": i, "big": "y" * (3000 if i == 4 else 1)}))
    asyncio.run(fill())


def test_json_format_holds_every_field_and_the_decoded_payload(tmp_path, capsys):
    db = tmp_path / "t.sqlite3"
    _make_db(db)
    assert main(["traces", "--db", str(db), "--format", "json", "--symbol", "BTC"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [5, 3, 1]                  # newest first, BTC only
    assert rows[0]["payload"] == {"i": 4, "big": "y" * 3000}    # the compressed one, decoded
    assert rows[0]["time"] == "2025-06-15T15:06:44.000Z" and rows[0]["reason"] == "reason 4"


def test_csv_format_has_a_header_and_one_line_per_trace(tmp_path, capsys):
    db = tmp_path / "t.sqlite3"
    _make_db(db)
    assert main(["traces", "--db", str(db), "--format", "csv", "--kind", "risk", "--limit", "2"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ["6", "4"]
    assert rows[0]["kind"] == "risk" and json.loads(rows[0]["payload"]) == {"i": 5, "big": "y"}


def test_table_format_lines_up_columns(tmp_path, capsys):
    db = tmp_path / "t.sqlite3"
    _make_db(db)
    assert main(["traces", "--db", str(db), "--since", str(NOW + 3000)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "chain", "time", "kind", "symbol", "strategy", "side", "size", "price",
                                "decision", "latency_ms", "reason"]
    assert len(lines) == 4 and lines[1].split()[:5] == ["6", "6", "2025-06-15T15:06:45.000Z", "risk", "ETH"]
    assert lines[1].endswith("reason 5")
    assert lines[0].index("reason") == lines[1].index("reason 5")


def test_chain_prints_the_whole_story_of_any_of_its_traces_oldest_first(tmp_path, capsys):
    db = tmp_path / "t.sqlite3"

    async def fill() -> None:
        async with TraceStore(TraceStoreConfig(path=db, retention_delay_s=3600.0, batch_size=2)) as store:
            story = Story()
            for i, kind in enumerate(("signal", "alert", "risk", "order", "system", "fill")):
                store.record(Trace(kind=kind, time_ms=NOW + i, symbol="BTC", reason=f"step {i}",
                                   story=story if kind not in ("alert", "system") else None))
    asyncio.run(fill())
    for member in ("1", "3", "6"):
        assert main(["traces", "--db", str(db), "--chain", member, "--format", "json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert [(r["id"], r["kind"], r["chain"]) for r in rows] == [(1, "signal", 1), (3, "risk", 1), (4, "order", 1),
                                                                   (6, "fill", 1)]
    assert main(["traces", "--db", str(db), "--chain", "2", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["id"], r["chain"], r["kind"]) for r in rows] == [("2", "2", "alert")]
    assert main(["traces", "--db", str(db), "--chain", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:4:3] for line in lines[1:]] == [["1", "signal"], ["3", "risk"], ["4", "order"], ["6", "fill"]]
    assert main(["traces", "--db", str(db), "--chain", "99"]) == 1
    assert "no trace with id 99" in capsys.readouterr().err


def test_a_missing_database_is_exit_1_and_a_bad_since_is_exit_2(tmp_path, capsys):
    assert main(["traces", "--db", str(tmp_path / "none.sqlite3")]) == 1
    assert "no trace database at" in capsys.readouterr().err
    assert main(["traces", "--db", str(tmp_path / "none.sqlite3"), "--since", "yesterday-ish"]) == 2
    garbage = tmp_path / "bad.sqlite3"
    garbage.write_bytes(b"not sqlite at all" * 100)
    assert main(["traces", "--db", str(garbage)]) == 1
    assert str(garbage) in capsys.readouterr().err


@pytest.mark.parametrize(("text", "expected"), [
    ("1700000000000", 1_700_000_000_000),
    ("15m", NOW - 15 * 60_000),
    ("2h", NOW - 2 * 3_600_000),
    ("1d", NOW - 86_400_000),
    ("2025-06-15T15:06:40", NOW),
    ("2025-06-15T17:06:40+02:00", NOW),
])
def test_since_accepts_epoch_ms_ages_and_iso_times(text, expected):
    assert parse_since(text, now_ms=NOW) == expected


def test_a_database_in_a_directory_this_user_cannot_write_is_read(tmp_path):
    """A copy on a read-only share (or another user's files): SQLite cannot make the -shm it reads a WAL
    file through, so the file is read as immutable — `traces` (and `gui --replay`) read it all."""
    import os
    import shutil
    import subprocess
    import sys

    ro = tmp_path / "ro"
    ro.mkdir()
    _make_db(ro / "t.sqlite3")
    for extra in ro.glob("t.sqlite3-*"):
        extra.unlink()
    ro.chmod(0o555)
    cmd = [sys.executable, "-m", "perps_desktop", "traces", "--db", str(ro / "t.sqlite3"), "--format", "json"]
    if os.geteuid() == 0:                   # root writes anywhere: drop that power for the child
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a directory read-only for the child")
        drop = "-dac_override,-dac_read_search,-fowner"
        cmd = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *cmd]
    env = {**os.environ, "PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs")}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    finally:
        ro.chmod(0o755)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [r["id"] for r in json.loads(done.stdout)] == [6, 5, 4, 3, 2, 1]
    assert sorted(p.name for p in ro.iterdir()) == ["t.sqlite3"]          # nothing written beside it
