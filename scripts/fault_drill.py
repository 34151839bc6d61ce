"""The outage drills of issue #15, against a separately started `perps-desktop simulate`.

    perps-desktop simulate --port 8787 &
    .venv/bin/python scripts/fault_drill.py --base-url http://127.0.0.1:8787

Two drills, each printing its figures (and `--json FILE` writes them all):

- **outage** (per kind, `error` and `timeout`): a headless core (`--metrics-port`) runs until it is
  connected with every breaker closed; then `POST /sim {"type":"fault","kind":K,"target":"all",
  "durationS":30}`. Its metrics are read every 0.5 s: how soon `perps_connected` goes 0 and the
  `exchange_info` breaker leaves CLOSED (both within 10 s to pass), whether
  `perps_data_age_seconds` grows all through the fault (never falls by more than a scrape's
  jitter), and, after the fault, how soon the core is back (connected, every breaker closed:
  within 40 s to pass). Then SIGINT: its output must hold no traceback, and the simulator's
  `historicalOrders` of the account no cloid twice (no order sent twice).
- **stop** (per kind, `timeout` and a 30 s `latency`, on every target): `--runs` runs of
  `headless --duration 10`, each timed from launch to its last line (within 15 s to pass), and
  the stop alone, from the status line the duration's end prints to the last line (within 5 s to
  pass), with the fault begun once the run's first status line is out (`running`: the stop meets
  it) and with it on before the run starts (`launch`: the core comes up on a dark venue, and each
  run's status must say `venue unreachable`).

Each drill's line ends with the machine's load average (1 min) at its start and end.

Exit 0 when every figure passes, 1 otherwise. Each headless run gets its own data directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any

_SAMPLE = re.compile(r'^(perps_[a-z_]+)(?:\{([^}]*)\})? ([-+0-9.eEinfNa]+)$')
_ADDRESS = re.compile(r"\bas (0x[0-9a-fA-F]{40})\b")


def _post(url: str, body: dict[str, Any], timeout: float = 10.0) -> Any:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metrics(port: int) -> dict[str, Any] | None:
    """{"connected": 0|1, "age": s, "breakers": {name: state}} from one scrape, or None if it failed."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2.0) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    out: dict[str, Any] = {"breakers": {}}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m is None:
            continue
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        if name == "perps_connected":
            out["connected"] = int(value)
        elif name == "perps_data_age_seconds":
            out["age"] = value
        elif name == "perps_breaker_state":
            b = re.search(r'breaker="([^"]+)"', labels)
            if b:
                out["breakers"][b.group(1)] = int(value)
    return out if "connected" in out else None


class Headless:
    """One `perps-desktop headless` process with its output collected (timestamped) in threads."""

    def __init__(self, base_url: str, *args: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="fault-drill-")
        env = {**os.environ, "PERPS_DATA_DIR": self.dir, "PERPS_LOG_DIR": self.dir, "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "perps_desktop", "headless", "--base-url", base_url,
               "--db", os.path.join(self.dir, "traces.sqlite3"), *args]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: list[tuple[float, str]] = []
        self.err: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, True), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, False), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream: Any, is_out: bool) -> None:
        for line in stream:
            if is_out:
                self.out.append((time.monotonic() - self.started, line.rstrip("\n")))
            else:
                self.err.append(line.rstrip("\n"))

    def address(self) -> str | None:
        for line in list(self.err):
            m = _ADDRESS.search(line)
            if m:
                return m.group(1).lower()
        return None

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self._threads:
            t.join(5)
        return self.proc.returncode

    def tracebacks(self) -> int:
        return sum("Traceback" in line for line in (*self.err, *(t for _, t in self.out)))


@dataclass(slots=True, kw_only=True)
class OutageFigures:
    kind: str
    dark_s: float | None = None                 # fault start -> perps_connected 0
    info_open_s: float | None = None            # fault start -> exchange_info not CLOSED
    age_at_10_s: float | None = None
    age_at_end_s: float | None = None
    age_drops: int = 0                          # scrapes during the fault whose data age fell by > 1 s
    back_s: float | None = None                 # fault end -> connected, every breaker closed
    tracebacks: int = 0
    orders: int = 0
    duplicate_cloids: int = 0
    exit_code: int | None = None
    load: tuple[float, float] = (0.0, 0.0)      # 1-min load average at the start and at the end
    passed: bool = False
    notes: list[str] = field(default_factory=list)


def outage(base: str, kind: str, fault_s: float, back_limit_s: float) -> OutageFigures:
    fig = OutageFigures(kind=kind)
    load0 = os.getloadavg()[0]
    port = _free_port()
    run = Headless(base, "--metrics-port", str(port), "--status-interval", "1")
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end:
            m = _metrics(port)
            if m and m["connected"] and m["breakers"] and not any(m["breakers"].values()):
                break
            if run.proc.poll() is not None:
                fig.notes.append(f"headless exited {run.proc.returncode} before the fault")
                return fig
            time.sleep(0.5)
        else:
            fig.notes.append("not connected with every breaker closed within 90 s")
            return fig
        time.sleep(5)                           # some trading before the lights go out
        t0 = time.monotonic()
        _post(base + "/sim", {"type": "fault", "kind": kind, "target": "all", "durationS": fault_s})
        last_age: float | None = None
        last: dict[str, Any] | None = None
        while time.monotonic() < t0 + fault_s + back_limit_s + 5:
            m = _metrics(port)
            now = time.monotonic() - t0
            if m is not None:
                if fig.dark_s is None and not m["connected"]:
                    fig.dark_s = round(now, 1)
                if fig.info_open_s is None and m["breakers"].get("exchange_info", 0) != 0:
                    fig.info_open_s = round(now, 1)
                age = m.get("age")
                if age is not None and now <= fault_s:
                    if fig.dark_s is not None and last_age is not None and age < last_age - 1.0:
                        fig.age_drops += 1
                    last_age = age
                    if now >= 10 and fig.age_at_10_s is None:
                        fig.age_at_10_s = round(age, 1)
                    fig.age_at_end_s = round(age, 1)
                if now > fault_s and m["connected"] and not any(m["breakers"].values()):
                    fig.back_s = round(now - fault_s, 1)
                    break
                last = m
            time.sleep(0.5)
        if fig.back_s is None and last is not None:
            fig.notes.append(f"not back: connected {last['connected']}, breakers "
                             + ", ".join(f"{k} {v}" for k, v in last["breakers"].items() if v))
        address = run.address()
        if address is not None:
            rows = _post(base + "/info", {"type": "historicalOrders", "user": address})
            cloids = [r["order"].get("cloid") for r in rows if r["order"].get("cloid")]
            fig.orders = len(rows)
            fig.duplicate_cloids = len(cloids) - len(set(cloids))
        else:
            fig.notes.append("account address not found in the log")
    finally:
        _post(base + "/sim", {"type": "fault", "kind": "none"})
        fig.exit_code = run.stop()
        fig.tracebacks = run.tracebacks()
        fig.load = (round(load0, 2), round(os.getloadavg()[0], 2))
    fig.passed = (fig.dark_s is not None and fig.dark_s <= 10 and fig.info_open_s is not None
                  and fig.info_open_s <= 10 and fig.age_drops == 0 and fig.age_at_end_s is not None
                  and fig.age_at_10_s is not None and fig.age_at_end_s > fig.age_at_10_s + fault_s / 2
                  and fig.back_s is not None and fig.back_s <= back_limit_s and fig.tracebacks == 0
                  and fig.duplicate_cloids == 0 and fig.exit_code == 0)
    return fig


@dataclass(slots=True, kw_only=True)
class StopFigures:
    kind: str
    when: str                                   # "launch": the fault is on before each run starts; "running": it
    seconds: list[float] = field(default_factory=list)     # begins once the run's first status line is out
    last_lines: list[str] = field(default_factory=list)
    median_s: float | None = None
    max_s: float | None = None
    within_15_s: int = 0
    stop_seconds: list[float] = field(default_factory=list)    # the duration's last status line -> the last line
    stop_median_s: float | None = None
    stop_max_s: float | None = None
    stop_within_5_s: int = 0
    said_unreachable: int = 0                   # runs whose status said "venue unreachable" (launch)
    tracebacks: int = 0
    load: tuple[float, float] = (0.0, 0.0)      # 1-min load average at the start and at the end
    passed: bool = False


def stops(base: str, kind: str, when: str, runs: int, limit_s: float) -> StopFigures:
    """`runs` runs of `headless --duration 10` under a fault on every target, each timed from launch to its
    last line (stdout's, or stderr's when it wrote nothing: a start refused)."""
    fig = StopFigures(kind=kind, when=when)
    load0 = os.getloadavg()[0]
    body: dict[str, Any] = {"type": "fault", "kind": kind, "target": "all", "durationS": 120}
    if kind == "latency":
        body["latencyMs"] = 30_000
    try:
        for _ in range(runs):
            if when == "launch":
                _post(base + "/sim", body)
            run = Headless(base, "--duration", "10", "--status-interval", "2")
            if when == "running":
                while not run.out and run.proc.poll() is None and time.monotonic() - run.started < 30:
                    time.sleep(0.05)
                _post(base + "/sim", body)
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.proc.wait(60)
            ended = time.monotonic() - run.started
            run.stop()
            _post(base + "/sim", {"type": "fault", "kind": "none"})
            last = run.out[-1] if run.out else (ended, run.err[-1] if run.err else "(no output)")
            fig.seconds.append(round(last[0] if run.out else ended, 2))
            fig.last_lines.append(last[1][:160])
            if len(run.out) >= 2 and last[1].startswith("stopped "):
                fig.stop_seconds.append(round(last[0] - run.out[-2][0], 2))
            fig.said_unreachable += any("venue unreachable" in t for _, t in run.out)
            fig.tracebacks += run.tracebacks()
    finally:
        _post(base + "/sim", {"type": "fault", "kind": "none"})
    fig.median_s = round(statistics.median(fig.seconds), 2)
    fig.max_s = max(fig.seconds)
    fig.within_15_s = sum(s <= limit_s for s in fig.seconds)
    if fig.stop_seconds:
        fig.stop_median_s = round(statistics.median(fig.stop_seconds), 2)
        fig.stop_max_s = max(fig.stop_seconds)
    fig.stop_within_5_s = sum(s <= 5.0 for s in fig.stop_seconds)
    fig.load = (round(load0, 2), round(os.getloadavg()[0], 2))
    fig.passed = (fig.within_15_s == runs and fig.stop_within_5_s == runs and fig.tracebacks == 0
                  and (when != "launch" or fig.said_unreachable == runs))
    return fig


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8787", help="a running `perps-desktop simulate`")
    p.add_argument("--drills", default="outage,stop", help="outage, stop or both (comma-separated)")
    p.add_argument("--kinds", default="error,timeout", help="outage drill: the fault kinds, one run each")
    p.add_argument("--stop-kinds", default="timeout,latency", help="stop drill: the fault kinds")
    p.add_argument("--fault-s", type=float, default=30.0)
    p.add_argument("--back-s", type=float, default=40.0, help="the outage drill's limit for coming back")
    p.add_argument("--runs", type=int, default=10, help="stop drill: runs per kind")
    p.add_argument("--stop-when", default="running,launch",
                   help="stop drill: the fault begins once the run is up (running), before it starts (launch)")
    p.add_argument("--json", help="write every figure to this file")
    args = p.parse_args(argv)
    base = args.base_url.rstrip("/")
    _post(base + "/sim", {"type": "stats"})            # fail early without a simulator
    drills = {d.strip() for d in args.drills.split(",")}
    results: dict[str, list[dict[str, Any]]] = {"outage": [], "stop": []}
    ok = True
    if "outage" in drills:
        for kind in args.kinds.split(","):
            f = outage(base, kind.strip(), args.fault_s, args.back_s)
            ok &= f.passed
            results["outage"].append(asdict(f))
            print(f"outage {f.kind:8} dark {f.dark_s} s, exchange_info open {f.info_open_s} s, data age "
                  f"{f.age_at_10_s} s at 10 s -> {f.age_at_end_s} s at the end ({f.age_drops} drops), back "
                  f"{f.back_s} s after; tracebacks {f.tracebacks}, orders {f.orders}, duplicate cloids "
                  f"{f.duplicate_cloids}, exit {f.exit_code}; load {f.load[0]} -> {f.load[1]}: "
                  f"{'PASS' if f.passed else 'FAIL'}"
                  + (f" ({'; '.join(f.notes)})" if f.notes else ""), flush=True)
    if "stop" in drills:
        for when in args.stop_when.split(","):
            for kind in args.stop_kinds.split(","):
                s = stops(base, kind.strip(), when.strip(), args.runs, 15.0)
                ok &= s.passed
                results["stop"].append(asdict(s))
                print(f"stop   {s.kind:8} from {s.when:8} {args.runs} runs of headless --duration 10: median "
                      f"{s.median_s} s, max {s.max_s} s, {s.within_15_s}/{args.runs} within 15 s; the stop "
                      f"alone median {s.stop_median_s} s, max {s.stop_max_s} s, {s.stop_within_5_s}/{args.runs} "
                      f"within 5 s; 'venue unreachable' said in {s.said_unreachable}; tracebacks {s.tracebacks}; "
                      f"load {s.load[0]} -> {s.load[1]}: {'PASS' if s.passed else 'FAIL'}; runs {s.seconds}",
                      flush=True)
                print("       last lines: " + " | ".join(sorted({re.sub(r'[0-9]+', 'N', t) for t in s.last_lines})),
                      flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
