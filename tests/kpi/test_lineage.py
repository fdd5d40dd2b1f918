"""OpenLineage run events from real runs of the job: the file transport and the HTTP transport against
a real server on loopback (one that records, one that is down, one that is slow). Events are read
back into the OpenLineage client's own model, which validates them as it builds them."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    error_message_run,
)
from openlineage.client.serde import Serde

from integrity.job import Project, run
from integrity.store import Store
from tests.job.test_run import make_project, write_csv

CANARY = "s3cr3t-canary-91f2"


def with_lineage(project: Project, lineage: dict[str, Any]) -> Project:
    path = project.root / "integrity.yaml"
    config = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**config, "lineage": lineage}))
    return Project.load(project.root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    return make_project(tmp_path)


def model(raw: dict[str, Any]) -> RunEvent:
    """The event rebuilt with openlineage-python's classes (their validators check run id, times,
    producer); its serialization must give back exactly what was sent."""
    def dataset(d: dict[str, Any]) -> InputDataset:
        facets = d.get("inputFacets", {})
        found: dict[str, Any] = {}
        if "dataQualityAssertions" in facets:
            found["dataQualityAssertions"] = (
                data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                    assertions=[data_quality_assertions_dataset.Assertion(**a) for a in
                                facets["dataQualityAssertions"]["assertions"]]))
        if "dataQualityMetrics" in facets:
            metrics = dict(facets["dataQualityMetrics"])
            found["dataQualityMetrics"] = (
                data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
                    columnMetrics=metrics.get("columnMetrics", {}), rowCount=metrics["rowCount"]))
        return InputDataset(namespace=d["namespace"], name=d["name"], inputFacets=found)

    run_facets: dict[str, Any] = {}
    if "errorMessage" in raw["run"].get("facets", {}):
        error = raw["run"]["facets"]["errorMessage"]
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error["message"], programmingLanguage=error["programmingLanguage"])
    event = RunEvent(eventType=RunState(raw["eventType"]), eventTime=raw["eventTime"],
                     run=Run(runId=raw["run"]["runId"], facets=run_facets),
                     job=Job(namespace=raw["job"]["namespace"], name=raw["job"]["name"]),
                     inputs=[dataset(d) for d in raw["inputs"]], outputs=[],
                     producer=raw["producer"])
    rebuilt = Serde.to_dict(event)
    for facet in (*rebuilt["inputs"][0]["inputFacets"].values(),
                  *rebuilt["run"].get("facets", {}).values()):
        facet.pop("_producer", None)
    sent = json.loads(json.dumps(raw))
    for facet in (*sent["inputs"][0]["inputFacets"].values(), *sent["run"].get("facets", {}).values()):
        facet.pop("_producer", None)
    assert rebuilt == sent
    return event


def assertions(event: RunEvent) -> list[tuple[str, bool, str | None]]:
    assert event.inputs
    facet = event.inputs[0].inputFacets["dataQualityAssertions"]  # type: ignore[index]
    return [(a.assertion, a.success, a.column) for a in facet.assertions]


SUITE_VERDICTS = [("expect_column_values_to_not_be_null", False, "customer_id"),
                  ("expect_column_values_to_be_between", False, "rating"),
                  ("expect_column_mean_to_be_between", True, "rating")]


def test_file_transport_gets_one_event_per_run(project: Project) -> None:
    project = with_lineage(project, {"transport": "file", "path": "state/lineage/events.jsonl",
                                     "namespace": "support"})
    first = run(project, "feedback")
    write_csv(project.root / "src" / "feedback.csv", range(10, 15), append=True)
    second = run(project, "feedback")
    assert first.notes == [] and second.notes == []
    path = project.root / "state" / "lineage" / "events.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    events = [model(json.loads(line)) for line in path.read_text().splitlines()]
    assert len(events) == 2
    one, two = events
    assert one.eventType is RunState.COMPLETE and one.job.namespace == "support"
    assert one.job.name == "integrity.feedback" and one.inputs[0].name == "feedback"  # type: ignore[index]
    assert one.run.runId != two.run.runId
    assert assertions(one) == SUITE_VERDICTS
    assert assertions(two) == [(t, True, c) for t, _, c in SUITE_VERDICTS]
    metrics = one.inputs[0].inputFacets["dataQualityMetrics"]  # type: ignore[index]
    assert metrics.rowCount == 10
    facet = one.inputs[0].inputFacets["dataQualityAssertions"]  # type: ignore[index]
    held = {a.assertion: a.params.get("held_rows") for a in facet.assertions}
    assert held == {"expect_column_values_to_not_be_null": 1,
                    "expect_column_values_to_be_between": 1, "expect_column_mean_to_be_between": 0}
    assert facet.assertions[0].actual == "1"  # the count, never the customer's values

    third = run(project, "feedback")  # nothing new: an event with no assertions
    assert third.batches == [] and third.notes == []
    last = model(json.loads(path.read_text().splitlines()[-1]))
    assert assertions(last) == []


def test_a_failed_run_sends_fail_with_its_error(project: Project) -> None:
    project = with_lineage(project, {"transport": "file", "path": "events.jsonl"})
    (project.root / "src" / "feedback.csv").unlink()
    with pytest.raises(Exception):  # noqa: B017  (the connector's error, whichever it is)
        run(project, "feedback")
    (event,) = [model(json.loads(line))
                for line in (project.root / "events.jsonl").read_text().splitlines()]
    assert event.eventType is RunState.FAIL
    assert "feedback.csv" in event.run.facets["errorMessage"].message  # type: ignore[index]


class Recorder(BaseHTTPRequestHandler):
    """POSTs are recorded; a path under /slow/ answers after two seconds."""

    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/slow/"):
            time.sleep(2)
        self.received.append((self.path, dict(self.headers), body))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    Recorder.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_http_transport_posts_with_the_key_from_the_environment(
        project: Project, server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OL_KEY", CANARY)
    port = server.server_address[1]
    project = with_lineage(project, {"transport": "http", "url": f"http://127.0.0.1:{port}",
                                     "api_key": "${OL_KEY}"})
    summary = run(project, "feedback")
    assert summary.notes == []
    ((path, headers, body),) = Recorder.received
    assert path == "/api/v1/lineage"
    assert headers["Authorization"] == f"Bearer {CANARY}"
    event = model(json.loads(body))
    assert assertions(event) == SUITE_VERDICTS
    with project.open_store() as store:
        assert CANARY not in json.dumps(store.runs("feedback"))


def test_a_server_that_is_down_or_slow_never_fails_the_run(
        project: Project, server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    monkeypatch.setenv("OL_PATH", CANARY)
    down = with_lineage(project, {"transport": "http", "url": f"http://127.0.0.1:{dead}/${{OL_PATH}}/",
                                  "timeout": 5})
    summary = run(down, "feedback")
    assert summary.exit_code == 1  # the data's verdict, as without lineage
    (note,) = summary.notes
    assert note.startswith("lineage: the event was not sent: ConnectionError")
    assert CANARY not in note and "***" in note
    with Store.open(down.store_url) as store:
        recorded = store.runs("feedback")[0]
    assert recorded["status"] == "quarantined" and recorded["summary"]["notes"] == [note]

    port = server.server_address[1]
    write_csv(project.root / "src" / "feedback.csv", range(10, 12), append=True)
    slow = with_lineage(project, {"transport": "http", "url": f"http://127.0.0.1:{port}/slow/",
                                  "timeout": 0.3})
    summary = run(slow, "feedback")
    assert summary.exit_code == 0
    assert summary.notes == ["lineage: the http transport did not confirm the event within 0.3 s "
                             "(lineage.timeout); the run went on without it"]


def test_a_missing_secret_is_a_note_naming_it(project: Project,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OL_UNSET_KEY", raising=False)
    project = with_lineage(project, {"transport": "http", "url": "http://127.0.0.1:9",
                                     "api_key": "${OL_UNSET_KEY}"})
    summary = run(project, "feedback")
    (note,) = summary.notes
    assert "secret ${OL_UNSET_KEY} is not set" in note and "lineage.api_key" in note


def test_lineage_settings_are_checked_when_the_project_loads(tmp_path: Path) -> None:
    from integrity.errors import ConfigError

    (tmp_path / "integrity.yaml").write_text(yaml.safe_dump({"lineage": {"transport": "http"}}))
    with pytest.raises(ConfigError, match="transport 'http' needs url"):
        Project.load(tmp_path)
    (tmp_path / "integrity.yaml").write_text(yaml.safe_dump({"lineage": {"transport": "kafka",
                                                                        "path": "x"}}))
    with pytest.raises(ConfigError, match=r"lineage\.transport"):
        Project.load(tmp_path)
