"""The expectation catalogue: definitions, the metrics each needs, and their evaluators.

Each module registers its expectations in :data:`integrity.checks.base.BUILTIN` when imported.
"""

from __future__ import annotations

from integrity.checks import (  # noqa: F401  (imported to register their expectations)
    aggregate,
    aggregate_sets,
    association,
    column_map,
    column_map_text,
    column_map_types,
    distribution,
    distribution_ks,
    multicolumn,
    pair,
    query,
    table,
)
from integrity.checks.base import BUILTIN, Registry
from integrity.checks.poison import campaigns, labels, policy  # noqa: F401  (batch level)


def builtin_registry() -> Registry:
    """The registry of every built-in expectation type."""
    return BUILTIN
