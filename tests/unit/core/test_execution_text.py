"""An order trace's reason shows the requested size as a person reads it, not as a float's 17 digits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perps_desktop.core.execution import _short


@pytest.mark.parametrize(("size", "text"), [
    ("0.007696688884441913", "0.00769669"), ("3.3324446814182886", "3.33244"), ("0.5", "0.5"), ("100", "100"),
    ("1234567.891", "1234570"), ("0.000001234567", "0.00000123457")])
def test_a_requested_size_reads_with_six_significant_digits(size, text):
    assert _short(Decimal(size)) == text
