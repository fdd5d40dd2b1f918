"""Run a corpus suite through real Great Expectations 1.x (pandas), to learn the verdict GX gives.

GX 1.x does not read 0.x suites as they are, so each expectation is handed to GX in its 1.x
spelling (``type``; the arguments 1.x dropped are left out, see :data:`DROPPED_IN_1X`). Each
expectation is built on its own, so one that GX refuses at configuration time is recorded as
refused while the others run. ``python -m tests.suites_corpus.gx_runner`` rewrites
``verdicts.json`` from GX (the corpus test reads that file; the integration test checks it still
matches a live GX run).
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
SUITES = HERE / "suites"
VERDICTS = HERE / "verdicts.json"

DROPPED_IN_1X = ("result_format", "include_config", "catch_exceptions", "parse_strings_as_datetimes",
                 "allow_cross_type_comparisons", "auto")
"""Arguments of 0.x suites that GX 1.x no longer takes."""

AGGREGATES_WITHOUT_MOSTLY_IN_1X = "mostly"


def load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    return data


def suite_files() -> list[Path]:
    return sorted(p for p in SUITES.iterdir() if p.suffix in (".json", ".yaml", ".yml"))


def batch_name(path: Path) -> str:
    """The batch a suite runs on: its file name up to the double underscore."""
    return path.name.split("__", 1)[0]


def as_1x(entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kwargs = {k: v for k, v in (entry.get("kwargs") or {}).items() if k not in DROPPED_IN_1X}
    return str(entry.get("type") or entry.get("expectation_type")), kwargs


def to_pandas(frame: Any) -> Any:
    """The frame as GX users' pandas had it when they wrote these suites (pandas before 3.0):
    text as ``object``, dates and times as ``datetime64[ns]``."""
    import polars as pl

    wider = frame.with_columns(pl.col(pl.Date, pl.Datetime).cast(pl.Datetime("ns")))
    data = wider.to_pandas()
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return data.astype(dict.fromkeys(text, object)) if text else data


def gx_verdicts(path: Path) -> list[dict[str, Any]]:
    """GX's verdict on each expectation: {"success": bool} or {"gx": "refused"|"error", "why": ...}."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    warnings.filterwarnings("ignore")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    from tests.suites_corpus.batches import BATCHES

    suite = load(path)
    frame = to_pandas(BATCHES[batch_name(path)]())
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("corpus").add_dataframe_asset(name=batch_name(path))
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": frame})
    out: list[dict[str, Any]] = []
    for entry in suite["expectations"]:
        type_, kwargs = as_1x(entry)
        try:
            expectation = ExpectationConfiguration(type=type_, kwargs=kwargs).to_domain_obj()
        except Exception as exc:  # GX refuses it when the suite is built
            out.append({"gx": "refused", "why": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"})
            continue
        try:
            result = batch.validate(expectation, result_format="BASIC").to_json_dict()
        except Exception as exc:
            out.append({"gx": "error", "why": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"})
            continue
        message = _raised(result.get("exception_info") or {})
        if message is not None:
            out.append({"gx": "error", "why": message.splitlines()[0][:160] if message else "raised"})
        else:
            out.append({"success": bool(result["success"])})
    return out


def _raised(info: dict[str, Any]) -> str | None:
    """The exception message GX recorded, or None; GX nests it under metric ids when a metric
    failed to compute."""
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "")
    return None


def main() -> None:
    verdicts = {p.name: gx_verdicts(p) for p in suite_files()}
    VERDICTS.write_text(json.dumps(verdicts, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {VERDICTS} ({len(verdicts)} suites)", file=sys.stderr)


if __name__ == "__main__":
    main()
