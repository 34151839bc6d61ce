"""Measure how fast the packaged window starts: launch -> the first screenshot on disk.

    .venv/bin/python packaging/measure_start.py [--exe dist/perps-desktop/perps-desktop] [--runs 5]

Each run starts `EXE --screenshot FILE --exit-after 0` offscreen, with a fresh HOME, and takes the
time from launch until FILE is written (its mtime): the window is built, the core started, the
first frame rendered. On Linux it also reads the CPU time the process had used by then (from
/proc), a figure that does not grow when other processes share the cores, as the wall time does.
Prints every run and the medians, and the bundle's size.
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


def _cpu_s(pid: int) -> float | None:
    """utime + stime of a running process, from /proc (None where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(exe: Path) -> tuple[float, float | None]:
    """(wall seconds, CPU seconds) from launch to the screenshot on disk."""
    with tempfile.TemporaryDirectory(prefix="perps-start-") as tmp:
        shot = Path(tmp) / "out.png"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PERPS_", "XDG_"))}
        env.update(HOME=tmp, QT_QPA_PLATFORM="offscreen")
        t0 = time.time()
        proc = subprocess.Popen([str(exe), "--screenshot", str(shot), "--exit-after", "0"], cwd=tmp, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cpu = None
        while proc.poll() is None and not shot.exists():
            cpu = _cpu_s(proc.pid)
            time.sleep(0.002)
        _, err = proc.communicate(timeout=120)
        if proc.returncode != 0 or not shot.exists():
            raise RuntimeError(f"exit {proc.returncode}: {err.strip().splitlines()[-1:]}")
        return shot.stat().st_mtime - t0, cpu


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
    runs = [one_run(args.exe) for _ in range(args.runs)]
    for i, (wall, cpu) in enumerate(runs, 1):
        print(f"run {i}: {wall:.2f} s" + (f" (cpu {cpu:.2f} s)" if cpu is not None else ""))
    print(f"window start (launch -> first screenshot), median of {args.runs}: "
          f"{statistics.median(w for w, _ in runs):.2f} s")
    cpus = [c for _, c in runs if c is not None]
    if cpus:
        print(f"CPU time used by then, median: {statistics.median(cpus):.2f} s (load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if args.exe.parent.name == "perps-desktop" and (args.exe.parent / "_internal").is_dir():
        print(f"bundle: {bundle_size(args.exe.parent) / 2**20:.0f} MiB in {args.exe.parent}")
    else:
        print(f"file: {args.exe.stat().st_size / 2**20:.0f} MiB ({args.exe})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
