"""Write-audit-publish: split a validated batch, publish the clean rows, hold the rest.

:func:`decide` turns a validation result into a :class:`GateDecision`; a :class:`Sink` (from
:func:`make_sink`) publishes atomically and exactly once; :class:`QuarantineFiles` keeps what is
held, privately, until a steward releases or rejects it. The pipeline wires them together and
records each step in the store.
"""

from integrity.gate.quarantine import QuarantineFiles
from integrity.gate.sinks import JsonlSink, ParquetSink, Sink, SqlSink, make_sink
from integrity.gate.split import REASONS_COLUMN, GateDecision, action_of, decide

__all__ = [
    "REASONS_COLUMN",
    "GateDecision",
    "JsonlSink",
    "ParquetSink",
    "QuarantineFiles",
    "Sink",
    "SqlSink",
    "action_of",
    "decide",
    "make_sink",
]
