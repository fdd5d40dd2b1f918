"""Reading GX's own test definitions and judging our results the way GX judges its own.

The definitions live outside the tree (../shared/conformance/gx/test_definitions, or the folder named
by INTEGRITY_GX_DEFINITIONS); nothing here copies them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEFINITIONS = ROOT.parent / "shared" / "conformance" / "gx" / "test_definitions"
BACKEND = "pandas"  # GX's own filters: our polars engine stands where GX's pandas backend does


def definitions_dir() -> Path:
    return Path(os.environ.get("INTEGRITY_GX_DEFINITIONS", DEFAULT_DEFINITIONS))


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    expectation_type: str
    data: dict[str, list[Any]]
    schema: dict[str, str] | None
    test: dict[str, Any]


def applicable(test: dict[str, Any]) -> bool:
    only = test.get("only_for")
    if only is not None and BACKEND not in only:
        return False
    return BACKEND not in (test.get("suppress_test_for") or [])


def load_cases(folder: Path | None = None) -> list[Case]:
    folder = folder or definitions_dir()
    cases: list[Case] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*/*.json")):
        spec = json.loads(path.read_text())
        rel = f"{path.parent.name}/{path.name}"
        for d_index, dataset in enumerate(spec["datasets"]):
            if not applicable(dataset):
                continue
            schema = (dataset.get("schemas") or {}).get(BACKEND)
            for test in dataset["tests"]:
                if not applicable(test):
                    continue
                case_id = f"{rel}::{test['title']}"
                if case_id in seen:
                    case_id = f"{case_id}[{d_index}]"
                seen.add(case_id)
                cases.append(Case(case_id, rel, spec["expectation_type"], dataset["data"], schema, test))
    return cases


_INT = {"int", "int64", "int32", "Int64Dtype", "Int64", "int8", "int16"}
_FLOAT = {"float", "float64", "float32", "Float64Dtype", "Float64"}
_TIME = {"datetime64", "datetime64[ns]", "datetime", "timestamp"}


def frame(case: Case) -> pl.DataFrame:
    """Build the dataset as GX's pandas backend would type it."""
    columns: dict[str, pl.Series] = {}
    for name, values in case.data.items():
        wanted = (case.schema or {}).get(name)
        columns[name] = _series(name, values, wanted)
    return pl.DataFrame(columns)


def _series(name: str, values: list[Any], wanted: str | None) -> pl.Series:
    if wanted in _INT:
        return pl.Series(name, values, dtype=pl.Int64, strict=False)
    if wanted in _FLOAT:
        return pl.Series(name, values, dtype=pl.Float64, strict=False)
    if wanted == "bool":
        return pl.Series(name, values, dtype=pl.Boolean, strict=False)
    if wanted in ("str", "object", "string") and all(isinstance(v, str) or v is None for v in values):
        return pl.Series(name, values, dtype=pl.String)
    if wanted in _TIME:
        from dateutil import parser

        parsed = [None if v is None else parser.parse(v) if isinstance(v, str) else v for v in values]
        return pl.Series(name, parsed, dtype=pl.Datetime("ns"), strict=False)
    if wanted == "date":
        from dateutil import parser

        return pl.Series(name, [None if v is None else parser.parse(v).date() for v in values],
                         dtype=pl.Date)
    try:
        return pl.Series(name, values)
    except (TypeError, pl.exceptions.PolarsError):
        # Mixed Python types (GX's pandas 'object' columns) arrive in polars as text.
        return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


# ---- judging (mirrors check_json_test_result) -------------------------------------------------

_FLOATISH = re.compile(r".*\d\.\d+.*")


def _norm(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_norm(v) for v in value]
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(_norm(value), sort_keys=True, default=str)


def _same_list(expected: list[Any], actual: list[Any]) -> bool:
    exp = sorted((_norm(v) for v in expected), key=_sort_key)
    act = sorted((_norm(v) for v in actual), key=_sort_key)
    if exp == act:
        return True
    if len(exp) != len(act):
        return False
    return all(_loose_equal(e, a) for e, a in zip(exp, act, strict=True))


def _loose_equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.replace("T", " ") == actual.replace("T", " ")
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return bool(np.isclose(expected, actual))
    return bool(expected == actual)


def judge(case: Case, result: dict[str, Any] | None, error: BaseException | None) -> list[str]:
    """Return the list of mismatches (empty when the case passes)."""
    test = case.test
    out = test.get("out") or {}
    problems: list[str] = []
    expected_error = test.get("error") or ("traceback_substring" in out and out)
    if expected_error:
        substring = expected_error.get("traceback_substring")
        text = ""
        if error is not None:
            text = error_text(error)
        elif result is not None and result.get("exception_info", {}).get("raised_exception"):
            text = result["exception_info"]["exception_message"] or ""
            text += "\n" + (result["exception_info"].get("exception_traceback") or "")
        else:
            return [f"expected an error containing {substring!r}, got success={result and result['success']}"]
        if substring and substring not in text:
            problems.append(f"error text {text.splitlines()[0][:200]!r} lacks {substring!r}")
        return problems
    if error is not None:
        return [f"raised {type(error).__name__}: {error}"]
    assert result is not None
    if result.get("exception_info", {}).get("raised_exception"):
        return [f"raised: {result['exception_info']['exception_message']}"]
    body = result["result"]
    expected_result = out.get("result")
    if test.get("exact_match_out") and isinstance(expected_result, dict) \
            and isinstance(expected_result.get("observed_value"), float):
        # GX's runner compares only success and a float observed value here (np.allclose).
        out = {k: v for k, v in out.items() if k != "result"}
        out["observed_value"] = expected_result["observed_value"]
    for key, value in out.items():
        if key == "success":
            if result["success"] != value:
                problems.append(f"success {result['success']} != {value}")
        elif key == "observed_value":
            problems += _observed(body.get("observed_value", "<missing>"), value, test.get("tolerance"))
        elif key == "observed_value_list":
            if not any(not _observed(body.get("observed_value"), v, test.get("tolerance")) for v in value):
                problems.append(f"observed_value {body.get('observed_value')!r} not in {value!r}")
        elif key in ("unexpected_list", "partial_unexpected_list"):
            if not _same_list(value, body.get(key, [])):
                problems.append(f"{key} {body.get(key)!r} != {value!r}")
        elif key == "unexpected_index_list":
            expected = [v["pk_index"] if isinstance(v, dict) and "pk_index" in v else v for v in value]
            if sorted(expected, key=_sort_key) != sorted(body.get(key, []), key=_sort_key):
                problems.append(f"{key} {body.get(key)!r} != {expected!r}")
        elif key in ("traceback_substring", "unexpected_count", "include_in_gallery"):
            continue
        elif key in ("value_counts", "expected_partition", "observed_partition"):
            # GX reads these under result.details.
            actual = (body.get("details") or {}).get(key, body.get(key))
            if key == "value_counts":
                missing = [v for v in value if not any(_deep_close(v, a) for a in actual or [])]
                if missing:
                    problems.append(f"value_counts lacks {missing!r} (got {actual!r})")
            elif not _deep_close(value, actual):
                problems.append(f"{key} {actual!r} != {value!r}")
        elif key in ("details", "result", "meta"):
            actual = body.get(key) if key != "result" else body
            if key == "result":
                for k, v in value.items():
                    if not _deep_close(v, body.get(k)):
                        problems.append(f"result.{k} {body.get(k)!r} != {v!r}")
            elif not _deep_close(value, actual if key != "meta" else result.get("meta")):
                problems.append(f"{key} {actual!r} != {value!r}")
        elif key.startswith("observed_cdf"):
            continue  # GX asserts these on internal arrays only available in its own renderer
        else:
            problems.append(f"unhandled out key {key!r}")
    return problems


def _observed(actual: Any, expected: Any, tolerance: float | None) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or actual.keys() != expected.keys():
            return [f"observed_value {actual!r} != {expected!r}"]
        return [p for k in expected for p in _observed(actual[k], expected[k], tolerance)]
    if tolerance is not None or _FLOATISH.match(repr(expected)):
        try:
            ok = bool(np.allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                                  rtol=tolerance if tolerance is not None else 1e-7, atol=5e-2))
        except (TypeError, ValueError):
            ok = False
        return [] if ok else [f"observed_value {actual!r} !~ {expected!r}"]
    if _norm(actual) == _norm(expected) or _deep_close(expected, actual):
        return []
    return [f"observed_value {actual!r} != {expected!r}"]


def _deep_close(expected: Any, actual: Any) -> bool:
    expected, actual = _norm(expected), _norm(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_deep_close(expected[k], actual[k]) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_deep_close(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, int | float) and isinstance(actual, int | float) and not isinstance(expected, bool):
        return bool(np.isclose(expected, actual, rtol=1e-7, atol=5e-2))
    return _loose_equal(expected, actual)


def error_text(error: BaseException) -> str:
    """The error as a traceback's last line would show it, once per exception class it is."""
    messages = [str(error)] + ([error.detail] if hasattr(error, "detail") else [])
    return "\n".join(f"{cls.__name__}: {message}" for cls in type(error).__mro__ for message in messages
                     if issubclass(cls, BaseException) and cls not in (BaseException, Exception, object))
