"""Applicable cases the engine does not pass yet, each with its reason.

docs/conformance.md lists the same cases; `python scripts/conformance_report.py` regenerates it.
Each entry is a strict xfail: when a fix makes the case pass, the run fails until the entry goes.
"""

#: GX's own test definitions (../shared/conformance/gx/test_definitions).
KNOWN_FAILURES: dict[str, str] = {}

#: Cases under tests/conformance/cases/ (written from GX 1.x's source and its own tests).
FIDELITY_FAILURES: dict[str, str] = {}
