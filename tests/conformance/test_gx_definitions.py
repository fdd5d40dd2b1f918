"""Every applicable test case of GX's own test definitions, run through integrity's engine."""

from __future__ import annotations

from typing import Any

import pytest

from integrity.engine.polars_engine import validate_frame
from integrity.errors import IntegrityError
from integrity.suites import parse_suite
from tests.conformance.gx_cases import Case, definitions_dir, frame, judge, load_cases
from tests.conformance.known_failures import KNOWN_FAILURES

FOLDER = definitions_dir()
CASES = load_cases(FOLDER) if FOLDER.is_dir() else []


def run_case(case: Case) -> tuple[dict[str, Any] | None, BaseException | None]:
    kwargs = dict(case.test.get("in") or case.test.get("kwargs") or {})
    result_format = kwargs.pop("result_format", "COMPLETE")
    kwargs.pop("catch_exceptions", None)
    try:
        suite = parse_suite({"name": "conformance",
                             "expectations": [{"type": case.expectation_type, "kwargs": kwargs}]})
        # GX's cases assert the class and message of the error it raises (ValueError, TypeError),
        # which our errors subclass: raise them rather than report them in exception_info.
        result = validate_frame(frame(case), suite, result_format=result_format,
                                catch_exceptions=False)
    except IntegrityError as exc:
        return None, exc
    return result.results[0].to_dict(), None


def _param(case: Case) -> Any:
    marks = []
    if case.id in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[case.id], strict=True))
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.skipif(not FOLDER.is_dir(), reason=f"GX test definitions not found at {FOLDER} "
                    "(set INTEGRITY_GX_DEFINITIONS)")
@pytest.mark.parametrize("case", [_param(c) for c in CASES] or [None])
def test_gx_case(case: Case) -> None:
    result, error = run_case(case)
    problems = judge(case, result, error)
    assert not problems, "; ".join(problems)
