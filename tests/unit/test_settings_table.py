"""Every setting the app reads, through a table of bad values: exit 2, one line, no traceback.

The settings are enumerated from `config.FIELDS` (the app's own and every section's), so a new
setting is covered without touching this file. Validation happens before any subcommand starts, so
running `main()` in this process gives the same answer as a fresh process (tests/integration/
test_start_refusals.py runs a representative subset, and the cases only a start can find, in real subprocesses).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perps_desktop.cli import main
from perps_desktop.config import FIELDS, _allowed, _env_name, load_settings

BAD = {"empty": "", "blank": "  ", "negative": "-1", "zero": "0", "text": "abc",
       "huge": "99999999999999999999", "inf": "inf", "nan": "nan"}

# empty means "not set" for these (the README says what each then does)
EMPTY_IS_UNSET = {"PERPS_BASE_URL", "PERPS_ADDRESS", "PERPS_DB_PATH", "PERPS_BOT", "PERPS_DATA_DIR",
                  "PERPS_LOG_DIR", "HL_PRIVATE_KEY", "DEAD_MAN_SWITCH_S"}
# any non-blank text is a name, or a (relative) file name: an uncreatable one is refused at start
# (tests/integration/test_start_refusals.py)
ANY_TEXT = {"PERPS_DB_PATH", "PERPS_BOT", "PERPS_DATA_DIR", "PERPS_LOG_DIR"}
# coin names of the right shape are checked against the venue's meta at start (integration test)
CHECKED_AT_START = {"SYMBOLS": {"zero", "text", "huge", "inf", "nan"}}

NAMES = sorted(_env_name(f) for f in FIELDS)
FIELD = {_env_name(f): f for f in FIELDS}


def _zero_allowed(field: str) -> bool:
    """From the field's lower bound (bools take 0 as false)."""
    for m in FIELDS[field].metadata:
        if getattr(m, "gt", None) is not None and m.gt >= 0:
            return False
        if getattr(m, "ge", None) is not None and m.ge > 0:
            return False
    return True


def refused(name: str, case: str) -> bool:
    """Whether the table's `case` must be refused for `name` before anything starts."""
    field = FIELD[name]
    if case == "empty" and name in EMPTY_IS_UNSET:
        return False
    if case in CHECKED_AT_START.get(name, ()):
        return False
    if name in ANY_TEXT and case not in ("empty", "blank"):
        return False
    return not (case == "zero" and _zero_allowed(field))


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("name", NAMES)
def test_every_bad_value_of_every_setting_is_exit_2_and_one_line(name, monkeypatch, capsys, tmp_path):
    field = FIELD[name]
    for case, value in BAD.items():
        monkeypatch.setenv(name, value)
        if not refused(name, case):
            if case == "empty":
                assert load_settings().flat()[field] is None, (name, case)
            continue
        for argv in (["headless", "--duration", "0"],
                     ["gui", "--screenshot", str(tmp_path / "x.png"), "--exit-after", "0"]):
            assert main(argv) == 2, (name, case, argv[0])
            line = _one_line(capsys.readouterr().err)
            shown = "<hidden>" if name == "HL_PRIVATE_KEY" else value
            assert line == f"perps-desktop: {name}={shown!r} is not allowed: {_allowed(field)}", (case, line)
    monkeypatch.delenv(name)


def test_the_private_key_is_never_echoed_even_when_wrong(monkeypatch, capsys):
    bad = "0x" + "ab" * 31 + "zz"
    monkeypatch.setenv("HL_PRIVATE_KEY", bad)
    assert main(["headless", "--duration", "0"]) == 2
    err = capsys.readouterr().err
    assert bad not in err and "ab" * 31 not in err


def test_every_number_has_an_upper_bound_and_no_float_takes_inf_or_nan():
    for field, info in FIELDS.items():
        args = getattr(info.annotation, "__args__", (info.annotation,))
        if bool in args or not ({int, float} & set(args)):
            continue
        assert any(getattr(m, "le", None) is not None for m in info.metadata), _env_name(field)
        if float in args:
            assert any(getattr(m, "allow_inf_nan", None) is False for m in info.metadata), _env_name(field)


def test_a_flag_value_is_held_to_the_same_rules(capsys):
    assert main(["headless", "--base-url", "ftp://x", "--duration", "0"]) == 2
    assert _one_line(capsys.readouterr().err).startswith("perps-desktop: PERPS_BASE_URL='ftp://x' is not allowed")


def test_the_readme_settings_table_shows_every_setting_with_its_bounds():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {m[1]: m[2] for m in re.finditer(r"^\| `([A-Z0-9_]+)`[^|]*\| [^|]* \| ([^|]*) \|", readme, re.M)}
    for field in FIELDS:
        name = _env_name(field)
        assert name in rows, f"README's settings table has no row for {name}"
        assert rows[name].strip() == _allowed(field), name
