"""``integrity validate`` options beyond the basics, through the real console script: other tables
(``--table NAME=PATH``) for the cross-table expectations, engines offered only where they run, and
``integrity expectations --family``."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import polars as pl
import pytest

import integrity
from integrity.checks import builtin_registry
from tests.clirun import Run
from tests.clirun import integrity as cli

ROW_COUNT = {"type": "expect_table_row_count_to_equal_other_table",
             "kwargs": {"other_table_name": "orders"}}
NOT_IN_REFUNDS = {"type": "unexpected_rows_expectation", "kwargs": {
    "unexpected_rows_query": "SELECT * FROM {batch} WHERE id IN (SELECT order_id FROM refunds)"}}
GPU_INSTALLED = importlib.util.find_spec("cudf_polars") is not None


def csv(path: Path, header: str, *rows: object) -> Path:
    path.write_text(header + "\n" + "".join(f"{r}\n" for r in rows))
    return path


def suite(tmp_path: Path, *expectations: dict[str, object]) -> Path:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps({"name": "s", "expectations": list(expectations)}))
    return path


def one_error_line(result: Run, text: str, *, ran: bool = False) -> None:
    """Exit 2 with exactly this one error line; ``ran``: the suite ran (its table is printed) and
    one expectation could not."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert result.stderr.splitlines() == [f"error: {text}"], result.stderr
    assert ("FAILED" in result.stdout) if ran else result.stdout == "", result.stdout


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    return csv(tmp_path / "batch.csv", "id", 1, 2, 3)


# -- other tables ------------------------------------------------------------------------------

def test_table_option_names_the_table_a_suite_compares_with(tmp_path: Path, batch: Path) -> None:
    s = suite(tmp_path, ROW_COUNT)
    csv(tmp_path / "orders.csv", "id", 7, 8, 9)
    same = cli("validate", str(batch), "--suite", str(s), "--table", f"orders={tmp_path}/orders.csv",
               "--json", str(tmp_path / "same.json"))
    assert same.code == 0, same.stderr
    observed = json.loads((tmp_path / "same.json").read_text())["results"][0]["result"]
    assert observed["observed_value"] == {"self": 3, "other": 3}

    csv(tmp_path / "short.csv", "id", 7)
    differs = cli("validate", str(batch), "--suite", str(s), "-t", f"orders={tmp_path}/short.csv")
    assert differs.code == 1, differs.stderr
    assert '{"self": 3, "other": 1}' in differs.stdout


def test_tables_repeat_and_take_globs_and_parquet(tmp_path: Path, batch: Path) -> None:
    (tmp_path / "orders").mkdir()
    csv(tmp_path / "orders" / "a.csv", "id", 1, 2)
    csv(tmp_path / "orders" / "b.csv", "id", 3)
    pl.DataFrame({"order_id": [2, 5]}).write_parquet(tmp_path / "refunds.parquet")
    s = suite(tmp_path, ROW_COUNT, NOT_IN_REFUNDS)
    out = tmp_path / "r.json"
    result = cli("validate", str(batch), "--suite", str(s), "--json", str(out),
                 "--table", f"orders={tmp_path}/orders/*.csv",
                 "--table", f"refunds={tmp_path}/refunds.parquet")
    assert result.code == 1, result.stderr
    results = json.loads(out.read_text())["results"]
    assert results[0]["success"] is True and results[0]["result"]["observed_value"]["other"] == 3
    assert results[1]["success"] is False
    assert results[1]["result"]["details"]["unexpected_rows"] == [{"id": 2}]
    explained = cli("validate", str(batch), "--suite", str(s), "--explain",
                    "--table", f"orders={tmp_path}/orders/*.csv",
                    "--table", f"refunds={tmp_path}/refunds.parquet")
    assert explained.code == 0 and "counts the rows of table 'orders'" in explained.stdout


@pytest.mark.parametrize("spec", ["orders", "=orders.csv", "orders=", " = "])
def test_a_table_option_without_name_and_path_is_one_line(tmp_path: Path, batch: Path,
                                                         spec: str) -> None:
    one_error_line(cli("validate", str(batch), "--suite", str(suite(tmp_path, ROW_COUNT)),
                       "--table", spec),
                   f"--table {spec!r}: write it as NAME=PATH, e.g. --table orders=orders.csv "
                   "(NAME is what the suite calls it, e.g. other_table_name)")


def test_a_table_given_twice_is_one_line(tmp_path: Path, batch: Path) -> None:
    one_error_line(cli("validate", str(batch), "--suite", str(suite(tmp_path, ROW_COUNT)),
                       "--table", "orders=a.csv", "--table", "orders=b.csv"),
                   "--table 'orders' is given twice ('a.csv' and 'b.csv'); give each table once")


def test_a_missing_table_file_is_one_line_naming_the_table(tmp_path: Path, batch: Path) -> None:
    one_error_line(cli("validate", str(batch), "--suite", str(suite(tmp_path, ROW_COUNT)),
                       "--table", "orders=nope.csv", cwd=tmp_path),
                   f"table 'orders': nope.csv: file not found (working directory {tmp_path}). "
                   "Check the path.")


def test_a_table_the_suite_names_but_the_command_does_not_give_is_one_line(
        tmp_path: Path, batch: Path) -> None:
    csv(tmp_path / "o.csv", "id", 1)
    s = suite(tmp_path, ROW_COUNT)
    for given, known in (((), "none"), (("--table", f"other={tmp_path}/o.csv"), "'other'")):
        one_error_line(cli("validate", str(batch), "--suite", str(s), *given),
                       f"{s}: expectation #0 (expect_table_row_count_to_equal_other_table): argument "
                       f"'other_table_name': no table named 'orders' was given to compare with "
                       f"(known tables: {known}); give it with --table orders=PATH (tables={{...}} "
                       "in Python)", ran=True)
    result = cli("validate", str(batch), "--suite", str(suite(tmp_path, NOT_IN_REFUNDS)))
    assert result.code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert ("cannot run: relation 'refunds' was not found. Write it in polars SQL and name the "
            "batch {batch}; other tables come from --table NAME=PATH") in result.stderr
    assert "Resolved plan" not in result.stderr


def test_the_python_api_takes_tables_as_paths_or_frames(tmp_path: Path, batch: Path) -> None:
    s = suite(tmp_path, ROW_COUNT)
    csv(tmp_path / "orders.csv", "id", 1, 2, 3)
    assert integrity.validate(batch, s, tables={"orders": tmp_path / "orders.csv"}).success
    assert not integrity.validate(batch, s, tables={"orders": pl.DataFrame({"id": [1]})}).success
    assert "counts the rows of table 'orders'" in integrity.explain(
        batch, s, tables={"orders": pl.DataFrame({"id": [1]}).lazy()})
    with pytest.raises(integrity.DataError, match=r"^table 'orders': .*missing.csv: file not found"):
        integrity.validate(batch, s, tables={"orders": tmp_path / "missing.csv"})


# -- engines ----------------------------------------------------------------------------------------

@pytest.mark.skipif(GPU_INSTALLED, reason="cudf-polars is installed: the GPU engine can run here")
def test_the_gpu_engine_is_neither_offered_nor_accepted_where_it_cannot_run(
        tmp_path: Path, batch: Path) -> None:
    s = suite(tmp_path, {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}})
    helped = cli("validate", "--help")
    assert "in-memory, streaming or auto" in helped.stdout and "gpu" not in helped.stdout
    fix = ("the polars engine 'gpu' cannot run here: it needs the cudf-polars package (with CUDA), "
           "which is not installed; use one of in-memory, streaming, auto")
    one_error_line(cli("validate", str(batch), "--suite", str(s), "--engine", "gpu"),
                   f"{fix} (--engine)")
    one_error_line(cli("validate", str(batch), "--suite", str(s),
                       env={"POLARS_ENGINE_AFFINITY": "gpu"}), f"{fix} (POLARS_ENGINE_AFFINITY)")
    one_error_line(cli("validate", str(batch), "--suite", str(s), "--explain", "--engine", "gpu"),
                   f"{fix} (--engine)")
    assert cli("validate", str(batch), "--suite", str(s), "--engine", "auto").code == 0
    assert cli("validate", str(batch), "--suite", str(s),
               env={"POLARS_ENGINE_AFFINITY": "streaming"}).code == 0


# -- expectations --family ---------------------------------------------------------------------

def test_expectations_family_lists_only_that_family() -> None:
    registry = builtin_registry()
    table_types = sorted(n for n in registry if registry.definitions[n].family == "table")
    result = cli("expectations", "--family", "table")
    assert result.code == 0, result.stderr
    assert f"{len(table_types)} expectation types of family table" in result.stdout
    listed = sorted(re.findall(r"^│ (expect_\w+|unexpected_\w+)", result.stdout, re.MULTILINE))
    assert listed == table_types


def test_an_unknown_family_is_refused_with_the_valid_ones() -> None:
    families = sorted({d.family for d in builtin_registry().definitions.values()})
    one_error_line(cli("expectations", "--family", "tabel"),
                   f"unknown family 'tabel'. Did you mean 'table'? Families: {', '.join(families)}.")
    result = cli("expectations", "--family", "nonsense")
    assert result.code == 2 and f"Families: {', '.join(families)}." in result.stderr
