"""The scheduler service in process (no run falls due: yearly triggers): its stored jobs follow the
definitions across restarts, keeping a next run time whose schedule did not change, and a
/metrics port that is taken is one clear line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from integrity.errors import ConfigError
from integrity.job import Project
from integrity.schedule.service import Options, Service
from tests.job.test_run import make_project, write_csv
from tests.schedule.helpers import free_port

YEARLY = "0 0 1 1 *"


def project_with(root: Path, schedules: dict[str, str | None]) -> Project:
    for name, schedule in schedules.items():
        write_csv(root / "src" / f"{name}.csv", range(3))
        make_project(root, name=name, extra={"schedule": schedule} if schedule else None)
    return Project.load(root)


def stored_jobs(service: Service) -> dict[str, object]:
    return {job.id: job for job in service._scheduler.get_jobs(jobstore="default")}


def quiet(_message: str) -> None:
    pass


def test_stored_jobs_follow_the_definitions_across_restarts(tmp_path: Path) -> None:
    project = project_with(tmp_path, {"orders": YEARLY, "refunds": "every 12h", "tickets": None})
    service = Service.prepare(project, Options(metrics_port=0), quiet)
    service.start()
    try:
        first = stored_jobs(service)
        assert set(first) == {"dataset:orders", "dataset:refunds"}
        refunds_next = first["dataset:refunds"].next_run_time  # type: ignore[attr-defined]
    finally:
        service.stop()

    # refunds unchanged (its next run is kept), orders changed, tickets scheduled, nothing dropped
    definition = tmp_path / "connectors" / "orders.yaml"
    definition.write_text(yaml.safe_dump({**yaml.safe_load(definition.read_text()),
                                          "schedule": "0 6 1 1 *"}))
    project = project_with(tmp_path, {"tickets": YEARLY})
    again = Service.prepare(project, Options(metrics_port=0), quiet)
    again.start()
    try:
        jobs = stored_jobs(again)
        assert set(jobs) == {"dataset:orders", "dataset:refunds", "dataset:tickets"}
        assert jobs["dataset:refunds"].next_run_time == refunds_next  # type: ignore[attr-defined]
        assert jobs["dataset:orders"].next_run_time.hour == 6  # type: ignore[attr-defined]
        assert jobs["dataset:orders"].max_instances == 1  # type: ignore[attr-defined]
        assert jobs["dataset:orders"].coalesce is True  # type: ignore[attr-defined]
    finally:
        again.stop()

    definition.write_text(yaml.safe_dump({k: v for k, v in yaml.safe_load(definition.read_text())
                                          .items() if k != "schedule"}))
    last = Service.prepare(Project.load(tmp_path), Options(metrics_port=0), quiet)
    last.start()
    try:
        assert set(stored_jobs(last)) == {"dataset:refunds", "dataset:tickets"}
    finally:
        last.stop()


def test_a_metrics_port_that_is_taken_is_one_line(tmp_path: Path) -> None:
    project = project_with(tmp_path, {"orders": YEARLY})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        service = Service.prepare(project, Options(metrics_port=port), quiet)
        with pytest.raises(ConfigError, match=rf"cannot serve /metrics on 127.0.0.1:{port} "
                                              r"\(Address already in use\); choose another "
                                              r"--metrics-port, or 0 for none"):
            service.start()
    # Nothing was left behind: a scheduler starts on the same store at once.
    service = Service.prepare(project, Options(metrics_port=0), quiet)
    service.start()
    service.stop()
