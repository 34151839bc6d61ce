"""A headless paper session writing to PostgreSQL leaves exactly the traces it recorded, and the
`traces` command reads them back."""

from __future__ import annotations

import re
import subprocess
import sys

import orjson
import psycopg


def _cli(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perps_desktop", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, check=False)


def test_a_headless_session_leaves_exactly_traces_recorded_rows_and_traces_reads_them(pg_url, tmp_path):
    run = _cli("headless", "--db", pg_url, "--duration", "6", "--status-interval", "1", cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    last = run.stdout.strip().splitlines()[-1]
    m = re.fullmatch(r"stopped traces_recorded=(\d+) traces_flushed=(\d+)", last)
    assert m and m.group(1) == m.group(2) and int(m.group(1)) > 5, last
    with psycopg.connect(pg_url) as conn:
        rows, bots = conn.execute("SELECT count(*), count(DISTINCT bot) FROM traces").fetchone() or (0, 0)
    assert rows == int(m.group(1)) and bots == 1
    read = _cli("traces", "--db", pg_url, "--format", "json", "--limit", "100000", cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    traces = orjson.loads(read.stdout)
    assert len(traces) == rows and traces[0]["bot"].count("/0x") == 1        # host/0x12ab..cdef
