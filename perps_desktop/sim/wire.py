"""Wire-format helpers: Hyperliquid number strings, tick/lot rules, addresses and cloids."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_UP, Decimal, InvalidOperation

__all__ = [
    "ZERO",
    "WireError",
    "as_bool",
    "as_int",
    "fmt",
    "fmt_px",
    "norm_address",
    "norm_cloid",
    "parse_decimal",
    "price_error",
    "round_to_tick",
    "size_error",
    "tick_size",
]

ZERO = Decimal(0)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_CLOID = re.compile(r"^0x[0-9a-fA-F]{32}$")


class WireError(ValueError):
    """A field of a request has the wrong type or form; the message is for a person."""


def fmt(x: Decimal | int | float) -> str:
    """A wire number string: no exponent, no trailing zeros, integral values as "65000.0"."""
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    if d == 0:
        return "0.0"
    if d == d.to_integral_value():
        return f"{d.quantize(Decimal(1)):f}.0"
    return f"{d.normalize():f}"


def fmt_px(x: Decimal) -> str:
    """A price as the venue prints it (same rules as `fmt`)."""
    return fmt(x)


def parse_decimal(value: object, field: str, *, text_only: bool = False) -> Decimal:
    """A decimal from a JSON string; WireError otherwise. JSON numbers are tolerated unless
    `text_only` (the venue's order wire: a price or size sent as a JSON number does not deserialize)."""
    if text_only and not isinstance(value, str):
        kind = "a JSON number" if isinstance(value, int | float) and not isinstance(value, bool) else \
            type(value).__name__
        raise WireError(f"{field} must be a decimal string, got {kind} ({value!r})")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise WireError(f"{field} must be a decimal string, got {type(value).__name__}")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise WireError(f"{field} is not a number: {value!r}") from None
    if not d.is_finite():
        raise WireError(f"{field} is not a finite number: {value!r}")
    return d


def as_int(value: object, field: str) -> int:
    """A JSON integer (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise WireError(f"{field} must be an integer, got {type(value).__name__}")
    return value


def as_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise WireError(f"{field} must be true or false, got {type(value).__name__}")
    return value


def norm_address(value: object, field: str = "user") -> str:
    """A 42-char 0x address, lower-cased."""
    if not isinstance(value, str) or not _ADDRESS.match(value):
        raise WireError(f"{field} must be a 0x-prefixed 40-hex-digit address, got {value!r}")
    return value.lower()


def norm_cloid(value: object, field: str = "cloid") -> str:
    """A client order id: 0x + 32 hex digits, lower-cased."""
    if not isinstance(value, str) or not _CLOID.match(value):
        raise WireError(f"{field} must be 0x followed by 32 hex digits, got {value!r}")
    return value.lower()


def _decimals(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def price_error(px: Decimal, sz_decimals: int) -> str | None:
    """None if `px` obeys the perp tick rule (5 significant figures, 6 - szDecimals decimals)."""
    if px <= 0:
        return "Order has invalid price."
    fractional = px != px.to_integral_value()
    if fractional and (len(px.normalize().as_tuple().digits) > 5 or _decimals(px) > 6 - sz_decimals):
        return "Order has invalid price."
    return None


def size_error(sz: Decimal, sz_decimals: int) -> str | None:
    """None if `sz` is positive and on the asset's lot step."""
    if sz <= 0 or _decimals(sz) > sz_decimals:
        return "Order has invalid size."
    return None


def tick_size(px: Decimal, sz_decimals: int) -> Decimal:
    """The smallest valid price step near `px` (never above 1: integers are always valid)."""
    if px <= 0:
        return Decimal(1).scaleb(-(6 - sz_decimals))
    magnitude = px.adjusted()  # floor(log10(px))
    step = Decimal(1).scaleb(magnitude - 4)
    floor = Decimal(1).scaleb(-(6 - sz_decimals))
    return min(Decimal(1), max(step, floor))


def round_to_tick(px: Decimal, tick: Decimal, up: bool | None = None) -> Decimal:
    """Round to a multiple of `tick` (nearest, or up/down)."""
    q = px / tick
    n = q.to_integral_value() if up is None else q.to_integral_value(rounding=ROUND_UP if up else ROUND_DOWN)
    return (n * tick).normalize()
