"""The checks that read the dataset's earlier published rows, through the real job: several runs
(the poisoned ones by `integrity run` in a subprocess), a Parquet sink, a SQLite store (no mocks)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from integrity.job import Project, run
from integrity.store import Store
from tests.checks.poison.helpers import plant, reviews
from tests.clirun import integrity

FEEDBACK_SUITE = {"name": "feedback", "expectations": [
    {"type": "expect_new_value_share_to_be_within_history",
     "kwargs": {"column": "customer_id", "lookback": 14, "min_history": 3},
     "meta": {"action": "quarantine_rows"}},
    {"type": "expect_no_label_trigger_tokens",
     "kwargs": {"text_column": "text", "label_column": "label", "window": 2},
     "meta": {"action": "quarantine_rows"}},
    {"type": "expect_labels_to_agree_with_text",
     "kwargs": {"text_column": "text", "label_column": "label", "max_disagreement": 0.5},
     "meta": {"action": "warn"}},
]}
POLICY_SUITE = {"name": "policy", "expectations": [
    {"type": "expect_table_changes_to_be_approved",
     "kwargs": {"key_columns": ["policy_id"], "approvals": "approvals.csv",
                "change_window": "P7D", "snapshot": True},
     "meta": {"action": "quarantine_rows"}},
]}


def _project(root: Path) -> None:
    (root / "connectors").mkdir(parents=True)
    (root / "expectations").mkdir()
    (root / "integrity.yaml").write_text(yaml.safe_dump({"store_url": "sqlite:///state/i.db",
                                                         "data_root": "state/data"}))
    for name, suite in (("feedback", FEEDBACK_SUITE), ("policy", POLICY_SUITE)):
        (root / "expectations" / f"{name}.json").write_text(json.dumps(suite))
        (root / "connectors" / f"{name}.yaml").write_text(yaml.safe_dump({
            "name": name, "suite": f"expectations/{name}.json",
            "publish": {"kind": "parquet"},
            "connector": {"type": "files", "params": {"path": str(root / "src" / name / "*.csv"),
                                                      "settle_seconds": 0}}}))


def _land(root: Path, name: str, day: int, frame: pl.DataFrame) -> None:
    folder = root / "src" / name
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_csv(folder / f"day{day:02d}.csv")


def _feedback(rng: random.Random, day: int, fresh: float = 0.1) -> pl.DataFrame:
    batch = reviews(rng, 1000)
    customers = [f"new-{day}-{i}" if rng.random() < fresh else f"regular-{rng.randrange(400)}"
                 for i in range(batch.height)]
    return batch.with_columns(pl.Series("customer_id", customers),
                              pl.Series("id", [day * 10_000 + i for i in range(batch.height)]))


def _run(root: Path, name: str, day: int) -> Any:
    return integrity("run", name, "--now", f"2026-03-{day:02d}T12:00:00Z", cwd=root)


def _results(root: Path, name: str, kind: str) -> list[dict[str, Any]]:
    with Store.open(f"sqlite:///{root / 'state' / 'i.db'}", create=False) as store:
        return store.expectation_history(name, kind)


def _held(root: Path, name: str) -> pl.DataFrame:
    files = sorted((root / "state" / "data" / "quarantine" / name).glob("*/rows.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files]) if files else pl.DataFrame()


def test_feedback_checks_judge_each_batch_against_what_was_published(tmp_path: Path) -> None:
    _project(tmp_path)
    rng = random.Random(29)
    project = Project.load(tmp_path)
    for day in (1, 2, 3, 4, 5):  # clean days in process (the same job), to keep the test short
        _land(tmp_path, "feedback", day, _feedback(rng, day))
        clean = run(project, "feedback", now=dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC))
        assert clean.exit_code == 0, clean.batches
    novelty = _results(tmp_path, "feedback", "expect_new_value_share_to_be_within_history")
    assert [r["outcome"] for r in novelty] == ["not_evaluated"] * 4 + ["passed"]
    triggers = _results(tmp_path, "feedback", "expect_no_label_trigger_tokens")
    assert triggers[0]["outcome"] == "not_evaluated" and triggers[-1]["outcome"] == "passed"
    labels = _results(tmp_path, "feedback", "expect_labels_to_agree_with_text")
    # The reference classifier is fitted on the published rows from the second batch on.
    assert labels[0]["outcome"] == "not_evaluated"
    assert [r["outcome"] for r in labels[1:]] == ["passed"] * 4

    # Day 6: 300 rows from accounts never seen before.
    burst = _feedback(rng, 6)
    bots = [f"bot-{i}" for i in range(300)]
    burst = burst.with_columns(pl.Series("customer_id", bots + burst["customer_id"][300:].to_list()))
    _land(tmp_path, "feedback", 6, burst)
    done = _run(tmp_path, "feedback", 6)
    assert done.code == 1, done.stdout + done.stderr
    assert _results(tmp_path, "feedback", "expect_new_value_share_to_be_within_history"
                    )[-1]["outcome"] == "failed"
    held = set(_held(tmp_path, "feedback")["customer_id"].to_list())
    assert set(bots) <= held  # every bot row is held ...
    assert not any(c.startswith("regular-") for c in held)  # ... and no regular's

    # Day 7: a trigger token in 2% of the rows, all labelled positive.
    poisoned, rows = plant(rng, _feedback(rng, 7), "cf42", 20)
    _land(tmp_path, "feedback", 7, poisoned)
    done = _run(tmp_path, "feedback", 7)
    assert done.code == 1, done.stdout + done.stderr
    found = _results(tmp_path, "feedback", "expect_no_label_trigger_tokens")[-1]
    assert found["outcome"] == "failed" and found["unexpected_count"] == 20
    ids = poisoned["id"].gather(rows).to_list()
    assert set(ids) <= set(_held(tmp_path, "feedback")["id"].to_list())


POLICIES = pl.DataFrame({"policy_id": ["US-STD", "US-GLD", "EU-STD"],
                         "max_refund": [100, 300, 100], "window_days": [30, 45, 30]})


def test_policy_edits_pass_only_when_approved(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "expectations" / "approvals.csv").write_text(
        "policy_id,approved_by,approved_at,max_refund\nUS-GLD,ana,2026-03-01T09:00:00Z,350\n")
    _land(tmp_path, "policy", 1, POLICIES)
    first = _run(tmp_path, "policy", 1)
    assert first.code == 0, first.stdout + first.stderr
    assert _results(tmp_path, "policy", "expect_table_changes_to_be_approved"
                    )[0]["outcome"] == "not_evaluated"
    # Day 2: the approved raise of US-GLD, and an unapproved one of EU-STD.
    edited = POLICIES.with_columns(pl.Series("max_refund", [100, 350, 9999]))
    _land(tmp_path, "policy", 2, edited)
    second = _run(tmp_path, "policy", 2)
    assert second.code == 1, second.stdout + second.stderr
    assert _held(tmp_path, "policy")["policy_id"].to_list() == ["EU-STD"]
    published = pl.concat([pl.read_parquet(f) for f in sorted(
        (tmp_path / "state" / "data" / "published").glob("dataset=policy/*/*.parquet"))])
    assert published.filter(pl.col("max_refund") == 350)["policy_id"].to_list() == ["US-GLD"]
    assert 9999 not in published["max_refund"].to_list()
    # Day 3: US-GLD is compared with its last published version (350: no change, no approval
    # needed any more); EU-STD changes again, unapproved.
    _land(tmp_path, "policy", 3, POLICIES.with_columns(pl.Series("max_refund", [100, 350, 120])))
    third = integrity("run", "policy", "--now", "2026-03-20T12:00:00Z", cwd=tmp_path)
    assert third.code == 1, third.stdout + third.stderr
    latest = _results(tmp_path, "policy", "expect_table_changes_to_be_approved")[-1]
    assert latest["outcome"] == "failed" and latest["unexpected_count"] == 1
    assert sorted(_held(tmp_path, "policy")["max_refund"].to_list()) == [120, 9999]


def test_the_context_reads_published_and_released_rows_never_held_ones(tmp_path: Path) -> None:
    from integrity.job.context import StoreContext
    from integrity.job.steward import release
    from integrity.types import PUBLISHED_BATCH_COLUMN, PublishedRows

    _project(tmp_path)
    (tmp_path / "expectations" / "approvals.csv").write_text("policy_id,approved_by\n")
    project = Project.load(tmp_path)
    _land(tmp_path, "policy", 1, POLICIES)
    run(project, "policy")
    _land(tmp_path, "policy", 2, POLICIES.with_columns(pl.Series("max_refund", [100, 300, 777])))
    second = run(project, "policy")  # EU-STD 777 is held (not approved)
    (entry,) = second.batches[0].quarantine_ids
    _land(tmp_path, "policy", 3, POLICIES.with_columns(pl.Series("max_refund", [100, 300, 555])))
    third = run(project, "policy")
    definition = project.dataset("policy")
    with project.open_store() as store:
        def rows(exclude: str | None) -> pl.DataFrame:
            context = StoreContext(store, "policy", exclude_batch=exclude,
                                   sink=project.sink(definition))
            assert isinstance(context, PublishedRows)
            found = context.published(None)
            assert found is not None
            return found.sort(PUBLISHED_BATCH_COLUMN, "policy_id").collect()

        before = rows(third.batches[0].batch_id)  # as the third batch saw it
        # Day 1's three rows, then day 2's two unchanged ones; EU-STD's 777 was held.
        assert before["max_refund"].to_list() == [100, 300, 100, 300, 100]
        assert before[PUBLISHED_BATCH_COLUMN].to_list() == [0, 0, 0, 1, 1]
        assert 777 not in rows(None)["max_refund"].to_list()  # held rows are never published
        release(project, entry, steward="ana", note="checked with legal")
        after = rows(third.batches[0].batch_id)
        released = after.filter(pl.col("max_refund") == 777)
        assert released[PUBLISHED_BATCH_COLUMN].to_list() == [1]  # with the batch it came in
        no_sink = StoreContext(store, "policy")
        assert no_sink.published(None) is None and "publish target" in no_sink.unpublished_reason()
    assert StoreContext(None, "policy").published(3) is None
