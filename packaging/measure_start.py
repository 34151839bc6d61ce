"""Measure how fast the packaged window starts: launch -> the first screenshot on disk.

    .venv/bin/python packaging/measure_start.py [--exe dist/perps-desktop/perps-desktop] [--runs 5]

Each run starts `EXE --screenshot FILE --exit-after 0` offscreen, with a fresh HOME, and takes the
time from launch until FILE is written (its mtime): the window is built, the core started, the
first frame rendered. Prints every run and the median, and the bundle's size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(exe: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="perps-start-") as tmp:
        shot = Path(tmp) / "out.png"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PERPS_", "XDG_"))}
        env.update(HOME=tmp, QT_QPA_PLATFORM="offscreen")
        t0 = time.time()
        proc = subprocess.run([str(exe), "--screenshot", str(shot), "--exit-after", "0"], cwd=tmp, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0 or not shot.exists():
            raise RuntimeError(f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
        return shot.stat().st_mtime - t0


def bundle_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", type=Path, default=ROOT / "dist" / "perps-desktop" / "perps-desktop")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.exe = args.exe.absolute()
    if not args.exe.exists():
        print(f"measure_start: no executable at {args.exe}; run `make package` first", file=sys.stderr)
        return 1
    one_run(args.exe)  # warm the page cache: the figure is a warm start, as on a second launch
    times = [one_run(args.exe) for _ in range(args.runs)]
    for i, t in enumerate(times, 1):
        print(f"run {i}: {t:.2f} s")
    print(f"window start (launch -> first screenshot), median of {args.runs}: {statistics.median(times):.2f} s")
    if args.exe.parent.name == "perps-desktop" and (args.exe.parent / "_internal").is_dir():
        print(f"bundle: {bundle_size(args.exe.parent) / 2**20:.0f} MiB in {args.exe.parent}")
    else:
        print(f"file: {args.exe.stat().st_size / 2**20:.0f} MiB ({args.exe})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
