from __future__ import annotations

import subprocess
import sys

import pytest

from perps_desktop.cli import main
from perps_desktop.config import load_settings

REPORT_DEFAULTS = {
    "TRACE_BATCH_SIZE": 100, "TRACE_BATCH_FLUSH_MS": 5000, "TRACE_CACHE_SIZE": 500,
    "MAX_RECOVERY_ATTEMPTS": 3, "RECOVERY_CACHE_TTL_MS": 5000, "RECOVERY_ALERT_COOLDOWN_MS": 300000,
    "CB_BASE_BACKOFF_MS": 1000, "CB_MAX_BACKOFF_MS": 60000, "CB_MAX_RECOVERY_ATTEMPTS": 5,
    "CB_ALERT_COOLDOWN_MS": 300000, "RISK_CACHE_TTL_MS": 1000, "PORTFOLIO_RISK_CACHE_TTL_MS": 5000,
    "MAX_RISK_CACHE_ENTRIES": 1000,
    # named only in the report's prose
    "MIDS_CACHE_TTL_MS": 500, "ACCOUNT_CACHE_TTL_MS": 2000, "ORDERS_CACHE_TTL_MS": 1000,
    "POSITION_RISK_CACHE_TTL_MS": 2000, "RECOVERY_HISTORY_SIZE": 100, "ALERT_HISTORY_SIZE": 100,
    "HEALTH_HISTORY_SIZE": 500,
}


@pytest.mark.parametrize(("name", "default"), sorted(REPORT_DEFAULTS.items()))
def test_every_setting_defaults_to_the_report(name, default):
    assert load_settings().flat()[name.lower()] == default


def test_environment_overrides_a_default(monkeypatch):
    monkeypatch.setenv("TRACE_BATCH_SIZE", "7")
    assert load_settings().store.trace_batch_size == 7


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("RISK_CACHE_TTL_MS=250\n")
    assert load_settings().risk.risk_cache_ttl_ms == 250


BAD = [
    ("TRACE_BATCH_SIZE", "0", "an integer >= 1"),
    ("TRACE_BATCH_SIZE", "abc", "an integer >= 1"),
    ("RISK_CACHE_TTL_MS", "-5", "an integer >= 0"),
    ("CB_MAX_BACKOFF_MS", "1.5x", "an integer >= 1"),
    ("PERPS_MODE", "yolo", "one of paper, watch, live"),
    ("PERPS_NETWORK", "moon", "one of mainnet, testnet"),
    ("CB_FAILURE_RATE", "2", "a number > 0.0 and <= 1.0"),
    ("SYMBOLS", " , ", "a comma-separated list"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_bad_value_exits_2_with_one_line(monkeypatch, capsys, name, value, allowed):
    monkeypatch.setenv(name, value)
    assert main(["traces"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert name in err and repr(value) in err and allowed in err
    assert "Traceback" not in err


def test_bad_value_from_a_fresh_process_is_one_line_no_traceback(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TRACE_BATCH_SIZE": "0", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "perps_desktop", "headless"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "perps-desktop: TRACE_BATCH_SIZE='0' is not allowed: an integer >= 1 and <= 10000"


def test_bad_flag_value_is_refused_with_its_name(capsys):
    assert main(["headless", "--address", "0x123"]) == 2
    assert "PERPS_ADDRESS='0x123'" in capsys.readouterr().err


def test_private_key_is_not_in_the_settings_repr(monkeypatch):
    key = "0x" + "ab" * 32
    monkeypatch.setenv("HL_PRIVATE_KEY", key)
    s = load_settings()
    assert s.hl_private_key is not None and s.hl_private_key.get_secret_value() == key
    assert key not in repr(s) and key not in str(s)


def test_the_data_and_log_directories_are_read_from_dotenv_too(tmp_path, monkeypatch):
    from perps_desktop.config import data_dir, log_dir

    monkeypatch.delenv("PERPS_DATA_DIR")
    monkeypatch.delenv("PERPS_LOG_DIR")
    (tmp_path / ".env").write_text(f"PERPS_DATA_DIR={tmp_path / 'd'}\nPERPS_LOG_DIR={tmp_path / 'l'}\n")
    assert data_dir() == tmp_path / "d" and log_dir() == tmp_path / "l"
    assert load_settings().data_dir == str(tmp_path / "d")          # the same value Settings checked
