"""Every flag that takes a value, through the table of bad values: exit 2 and one line, like a setting.

The flags are enumerated from the parser, so a new one is covered without touching this file.
"""

from __future__ import annotations

import argparse

import pytest

from perps_desktop.cli import build_parser, main

BAD = ["", "  ", "-1", "abc", "99999999999999999999", "inf", "nan"]


def _typed_flags() -> list[tuple[str, str]]:
    """(subcommand, flag) for every option whose value is parsed (not free text or a choice)."""
    found = []
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(name, a.option_strings[-1]) for a in sub._actions
                          if a.option_strings and a.type is not None and a.choices is None]
    return sorted(found)


FLAGS = _typed_flags()


def test_the_table_covers_the_numeric_flags():
    assert {("headless", "--metrics-port"), ("headless", "--duration"), ("gui", "--exit-after"),
            ("simulate", "--port"), ("traces", "--limit")} <= set(FLAGS)


@pytest.mark.parametrize(("command", "flag"), FLAGS)
def test_every_bad_value_of_every_flag_is_exit_2_and_one_line(capsys, command, flag):
    for value in BAD:
        with pytest.raises(SystemExit) as stop:
            main([command, f"{flag}={value}"])
        assert stop.value.code == 2, (flag, value)
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and "Traceback" not in err, err
        assert err.startswith(f"perps-desktop {command}: argument {flag}"), err


@pytest.mark.parametrize(("command", "flag"), [("headless", "--status-interval"), ("traces", "--chain")])
def test_zero_where_it_is_not_allowed(capsys, command, flag):
    with pytest.raises(SystemExit):
        main([command, flag, "0"])
    assert "is not allowed" in capsys.readouterr().err
