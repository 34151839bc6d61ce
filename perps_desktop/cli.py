"""`perps-desktop` and its subcommands.

Each subcommand lives with its layer (`ui.main`, `app.headless`, `sim.cli`, `bench.cli`,
`store.cli`) and exposes `run(args, settings) -> int`; this module only parses, validates the
settings once, sets up logging and dispatches. A bad setting is exit 2 with one line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from perps_desktop import __version__
from perps_desktop.config import Settings, load_settings, log_dir, refused
from perps_desktop.errors import ConfigError, StartRefused
from perps_desktop.logs import enable_crash_stacks, setup_logging

__all__ = ["build_parser", "main"]

_RUNNERS = {
    "gui": "perps_desktop.ui.main",
    "headless": "perps_desktop.app.headless",
    "simulate": "perps_desktop.sim.cli",
    "bench": "perps_desktop.bench.cli",
    "traces": "perps_desktop.store.cli",
    "token": "perps_desktop.app.tokens",
}
_NO_LOG_FILE = ("traces", "bench", "token")      # one-shot commands: their output is the record


def _add_core_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=["paper", "watch", "live"], help="paper (default): the embedded "
                   "simulator; watch: read-only view of --address; live: trade with HL_PRIVATE_KEY")
    p.add_argument("--base-url", help="any Hyperliquid-compatible endpoint (default: embedded simulator "
                   "in paper mode, the venue in watch/live)")
    p.add_argument("--address", help="0x… account to show (watch mode)")
    p.add_argument("--network", choices=["mainnet", "testnet"], help="which venue (default testnet)")
    p.add_argument("--db", dest="db_path", help="trace database: a file path (default: in the user data "
                   "directory) or postgresql://user@host:port/dbname")
    p.add_argument("--symbols", help="comma-separated coins the paper strategy trades (default BTC,ETH,SOL)")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def _window_size(text: str) -> tuple[int, int]:
    """`--size 1280x720` -> (1280, 720); anything else is refused with what is allowed."""
    w, sep, h = text.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit() and 320 <= int(w) <= 16384 and 240 <= int(h) <= 16384):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: WIDTHxHEIGHT in pixels, e.g. 1280x720 "
                                         "(at least 320x240)")
    return int(w), int(h)


def _plain(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _number(lo: float, hi: float, *, integer: bool = False, above: bool = False) -> Callable[[str], float]:
    """An argparse type for a bounded, finite number (no inf or nan), refused like a setting."""
    kind = "an integer" if integer else "a number"
    allowed = f"{kind} {'>' if above else '>='} {_plain(lo)} and <= {_plain(hi)}"

    def parse(text: str) -> float:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value < lo or (above and value == lo) or value > hi:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: {allowed}")
        return value
    return parse


_PORT = _number(0, 65535, integer=True)
_SECONDS = _number(0, 31_536_000)          # a year


class _Parser(argparse.ArgumentParser):
    """A bad flag is one line and exit 2, like a bad setting (argparse prints the usage as well)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (--help lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="perps-desktop", description="A trader's desktop console "
                                     "and trading core for a Hyperliquid perpetual-futures bot.")
    parser.add_argument("--version", action="version", version=f"perps-desktop {__version__}")
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="the window (default), in paper mode on the embedded simulator")
    _add_core_options(gui)
    gui.add_argument("--screenshot", metavar="FILE.png", help="render the window to a PNG and exit")
    gui.add_argument("--exit-after", type=_SECONDS, metavar="SECONDS", help="quit after this many seconds")
    gui.add_argument("--replay", metavar="DB", help="show a past session from its trace database, read-only "
                     "(no venue, no core): a time slider, play at 1x/10x/60x; a file or postgresql://…")
    gui.add_argument("--bot", metavar="NAME", help="with --replay: the core to show, when several share the database")
    gui.add_argument("--size", type=_window_size, metavar="WxH",
                     help="the window's first size, e.g. 1280x720 (the screenshot takes it)")
    gui.add_argument("--attach", action="append", metavar="URL", help="show a headless core served with "
                     "`headless --serve` (repeatable: a fleet), e.g. http://127.0.0.1:8788")
    gui.add_argument("--token-file", action="append", metavar="F", help="a file holding the API token alone "
                     "(one for all --attach, or one each); else PERPS_ATTACH_TOKEN")

    headless = sub.add_parser("headless", help="the core without a window; a status line every few seconds")
    _add_core_options(headless)
    headless.add_argument("--duration", type=_SECONDS, metavar="S", help="stop after S seconds")
    headless.add_argument("--metrics-port", type=_PORT, metavar="N", help="serve Prometheus metrics on 127.0.0.1:N")
    headless.add_argument("--status-interval", type=_number(0.2, 3600), default=5.0, metavar="S",
                          help="seconds between status lines")
    headless.add_argument("--yes", action="store_true",
                          help="live mode: confirm the network and address without asking (for services)")
    headless.add_argument("--serve", metavar="HOST:PORT", help="serve the core's API (/api/v1) for "
                          "`gui --attach`; HOST defaults to 127.0.0.1 (anything else: put TLS in front)")

    sim = sub.add_parser("simulate", help="the Hyperliquid-compatible exchange simulator alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=_PORT, default=8787)
    sim.add_argument("--seed", type=_number(0, 4_294_967_295, integer=True), default=None)

    bench = sub.add_parser("bench", help="the before/after benchmark table of the report, measured here")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions: under a minute")
    bench.add_argument("--only", action="append", metavar="NAME", help="run only this row (repeatable)")
    bench.add_argument("--json", metavar="FILE", help="write the results as JSON")
    bench.add_argument("--jsonl", action="store_true", help="stream one JSON line per row on stdout")
    bench.add_argument("--compare", metavar="FILE", help="flag rows >20%% slower than a saved --json run")
    bench.add_argument("--no-history", action="store_true", help="do not record this run in the history")
    bench.add_argument("--smoke", action="store_true", help="every row once with a tiny N: checks that the rows "
                       "run (the numbers mean nothing; not recorded)")

    token = sub.add_parser("token", help="API tokens for `headless --serve` (only their hashes are kept)")
    tsub = token.add_subparsers(dest="token_command", required=True)
    new = tsub.add_parser("new", help="make a token and print it once (the last line is the token alone)")
    new.add_argument("--scope", choices=["read", "trade"], required=True)
    new.add_argument("--name", required=True)
    tsub.add_parser("list", help="the tokens' names, scopes and dates")
    revoke = tsub.add_parser("revoke", help="a revoked token stops working within a second")
    revoke.add_argument("name")

    traces = sub.add_parser("traces", help="read a trace database from the shell")
    traces.add_argument("--db", dest="db_path")
    traces.add_argument("--symbol")
    traces.add_argument("--kind")
    traces.add_argument("--bot", help="only the traces this core wrote (a database several cores share)")
    traces.add_argument("--since", help="ISO time, epoch ms, or an age like 15m / 2h / 1d")
    traces.add_argument("--limit", type=_number(0, 100_000, integer=True), default=50)
    traces.add_argument("--chain", type=_number(1, 2**63 - 1, integer=True), metavar="ID",
                        help="the whole story trace ID belongs to (every trace of its chain), oldest first")
    traces.add_argument("--format", choices=["table", "csv", "json"], default="table")
    return parser


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {k: getattr(args, k, None) for k in ("mode", "network", "base_url", "address", "db_path",
                                                     "symbols", "log_level")}
    return load_settings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    launched = time.monotonic()          # `headless --duration` counts from here, the imports of its layer included
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    args.launched_at = launched
    try:
        settings = _settings_from(args)
    except ConfigError as exc:
        print(f"perps-desktop: {exc}", file=sys.stderr)
        return 2
    log_file = None if args.command in _NO_LOG_FILE else log_dir() / "perps-desktop.log"
    log_file = setup_logging(settings.log_level if args.command != "traces" else "WARNING", log_file)
    if log_file is None and settings.log_dir and args.command not in _NO_LOG_FILE:
        print(f"perps-desktop: {refused('log_dir', settings.log_dir)}", file=sys.stderr)
        return 2
    undo_crash_stacks = enable_crash_stacks(log_file) if args.command in ("gui", "headless", "simulate") else None
    try:
        return _dispatch(args, settings)
    finally:
        if undo_crash_stacks is not None:
            undo_crash_stacks()


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    try:
        module = importlib.import_module(_RUNNERS[args.command])
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("perps_desktop"):
            print(f"perps-desktop {args.command}: not built yet ({exc.name} is missing)", file=sys.stderr)
            return 2
        raise
    try:
        return int(module.run(args, settings) or 0)
    except StartRefused as exc:
        print(f"perps-desktop: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        logging.getLogger("perps_desktop").info("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
