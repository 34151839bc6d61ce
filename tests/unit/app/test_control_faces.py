"""Every implementation of CoreControl has the whole face: a method added to the protocol and not to the
remote core (or the fleet) would leave a panel broken only when attached."""

from __future__ import annotations

import inspect

import pytest

from perps_desktop.app import App, CoreControl, Fleet, RemoteCore


def _face() -> set[str]:
    return {n for n, _ in inspect.getmembers(CoreControl) if not n.startswith("_")}


@pytest.mark.parametrize("impl", [App, RemoteCore, Fleet])
def test_each_implementation_has_every_method_of_the_face(impl):
    missing = sorted(n for n in _face() if not hasattr(impl, n))
    assert missing == []


def test_the_face_is_not_empty():
    assert {"snapshot", "close_position", "flatten_all", "query_traces", "load_timeline"} <= _face()
