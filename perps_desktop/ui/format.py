"""Formatters: one per kind of value, so tables and labels print numbers the same way.

Qt-free and pure; each takes what a model carries (Decimal, float, int or None) and returns
the text a trader reads. `None` prints as an en dash.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

__all__ = [
    "DASH", "fmt_age", "fmt_bytes", "fmt_count", "fmt_ms", "fmt_pct", "fmt_px", "fmt_size",
    "fmt_time", "fmt_usd", "short_address", "to_float",
]

DASH = "–"


def to_float(v: Any) -> float | None:
    """The float of a Decimal/int/float, None stays None."""
    if v is None:
        return None
    return float(v)


def fmt_px(v: Any) -> str:
    """A price with as many decimals as its size asks for: 65,012.50 / 3.2145 / 0.001234."""
    f = to_float(v)
    if f is None:
        return DASH
    a = abs(f)
    if a >= 1000:
        return f"{f:,.2f}"
    if a >= 1:
        return f"{f:,.4f}".rstrip("0").rstrip(".") if a < 100 else f"{f:,.3f}"
    if a == 0:
        return "0"
    return f"{f:.6f}".rstrip("0")


def fmt_size(v: Any) -> str:
    """A size without trailing zeros (sizes are exact Decimals at the wire)."""
    if v is None:
        return DASH
    text = format(v.normalize(), "f") if isinstance(v, Decimal) else f"{float(v):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def fmt_usd(v: Any, *, signed: bool = False, decimals: int = 2) -> str:
    """Dollars with thousands separators; `signed` adds + for gains (losses always show −)."""
    f = to_float(v)
    if f is None:
        return DASH
    sign = "−" if f < 0 else ("+" if signed and f > 0 else "")
    return f"{sign}${abs(f):,.{decimals}f}"


def fmt_pct(v: Any, *, signed: bool = False, decimals: int = 1) -> str:
    f = to_float(v)
    if f is None:
        return DASH
    sign = "−" if f < 0 else ("+" if signed and f > 0 else "")
    return f"{sign}{abs(f):.{decimals}f}%"


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
