"""`perps-desktop bench`: run the rows, print the table (or stream JSON lines), keep the history.

`--jsonl` streams one JSON object a line: `start` (the rows, their units and plain-words lines),
`sample` (each timed sample as it is taken: row, side, value in the row's unit), `row` (a finished
row, with its recorded history) and `done` (the summary). The window's Benchmarks dock reads it.

Exit codes: 0 every row ran; 1 a row failed to run or `--compare` found a row >20% slower;
2 bad arguments (unknown row, unreadable compare file). A row missing its target is shown as
MISS in the table and JSON but does not change the exit code.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from perps_desktop.bench.compare import compare_rows, load_saved, regression_alert
from perps_desktop.bench.history import HISTORY_FILE, BenchHistory
from perps_desktop.bench.registry import discover
from perps_desktop.bench.report import format_header, format_row, machine_info
from perps_desktop.bench.runner import RowResult, run_suite
from perps_desktop.config import data_dir
from perps_desktop.core.models import Alert
from perps_desktop.errors import StoreError

__all__ = ["HISTORY_POINTS", "run"]

HISTORY_POINTS = 30   # per row, in each --jsonl row line, for the window's history chart


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {"key": alert.key, "source": alert.source, "severity": alert.severity.name,
            "message": alert.message, "time_ms": alert.time_ms}


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(143)   # unwinds: a row's child process is killed by subprocess.run


def _open_history(record: bool) -> BenchHistory | None:
    path = data_dir() / HISTORY_FILE
    if not record and not path.exists():
        return None
    try:
        return BenchHistory(path)
    except StoreError as exc:
        print(f"bench: history unavailable: {exc}", file=sys.stderr)
        return None


def run(args: Any, settings: Any) -> int:
    only = getattr(args, "only", None)
    quick = bool(getattr(args, "quick", False))
    jsonl = bool(getattr(args, "jsonl", False))
    smoke = bool(getattr(args, "smoke", False))
    record = not (getattr(args, "no_history", False) or smoke)
    try:
        entries = discover(only)
        saved = load_saved(Path(args.compare)) if getattr(args, "compare", None) else None
    except ValueError as exc:
        print(f"perps-desktop bench: {exc}", file=sys.stderr)
        return 2
    if not entries:
        print("perps-desktop bench: no benchmark rows found in perps_desktop/bench/cases", file=sys.stderr)
        return 2
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    machine = machine_info()
    history = _open_history(record)
    alerts: list[Alert] = []
    extras: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    try:
        run_id = history.start_run(quick=quick, machine=machine) if (history and record) else None
        if jsonl:
            _emit({"event": "start", "rows": [e.name for e in entries], "quick": quick, "machine": machine,
                   "units": {e.name: e.case.unit for e in entries if e.case is not None},
                   "plain": {e.name: e.case.plain or e.case.title for e in entries if e.case is not None}})
        else:
            mode = " --smoke (numbers mean nothing)" if smoke else " --quick" if quick else ""
            print(f"perps-desktop bench{mode}: {len(entries)} row(s) on "
                  f"{machine['cpu']} ({machine['cores']} cores), {machine['python']}")
            print(format_header())

        def on_row(row: RowResult) -> None:
            extra: dict[str, Any] = {}
            if history is not None and not smoke:
                try:
                    alert = regression_alert(row, history.last(row.name, quick=quick, before_run=run_id))
                    if run_id is not None:
                        history.record(run_id, row)
                    bound = run_id + 1 if run_id is not None else None
                    extra["history"] = history.series(row.name, quick=quick, limit=HISTORY_POINTS, before_run=bound)
                except StoreError as exc:
                    print(f"bench: history: {exc}", file=sys.stderr)
                    alert = None
                if alert is not None:
                    alerts.append(alert)
                    extra["alert"] = _alert_json(alert)
            extras[row.name] = extra
            if jsonl:
                _emit({"event": "row", **row.to_json(), **extra})
            else:
                print(format_row(row), flush=True)

        def on_sample(name: str, side: str, value: float) -> None:
            _emit({"event": "sample", "name": name, "side": side, "value": value})

        rows = run_suite(entries, quick=quick, smoke=smoke, settings=settings, on_row=on_row,
                         on_sample=on_sample if jsonl else None)
    finally:
        if history is not None:
            history.close()
    elapsed = time.perf_counter() - t0
    compared = compare_rows(rows, saved) if saved is not None else {}
    regressed = sorted(n for n, c in compared.items() if c["regressed"])
    failed = [r.name for r in rows if r.error is not None]
    summary = {
        "elapsed_s": round(elapsed, 2),
        "passed": sum(1 for r in rows if r.passed), "missed": sum(1 for r in rows if r.passed is False and not r.error),
        "errors": failed, "alerts": [_alert_json(a) for a in alerts],
        "compare": {"file": args.compare, "regressed": regressed, "rows": compared} if saved is not None else None,
    }
    if getattr(args, "json", None):
        doc = {"machine": machine, "quick": quick,
               "rows": [{**r.to_json(), **({"compare": compared[r.name]} if r.name in compared else {}),
                         **({"alert": extras[r.name]["alert"]} if "alert" in extras.get(r.name, {}) else {})}
                        for r in rows],
               **summary}
        Path(args.json).write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    if jsonl:
        _emit({"event": "done", **summary})
    else:
        _print_summary(rows, summary, compared)
    return 1 if failed or regressed else 0


def _print_summary(rows: list[RowResult], summary: dict[str, Any], compared: dict[str, dict[str, Any]]) -> None:
    print(f"\n{len(rows)} row(s) in {summary['elapsed_s']:.1f}s: {summary['passed']} pass, "
          f"{summary['missed']} miss, {len(summary['errors'])} error")
    for alert in summary["alerts"]:
        print(f"ALERT {alert['severity']}: {alert['message']}")
    for name, c in compared.items():
        flag = "REGRESSION" if c["regressed"] else "ok"
        change = "?" if c["change_pct"] is None else f"{c['change_pct']:+.1f}%"
        print(f"compare {name}: after median {change} vs saved ({flag})")
