"""The expectation catalogue: definitions, the metrics each needs, and their evaluators.

Each module registers its expectations in :data:`integrity.checks.base.BUILTIN` when imported.
"""

from __future__ import annotations

from integrity.checks import (  # noqa: F401  (imported to register their expectations)
    aggregate,
    aggregate_nulls,
    aggregate_sets,
    association,
    column_map,
    column_map_text,
    column_map_types,
    column_type,
    distribution,
    distribution_ks,
    multicolumn,
    multicolumn_equal,
    outliers,
    pair,
    poison,
    query,
    query_comparison,
    table,
)
from integrity.checks.base import BUILTIN, Registry
from integrity.checks.stats import freshness, history  # noqa: F401  (register their expectations)


def builtin_registry() -> Registry:
    """The registry of every built-in expectation type."""
    return BUILTIN
