"""expect_table_changes_to_be_approved against real published versions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from integrity.checks.poison.changes import row_hashes
from integrity.checks.poison.published import FrameContext
from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import load_suite, parse_suite
from integrity.types import Outcome

TYPE = "expect_table_changes_to_be_approved"
NOW = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
V1 = pl.DataFrame({"policy_id": ["US-STD", "US-GLD", "EU-STD"], "max_refund": [100, 300, 100],
                   "window_days": [30, 45, 30], "text": ["up to 100", "up to 300", "bis 100"]})


def _suite(tmp_path: Path, approvals: list[dict[str, Any]] | None, **kwargs: Any) -> Any:
    if approvals:
        pl.DataFrame(approvals).write_csv(tmp_path / "approvals.csv")
    elif approvals is not None:
        (tmp_path / "approvals.csv").write_text("policy_id,approved_by\n")
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"name": "p", "expectations": [{"type": TYPE, "kwargs": {
        "key_columns": ["policy_id"], "approvals": "approvals.csv", **kwargs},
        "meta": {"action": "quarantine_rows"}}]}))
    return load_suite(path)


def _run(tmp_path: Path, batch: pl.DataFrame, published: list[pl.DataFrame],
         approvals: list[dict[str, Any]] | None, **kwargs: Any) -> Any:
    suite = _suite(tmp_path, approvals, **kwargs)
    context = FrameContext(published, clock=NOW, folder=tmp_path)
    result = validate_frame(batch, suite, result_format="SUMMARY", context=context).results[0]
    assert not result.exception_info["raised_exception"], result.exception_info
    return result


def _edit(frame: pl.DataFrame, policy: str, **values: Any) -> pl.DataFrame:
    return frame.with_columns(*[pl.when(pl.col("policy_id") == policy).then(pl.lit(v))
                                .otherwise(pl.col(k)).alias(k) for k, v in values.items()])


APPROVED = {"policy_id": "US-GLD", "approved_by": "ana", "approved_at": "2026-03-09T09:00:00Z"}


def test_an_unapproved_edit_is_flagged_and_an_approved_one_passes(tmp_path: Path) -> None:
    edited = _edit(V1, "US-GLD", max_refund=3000, text="up to 3000")
    bad = _run(tmp_path, edited, [V1], [{**APPROVED, "policy_id": "EU-STD"}])
    assert not bad.success and bad.result["unexpected_index_list"] == [1]
    (change,) = bad.result["details"]["unapproved_changes"]
    assert change["kind"] == "changed" and change["changed_columns"] == ["max_refund", "text"]
    assert change["key"] == {"policy_id": "US-GLD"} and "3000" not in str(change)
    ok = _run(tmp_path, edited, [V1], [APPROVED])
    assert ok.success and ok.result["details"]["approved_changes"][0]["approved_by"] == "ana"
    # An unchanged republication is no change at all (150.0 and 150 are one value).
    same = _run(tmp_path, V1.with_columns(pl.col("max_refund").cast(pl.Float64)), [V1], [])
    assert same.success and same.result["observed_value"] == {"changes": 0, "unapproved": 0}


def test_the_last_published_version_of_each_key_is_the_reference(tmp_path: Path) -> None:
    v2 = _edit(V1, "US-GLD", max_refund=350).filter(pl.col("policy_id") == "US-GLD")
    # The batch repeats version 2 of US-GLD (published after V1): no change.
    assert _run(tmp_path, v2, [V1, v2], []).success
    # Going back to version 1 is a change.
    back = V1.filter(pl.col("policy_id") == "US-GLD")
    assert not _run(tmp_path, back, [V1, v2], []).success


def test_approvals_can_pin_the_values_the_hash_and_the_kind(tmp_path: Path) -> None:
    edited = _edit(V1, "US-GLD", max_refund=3000)
    wrong_value = _run(tmp_path, edited, [V1], [{**APPROVED, "max_refund": "350"}])
    assert not wrong_value.success
    assert "max_refund" in wrong_value.result["details"]["unapproved_changes"][0]["why"]
    assert _run(tmp_path, edited, [V1], [{**APPROVED, "max_refund": "3000"}]).success
    digest = row_hashes(edited.slice(1, 1))[0]
    assert _run(tmp_path, edited, [V1], [{**APPROVED, "row_hash": digest}]).success
    assert not _run(tmp_path, edited, [V1], [{**APPROVED, "row_hash": "0" * 64}]).success
    assert not _run(tmp_path, edited, [V1], [{**APPROVED, "change": "added"}]).success
    added = pl.concat([V1, pl.DataFrame({"policy_id": ["UK-STD"], "max_refund": [90],
                                         "window_days": [30], "text": ["up to 90"]})])
    result = _run(tmp_path, added, [V1], [])
    assert not result.success and result.result["unexpected_index_list"] == [3]
    assert result.result["details"]["added"] == 1


def test_approvals_have_windows(tmp_path: Path) -> None:
    edited = _edit(V1, "US-GLD", max_refund=3000)
    old = {**APPROVED, "approved_at": "2026-02-01T00:00:00Z"}
    assert _run(tmp_path, edited, [V1], [old]).success  # no window: in force until revoked
    expired = _run(tmp_path, edited, [V1], [old], change_window="P7D")
    assert not expired.success
    assert "expired" in expired.result["details"]["unapproved_changes"][0]["why"]
    assert _run(tmp_path, edited, [V1], [APPROVED], change_window="P7D").success
    future = {**APPROVED, "valid_from": "2026-04-01", "valid_until": "2026-05-01"}
    assert not _run(tmp_path, edited, [V1], [future]).success
    current = {**APPROVED, "valid_from": "2026-03-01", "valid_until": "2026-03-31"}
    assert _run(tmp_path, edited, [V1], [current]).success


def test_a_snapshot_that_drops_a_key_without_approval_is_held_whole(tmp_path: Path) -> None:
    dropped = V1.filter(pl.col("policy_id") != "EU-STD")
    assert _run(tmp_path, dropped, [V1], []).success  # not a snapshot: rows not sent are kept
    held = _run(tmp_path, dropped, [V1], [], snapshot=True)
    assert not held.success and held.result["unexpected_index_list"] == [0, 1]
    assert held.result["details"]["removed"] == 1
    removal = {"policy_id": "EU-STD", "approved_by": "ana", "change": "removed"}
    assert _run(tmp_path, dropped, [V1], [removal], snapshot=True).success


def test_the_first_version_is_not_evaluated(tmp_path: Path) -> None:
    result = _run(tmp_path, V1, [], [])
    assert result.success and result.outcome is Outcome.NOT_EVALUATED
    assert "first version" in result.result["details"]["reason"]


def test_approvals_that_cannot_be_used_are_load_errors(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"approvals file .*approvals.csv.* does not exist"):
        _suite(tmp_path, None)
    with pytest.raises(SuiteError, match="has no column 'policy_id'"):
        _suite(tmp_path, [{"id": "x", "approved_by": "ana"}])
    with pytest.raises(SuiteError, match="approved_by"):
        _suite(tmp_path, [{"policy_id": "x"}])
    with pytest.raises(SuiteError, match="key_columns"):
        parse_suite({"name": "t", "expectations": [{"type": TYPE, "kwargs": {
            "key_columns": "policy_id", "approvals": "a.csv"}}]})
    with pytest.raises(SuiteError, match="change_window"):
        _suite(tmp_path, [APPROVED], change_window="soon")


def test_key_columns_missing_from_the_batch_are_named(tmp_path: Path) -> None:
    suite = _suite(tmp_path, [APPROVED])
    result = validate_frame(V1.drop("policy_id"), suite, context=FrameContext([V1])).results[0]
    assert result.outcome is Outcome.ERROR
    assert "column 'policy_id' is not in the batch" in result.exception_info["exception_message"]
