"""A scheduled dataset whose API answers 500 for a while (a real HTTP server on loopback): the
scheduler retries the run with backoff until the API is back, and the retried run publishes every
record once; nothing is alerted, since the run succeeded in the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.store import Store
from tests.integration.test_pipeline_http import TOKEN, TOKEN_ENV, Api, serve
from tests.job.test_alerting import with_alerts
from tests.job.test_run import make_project, published_ids
from tests.schedule.helpers import start, wait_until
from tests.webhook import webhook

pytestmark = pytest.mark.integration


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    yield from serve(Api())


def test_a_source_that_fails_for_a_while_is_retried_with_backoff(tmp_path: Path,
                                                                 api: tuple[Api, str]) -> None:
    state, url = api
    state.add(0, 6)
    state.mode = "500"
    # "refunds" starts about a second into its first 45 s (the scheduler staggers by name).
    make_project(tmp_path, name="refunds", extra={"schedule": "every 45s"}, connector={
        "type": "http", "params": {"url": url, "records_path": "data", "pagination": "page",
                                   "page_size_param": "per_page", "page_size": 4,
                                   "auth_header": "Bearer ${" + TOKEN_ENV + "}",
                                   "max_retries": 0, "timeout": 5}})
    with webhook() as hook:
        with_alerts(tmp_path, [{"webhook": hook.url}])
        scheduler = start(tmp_path, "--retries", "4", "--backoff", "1",
                          env={TOKEN_ENV: TOKEN})
        try:
            wait_until(lambda: "retry 2 of 4" in scheduler.log(), 60, "two failed attempts")
            state.mode = "ok"  # the API is back
            wait_until(lambda: published_ids(tmp_path, "refunds"), 60, "the retried run")
        finally:
            assert scheduler.stop() == 0
        log = scheduler.log()
        assert hook.bodies() == []  # it succeeded before the scheduler gave up: no incident
    assert "refunds': transient failure (dataset 'refunds'" in log and "HTTP 500" in log
    assert ", 3 attempts)" in log or ", 4 attempts)" in log
    assert published_ids(tmp_path, "refunds") == list(range(6))
    with Store.open(f"sqlite:///{tmp_path / 'state' / 'integrity.db'}") as store:
        statuses = [r["status"] for r in reversed(store.runs("refunds"))]
    assert statuses[:2] == ["failed", "failed"] and statuses[-1] == "clean"
