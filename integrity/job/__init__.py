"""The integrity job (layer 4): run a dataset, backfill a range, recover, and the stewards' decisions.

The only layer that wires connectors, the engine, the gate and the store together.
"""

from __future__ import annotations

from integrity.job.project import Project
from integrity.job.run import BatchOutcome, RunSummary, run
from integrity.job.safety import FAILPOINT_ENV
from integrity.job.steward import fail_batch, reject, release

__all__ = ["FAILPOINT_ENV", "BatchOutcome", "Project", "RunSummary", "fail_batch", "reject",
           "release", "run"]
