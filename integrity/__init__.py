"""integrity: guards the data that feeds customer-facing AI agents.

Great-Expectations-format suites run on a fused polars engine::

    import integrity

    result = integrity.validate("feedback.csv", "expectations/customer_feedback.json")
    print(result.success, result.statistics)

Names are imported on first use, so ``import integrity`` (and ``integrity --help``) stays fast and
does not import polars.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrity.api import explain, validate
    from integrity.checks.base import Registry
    from integrity.errors import DataError, IntegrityError, SuiteError
    from integrity.suites import Suite, load_suite
    from integrity.types import (
        ExpectationConfig,
        ExpectationResult,
        Outcome,
        ResultFormat,
        ValidationResult,
    )

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "ExpectationConfig",
    "ExpectationResult",
    "IntegrityError",
    "Outcome",
    "Registry",
    "ResultFormat",
    "Suite",
    "SuiteError",
    "ValidationResult",
    "__version__",
    "explain",
    "load_suite",
    "validate",
]

_HOMES = {
    "validate": "integrity.api",
    "explain": "integrity.api",
    "load_suite": "integrity.suites",
    "Suite": "integrity.suites",
    "Registry": "integrity.checks.base",
    "ValidationResult": "integrity.types",
    "ExpectationResult": "integrity.types",
    "ExpectationConfig": "integrity.types",
    "ResultFormat": "integrity.types",
    "Outcome": "integrity.types",
    "IntegrityError": "integrity.errors",
    "SuiteError": "integrity.errors",
    "DataError": "integrity.errors",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'integrity' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
