"""Comparing two validation results, floats to within rounding."""

from __future__ import annotations

import math
from typing import Any


def close(a: Any, b: Any) -> bool:
    """``a == b``, except that floats (and floats inside lists, tuples and dicts) may differ in
    the last bits (sums merged in another order), and NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return bool(a == b)
