"""The PyInstaller bundle behaves as the venv program: build it once, then run what ships.

Slow: the module builds `build.spec` (onedir) into a temporary dist/ once, then runs the built
executable offscreen: `--version`, `--help`, `-m`, `simulate`, the window (`--screenshot`) and
`headless`, with a fresh HOME so data and logs must land in the user's directories.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs
import pytest
from PySide6.QtGui import QImage

from perps_desktop import __version__

# one xdist worker runs the whole module, so the bundle is built once (make test: --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("package")]

ROOT = Path(__file__).resolve().parents[2]
NAME = "perps-desktop"
BUILD_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120
_STOPPED = re.compile(r"^stopped traces_recorded=(\d+) traces_flushed=(\d+)\s*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    folder: Path  # dist/perps-desktop
    exe: Path


def _bundle_in(folder: Path) -> Bundle:
    exe = folder / (f"{NAME}.exe" if sys.platform == "win32" else NAME)
    assert exe.is_file(), f"no executable at {exe}"
    return Bundle(folder=folder, exe=exe)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """Build the onedir package from build.spec into a temporary dist/ (once per module).

    PERPS_TEST_BUNDLE=dist/perps-desktop tests an existing build instead (a shortcut while
    iterating; CI always builds).
    """
    if os.environ.get("PERPS_TEST_BUNDLE"):
        return _bundle_in(Path(os.environ["PERPS_TEST_BUNDLE"]).absolute())
    out = tmp_path_factory.mktemp("package")
    env = {k: v for k, v in os.environ.items() if k != "PERPS_ONEFILE"}
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(out / "dist"),
           "--workpath", str(out / "build"), str(ROOT / "build.spec")]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                          check=False)
    log = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 0, "pyinstaller failed:\n" + "\n".join(log[-40:])
    return _bundle_in(out / "dist" / NAME)


def _user_env(home: Path) -> dict[str, str]:
    """The environment of a user who just unpacked the bundle: own HOME, no overrides, no display."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PERPS_", "XDG_", "HL_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(home), USERPROFILE=str(home), QT_QPA_PLATFORM="offscreen")
    return env


def _run(bundle: Bundle, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bundle.exe), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict[str, object]) -> dict[str, object]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def test_the_bundle_reports_its_version(bundle: Bundle, tmp_path: Path):
    proc = _run(bundle, "--version", cwd=tmp_path, env=_user_env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{NAME} {__version__}"


def test_the_bundle_lists_every_subcommand_in_its_help(bundle: Bundle, tmp_path: Path):
    proc = _run(bundle, "--help", cwd=tmp_path, env=_user_env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr
    for command in ("gui", "headless", "simulate", "bench", "traces"):
        assert command in proc.stdout


@pytest.mark.parametrize("module", ["perps_desktop", "perps_desktop.cli"])
def test_the_bundle_runs_a_package_module_like_python_dash_m(bundle: Bundle, tmp_path: Path, module: str):
    # what the benchmark runner does for its child rows: [sys.executable, "-m", "perps_desktop.…", ...]
    proc = _run(bundle, "-m", module, "--version", cwd=tmp_path, env=_user_env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{NAME} {__version__}"


def test_the_bundled_simulator_answers_its_control_endpoint(bundle: Bundle, tmp_path: Path):
    port = _free_port()
    proc = subprocess.Popen([str(bundle.exe), "simulate", "--port", str(port)], cwd=tmp_path,
                            env=_user_env(tmp_path / "home"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        stats: dict[str, object] | None = None
        while stats is None:
            if proc.poll() is not None:
                pytest.fail(f"simulate exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
            try:
                stats = _post(f"http://127.0.0.1:{port}/sim", {"type": "stats"})
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "the bundled simulator never answered"
                time.sleep(0.2)
        assert "total" in stats and "requests" in stats
        mids = _post(f"http://127.0.0.1:{port}/info", {"type": "allMids"})
        assert mids and all(float(px) > 0 for px in mids.values())
    finally:
        proc.send_signal(signal.SIGINT if sys.platform != "win32" else signal.CTRL_C_EVENT)
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert proc.returncode is not None


def test_the_bundled_window_renders_a_screenshot(bundle: Bundle, tmp_path: Path):
    shot = tmp_path / "out.png"
    proc = _run(bundle, "--screenshot", str(shot), "--exit-after", "3", cwd=tmp_path,
                env=_user_env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    image = QImage(str(shot))
    assert not image.isNull(), "the screenshot is not a readable PNG"
    assert image.width() >= 640 and image.height() >= 400, (image.width(), image.height())
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(rgb.constBits(), dtype=np.uint32, count=rgb.width() * rgb.height())
    colours, counts = np.unique(pixels, return_counts=True)
    assert len(colours) >= 64, f"only {len(colours)} colours: a blank window, not a rendered one"
    assert counts.max() / pixels.size < 0.95, "one colour covers almost the whole window"


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadlessRun:
    proc: subprocess.CompletedProcess[str]
    home: Path
    files_before: set[Path]
    files_after: set[Path]


@pytest.fixture(scope="module")
def headless_run(bundle: Bundle, tmp_path_factory: pytest.TempPathFactory) -> HeadlessRun:
    """One `headless --duration 5` as a user with a fresh HOME and no directory overrides."""
    base = tmp_path_factory.mktemp("headless")
    home, cwd = base / "home", base / "cwd"
    home.mkdir()
    cwd.mkdir()
    before = _files(bundle.folder)
    proc = _run(bundle, "headless", "--duration", "5", cwd=cwd, env=_user_env(home))
    return HeadlessRun(proc=proc, home=home, files_before=before, files_after=_files(bundle.folder))


def test_the_bundled_headless_core_flushes_every_trace_it_records(headless_run: HeadlessRun):
    proc = headless_run.proc
    assert proc.returncode == 0, proc.stderr[-4000:]
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    m = _STOPPED.match(last)
    assert m, f"last line is {last!r}, not 'stopped traces_recorded=N traces_flushed=N'"
    recorded, flushed = int(m.group(1)), int(m.group(2))
    assert recorded == flushed
    assert recorded > 0, "five seconds of paper trading recorded no trace"


def test_the_bundle_keeps_data_and_logs_in_the_user_directories(headless_run: HeadlessRun, monkeypatch):
    assert headless_run.proc.returncode == 0, headless_run.proc.stderr[-4000:]
    new = sorted(str(p) for p in headless_run.files_after - headless_run.files_before)
    assert not new, f"the program wrote next to its executable: {new}"
    # where platformdirs puts them for this user (the same call perps_desktop.config makes)
    for key in [k for k in os.environ if k.startswith(("XDG_", "PERPS_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(headless_run.home))
    monkeypatch.setenv("USERPROFILE", str(headless_run.home))
    log_file = Path(platformdirs.user_log_dir(NAME, appauthor=False)) / "perps-desktop.log"
    traces = Path(platformdirs.user_data_dir(NAME, appauthor=False)) / "traces.sqlite3"
    assert log_file.is_file() and log_file.stat().st_size > 0, f"no log at {log_file}"
    assert traces.is_file() and traces.stat().st_size > 0, f"no trace database at {traces}"
    assert headless_run.home in log_file.parents and headless_run.home in traces.parents
