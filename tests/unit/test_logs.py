from __future__ import annotations

import logging

from perps_desktop.logs import redact, setup_logging

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


def test_redact_replaces_key_shaped_text():
    assert KEY not in redact(f"key={KEY} end")
    assert KEY[2:] not in redact(f"bare {KEY[2:]}")
    assert redact("address 0x14791697260E4c9A71f18484C9f997B308e59325") .endswith("59325")


def test_key_in_a_record_is_redacted_in_file_and_stderr(tmp_path, capsys):
    log_file = setup_logging("INFO", tmp_path / "logs" / "app.log")
    log = logging.getLogger("perps_desktop.test")
    log.info("signing with %s", KEY)
    try:
        raise ValueError(f"bad key {KEY}")
    except ValueError:
        log.exception("failed")
    for h in logging.getLogger().handlers:
        h.flush()
    text = log_file.read_text()
    err = capsys.readouterr().err
    assert "signing with" in text and "signing with" in err
    assert KEY[2:] not in text and KEY[2:] not in err
    assert "<redacted>" in text
