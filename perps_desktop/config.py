"""Settings: every variable of the report, validated once at start, from the environment and `.env`.

A bad value stops start-up with one line naming the variable, the value given and what is allowed
(`ConfigError`); the CLI turns that into exit code 2. Nothing else in the package reads os.environ.
The names stay flat outside (`API_READ_TIMEOUT_MS` in the environment, `.env`, keyword arguments); inside,
each component's settings are a section (`settings.exchange.api_read_timeout_ms`, `config_sections.py`)
that its config is built from, trusted: the bounds are checked here and nowhere else.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from perps_desktop.config_sections import (
    SECTIONS,
    SYMBOLS_SHAPE,
    BreakerSettings,
    EngineSettings,
    ExchangeSettings,
    HealthSettings,
    RecoverySettings,
    RiskSettings,
    SimSettings,
    StoreSettings,
    blank_is_unset,
    env,
)
from perps_desktop.errors import ConfigError

__all__ = ["APP_NAME", "FIELDS", "Settings", "data_dir", "display_available", "load_settings", "log_dir", "refused"]

APP_NAME = "perps-desktop"

Mode = Literal["paper", "watch", "live"]
Network = Literal["mainnet", "testnet"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _outside_settings(name: str) -> str | None:
    """A setting read where no Settings is at hand: the environment, else `.env` (as Settings reads it)."""
    value = os.environ.get(name)
    if value is None and Path(".env").is_file():
        value = dotenv_values(".env", encoding="utf-8").get(name)
    return value or None


def data_dir() -> Path:
    """Where the trace database and benchmark history live (PERPS_DATA_DIR overrides)."""
    override = _outside_settings("PERPS_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def attach_token() -> str | None:
    """PERPS_ATTACH_TOKEN: the API token `gui --attach` sends when no --token-file is given. Never a
    flag (a flag is in the process list); never a Setting (it is not the core's, and never shown)."""
    return os.environ.get("PERPS_ATTACH_TOKEN", "").strip() or None


def display_available() -> bool:
    """Whether Qt can open a window: a display server, or a Qt platform chosen explicitly."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def log_dir() -> Path:
    """Where the rotating log file lives (PERPS_LOG_DIR overrides)."""
    override = _outside_settings("PERPS_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


# what the text settings accept, in the words of the error line and the README's table
_SHAPES = {
    "base_url": "an http:// or https:// URL, e.g. http://127.0.0.1:8787 (empty: the embedded simulator in "
                "paper mode, the venue otherwise)",
    "address": "a 0x-prefixed 40-hex-digit address",
    "db_path": "a file path or a postgresql:// URL (empty: traces.sqlite3 in the data directory)",
    "hl_private_key": "a 0x-prefixed 64-hex-digit private key (or none: the OS keyring)",
    "data_dir": "a directory path this user can create and write (empty: the user data directory)",
    "log_dir": "a directory path this user can create and write (empty: the user log directory)",
    "bot": "a name of 1 to 100 characters, no blanks at either end (empty: the host and shortened account)",
    "symbols": SYMBOLS_SHAPE,
}
_HEX_KEY = re.compile(r"0x[0-9a-fA-F]{64}")

# a section's field -> its section's attribute on Settings (field names are unique across sections)
_SECTION_OF = {field: section for section, model in SECTIONS.items() for field in model.model_fields}


class _FlatNames(PydanticBaseSettingsSource):
    """The sections' variables under their flat names (`API_READ_TIMEOUT_MS`), from the variables
    an environment or `.env` source has read; `Settings._nest` puts them into their sections."""

    def __init__(self, settings_cls: type[BaseSettings], source: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._vars: Mapping[str, str | None] = source.env_vars if isinstance(source, EnvSettingsSource) else {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False                  # unused: __call__ answers for every field at once

    def __call__(self) -> dict[str, Any]:
        return {name: value for name in _SECTION_OF if (value := self._vars.get(name)) is not None}


class Settings(BaseSettings):
    """All settings: the app's own at the top, each component's in its section (`config_sections`).

    The environment variables and `.env` keys are flat (`TRACE_BATCH_SIZE`), and so are keyword
    arguments (`Settings(trace_batch_size=5)`); the attributes are nested
    (`settings.store.trace_batch_size`). Everything is validated here, once.
    """

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True,
        populate_by_name=True, case_sensitive=False,
    )

    # --- app -------------------------------------------------------------------------------
    mode: Mode = Field("paper", validation_alias=env("PERPS_MODE"))
    network: Network = Field("testnet", validation_alias=env("PERPS_NETWORK"))
    base_url: str | None = Field(None, validation_alias=env("PERPS_BASE_URL"))
    address: str | None = Field(None, validation_alias=env("PERPS_ADDRESS"))
    db_path: str | None = Field(None, validation_alias=env("PERPS_DB_PATH"))   # a file, or postgresql://…
    bot: str | None = Field(None, validation_alias=env("PERPS_BOT"), max_length=100)  # names this core's traces
    log_level: LogLevel = Field("INFO", validation_alias=env("PERPS_LOG_LEVEL"))
    # read by data_dir() / log_dir() straight from the environment (they serve code without Settings);
    # here so a blank or padded value is refused at start like any other setting
    data_dir: str | None = Field(None, validation_alias=env("PERPS_DATA_DIR"))
    log_dir: str | None = Field(None, validation_alias=env("PERPS_LOG_DIR"))
    hl_private_key: SecretStr | None = Field(None, validation_alias=env("HL_PRIVATE_KEY"), repr=False)

    # --- the components' sections ----------------------------------------------------------
    sim: SimSettings = Field(default_factory=SimSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    recovery: RecoverySettings = Field(default_factory=RecoverySettings)
    breakers: BreakerSettings = Field(default_factory=BreakerSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    risk: RiskSettings = Field(default_factory=RiskSettings)
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)

    _unset_if_empty = field_validator("base_url", "address", "db_path", "bot", "data_dir", "log_dir",
                                      "hl_private_key", mode="before")(blank_is_unset)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual order (arguments, environment, `.env`), each also read for the sections' flat names."""
        return (init_settings, env_settings, _FlatNames(settings_cls, env_settings), dotenv_settings,
                _FlatNames(settings_cls, dotenv_settings), file_secret_settings)

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        """Move each flat name (`trace_batch_size`, `TRACE_BATCH_SIZE`) into its section."""
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            section = _SECTION_OF.get(key.lower()) if isinstance(key, str) else None
            if section is None:
                out[key] = value
            else:
                nested.setdefault(section, {})[key.lower()] = value
        for section, values in nested.items():
            given = out.get(section)
            base = given.model_dump() if isinstance(given, BaseModel) else dict(given or {})
            out[section] = {**base, **values}
        return out

    @field_validator("address")
    @classmethod
    def _address_shape(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not (v.startswith("0x") and len(v) == 42 and all(c in "0123456789abcdefABCDEF" for c in v[2:])):
            raise ValueError(_SHAPES["address"])
        return v.lower()

    @field_validator("base_url")
    @classmethod
    def _base_url_shape(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            parts = urlsplit(v)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and v == v.strip()
            _ = parts.port                          # a port that is not a number 0-65535 raises
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(_SHAPES["base_url"])
        return v

    @field_validator("db_path", "bot", "data_dir", "log_dir")
    @classmethod
    def _no_blank_ends(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and (not v.strip() or v != v.strip()):
            raise ValueError(_SHAPES[str(info.field_name)])
        return v

    @field_validator("hl_private_key")
    @classmethod
    def _key_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _HEX_KEY.fullmatch(v.get_secret_value()):
            raise ValueError(_SHAPES["hl_private_key"])
        return v

    def trace_db_path(self) -> Path:
        return Path(self.db_path) if self.db_path and not self.trace_db_url() else data_dir() / "traces.sqlite3"

    def trace_db_url(self) -> str | None:
        """PERPS_DB_PATH / --db when it names a PostgreSQL database (postgresql://…), else None."""
        db = (self.db_path or "").strip()
        return db if db.startswith(("postgresql://", "postgres://")) else None

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat field name (the environment variable in lower case, or the
        app's own attribute name), as `Settings(**flat)` takes them."""
        values = {f: getattr(self, f) for f in FIELDS if f not in _SECTION_OF}
        for f, section in _SECTION_OF.items():
            values[f] = getattr(getattr(self, section), f)
        return values

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed by flat name, validated like the original (not re-read
        from the environment): the benchmarks' "before" sides and load tests use it."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise TypeError(f"no such setting: {', '.join(sorted(unknown))}")
        return type(self).model_validate({**self.flat(), **changes})


# every setting: flat field name -> its pydantic field (the app's own, then each section's)
FIELDS: dict[str, FieldInfo] = {
    **{f: info for f, info in Settings.model_fields.items() if f not in SECTIONS},
    **{f: info for model in SECTIONS.values() for f, info in model.model_fields.items()},
}


def _env_name(field: str) -> str:
    alias = FIELDS[field].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field.upper()


def _num(v: float) -> str:
    """A bound as a reader writes it: 3600000, 0.1, 1e+12 (not 1000000000000.0)."""
    return format(v, "g") if isinstance(v, float) and abs(v) >= 1e6 else str(v)


def _allowed(field: str) -> str:
    """Say in words what a field accepts, from its annotation and constraints (the README's column)."""
    if field in _SHAPES:
        return _SHAPES[field]
    info = FIELDS[field]
    ann = info.annotation
    args = getattr(ann, "__args__", ())
    literal = [a for a in args if isinstance(a, str)]
    if literal:
        return "one of " + ", ".join(literal)
    for inner in (ann, *args):
        if getattr(inner, "__args__", None) and all(isinstance(a, str) for a in inner.__args__):
            return "one of " + ", ".join(inner.__args__)
    kind = {int: "an integer", float: "a number", bool: "true or false", str: "text"}
    base = next((kind[t] for t in (int, float, bool, str) if ann is t or t in args), "a valid value")
    bounds = []
    for m in info.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{word} {_num(getattr(m, attr))}")
    return base + (" " + " and ".join(bounds) if bounds else "")


def refused(field: str, value: object) -> ConfigError:
    """The error for a value of `field` that passed validation but proved unusable at start (a
    directory that cannot be created, say): the same line as a validation failure."""
    return ConfigError(_env_name(field), value, _allowed(field))


def load_settings(**overrides: Any) -> Settings:
    """Build the one Settings object, or raise ConfigError for the first bad value."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(part) for part in err["loc"]]
        if len(loc) > 1 and loc[0] in SECTIONS:
            loc = loc[1:]                           # a section's field: name it, not the section
        given = loc[0] if loc else "?"
        field = next((f for f in FIELDS if f == given or _env_name(f).lower() == given.lower()), given)
        value = err.get("input")
        if field == "hl_private_key":
            value = "<hidden>"                      # never echoed, not even a wrong one
        if field in FIELDS:
            raise ConfigError(_env_name(field), value, _allowed(field)) from None
        raise ConfigError(field, value, err.get("msg", "a valid value")) from None
