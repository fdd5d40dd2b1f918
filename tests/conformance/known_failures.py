"""Applicable GX test cases the engine does not pass yet, each with its reason.

docs/conformance.md lists the same cases; `python scripts/conformance_report.py` regenerates it.
"""

KNOWN_FAILURES: dict[str, str] = {}
