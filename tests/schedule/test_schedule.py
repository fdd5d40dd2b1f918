"""``integrity schedule start`` and ``list`` through the real console script: runs on their
triggers in child processes, /metrics read with Prometheus' own parser, alerts to a real webhook,
retries of what is transient (another process holding the dataset, a run that crashed) and none of
what is not, one scheduler per store, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from integrity.job import FAILPOINT_ENV, Project
from integrity.store import Store
from tests.clirun import integrity
from tests.job.test_alerting import with_alerts
from tests.job.test_run import HEADER, make_project, published_ids, quarantined_ids, write_csv
from tests.schedule.helpers import (
    assert_no_overlap,
    finished_runs,
    free_port,
    runs,
    start,
    wait_until,
)
from tests.webhook import webhook

CANARY = "canary-5e0c93d1b7a24f6e"


def scheduled(root: Path, name: str, schedule: str, *, bad: tuple[int, ...] = (),
              rows: range = range(0, 10)) -> None:
    write_csv(root / "src" / f"{name}.csv", rows, bad=bad)
    make_project(root, name=name, extra={"schedule": schedule})


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, read by prometheus_client's parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_bad_schedules_and_alerts_are_refused_at_start_and_by_check_config(tmp_path: Path) -> None:
    scheduled(tmp_path, "orders", "61 * * * *")
    scheduled(tmp_path, "refunds", "every 15x")
    scheduled(tmp_path, "tickets", "every 15m")
    with_alerts(tmp_path, [{"webhook": "https://hooks.example/${UNSET_HOOK_7C1}"}])
    started = integrity("schedule", "start", "--project", str(tmp_path), "--metrics-port", "0")
    checked = integrity("check-config", "--project", str(tmp_path))
    for result in (started, checked):
        assert result.code == 2, result
        errors = sorted(line for line in result.stderr.splitlines() if line.strip())
        assert len(errors) == 3, result.stderr
        assert errors[0].startswith(f"error: {tmp_path}/connectors/orders.yaml: schedule: '61 * * * *'")
        assert "maximum value (59)" in errors[0] and "'every 15m'" in errors[0]
        assert errors[1].startswith(f"error: {tmp_path}/connectors/refunds.yaml: schedule: 'every 15x'")
        assert errors[2].startswith(f"error: {tmp_path}/integrity.yaml: alerts[0].webhook: secret "
                                    "${UNSET_HOOK_7C1} is not set")
    assert not (tmp_path / "state" / "integrity.db").exists()  # nothing was started
    with_alerts(tmp_path, [])

    for name in ("orders", "refunds", "tickets"):
        path = tmp_path / "connectors" / f"{name}.yaml"
        path.write_text(yaml.safe_dump({k: v for k, v in yaml.safe_load(path.read_text()).items()
                                        if k != "schedule"}))
    none = integrity("schedule", "start", "--project", str(tmp_path), "--metrics-port", "0")
    assert none.code == 2 and "no dataset has a schedule" in none.stderr, none


def test_scheduled_runs_metrics_alerts_list_and_a_clean_stop(tmp_path: Path) -> None:
    scheduled(tmp_path, "orders", "every 1s", bad=(3,))
    scheduled(tmp_path, "refunds", "every 1s")
    (tmp_path / "src" / "refunds.csv").write_text(HEADER + "1,C-1,3,a,extra\n", encoding="utf-8")
    db = tmp_path / "state" / "integrity.db"
    down = f"http://127.0.0.1:{free_port()}/hook/${{HOOK_TOKEN}}"  # nothing listens there
    with webhook() as hook:
        with_alerts(tmp_path, [{"webhook": f"{hook.url}/hook/${{HOOK_TOKEN}}"},
                               {"webhook": down, "timeout": 1, "retries": 1}])
        scheduler = start(tmp_path, env={"HOOK_TOKEN": CANARY})
        try:
            wait_until(lambda: len(finished_runs(db, "orders")) >= 3
                       and len(finished_runs(db, "refunds")) >= 3, 90, "three runs of each")
            write_csv(tmp_path / "src" / "orders.csv", range(10, 15), append=True)
            wait_until(lambda: "clean: 5 rows, 5 published" in scheduler.log(), 60, "the new rows")
            exposition = scheduler.metrics()
            with Store.open(f"sqlite:///{db}") as store:
                batches = store.batches("orders")
                history = store.runs("refunds", limit=1000)
            second = integrity("schedule", "start", "--project", str(tmp_path), "--metrics-port", "0",
                               env={"HOOK_TOKEN": CANARY})
        finally:
            code = scheduler.stop(signal.SIGTERM)
        log = scheduler.log()
        assert code == 0, log
        bodies = hook.bodies()
    assert "Traceback" not in log and "scheduler stopped" in log
    # The receiver that is down is a warning in the log, and the webhook's secret is nowhere.
    assert "warning: alerts" not in log and "webhook #2 (127.0.0.1): the opened message" in log
    assert CANARY not in log + exposition
    for file in (tmp_path / "state").rglob("*"):
        if file.is_file():
            assert CANARY.encode() not in file.read_bytes(), file

    # Both datasets ran on their own, in child processes; orders published every row once.
    assert published_ids(tmp_path, "orders") == [i for i in range(15) if i != 3]
    assert quarantined_ids(tmp_path, "orders") == [3]
    assert_no_overlap(db, "orders")
    assert all(r[2] != "running" for r in runs(db))

    # /metrics, read by Prometheus' parser, agrees with the store.
    found = samples(exposition)
    published = sum(b.published_rows for b in batches if b.status != "pending")
    assert found[("integrity_rows_total", (("dataset", "orders"), ("outcome", "published")))] >= published >= 9
    assert found[("integrity_rows_total", (("dataset", "orders"), ("outcome", "quarantined")))] == 1
    assert found[("integrity_last_run_status", (("dataset", "refunds"), ("status", "failed")))] == 1
    assert found[("integrity_runs_total", (("dataset", "refunds"), ("status", "failed")))] >= 3
    assert ("integrity_last_success_timestamp_seconds", (("dataset", "orders"),)) in found
    assert found[("integrity_alert_incidents_open", (("dataset", "refunds"), ("kind", "failure")))] == 1
    assert found[("integrity_schedule_attempts_total", (("dataset", "orders"), ("outcome", "clean")))] >= 1
    assert ("integrity_schedule_next_run_timestamp_seconds", (("dataset", "orders"),)) in found

    # The broken source failed for good: recorded each time, never retried, alerted once. (A run
    # of it may still be going when the history is read: every finished one failed.)
    finished = [r for r in history if r["status"] != "running"]
    assert len(finished) >= 3
    assert all(r["status"] == "failed" and "fields, but the header has 4" in r["summary"]["error"]
               for r in finished)
    assert "refunds" not in "".join(line for line in log.splitlines() if "retry" in line)
    failures = [b for b in bodies if b["integrity"]["dataset"] == "refunds"]
    assert [b["integrity"]["message"] for b in failures] == ["opened"]
    assert [b["integrity"]["event"] for b in bodies if b["integrity"]["dataset"] == "orders"] == \
        ["quarantine", "quarantine"]  # held at the first run, resolved by the clean one

    # One scheduler per store.
    assert second.code == 2 and "another `integrity schedule start` is running" in second.stderr

    listed = integrity("schedule", "list", "--project", str(tmp_path), env={"HOOK_TOKEN": CANARY})
    assert listed.code == 0, listed
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in listed.stdout.splitlines() if line.startswith("│")}
    assert rows["orders"][0] == "every 1s" and rows["orders"][2] in ("clean", "empty")
    assert rows["refunds"][2] == "failed" and rows["refunds"][3]  # the next run, from the job store
    assert "refunds: last run failed: " in listed.stdout
    with sqlite3.connect(db) as conn:
        jobs = dict(conn.execute("SELECT id, next_run_time FROM schedule_jobs").fetchall())
    assert set(jobs) == {"dataset:orders", "dataset:refunds"}


def test_a_dataset_another_process_is_running_is_retried_and_never_overlaps(tmp_path: Path) -> None:
    # Every 10 s: both retries (after 0.5 and 1 s) come before the next run, however loaded the
    # machine is (with every 2 s a slow child start let the next run come first: no retry 2).
    scheduled(tmp_path, "orders", "every 10s")
    db = tmp_path / "state" / "integrity.db"
    project = Project.load(tmp_path)
    with project.open_store() as store, store.lock("orders"):  # a manual run holds the dataset
        scheduler = start(tmp_path, "--retries", "2")
        try:
            wait_until(lambda: "another process is running it; retry 2 of 2" in scheduler.log(), 60)
            wait_until(lambda: "skipped: another process is running this dataset" in scheduler.log(),
                       60)
            assert runs(db, "orders") == []  # no run started while the lock was held
        except BaseException:
            scheduler.stop()
            raise
    try:
        wait_until(lambda: finished_runs(db, "orders"), 60, "a run once the lock is free")
    finally:
        assert scheduler.stop() == 0
    assert published_ids(tmp_path, "orders") == list(range(10))
    assert_no_overlap(db, "orders")
    assert all(r[2] in ("clean", "empty") for r in runs(db, "orders"))


def test_a_run_that_crashes_does_not_take_the_scheduler_down(tmp_path: Path) -> None:
    scheduled(tmp_path, "orders", "every 10s", bad=(3,))
    db = tmp_path / "state" / "integrity.db"
    # Every run kills itself (SIGKILL) right after publishing, before the batch is complete. The
    # retry (after half a second) comes well before the next scheduled run, however loaded the
    # machine is, so it is always taken.
    scheduler = start(tmp_path, "--retries", "1", env={FAILPOINT_ENV: "after_publish"})
    try:
        wait_until(lambda: scheduler.log().count("was killed by SIGKILL") >= 3, 90, "three crashes")
        assert scheduler.proc.poll() is None  # still scheduling
    finally:
        assert scheduler.stop() == 0
    log = scheduler.log()
    assert "transient failure (the run's process was killed by SIGKILL" in log
    assert "retry 1 of 1" in log
    crashed = runs(db, "orders")
    assert crashed and all(r[2] == "failed" for r in crashed)
    assert "the next run finishes its batch" in json.loads(crashed[-1][5])["error"]

    again = start(tmp_path, log_name="again.log")  # no failpoint: the pending batch is finished
    try:
        wait_until(lambda: [r for r in runs(db, "orders") if r[2] in ("quarantined", "empty")], 60)
    finally:
        assert again.stop(signal.SIGINT) == 0  # Ctrl-C stops it as cleanly as SIGTERM
    assert published_ids(tmp_path, "orders") == [i for i in range(10) if i != 3]
    assert quarantined_ids(tmp_path, "orders") == [3]
