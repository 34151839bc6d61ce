"""Formatters: one per kind of value, so tables and labels print numbers the same way.

Qt-free and pure; each takes what a model carries (Decimal, float, int or None) and returns
the text a trader reads. `None` prints as an en dash.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

__all__ = [
    "DASH", "fmt_age", "fmt_bytes", "fmt_count", "fmt_datetime", "fmt_ms", "fmt_pct", "fmt_px", "fmt_size",
    "fmt_time", "fmt_usd", "short_address", "to_float",
]

DASH = "–"


def to_float(v: Any) -> float | None:
    """The float of a Decimal/int/float, None stays None."""
    if v is None:
        return None
    return float(v)


def _as_decimal(v: Any) -> Decimal:
    """A Decimal as given; a float by its shortest repr (1.03483 stays 1.03483, not 1.0348299...)."""
    return v if isinstance(v, Decimal) else Decimal(repr(float(v)))


def fmt_px(v: Any) -> str:
    """A price with the venue's own digits: 65,012.5 / 1.03483 / 0.001234.

    The venue sends prices with at most 5-6 significant figures, and that is what it shows; a
    value with more than `_EXACT_DIGITS` (a ratio we computed, a liquidation price, a float's
    17 digits) is cut to the venue's 5 significant figures, never dropping integer digits.
    """
    if v is None:
        return DASH
    d = _as_decimal(v)
    if not d.is_finite():
        return str(v)
    if d == 0:
        return "0"
    digits = d.normalize().as_tuple().digits
    if len(digits) > _EXACT_DIGITS:
        d = round(d, max(0, _VENUE_SIG_FIGS - 1 - d.adjusted()))   # integer digits are kept
    text = format(d.normalize(), ",f")
    return text[:-2] if text.endswith(".0") else text


_EXACT_DIGITS = 8
_VENUE_SIG_FIGS = 5


def fmt_size(v: Any) -> str:
    """A size without trailing zeros (sizes are exact Decimals at the wire)."""
    if v is None:
        return DASH
    text = format(v.normalize(), "f") if isinstance(v, Decimal) else f"{float(v):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _sign(f: float, signed: bool) -> str:
    """A true minus (−) for a loss; + for a gain only when `signed` asks for it."""
    return "−" if f < 0 else ("+" if signed and f > 0 else "")


def fmt_usd(v: Any, *, signed: bool = False, decimals: int = 2) -> str:
    """Dollars with thousands separators; `signed` adds + for gains (losses always show −)."""
    f = to_float(v)
    return DASH if f is None else f"{_sign(f, signed)}${abs(f):,.{decimals}f}"


def fmt_pct(v: Any, *, signed: bool = False, decimals: int = 1) -> str:
    f = to_float(v)
    return DASH if f is None else f"{_sign(f, signed)}{abs(f):.{decimals}f}%"


def fmt_ms(v: Any) -> str:
    f = to_float(v)
    if f is None:
        return DASH
    if f >= 1000:
        return f"{f / 1000:.2f} s"
    return f"{f:.1f} ms" if f >= 10 else f"{f:.2f} ms"


def fmt_count(v: Any) -> str:
    return DASH if v is None else f"{int(v):,}"


def fmt_time(ms: int | None, *, with_ms: bool = False) -> str:
    """Local wall-clock time of an epoch-ms stamp: 14:03:27 (or 14:03:27.123)."""
    if not ms:
        return DASH
    t = time.localtime(ms / 1000)
    text = time.strftime("%H:%M:%S", t)
    return f"{text}.{int(ms) % 1000:03d}" if with_ms else text


def fmt_datetime(ms: int | None, *, with_ms: bool = False) -> str:
    """Local date, time and zone of an epoch-ms stamp: 2026-12-05 14:03:27 CET (the CLI prints UTC,
    so a time without its zone would be ambiguous)."""
    if not ms:
        return DASH
    t = time.localtime(ms / 1000)
    clock = time.strftime("%Y-%m-%d %H:%M:%S", t) + (f".{int(ms) % 1000:03d}" if with_ms else "")
    return f"{clock} {time.strftime('%Z', t) or time.strftime('%z', t)}"


def fmt_age(seconds: float | None) -> str:
    """A short duration: 0.4s, 12s, 3m 04s, 2h 05m."""
    if seconds is None:
        return DASH
    s = max(0.0, float(seconds))
    if s < 10:
        return f"{s:.1f}s"
    if s < 60:
        return f"{int(s)}s"
    if s < 3600:
        return f"{int(s // 60)}m {int(s % 60):02d}s"
    return f"{int(s // 3600)}h {int(s % 3600 // 60):02d}m"


def fmt_bytes(n: int | float | None) -> str:
    if n is None:
        return DASH
    f = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(f) < 1024 or unit == "GB":
            return f"{f:.0f} {unit}" if unit == "B" else f"{f:.1f} {unit}"
        f /= 1024
    return f"{f:.1f} GB"  # pragma: no cover - loop always returns


def short_address(address: str | None) -> str:
    """0x1234…abcd: enough to recognise an account, not to copy it by mistake."""
    if not address:
        return "no address"
    return f"{address[:6]}…{address[-4:]}" if len(address) > 12 else address
