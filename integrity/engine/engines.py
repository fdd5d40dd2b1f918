"""Which polars engines can run on this machine.

Kept apart from :mod:`integrity.engine.polars_engine` so that the CLI's help can offer only these
without importing polars. The GPU engine needs the ``cudf-polars`` package (with CUDA); without
it polars fails every query, so it is offered only where that package is installed.
"""

from __future__ import annotations

import importlib.util

DEFAULT_ENGINE = "in-memory"


def available_engines() -> tuple[str, ...]:
    """The engine names ``--engine`` accepts here, the default first ("auto" lets polars choose)."""
    gpu = ("gpu",) if importlib.util.find_spec("cudf_polars") is not None else ()
    return (DEFAULT_ENGINE, "streaming", *gpu, "auto")
