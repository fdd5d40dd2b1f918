"""Every case under tests/conformance/cases/, run through real Great Expectations on pandas.

The case's expected outcome (``out``, or ``gx_out`` where integrity differs on purpose) must be
what GX 1.x itself returns on the same data, typed the way the case's schema says; a case GX cannot
run on pandas says so: ``gx: sqlite`` runs it on GX's SQLite data source instead (the LIKE
pattern types have no pandas implementation), ``gx: false`` not at all (types GX no longer ships).

Needs the ``gx`` extra: ``pip install -e '.[dev,gx]'``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.fidelity import expectation_of, judge_case, load_fidelity_cases
from tests.conformance.gx_cases import Case

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning",
                               "ignore::FutureWarning", "ignore::RuntimeWarning"),
]

gx = pytest.importorskip(
    "great_expectations",
    reason="great_expectations is not installed; install the extra: pip install -e '.[dev,gx]'",
)
pd = pytest.importorskip("pandas")

CASES = load_fidelity_cases()
_NULLABLE = {"Int64": "Int64", "Float64": "Float64", "boolean": "boolean"}


def pandas_frame(case: Case) -> Any:
    """The case's data as GX's pandas backend gets it, typed by the case's schema."""
    columns: dict[str, Any] = {}
    for name, values in case.data.items():
        wanted = (case.schema or {}).get(name)
        if wanted in ("datetime64[ns]", "datetime64", "timestamp"):
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object))
        elif wanted == "date":
            columns[name] = pd.Series([None if v is None else dt.date.fromisoformat(v)
                                       for v in values], dtype=object)
        elif wanted in ("object", "str", "string"):
            columns[name] = pd.Series(values, dtype=object)
        elif wanted in _NULLABLE:
            columns[name] = pd.Series(values, dtype=_NULLABLE[wanted])
        elif wanted in ("int", "int64", "float", "float64", "bool"):
            dtype = {"int": "int64", "float": "float64"}.get(wanted, wanted)
            columns[name] = pd.Series(values, dtype=dtype)
        else:
            columns[name] = pd.Series(values)
    return pd.DataFrame(columns)


class GX:
    """One ephemeral GX context with a pandas data source, and SQLite ones made on demand."""

    def __init__(self, folder: Path) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("fidelity").add_dataframe_asset(name="cases")
        self.frames = asset.add_batch_definition_whole_dataframe("all")
        self.folder = folder

    def batch(self, case: Case) -> Any:
        if case.test.get("gx") != "sqlite":
            return self.frames.get_batch(batch_parameters={"dataframe": pandas_frame(case)})
        import sqlalchemy

        name = f"case_{uuid.uuid4().hex[:12]}"
        url = f"sqlite:///{self.folder / name}.db"
        engine = sqlalchemy.create_engine(url)
        try:
            pandas_frame(case).to_sql("cases", engine, index=False)
        finally:
            engine.dispose()
        source = self.context.data_sources.add_sqlite(name=name, connection_string=url)
        table = source.add_table_asset(name="cases", table_name="cases")
        return table.add_batch_definition_whole_table("all").get_batch()


@pytest.fixture(scope="module")
def gx_context(tmp_path_factory: pytest.TempPathFactory) -> GX:
    return GX(tmp_path_factory.mktemp("gx_fidelity"))


def gx_run(case: Case, gx_context: GX) -> tuple[dict[str, Any] | None, BaseException | None]:
    """GX's result for the case as plain JSON data, or the error GX raised configuring it."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    kwargs, result_format = expectation_of(case)
    try:
        expectation = ExpectationConfiguration(type=case.expectation_type,
                                               kwargs=kwargs).to_domain_obj()
    except Exception as exc:  # pydantic's ValidationError, GX's configuration errors
        return None, exc
    batch = gx_context.batch(case)
    try:
        result = batch.validate(expectation, result_format=result_format).to_json_dict()
    except Exception as exc:  # GX refused the expectation before computing anything
        return None, exc
    return _plain({"success": result["success"], "result": result["result"] or {},
                   "exception_info": _one_exception(result["exception_info"])}), None


def _one_exception(info: dict[str, Any]) -> dict[str, Any]:
    """GX reports an exception either flat or keyed by the metric that raised it."""
    if "raised_exception" in info:
        return info
    raised = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if not raised:
        return {"raised_exception": False, "exception_message": None}
    return {"raised_exception": True, "exception_message": raised[0].get("exception_message")}


def _plain(value: Any) -> Any:
    def default(obj: Any) -> Any:
        if hasattr(obj, "item"):
            return obj.item()
        if isinstance(obj, dt.date | dt.datetime):
            return obj.isoformat()
        return str(obj)

    return json.loads(json.dumps(value, default=default),
                      parse_constant=lambda c: math.nan if c == "NaN" else None)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.id, marks=[pytest.mark.skip(reason=c.test["gx_why"])]
                  if c.test.get("gx") is False else []) for c in CASES],
)
def test_gx_returns_what_the_case_says(case: Case, gx_context: GX) -> None:
    result, error = gx_run(case, gx_context)
    problems = judge_case(case, result, error, gx=True)
    assert not problems, "; ".join(problems)
