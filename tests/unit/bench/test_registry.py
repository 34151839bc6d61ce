"""Rows are found in bench/cases and ordered as DESIGN.md lists them."""

from __future__ import annotations

import pytest

from perps_desktop.bench import ALL_ROWS, discover, row_names
from perps_desktop.bench.registry import load


def test_rows_follow_the_design_order():
    names = row_names()
    assert "memory_bounded" in names
    known = [n for n in names if n in ALL_ROWS]
    assert known == [n for n in ALL_ROWS if n in names]
    assert names[:len(known)] == known          # rows DESIGN.md does not name come last
    assert not any(n.startswith("_") for n in names)


def test_discover_loads_cases_and_refuses_unknown_names():
    (entry,) = discover(["memory_bounded"])
    assert entry.case is not None and entry.case.name == "memory_bounded" and entry.error is None
    with pytest.raises(ValueError, match="unknown row"):
        discover(["memory_bounded", "no_such_row"])


def test_a_row_that_cannot_be_imported_becomes_an_error_entry():
    entry = load("no_such_module")
    assert entry.case is None and entry.error is not None and entry.error.startswith("import failed")


