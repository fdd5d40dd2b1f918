"""Alerts after a run, through the real ``integrity run`` and in process: one message per incident,
staleness even when runs find nothing, and a webhook that is down or slow never changes or holds
up the run. Webhooks are real HTTP servers on loopback (tests/webhook.py)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import yaml

from integrity.alerts import incidents
from integrity.errors import ConnectorError, LockedError, StoreError
from integrity.job import Project, run
from integrity.job.alerting import RunOutcome, after_run, check_datasets, is_transient
from tests.cli.test_run_cli import cli
from tests.job.test_run import HEADER, make_project, write_csv
from tests.webhook import closed_port, webhook

CANARY = "canary-0b7d4e2a9c615f38"


def with_alerts(root: Path, alerts: Any, *, dataset: dict[str, Any] | None = None,
                name: str = "feedback") -> Project:
    """The project at ``root`` with ``alerts:`` in integrity.yaml (and ``dataset`` fields added to
    the dataset's definition)."""
    config = yaml.safe_load((root / "integrity.yaml").read_text())
    (root / "integrity.yaml").write_text(yaml.safe_dump({**config, "alerts": alerts}))
    if dataset:
        path = root / "connectors" / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **dataset}))
    return Project.load(root)


def events(bodies: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(b["integrity"]["event"], b["integrity"]["message"]) for b in bodies]


def test_rows_held_run_after_run_are_one_quarantine_incident(tmp_path: Path) -> None:
    src = tmp_path / "src" / "feedback.csv"
    write_csv(src, range(0, 10), bad=(3,))
    make_project(tmp_path)
    with webhook() as hook:
        project = with_alerts(tmp_path, [{"webhook": f"{hook.url}/slack"}])
        outcome = RunOutcome.of_summary(run(project, "feedback"))
        assert outcome.status == "quarantined" and outcome.quarantined_rows == 1
        assert after_run(project, outcome) == []
        write_csv(src, range(10, 14), bad=(12,), append=True)
        assert after_run(project, RunOutcome.of_summary(run(project, "feedback"))) == []
        write_csv(src, range(14, 16), append=True)
        assert after_run(project, RunOutcome.of_summary(run(project, "feedback"))) == []
        assert events(hook.bodies()) == [("quarantine", "opened"), ("quarantine", "resolved")]
        opened, resolved = hook.bodies()
    assert "1 row quarantined (run 1)" in opened["text"]
    assert "#0 expect_column_values_to_not_be_null on customer_id" in opened["text"]
    assert "integrity quarantine show " + outcome.quarantine_ids[0] in opened["text"]
    assert "2 runs held rows, 2 rows in all" in resolved["text"]


def test_integrity_run_alerts_a_failure_once_and_keeps_its_exit_codes(tmp_path: Path) -> None:
    src = tmp_path / "src" / "feedback.csv"
    make_project(tmp_path)
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(HEADER + "16,C-16,3,a\n17,C-17,3,b,extra\n", encoding="utf-8")
    with webhook() as hook:
        with_alerts(tmp_path, [{"webhook": f"{hook.url}/slack"}])
        root = str(tmp_path)
        for _ in range(2):  # a broken source, run after run: one failure message
            result = cli("run", "feedback", "--project", root)
            assert result.code == 2 and "warning" not in result.stderr, result.stderr
        write_csv(src, range(0, 5))
        assert cli("run", "feedback", "--project", root).code == 0
        assert events(hook.bodies()) == [("failure", "opened"), ("failure", "resolved")]
        opened, resolved = hook.bodies()
    assert "failed (run 1)" in opened["text"] and "fields, but the header has 4" in opened["text"]
    assert "2 failed runs" in resolved["text"]


def test_a_webhook_that_is_down_or_slow_never_fails_or_holds_up_the_run(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    make_project(tmp_path)
    env = {"HOOK_TOKEN": CANARY}
    down = f"http://127.0.0.1:{closed_port()}/hook/${{HOOK_TOKEN}}"
    outputs = []
    with webhook(delay=60) as slow:
        with_alerts(tmp_path, [{"webhook": down, "timeout": 1, "retries": 2},
                               {"webhook": f"{slow.url}/hook/${{HOOK_TOKEN}}", "timeout": 1}])
        started = time.monotonic()
        result = cli("run", "feedback", "--project", str(tmp_path), env=env)
        elapsed = time.monotonic() - started
        assert result.code == 1, result.stderr  # what the run itself found: rows held
        assert elapsed < 30, elapsed  # the slow receiver answers after 60 s
        outputs.append(result.stdout + result.stderr)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 2, result.stderr
        assert "webhook #1 (127.0.0.1): the opened message of dataset 'feedback'" in warnings[0]
        assert "Connection refused" in warnings[0] and "timed out" in warnings[1]
        # The next run tries what is still owed, and still finishes.
        write_csv(tmp_path / "src" / "feedback.csv", range(10, 12), append=True)
        again = cli("run", "feedback", "--project", str(tmp_path), env=env)
        assert again.code == 0 and "not delivered" in again.stderr
        outputs.append(again.stdout + again.stderr)
        assert slow.received and all(r["path"] == f"/hook/{CANARY}" for r in slow.received)
    for text in outputs:
        assert CANARY not in text
    for file in (tmp_path / "state").rglob("*"):
        if file.is_file():
            assert CANARY.encode() not in file.read_bytes(), file


def test_a_silent_source_is_stale_even_when_runs_find_nothing(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 5))
    make_project(tmp_path)
    with webhook() as hook:
        project = with_alerts(tmp_path, {"webhook": hook.url, "on": ["staleness"]},
                              dataset={"freshness": {"max_age": "PT6H"}})
        first = run(project, "feedback")
        now = dt.datetime.now(dt.UTC)
        assert after_run(project, RunOutcome.of_summary(first), now=now) == []
        assert hook.bodies() == []  # fresh
        empty = RunOutcome.of_summary(run(project, "feedback"))
        assert empty.status == "empty"
        assert after_run(project, empty, now=now + dt.timedelta(hours=7)) == []
        assert after_run(project, empty, now=now + dt.timedelta(hours=8)) == []
        (stale,) = hook.bodies()
        assert stale["integrity"]["event"] == "staleness"
        assert "no new rows for 7h" in stale["text"] and "max_age 6h" in stale["text"]
        write_csv(tmp_path / "src" / "feedback.csv", range(5, 7), append=True)
        fresh = RunOutcome.of_summary(run(project, "feedback"))
        assert after_run(project, fresh) == []
        assert events(hook.bodies()) == [("staleness", "opened"), ("staleness", "resolved")]


def test_the_scheduler_check_trips_staleness_and_sends_what_runs_could_not(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 5))
    make_project(tmp_path)
    with webhook(statuses=[503, 503]) as hook:  # down for the run's two attempts
        project = with_alerts(tmp_path, [{"webhook": hook.url, "retries": 1}],
                              dataset={"freshness": {"max_age": "PT1H"}})
        run(project, "feedback")
        failed = RunOutcome("feedback", "failed", error="source timed out", transient=True)
        (problem,) = after_run(project, failed)
        assert "HTTP 503, 2 attempts" in problem
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        with project.open_store() as store:  # no run ends: the scheduler's minute check
            assert check_datasets(project, store, project.dataset_names(), now=later) == []
        assert sorted(events(hook.bodies())) == [("failure", "opened"), ("staleness", "opened")]


def test_a_source_that_never_had_rows_is_stale_from_its_first_run(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "feedback.csv").write_text(HEADER, encoding="utf-8")  # no rows yet
    make_project(tmp_path)
    with webhook() as hook:
        project = with_alerts(tmp_path, [], dataset={"freshness": {"max_age": "PT1H"},
                                                     "alerts": [{"webhook": hook.url}]})
        outcome = RunOutcome.of_summary(run(project, "feedback"))
        assert outcome.status == "empty"
        after_run(project, outcome, now=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=90))
        (stale,) = hook.bodies()
        assert "no rows since it was first run" in stale["text"]


def test_a_dataset_with_alerts_off_sends_nothing_and_a_locked_run_is_no_incident(
        tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    make_project(tmp_path)
    with webhook() as hook:
        project = with_alerts(tmp_path, [{"webhook": hook.url}], dataset={"alerts": []})
        assert after_run(project, RunOutcome.of_summary(run(project, "feedback"))) == []
        project = with_alerts(tmp_path, [{"webhook": hook.url}], dataset={"alerts": None})
        locked = RunOutcome.of_error("feedback", LockedError("dataset 'feedback' is being run"))
        assert locked.status == "locked" and after_run(project, locked) == []
        assert hook.bodies() == []
        with project.open_store() as store:
            assert incidents(store) == []


def test_transient_errors_are_told_from_terminal_ones() -> None:
    assert is_transient(ConnectorError("timeout", transient=True))
    assert not is_transient(ConnectorError("HTTP 404", transient=False))
    assert is_transient(LockedError("busy"))
    assert is_transient(StoreError("cannot reach the results store at postgresql://..."))
    assert not is_transient(StoreError("cannot migrate the results store"))
    assert not is_transient(ValueError("bug"))
