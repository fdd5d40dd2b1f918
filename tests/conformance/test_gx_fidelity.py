"""The conformance cases written from GX 1.x's source and its own tests, run through integrity."""

from __future__ import annotations

from typing import Any

import pytest

from integrity.engine.polars_engine import validate_frame
from integrity.errors import IntegrityError
from integrity.suites import parse_suite
from tests.conformance.fidelity import expectation_of, judge_case, load_fidelity_cases
from tests.conformance.gx_cases import Case, frame
from tests.conformance.known_failures import FIDELITY_FAILURES

CASES = load_fidelity_cases()


def run_fidelity_case(case: Case, *, low_memory: bool = False,
                      ) -> tuple[dict[str, Any] | None, BaseException | None]:
    """Our result for the case as a dict, or the error that refused it.

    ``low_memory`` runs the batch in chunks of two rows, so every metric's merge form is used."""
    kwargs, result_format = expectation_of(case)
    try:
        suite = parse_suite({"name": "fidelity",
                             "expectations": [{"type": case.expectation_type, "kwargs": kwargs}]})
        result = validate_frame(frame(case), suite, result_format=result_format,
                                low_memory=low_memory, chunk_rows=2 if low_memory else None)
    except IntegrityError as exc:
        return None, exc
    return result.results[0].to_dict(), None


def _param(case: Case) -> Any:
    reason = FIDELITY_FAILURES.get(case.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_case_files_hold_at_least_300_cases() -> None:
    assert len(CASES) >= 300


def test_every_listed_failure_names_a_case() -> None:
    ids = {c.id for c in CASES}
    assert not set(FIDELITY_FAILURES) - ids


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_fidelity_case(case: Case) -> None:
    result, error = run_fidelity_case(case)
    problems = judge_case(case, result, error)
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_fidelity_case_in_two_row_chunks(case: Case) -> None:
    """The low-memory run (chunks merged) is judged by the same case."""
    result, error = run_fidelity_case(case, low_memory=True)
    problems = judge_case(case, result, error)
    assert not problems, "; ".join(problems)
