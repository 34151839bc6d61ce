"""Ids and chains for a batch of traces, given by the writer inside the transaction that inserts them.

A trace is recorded with a chain id (an int: the story is known by id), a `Story` (a handle the
first written trace of the story names), or neither (it starts a story of its own). The writer
takes the next ids of the table under its write lock (SQLite: max(id) + 1 on; PostgreSQL: the
sequence), so every row's chain can be written with the row, even one naming a row of the same
batch, and another process writing the same database takes no id a story was given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from perps_desktop.core.models import Story

__all__ = ["with_chains"]


@contextlib.contextmanager
def with_chains(rows: Sequence[tuple[Any, ...]], links: Sequence[int | Story | None],
                ids: Iterable[int]) -> Iterator[list[tuple[Any, ...]]]:
    """The rows to insert, each led by its id and its chain: the chain it was recorded with (an
    int), its story's (the first row of a story names it: the story takes that row's id), or
    its own id. Should the insert in the block fail, the stories named here are forgotten again,
    so the retry names them anew."""
    named: list[Story] = []
    full = []
    for r, link, tid in zip(rows, links, ids, strict=True):
        if link is None:
            chain = tid
        elif isinstance(link, int):
            chain = link
        elif link.id:
            chain = link.id
        else:
            link.id = chain = tid
            named.append(link)
        full.append((tid, chain, *r))
    try:
        yield full
    except BaseException:
        for story in named:
            story.id = 0
        raise
