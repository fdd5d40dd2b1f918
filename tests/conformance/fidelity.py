"""Conformance cases written for this project from GX 1.x's source and its per-expectation tests.

GX's test definitions (../shared) are one view of what GX does; its metric providers, ``_validate``
methods, configuration validators and its own integration tests (tests/integration/
data_sources_and_expectations/expectations/test_expect_*.py) are another. The case files under
``tests/conformance/cases/`` turn what those assert into data, in the definitions' own shape so the
same judge reads both::

    expectation_type: expect_column_max_to_be_between
    sources: [where the facts come from]
    datasets:
      - data: {column: [values]}
        schema: {column: pandas dtype}      # optional, as GX's "schemas: {pandas: ...}"
        tests:
          - title: unique_within_the_file
            in: {kwargs..., result_format: COMPLETE}
            out: {success: true, observed_value: 3, result_keys: [observed_value]}
            raises: configuration | validation   # instead of out: the case expects an error
            message: text our error must contain  # optional, with raises
            gx_out: {...}      # GX 1.24 returns this instead of out: a deliberate difference
            gx_raises: ...     # likewise, for an error GX raises and we do not (or differently)
            difference: why we differ on purpose (required with gx_out / gx_raises)
            gx: sqlite         # GX runs the case on its SQLite data source, not on pandas
            gx: false          # GX cannot run the case at all; gx_why says why
                               # (gx and gx_why may also sit on a dataset, for all its tests)

``result_keys`` is the exact set of keys of the result dict; the other ``out`` keys mean what they
mean in GX's test definitions (see :func:`tests.conformance.gx_cases.judge`).
tests/integration/test_gx_fidelity_crosscheck.py runs every case through real GX 1.x on pandas
and judges GX by the same ``out`` (or ``gx_out``), so an expected value here is what GX returns.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from tests.conformance.gx_cases import Case, error_text, judge

CASES_DIR = Path(__file__).resolve().parent / "cases"
RAISES = ("configuration", "validation")


def load_fidelity_cases(folder: Path = CASES_DIR) -> list[Case]:
    """Every case of every file under ``folder``, with ids ``<file stem>::<title>``."""
    cases: list[Case] = []
    for path in sorted(folder.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        titles: set[str] = set()
        for dataset in spec["datasets"]:
            if len({len(values) for values in dataset["data"].values()}) > 1:
                raise ValueError(f"{path.name}: the columns of a dataset differ in length")
            inherited = {k: dataset[k] for k in ("gx", "gx_why") if k in dataset}
            for test in dataset["tests"]:
                test = {**inherited, **test}
                title = test["title"]
                if title in titles:
                    raise ValueError(f"{path.name}: title {title!r} is used twice")
                titles.add(title)
                _check_shape(path.name, test)
                cases.append(Case(f"{path.stem}::{title}", path.name, spec["expectation_type"],
                                  dataset["data"], dataset.get("schema"), test))
    return cases


def _check_shape(file: str, test: dict[str, Any]) -> None:
    where = f"{file}::{test['title']}"
    if ("out" in test) == ("raises" in test):
        raise ValueError(f"{where}: give exactly one of 'out' and 'raises'")
    if test.get("raises") not in (None, *RAISES) or test.get("gx_raises") not in (None, *RAISES):
        raise ValueError(f"{where}: raises is one of {RAISES}")
    if ("gx_out" in test or "gx_raises" in test) != ("difference" in test):
        raise ValueError(f"{where}: gx_out/gx_raises and difference go together")
    if test.get("gx") not in (None, False, "sqlite"):
        raise ValueError(f"{where}: gx is false or sqlite")
    if test.get("gx") is False and not test.get("gx_why"):
        raise ValueError(f"{where}: gx: false needs gx_why")


def expectation_of(case: Case) -> tuple[dict[str, Any], Any]:
    """The case's kwargs (without result_format) and its result format (a name or GX's dict)."""
    kwargs = dict(case.test["in"])
    return kwargs, kwargs.pop("result_format", "BASIC")


def judge_case(case: Case, result: dict[str, Any] | None, error: BaseException | None, *,
               gx: bool = False) -> list[str]:
    """Mismatches between one run's outcome and the case (empty when it holds).

    ``result`` is the expectation result as a dict (``success``, ``result``, ``exception_info``);
    ``error`` an error raised before validation ran. ``gx`` judges GX's own run, by ``gx_out`` /
    ``gx_raises`` where the case records a deliberate difference.
    """
    test = case.test
    differs = gx and ("gx_out" in test or "gx_raises" in test)
    raises = test.get("gx_raises") if differs else test.get("raises")
    out = test.get("gx_out") if differs else test.get("out")
    if raises:
        return _judge_raise(raises, None if gx else test.get("message"), result, error)
    assert out is not None
    out = dict(out)
    keys = out.pop("result_keys", None)
    problems = judge(replace(case, test={**test, "out": out, "in": test["in"]}), result, error)
    if keys is not None and result is not None and not problems:
        actual = sorted(result.get("result") or {})
        if actual != sorted(keys):
            problems.append(f"result keys {actual} != {sorted(keys)}")
    return problems


def _judge_raise(raises: str, message: str | None, result: dict[str, Any] | None,
                 error: BaseException | None) -> list[str]:
    if raises == "configuration":
        if error is None:
            got = "an exception at validation" if _raised(result) else \
                f"success={result and result.get('success')}"
            return [f"expected a configuration error, got {got}"]
        text = error_text(error)
    else:
        if error is not None:
            return [f"expected a failed result with exception_info, but the suite was refused: "
                    f"{error_text(error).splitlines()[0][:200]}"]
        if not _raised(result):
            return [f"expected exception_info, got success={result and result.get('success')}"]
        assert result is not None
        if result.get("success") is not False:
            return ["an expectation that raised must not succeed"]
        text = str(result["exception_info"].get("exception_message"))
    if message and message not in text:
        return [f"error {text.splitlines()[0][:200]!r} lacks {message!r}"]
    return []


def _raised(result: dict[str, Any] | None) -> bool:
    return bool(result and (result.get("exception_info") or {}).get("raised_exception"))
