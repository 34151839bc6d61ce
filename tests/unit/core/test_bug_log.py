"""BugLog: a loop's bug is logged at ERROR with its traceback once per kind, then only counted."""

from __future__ import annotations

import logging

import pytest

from perps_desktop.core.bug_log import BugLog

log = logging.getLogger("tests.bug_log")


def _raised(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == log.name and r.levelno == logging.ERROR]


def test_each_kind_is_logged_once_with_its_traceback_and_every_one_counted(caplog) -> None:
    bugs = BugLog(log)
    written = [bugs.report("engine tick", _raised(ValueError("bad mid"))) for _ in range(50)]
    written.append(bugs.report("engine tick", _raised(KeyError("BTC"))))          # another kind
    written.append(bugs.report("recovery round", _raised(ValueError("bad mid"))))  # another place
    assert written == [True] + [False] * 49 + [True, True]
    assert bugs.count == 52
    errors = _errors(caplog)
    assert len(errors) == 3 and all(r.exc_info is not None for r in errors)
    assert "engine tick failed: a bug" in errors[0].getMessage()


def test_past_max_kinds_one_more_error_says_new_kinds_are_only_counted(caplog) -> None:
    bugs = BugLog(log, max_kinds=3)
    for i in range(10):                                  # a message that changes every time
        bugs.report("API stream tick", _raised(ValueError(f"row {i}")))
    errors = _errors(caplog)
    assert len(errors) == 4 and bugs.count == 10
    assert "counted, not logged" in errors[-1].getMessage() and errors[-1].exc_info is None
