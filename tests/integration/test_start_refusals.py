"""Start-up refusals in real processes: `headless` and `gui --screenshot` exit 2 with one line.

tests/unit/test_settings_table.py runs every setting through the whole table in-process; here a
representative subset of it runs in fresh processes, plus what only a start can find: an endpoint
that does not answer, a trace database that cannot be created, a coin the venue does not list.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from perps_desktop.app import App
from perps_desktop.config import load_settings
from perps_desktop.errors import ConfigError

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING) ")

COMMANDS = {
    "headless": ["headless", "--duration", "5"],
    "gui": ["gui", "--screenshot", "shot.png", "--exit-after", "5"],
}

# (variable, value, what the one line must contain)
CONFIG_CASES = [
    ("PERPS_BASE_URL", "abc", "an http:// or https:// URL"),
    ("PERPS_BASE_URL", "-1", "an http:// or https:// URL"),
    ("PERPS_BASE_URL", "  ", "an http:// or https:// URL"),
    ("PERPS_BASE_URL", "ftp://x", "an http:// or https:// URL"),
    ("STRATEGY_LOOKBACK", "99999999999999999999", "an integer >= 2 and <= 10000"),
    ("PAPER_FUNDING_USD", "inf", "a number >= 100.0 and <= 1e+12"),
    ("CB_FAILURE_RATE", "nan", "a number > 0.0 and <= 1.0"),
    ("TRACE_LAZY_PAYLOAD", "abc", "true or false"),
    ("TRACE_BATCH_SIZE", "", "an integer >= 1"),
    ("API_TIMEOUT_MS", "-1", "an integer >= 100"),
]


def _run(tmp_path: Path, command: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM") and not k.startswith(("PERPS_", "SYMBOLS"))}
    env.update({"PERPS_DATA_DIR": str(tmp_path / "data"), "PERPS_LOG_DIR": str(tmp_path / "logs"), **env_extra})
    return subprocess.run([sys.executable, "-m", "perps_desktop", *COMMANDS[command]], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def _the_line(proc: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, no traceback, and exactly one line on stderr besides log records (a breaker that opened
    on the way, say): no ERROR record, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not LOG_LINE.match(ln)]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("perps-desktop: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("name", "value", "allowed"), CONFIG_CASES)
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path, command, name, value, allowed):
    line = _the_line(_run(tmp_path, command, {name: value}))
    assert line.startswith(f"perps-desktop: {name}={value!r} is not allowed: "), line
    assert allowed in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_endpoint_that_does_not_answer_is_one_line_naming_it_and_what_to_try(tmp_path, command):
    line = _the_line(_run(tmp_path, command, {"PERPS_BASE_URL": "http://127.0.0.1:1"}))
    assert "http://127.0.0.1:1 did not answer at start" in line
    assert "refused" in line.lower() or "connect" in line.lower()          # what happened
    assert "leave it empty in paper mode for the embedded simulator" in line    # what to try


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_trace_database_that_cannot_be_created_is_one_line_with_its_path(tmp_path, command):
    (tmp_path / "a-file").write_text("not a directory")
    db = tmp_path / "a-file" / "traces.sqlite3"
    line = _the_line(_run(tmp_path, command, {"PERPS_DB_PATH": str(db)}))
    assert str(db) in line and "PERPS_DB_PATH" in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", ["PERPS_LOG_DIR", "PERPS_DATA_DIR"])
def test_a_directory_that_cannot_be_created_is_one_line_naming_the_setting(tmp_path, command, name):
    (tmp_path / "a-file").write_text("not a directory")
    where = str(tmp_path / "a-file" / "dir")
    line = _the_line(_run(tmp_path, command, {name: where}))
    assert name in line and where in line


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_coin_the_venue_does_not_list_is_named_with_the_listed_ones(tmp_path, command):
    line = _the_line(_run(tmp_path, command, {"SYMBOLS": "BTC,FOO"}))
    assert line.startswith("perps-desktop: SYMBOLS='BTC,FOO' is not allowed: FOO is not a coin of http://127.0.0.1:")
    assert "BTC, DOGE, ETH" in line


@pytest.mark.parametrize("value", ["0", "abc", "99999999999999999999", "inf", "nan"])
async def test_every_well_formed_but_unknown_coin_is_refused_at_start(tmp_path, sim_server, value):
    """The rest of the table's values for SYMBOLS, in this process (the same start as above)."""
    sim = await sim_server()
    settings = load_settings(symbols=value, base_url=sim.url, db_path=str(tmp_path / "t.sqlite3"))
    with pytest.raises(ConfigError) as refused:
        async with App(settings):
            pass
    assert str(refused.value).startswith(f"SYMBOLS={value!r} is not allowed: {value.upper()} is not a coin of ")

