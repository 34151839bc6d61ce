"""The settings' sections: flat names in, nested attributes out, validated once, in `Settings`.

The component configs are built from their section without checking the values again, so these
tests also hold each config's own defaults to the settings' defaults: a config built in code with
its defaults is one a user could have asked for.
"""

from __future__ import annotations

import pytest

from perps_desktop.cli import main
from perps_desktop.config import FIELDS, Settings, load_settings
from perps_desktop.config_sections import SECTIONS, ExchangeSettings
from perps_desktop.core.alerts import AlertConfig
from perps_desktop.core.breaker import BreakerConfig
from perps_desktop.core.engine_config import EngineConfig
from perps_desktop.core.health import HealthConfig
from perps_desktop.core.monitor import MonitorConfig
from perps_desktop.core.recovery_rules import RecoveryConfig
from perps_desktop.core.risk_rules import RiskConfig
from perps_desktop.core.strategy import StrategyConfig
from perps_desktop.errors import ConfigError
from perps_desktop.exchange.client_config import ClientConfig
from perps_desktop.store.store_config import TraceStoreConfig


def test_a_flat_environment_variable_lands_in_its_section(monkeypatch):
    monkeypatch.setenv("API_READ_TIMEOUT_MS", "400")
    monkeypatch.setenv("trace_batch_size", "7")                     # any case, as before
    s = load_settings()
    assert s.exchange.api_read_timeout_ms == 400 and s.store.trace_batch_size == 7
    assert s.exchange == ExchangeSettings(api_read_timeout_ms=400)  # the rest of the section: defaults


def test_a_flat_dotenv_key_lands_in_its_section_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("CB_WINDOW_MS=1234\nSTRATEGY_LOOKBACK=9\n")
    monkeypatch.setenv("STRATEGY_LOOKBACK", "3")
    s = load_settings()
    assert s.breakers.cb_window_ms == 1234 and s.engine.strategy_lookback == 3


def test_keyword_arguments_are_flat_and_beat_the_environment(monkeypatch):
    monkeypatch.setenv("ORDER_BATCH_MAX", "10")
    s = Settings(order_batch_max=20, TRACE_CACHE_SIZE=3)
    assert s.exchange.order_batch_max == 20 and s.store.trace_cache_size == 3


def test_a_bad_value_in_a_section_names_the_flat_variable(monkeypatch):
    monkeypatch.setenv("WS_HEARTBEAT_S", "0")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == "WS_HEARTBEAT_S='0' is not allowed: a number >= 0.1 and <= 3600.0"
    with pytest.raises(ConfigError, match=r"^MAX_LEVERAGE=1000 is not allowed: a number >= 1.0 and <= 100.0$"):
        load_settings(max_leverage=1000)


def test_a_bad_section_value_from_dotenv_stops_the_cli_with_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / ".env").write_text("RECOVERY_INTERVAL_MS=5\n")
    assert main(["headless", "--duration", "0"]) == 2
    assert capsys.readouterr().err.strip() == (
        "perps-desktop: RECOVERY_INTERVAL_MS='5' is not allowed: an integer >= 100 and <= 3600000")


def test_every_field_belongs_to_one_place_and_the_sections_are_frozen():
    section_fields = [f for model in SECTIONS.values() for f in model.model_fields]
    assert len(section_fields) == len(set(section_fields))
    assert not set(section_fields) & set(Settings.model_fields)
    assert len(FIELDS) == len(section_fields) + len(Settings.model_fields) - len(SECTIONS)
    s = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        s.store.trace_batch_size = 1                                 # type: ignore[misc]


def test_replace_validates_and_keeps_the_rest():
    s = load_settings(symbols="BTC")
    t = s.replace(trace_batch_size=9, mode="watch")
    assert (t.store.trace_batch_size, t.mode, t.engine.symbol_list) == (9, "watch", ("BTC",))
    assert s.store.trace_batch_size == 100                           # the original is unchanged
    with pytest.raises(ValueError):
        s.replace(trace_batch_size=0)
    with pytest.raises(TypeError, match="no such setting"):
        s.replace(trace_batch_sise=9)


def test_the_private_key_stays_secret_in_the_flat_view_too(monkeypatch):
    key = "0x" + "cd" * 32
    monkeypatch.setenv("HL_PRIVATE_KEY", key)
    s = load_settings()
    assert key not in repr(s.flat()) and key not in repr(s.replace(mode="paper"))


@pytest.mark.parametrize("config", [AlertConfig, BreakerConfig, EngineConfig, HealthConfig, MonitorConfig,
                                    RecoveryConfig, RiskConfig, StrategyConfig])
def test_a_configs_defaults_are_the_default_settings(config):
    assert config() == config.from_settings(load_settings())


def test_the_client_and_store_configs_defaults_are_the_default_settings(tmp_path):
    assert ClientConfig() == ClientConfig.from_settings(load_settings())
    path = tmp_path / "t.sqlite3"
    assert TraceStoreConfig(path=path) == TraceStoreConfig.from_settings(load_settings(db_path=str(path)))


def test_a_flag_for_a_section_setting_beats_the_environment_and_is_held_to_its_bounds(monkeypatch, capsys):
    from perps_desktop.cli import _settings_from, build_parser

    monkeypatch.setenv("SYMBOLS", "ETH")
    args = build_parser().parse_args(["headless", "--symbols", "btc,sol"])
    assert _settings_from(args).engine.symbol_list == ("BTC", "SOL")
    assert main(["headless", "--symbols", " , ", "--duration", "0"]) == 2
    assert capsys.readouterr().err.strip().startswith("perps-desktop: SYMBOLS=' , ' is not allowed: a comma-separated")
