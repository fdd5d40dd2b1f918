"""Alert incidents and webhooks on a real results store and a real HTTP server on loopback:
one message per incident (plus reminders and the resolution), retries, a server that is down or
slow, Slack escaping, and webhook secrets that never leave the process."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.alerts import Event, deliver, destinations, incidents, record, send
from integrity.config import AlertConfig
from integrity.store import Store
from tests.webhook import closed_port, webhook

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
CANARY = "canary-7f3a9c2e51d84b06"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'state' / 'integrity.db'}") as opened:
        yield opened


def hooks(url: str, **settings: object) -> list:  # type: ignore[type-arg]
    found, problems = destinations([AlertConfig.model_validate({"webhook": url, **settings})],
                                   where="integrity.yaml: alerts")
    assert problems == []
    return found


def failure(dataset: str = "orders", error: str = "source unreachable", run_id: int = 1) -> Event:
    return Event(dataset, "failure", True, {"error": error, "run_id": run_id})


def test_a_failure_every_15_minutes_for_a_day_is_one_message_then_one_resolution(
        store: Store) -> None:
    with webhook() as hook:
        found = hooks(hook.url, remind_after=None)
        for i in range(96):
            now = T0 + dt.timedelta(minutes=15 * i)
            record(store, [failure(run_id=i + 1)], now=now)
            assert deliver(store, "orders", found, now=now, budget=5) == []
        assert len(hook.bodies()) == 1
        end = T0 + dt.timedelta(days=1)
        record(store, [Event("orders", "failure", False, {"run_id": 97})], now=end)
        assert deliver(store, "orders", found, now=end, budget=5) == []
        assert deliver(store, "orders", found, now=end, budget=5) == []  # nothing more owed
        opened, resolved = hook.bodies()
    assert opened["integrity"]["message"] == "opened" and "failed (run 1)" in opened["text"]
    assert resolved["integrity"]["message"] == "resolved"
    assert "96 failed runs" in resolved["text"] and "2025-03-01 12:00 UTC" in resolved["text"]
    (incident,) = incidents(store, "orders")
    assert incident.occurrences == 96 and not incident.open


def test_an_open_incident_is_reminded_after_remind_after_and_a_new_one_opens_later(
        store: Store) -> None:
    with webhook() as hook:
        found = hooks(hook.url, remind_after="PT6H")
        for hours in (0, 1, 5, 6, 7, 12):
            now = T0 + dt.timedelta(hours=hours)
            record(store, [failure()], now=now)
            deliver(store, "orders", found, now=now, budget=5)
        messages = [b["integrity"]["message"] for b in hook.bodies()]
        assert messages == ["opened", "reminder", "reminder"]  # at 0 h, 6 h and 12 h
        later = T0 + dt.timedelta(days=2)
        record(store, [Event("orders", "failure", False)], now=later)
        record(store, [failure(error="schema changed")], now=later)  # a new incident
        deliver(store, "orders", found, now=later, budget=5)
        texts = [b["text"] for b in hook.bodies()[3:]]
    assert [b["integrity"]["message"] for b in hook.bodies()[3:]] == ["resolved", "opened"]
    assert "schema changed" in texts[1]
    assert [i.open for i in incidents(store, "orders")] == [False, True]


def test_each_destination_gets_only_the_kinds_it_asked_for(store: Store) -> None:
    with webhook() as quarantines, webhook() as everything:
        found = (hooks(quarantines.url + "/q", on=["quarantine"])
                 + hooks(everything.url + "/all"))
        record(store, [failure(), Event("orders", "quarantine", True, {"rows": 3,
                                                                       "quarantine_ids": ["q1"]})],
               now=T0)
        deliver(store, "orders", found, now=T0, budget=5)
        assert [b["integrity"]["event"] for b in quarantines.bodies()] == ["quarantine"]
        assert sorted(b["integrity"]["event"] for b in everything.bodies()) == ["failure",
                                                                                "quarantine"]
        assert "3 rows quarantined" in quarantines.bodies()[0]["text"]
        assert "integrity quarantine show q1" in quarantines.bodies()[0]["text"]


def test_transient_answers_are_retried_with_backoff(store: Store) -> None:
    with webhook(statuses=[503, 429, 200]) as hook:
        (destination,) = hooks(hook.url, retries=3, timeout=10)
        delivery = send(destination, {"text": "hello"})
    assert delivery.ok and delivery.attempts == 3
    assert [r["status"] for r in hook.received] == [503, 429, 200]


def test_a_refusal_is_not_retried_at_once_and_stays_owed(store: Store) -> None:
    with webhook(statuses=[404]) as hook:
        found = hooks(hook.url, retries=3)
        record(store, [failure()], now=T0)
        (problem,) = deliver(store, "orders", found, now=T0, budget=5)
        assert "HTTP 404, 1 attempt)" in problem and "sent again" in problem
        assert len(hook.received) == 1
        deliver(store, "orders", found, now=T0 + dt.timedelta(minutes=1), budget=5)
        assert [r["status"] for r in hook.received] == [404, 200]  # owed, then delivered


def test_a_server_that_is_down_costs_the_caller_little_and_the_message_stays_owed(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_TOKEN", CANARY)
    port = closed_port()
    found, problems = destinations([AlertConfig(webhook=f"http://127.0.0.1:{port}/hook/${{HOOK_TOKEN}}",
                                                timeout=2, retries=2)], where="integrity.yaml: alerts")
    assert problems == []
    record(store, [failure()], now=T0)
    started = time.monotonic()
    (problem,) = deliver(store, "orders", found, now=T0, budget=2)
    assert time.monotonic() - started < 10  # bounded by the 2 s budget, far below any run
    assert "Connection refused" in problem and CANARY not in problem
    assert "webhook #1 (127.0.0.1)" in problem
    (incident,) = incidents(store, "orders")
    state = next(iter(incident.deliveries.values()))
    assert "opened" not in state.get("sent", {}) and state["attempts"] >= 1
    with webhook() as hook:  # the receiver comes back (on another port: the config says where)
        found, _ = destinations([AlertConfig(webhook=f"{hook.url}/hook/${{HOOK_TOKEN}}")],
                                where="integrity.yaml: alerts")
        assert deliver(store, "orders", found, now=T0 + dt.timedelta(minutes=5), budget=5) == []
        assert hook.received[0]["path"] == f"/hook/{CANARY}"


def test_a_slow_server_is_given_up_on_within_the_timeout(store: Store) -> None:
    with webhook(delay=30) as hook:
        found = hooks(hook.url, timeout=1, retries=5)
        record(store, [failure()], now=T0)
        started = time.monotonic()
        (problem,) = deliver(store, "orders", found, now=T0, budget=1)
        elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed  # the server answers after 30 s; the caller left long before
    assert "timed out" in problem


def test_text_from_a_run_cannot_mention_or_link_in_slack(store: Store) -> None:
    with webhook() as hook:
        record(store, [failure(error="bad row <!channel> see <https://evil.example|here> & more")],
               now=T0)
        deliver(store, "orders", hooks(hook.url), now=T0, budget=5)
        (body,) = hook.bodies()
    assert "<!channel>" not in body["text"] and "<https://" not in body["text"]
    assert "&lt;!channel&gt;" in body["text"] and "&amp; more" in body["text"]


def test_two_senders_at_once_send_one_message(store: Store) -> None:
    with webhook(delay=0.5) as hook:
        found = hooks(hook.url)
        record(store, [failure()], now=T0)
        threads = [threading.Thread(target=deliver, args=(store, "orders", found),
                                    kwargs={"now": T0, "budget": 5}) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with hook.lock:
            assert len(hook.received) == 1  # one POST reached the receiver, not one per sender


def test_an_unset_secret_or_a_scheme_other_than_http_is_one_line_without_the_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_HOOK", raising=False)
    monkeypatch.setenv("FILE_HOOK", f"file:///etc/{CANARY}")
    found, problems = destinations([AlertConfig(webhook="https://hooks.example/${NOT_SET_HOOK}"),
                                    AlertConfig(webhook="${FILE_HOOK}")], where="integrity.yaml: alerts")
    assert found == []
    assert problems[0].startswith("integrity.yaml: alerts[0].webhook: secret ${NOT_SET_HOOK} is not set")
    assert problems[1].startswith("integrity.yaml: alerts[1].webhook: an alert webhook is an http")
    assert CANARY not in " ".join(problems)


def test_secrets_never_reach_the_store_or_the_messages(store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_TOKEN", CANARY)
    problems: list[str] = []
    with webhook(statuses=[500] * 10) as failing:
        found, _ = destinations([AlertConfig(webhook=f"{failing.url}/a/${{HOOK_TOKEN}}?k=${{HOOK_TOKEN}}",
                                             retries=1, timeout=2)], where="integrity.yaml: alerts")
        for i in range(3):
            now = T0 + dt.timedelta(days=i)
            record(store, [failure(run_id=i)], now=now)
            problems += deliver(store, "orders", found, now=now, budget=2)
    assert problems and all(CANARY not in p for p in problems)
    assert all("HTTP 500" in p for p in problems)
    store.close()
    for file in (tmp_path / "state").iterdir():
        assert CANARY.encode() not in file.read_bytes(), file
