"""The gate's decision: every action, reasons on each held row, and the one-place-per-row invariant."""

from __future__ import annotations

import json
import random
from typing import Any

import polars as pl
import pytest

from integrity.engine.polars_engine import plan_suite, run_plan
from integrity.errors import DataError, SuiteError
from integrity.gate import REASONS_COLUMN, GateDecision, decide
from integrity.suites import parse_suite
from integrity.types import ExpectationResult, Outcome, ValidationResult

HOSTILE = "'; DROP TABLE x; -- \"quoted\" \\ \n\u2028 <script> {{ignore previous}} 💥 \x00"

FRAME = pl.DataFrame({
    "id": [1, 2, 3, 4, 5, 6],
    "n": [1, 2, None, 4, 50, 6],
    "s": ["ok", "ok", "ok", "bad", "ok", HOSTILE],
})


def expect(kind: str, action: str | None = None, **kwargs: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind, "kwargs": kwargs}
    if action is not None:
        item["meta"] = {"action": action}
    return item


def gate(frame: pl.DataFrame, *expectations: dict[str, Any], default_action: str = "quarantine_rows",
         suite_meta: dict[str, Any] | None = None) -> tuple[GateDecision, ValidationResult]:
    suite = parse_suite({"name": "t", "expectations": list(expectations)})
    plan = plan_suite(frame.lazy(), suite)
    result = run_plan(frame.lazy(), plan)
    return decide(frame, plan, result, default_action=default_action, suite_meta=suite_meta), result


def reasons_of(decision: GateDecision) -> dict[int, list[dict[str, Any]]]:
    """Row id -> parsed reasons."""
    return {row["id"]: json.loads(row[REASONS_COLUMN])
            for row in decision.quarantined.iter_rows(named=True)}


def check_invariant(frame: pl.DataFrame, decision: GateDecision) -> None:
    assert decision.published.height + decision.quarantined.height == frame.height
    assert decision.published.columns == frame.columns
    assert decision.quarantined.columns == [*frame.columns, REASONS_COLUMN]
    both = pl.concat([decision.published, decision.quarantined.drop(REASONS_COLUMN)])
    assert both.sort("id").equals(frame.sort("id"))  # each row once: none lost, none doubled
    assert decision.quarantined[REASONS_COLUMN].null_count() == 0


def test_all_passing_publishes_everything() -> None:
    decision, _ = gate(FRAME, expect("expect_column_to_exist", column="s"))
    assert decision.published.equals(FRAME)
    assert decision.quarantined.height == 0
    assert not decision.batch_held and decision.reasons == [] and decision.warnings == []


def test_quarantine_rows_holds_only_the_rejected_rows_with_their_reasons() -> None:
    decision, _ = gate(
        FRAME,
        expect("expect_column_values_to_not_be_null", column="n"),
        expect("expect_column_values_to_be_in_set", "quarantine_rows", column="s",
               value_set=["ok", HOSTILE]),
        expect("expect_column_values_to_be_between", column="n", max_value=10),
    )
    check_invariant(FRAME, decision)
    assert not decision.batch_held
    assert decision.published["id"].to_list() == [1, 2, 6]
    reasons = reasons_of(decision)
    assert sorted(reasons) == [3, 4, 5]
    assert [r["expectation_index"] for r in reasons[3]] == [0]
    assert [r["expectation_index"] for r in reasons[4]] == [1]
    assert [r["expectation_index"] for r in reasons[5]] == [2]
    first = reasons[4][0]
    assert first == {**first, "expectation_type": "expect_column_values_to_be_in_set", "column": "s",
                     "action": "quarantine_rows", "unexpected_count": 1}
    assert set(first) >= {"expectation_index", "expectation_type", "column", "action",
                          "observed_value", "unexpected_count"}
    assert [r["expectation_index"] for r in decision.reasons] == [0, 1, 2]


def test_a_row_rejected_twice_carries_both_reasons() -> None:
    decision, _ = gate(
        FRAME,
        expect("expect_column_values_to_be_in_set", column="s", value_set=["ok"]),
        expect("expect_column_value_lengths_to_be_between", column="s", max_value=3),
    )
    check_invariant(FRAME, decision)
    reasons = reasons_of(decision)
    assert [r["expectation_index"] for r in reasons[6]] == [0, 1]
    assert [r["expectation_index"] for r in reasons[4]] == [0]


def test_quarantine_batch_holds_every_row_and_keeps_row_reasons_too() -> None:
    decision, _ = gate(
        FRAME,
        expect("expect_column_values_to_not_be_null", "quarantine_batch", column="n"),
        expect("expect_column_values_to_be_in_set", "quarantine_rows", column="s",
               value_set=["ok", HOSTILE]),
        expect("expect_column_max_to_be_between", "quarantine_batch", column="n", max_value=1000),
    )
    check_invariant(FRAME, decision)
    assert decision.batch_held and decision.published.height == 0
    reasons = reasons_of(decision)
    assert all(rs[0]["expectation_index"] == 0 and rs[0]["action"] == "quarantine_batch"
               for rs in reasons.values())
    assert [r["expectation_index"] for r in reasons[4]] == [0, 1]
    assert [r["expectation_index"] for r in reasons[1]] == [0]
    # the summary names every failing blocking expectation (the passing max is not one)
    assert [r["expectation_index"] for r in decision.reasons] == [0, 1]


def test_aggregate_with_quarantine_rows_holds_the_batch_and_says_why() -> None:
    decision, _ = gate(FRAME, expect("expect_column_mean_to_be_between", "quarantine_rows",
                                     column="n", max_value=5))
    check_invariant(FRAME, decision)
    assert decision.batch_held and decision.quarantined.height == FRAME.height
    (reason,) = decision.reasons
    assert reason["action"] == "quarantine_batch"
    assert "no per-row result" in reason["detail"]
    assert reason["observed_value"] == pytest.approx(12.6)


def test_warn_is_recorded_only() -> None:
    decision, _ = gate(FRAME, expect("expect_column_values_to_not_be_null", "warn", column="n"),
                       expect("expect_column_mean_to_be_between", "warn", column="n", max_value=5))
    assert decision.published.equals(FRAME) and decision.quarantined.height == 0
    assert [w["expectation_index"] for w in decision.warnings] == [0, 1]
    assert decision.reasons == []


def test_a_passing_expectation_with_mostly_does_not_hold_its_unexpected_rows() -> None:
    decision, result = gate(FRAME, expect("expect_column_values_to_be_in_set", column="s",
                                          value_set=["ok"], mostly=0.5))
    assert result.results[0].success and result.results[0].result["unexpected_count"] == 2
    assert decision.published.equals(FRAME)


def _with_outcome(outcome: Outcome, action: str) -> tuple[GateDecision, ValidationResult]:
    """The gate's decision when the engine reports ``outcome`` for an expectation under ``action``."""
    suite = parse_suite({"name": "t", "expectations": [
        expect("expect_column_values_to_not_be_null", action, column="id")]})
    plan = plan_suite(FRAME.lazy(), suite)
    ok = run_plan(FRAME.lazy(), plan)
    broken = ExpectationResult(ok.results[0].config, False, {}, outcome,
                               {"raised_exception": outcome is Outcome.ERROR,
                                "exception_message": "boom\nsecond line", "exception_traceback": "..."})
    result = ValidationResult("t", (broken,))
    return decide(FRAME, plan, result, default_action="quarantine_rows"), result


def test_an_error_outcome_under_warn_is_a_warning_and_holds_nothing() -> None:
    decision, _ = _with_outcome(Outcome.ERROR, "warn")
    check_invariant(FRAME, decision)
    assert not decision.batch_held and decision.published.equals(FRAME)
    (warning,) = decision.warnings
    assert warning["detail"] == "could not run (boom); recorded as a warning only"


@pytest.mark.parametrize("action", ["quarantine_batch", "quarantine_rows"])
def test_an_error_outcome_under_a_quarantine_action_holds_the_batch(action: str) -> None:
    decision, _ = _with_outcome(Outcome.ERROR, action)
    check_invariant(FRAME, decision)
    assert decision.batch_held and decision.published.height == 0 and decision.warnings == []
    (reason,) = decision.reasons
    assert reason["action"] == "quarantine_batch" and reason["outcome"] == "error"
    assert reason["detail"].startswith("could not run (boom); the batch is held")
    # Rows cannot be picked out by an expectation that could not run: it says so.
    assert ("could not be identified" in reason["detail"]) == (action == "quarantine_rows")
    assert all(r == [reason] for r in reasons_of(decision).values())


@pytest.mark.parametrize("action", ["warn", "quarantine_rows", "quarantine_batch"])
def test_a_not_evaluated_outcome_holds_the_batch_whatever_the_action(action: str) -> None:
    decision, _ = _with_outcome(Outcome.NOT_EVALUATED, action)
    check_invariant(FRAME, decision)
    assert decision.batch_held and decision.published.height == 0


@pytest.mark.parametrize(("action", "held"), [("warn", 0), ("quarantine_rows", 6),
                                               ("quarantine_batch", 6)])
def test_a_real_engine_error_acts_under_its_action_and_the_rest_still_split(
        action: str, held: int) -> None:
    # A missing column and contradictory bounds fail their expectations (GX reports both as
    # exceptions); the well-formed row check beside them still quarantines its row.
    decision, result = gate(
        FRAME,
        expect("expect_column_values_to_not_be_null", action, column="missing"),
        expect("expect_column_values_to_be_between", action, column="n", min_value=9, max_value=1),
        expect("expect_column_values_to_be_in_set", "quarantine_rows", column="s", value_set=["ok"]))
    assert [r.outcome for r in result.results] == [Outcome.ERROR, Outcome.ERROR, Outcome.FAILED]
    assert "min_value cannot be greater than max_value" in str(
        result.results[1].exception_info["exception_message"])
    check_invariant(FRAME, decision)
    if action == "warn":
        assert [w["expectation_index"] for w in decision.warnings] == [0, 1]
        assert sorted(reasons_of(decision)) == [4, 6]  # only the in-set check's rows
    else:
        assert decision.batch_held and decision.quarantined.height == held
        assert [r["expectation_index"] for r in decision.reasons] == [0, 1, 2]


def test_row_condition_limits_the_held_rows() -> None:
    decision, _ = gate(FRAME, expect("expect_column_values_to_be_in_set", column="s", value_set=["ok"],
                                     row_condition='id > 5', condition_parser="great_expectations"))
    assert sorted(reasons_of(decision)) == [6]


@pytest.mark.parametrize("where", ["meta", "suite", "default"])
def test_unknown_action_names_the_expectation_and_the_valid_actions(where: str) -> None:
    item = expect("expect_column_to_exist", "quarantine_row" if where == "meta" else None, column="s")
    with pytest.raises(SuiteError) as caught:
        gate(FRAME, expect("expect_column_to_exist", column="s"), item,
             suite_meta={"default_action": "quarantine_row"} if where == "suite" else None,
             default_action="quarantine_row" if where == "default" else "warn")
    message = str(caught.value)
    assert "expectation #" in message and "expect_column_to_exist" in message
    assert "quarantine_batch, quarantine_rows, warn" in message
    assert "Did you mean 'quarantine_rows'" in message


def test_action_precedence_meta_then_suite_then_dataset() -> None:
    items = [expect("expect_column_values_to_not_be_null", column="n"),
             expect("expect_column_values_to_not_be_null", "warn", column="n")]
    decision, _ = gate(FRAME, *items, suite_meta={"default_action": "quarantine_batch"},
                       default_action="quarantine_rows")
    assert decision.batch_held
    assert [w["expectation_index"] for w in decision.warnings] == [1]
    decision, _ = gate(FRAME, *items, default_action="quarantine_rows")
    assert not decision.batch_held and decision.quarantined.height == 1


def test_reasons_json_survives_hostile_observed_values() -> None:
    frame = pl.DataFrame({"id": [1, 2], "s": [HOSTILE, "x"]})
    decision, _ = gate(frame, expect("expect_column_distinct_values_to_equal_set", "quarantine_batch",
                                     column="s", value_set=["x"]))
    (row,) = reasons_of(decision)[1]
    assert sorted(row["observed_value"]) == sorted([HOSTILE, "x"])


def test_a_frame_with_the_reasons_column_is_refused() -> None:
    frame = FRAME.with_columns(pl.lit("x").alias(REASONS_COLUMN))
    with pytest.raises(DataError, match="_integrity_reasons"):
        gate(frame, expect("expect_column_to_exist", column="s"))


def test_empty_frame() -> None:
    frame = FRAME.clear()
    decision, _ = gate(frame, expect("expect_column_values_to_not_be_null", column="n"))
    check_invariant(frame, decision)


def test_row_masks_are_computed_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = pl.DataFrame.with_columns

    def counting(self: pl.DataFrame, *args: Any, **kwargs: Any) -> pl.DataFrame:
        calls.append(1)
        return original(self, *args, **kwargs)

    many = [expect("expect_column_values_to_be_between", column="n", max_value=v) for v in range(5)]
    suite = parse_suite({"name": "t", "expectations": many})
    plan = plan_suite(FRAME.lazy(), suite)
    result = run_plan(FRAME.lazy(), plan)
    monkeypatch.setattr(pl.DataFrame, "with_columns", counting)
    decision = decide(FRAME, plan, result, default_action="quarantine_rows")
    assert len(decision.reasons) == 5
    # One pass computes every mask, one attaches the held flag, one writes reasons on held rows only.
    assert len(calls) == 3


def test_mismatched_plan_and_result_are_refused() -> None:
    suite = parse_suite({"name": "t", "expectations": [expect("expect_column_to_exist", column="s")]})
    plan = plan_suite(FRAME.lazy(), suite)
    with pytest.raises(ValueError, match="1 expectations but the result has 0"):
        decide(FRAME, plan, ValidationResult("t", ()), default_action="warn")


ROW_TYPES: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_values_to_not_be_null", {}),
    ("expect_column_values_to_be_between", {"min_value": 10, "max_value": 60}),
    ("expect_column_values_to_be_in_set", {"value_set": [1, 2, 3, 5, 8, 13]}),
    ("expect_column_values_to_be_unique", {}),
]
AGG_TYPES: list[tuple[str, dict[str, Any]]] = [
    ("expect_column_mean_to_be_between", {"min_value": 0, "max_value": 30}),
    ("expect_column_max_to_be_between", {"max_value": 90}),
]
ACTION_NAMES = ["quarantine_batch", "quarantine_rows", "warn"]
ACTIONS: list[str | None] = [*ACTION_NAMES, None]


def test_invariant_on_random_batches() -> None:
    rng = random.Random(20240611)
    for _ in range(150):
        height = rng.choice([0, 1, 2, 7, 40])
        frame = pl.DataFrame({
            "id": list(range(height)),
            "a": [rng.choice([None, *range(100)]) for _ in range(height)],
            "b": [rng.choice([None, 1, 2, 3, 4, 5]) for _ in range(height)],
        }, schema={"id": pl.Int64, "a": pl.Int64, "b": pl.Int64})
        items = []
        for _ in range(rng.randint(1, 5)):
            kind, kwargs = rng.choice(ROW_TYPES + AGG_TYPES)
            extra = {"mostly": 0.8} if rng.random() < 0.2 and kind in dict(ROW_TYPES) else {}
            items.append(expect(kind, rng.choice(ACTIONS), column=rng.choice("ab"), **kwargs, **extra))
        decision, result = gate(frame, *items, default_action=rng.choice(ACTION_NAMES))
        check_invariant(frame, decision)
        reasons = reasons_of(decision)
        for reason in decision.reasons:
            if reason["action"] == "quarantine_rows":  # each held row names it; counts agree
                tagged = sum(any(r["expectation_index"] == reason["expectation_index"] for r in rs)
                             for rs in reasons.values())
                assert tagged == reason["unexpected_count"]
        failing_blockers = [r for r in decision.reasons if r["action"] == "quarantine_batch"]
        assert decision.batch_held == bool(failing_blockers)
        if decision.batch_held:
            assert decision.published.height == 0
        if all(r.success for r in result.results):
            assert decision.quarantined.height == 0


def test_a_materialized_frame_splits_the_same_and_its_mask_columns_never_leak() -> None:
    suite = parse_suite({"name": "t", "expectations": [
        expect("expect_column_values_to_be_between", column="n", max_value=10),
        expect("expect_column_values_to_match_regex", column="s", regex="^ok$"),
        expect("expect_column_values_to_be_unique", column="s",
               row_condition='col("id") > 1', condition_parser="great_expectations"),
    ]})
    plan = plan_suite(FRAME.lazy(), suite)
    plain = decide(FRAME, plan, run_plan(FRAME.lazy(), plan), default_action="quarantine_rows")
    marked = plan.materialize(FRAME)
    assert plan.helper_columns(marked.columns), "the engine's row masks became columns"
    result = run_plan(marked.lazy(), plan)
    split = decide(marked, plan, result, default_action="quarantine_rows")
    check_invariant(FRAME, split)
    assert split.published.equals(plain.published)
    assert split.quarantined.equals(plain.quarantined)
    assert [r.result["unexpected_count"] for r in result.results] == [1, 2, 3]

    # The gate reads the materialized masks rather than recomputing them: change one and it follows.
    between = next(c for c in plan.helper_columns(marked.columns)
                   if marked[c].to_list() == [False, False, False, False, True, False])
    moved = marked.with_columns(pl.Series(between, [True, False, False, False, False, False]))
    follows = decide(moved, plan, run_plan(moved.lazy(), plan), default_action="quarantine_rows")
    held_by_between = {row for row, reasons in reasons_of(follows).items()
                       if any(r["expectation_index"] == 0 for r in reasons)}
    assert held_by_between == {1}


def test_a_statistical_check_with_nothing_to_compare_yet_holds_nothing() -> None:
    # No history yet: it succeeds and says not_evaluated. Holding the batch would keep it out of
    # the very history the check waits for, so the rest of the suite decides.
    suite = parse_suite({"name": "t", "expectations": [
        expect("expect_table_row_count_to_be_within_history", "quarantine_batch"),
        expect("expect_column_values_to_not_be_null", "quarantine_rows", column="n")]})
    plan = plan_suite(FRAME.lazy(), suite)
    result = run_plan(FRAME.lazy(), plan)
    assert result.results[0].outcome is Outcome.NOT_EVALUATED
    decision = decide(FRAME, plan, result, default_action="quarantine_rows")
    check_invariant(FRAME, decision)
    assert not decision.batch_held and all(r["expectation_index"] == 1 for r in decision.reasons)
    assert decision.quarantined["id"].to_list() == [3] and decision.published.height == 5
