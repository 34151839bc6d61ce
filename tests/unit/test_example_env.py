"""resources/example.env names every setting, with its default, so it stays a true example."""

from __future__ import annotations

import re
from pathlib import Path

from perps_desktop.config import FIELDS, Settings, _env_name, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "example.env"
_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def _entries() -> dict[str, tuple[bool, str]]:
    """NAME -> (commented out, value) for every `NAME=value` or `# NAME=value` line."""
    found: dict[str, tuple[bool, str]] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line.strip())
        if m:
            found[m.group(2)] = (m.group(1) is not None, m.group(3))
    return found


def test_every_setting_is_in_the_example_env():
    entries = _entries()
    missing = [_env_name(f) for f in FIELDS if _env_name(f) not in entries]
    assert not missing, f"add these to resources/example.env (with their default and a comment): {missing}"


def test_the_example_env_names_only_real_settings():
    names = {_env_name(f) for f in FIELDS} | {"PERPS_DATA_DIR", "PERPS_LOG_DIR"}
    unknown = sorted(set(_entries()) - names)
    assert not unknown, f"resources/example.env names variables Settings does not read: {unknown}"


def test_the_example_env_values_are_the_defaults(tmp_path, monkeypatch):
    active = {k: v for k, (commented, v) in _entries().items() if not commented}
    # the unset (commented-out) ones are exactly the settings whose default is None
    for field, info in FIELDS.items():
        assert (info.default is None) == (_env_name(field) not in active), _env_name(field)
    (tmp_path / ".env").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("PERPS_DATA_DIR", "PERPS_LOG_DIR"):       # the fixture's own, not the file's
        monkeypatch.delenv(name, raising=False)
    from_file = load_settings()
    defaults = Settings.model_validate({}).flat()           # validated without reading the environment
    for field, value in from_file.flat().items():
        assert value == defaults[field], _env_name(field)
