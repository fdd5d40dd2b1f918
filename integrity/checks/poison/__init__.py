"""Poisoning indicators for data that feeds AI agents.

Row level: prompt injection (:mod:`.injection`), hidden characters (:mod:`.hidden`), mixed-script
confusables (:mod:`.confusables`), personal data (:mod:`.pii`) and links outside allowed domains
(:mod:`.urls`), all reading text normalised by :mod:`.normalize`. Batch level: coordinated
campaigns and dominating values (:mod:`.campaigns`), labels that disagree with their text or with
each other (:mod:`.labels`), and policy tables whose text contradicts their fields or whose
signature does not verify (:mod:`.policy`). Importing this package registers their expectation
types in the built-in registry.
"""

from __future__ import annotations

from integrity.checks.poison import (  # noqa: F401  (imported to register their expectations)
    campaigns,
    changes,
    confusables,
    hidden,
    injection,
    labels,
    novelty,
    pii,
    policy,
    triggers,
    urls,
)
