"""The packaged program's entry point: `perps_desktop.cli.main`, frozen by PyInstaller (build.spec).

A frozen program has no Python interpreter to start children with: `sys.executable` is this
program. Parts of the package that run a module in a child process
(`[sys.executable, "-m", "perps_desktop.…", ...]`, e.g. the benchmark rows that need Qt) still
work, because the launcher answers `-m perps_desktop[.<module>] ...` itself by running that module
as `__main__`, as `python -m` would.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def _run_module(argv: list[str]) -> int | None:
    """`-m perps_desktop[.X] args...` -> run it as __main__; None when argv is not that form."""
    if len(argv) < 2 or argv[0] != "-m" or argv[1].split(".")[0] != "perps_desktop":
        return None
    sys.argv = [argv[1], *argv[2:]]
    try:
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    return 0


def launch(argv: list[str]) -> int:
    if getattr(sys, "frozen", False):
        code = _run_module(argv)
        if code is not None:
            return code
    from perps_desktop.cli import main

    return main(argv)


if __name__ == "__main__":
    # A frozen program re-executes itself for multiprocessing children; this hands them over.
    multiprocessing.freeze_support()
    sys.exit(launch(sys.argv[1:]))
