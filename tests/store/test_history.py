"""The results store's history and baselines on SQLite (the same cases run on PostgreSQL in
tests/integration/test_history_postgres.py)."""

from __future__ import annotations

import datetime as dt
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from integrity.job.context import StoreContext
from integrity.store import BatchHistory, Store
from tests.store import history_cases as cases


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'integrity.db'}") as opened:
        yield opened


def test_history_checks_match_hand_computed_values(store: Store) -> None:
    cases.history_checks_match_hand_computed_values(store)


def test_history_round_trips(store: Store) -> None:
    cases.history_round_trips(store)


def test_baselines_round_trip(store: Store) -> None:
    cases.baselines_round_trip(store)


def stand_in_profiles(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    """A stand-in for the drift checks' profile module (integrity.checks.stats.profile), whose
    merge adds up counts: records what it was asked to merge."""
    calls: list[list[dict[str, Any]]] = []

    def merge_profiles(profiles: list[dict[str, Any]]) -> dict[str, Any]:
        calls.append(profiles)
        return {"n": sum(p["n"] for p in profiles)}

    module = types.ModuleType("integrity.checks.stats.profile")
    module.merge_profiles = merge_profiles  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "integrity.checks.stats.profile", module)
    return calls


def test_the_context_serves_the_baseline_in_force(store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls = stand_in_profiles(monkeypatch)
    for i in range(4):
        cases.record(store, "labels", f"l{i}", 10, history=BatchHistory(10, {}, profile={"n": i}))
    cases.record(store, "labels", "held", 10)  # quarantined: no profile of it ever merges
    assert StoreContext(store, "labels").baseline() is None  # none set yet
    store.set_baseline("labels", kind="batch", source="l1", rolling=None, profile={"n": 1},
                       actor="ana")
    assert StoreContext(store, "labels").baseline() == {"n": 1}
    store.set_baseline("labels", kind="rolling", source=None, rolling=3, profile=None, actor="ana")
    # The last three published batches, merged; the batch being validated is not one of them.
    assert StoreContext(store, "labels").baseline() == {"n": 1 + 2 + 3}
    assert StoreContext(store, "labels", exclude_batch="l3").baseline() == {"n": 0 + 1 + 2}
    assert calls[-1] == [{"n": 0}, {"n": 1}, {"n": 2}]
    # Without a store or a dataset, there is nothing to compare with.
    assert StoreContext(None, "labels").baseline() is None
    assert StoreContext(None, "labels").history(14) == []


def test_a_store_made_by_the_previous_release_upgrades_and_keeps_its_batches(
        tmp_path: Path) -> None:
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from integrity.store import connect, schema

    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(connect.MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        now = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        conn.execute(sa.insert(schema.runs).values(id=1, dataset="orders", status="clean",
                                                   started_at=now))
        conn.execute(sa.insert(schema.batches).values(
            batch_id="b0", dataset="orders", run_id=1, status="published",
            info=cases.info("orders", "b0", 3).to_dict(), row_count=3, watermark_before={},
            watermark_after={}, published_rows=3, quarantined_rows=0, created_at=now,
            completed_at=now))
    engine.dispose()
    with Store.open(f"sqlite:///{path}") as old:  # migrates on open
        assert connect.current_revision(old.engine) == connect.HEAD_REVISION
        found = old.batch("b0")
        assert found is not None and found.published_rows == 3
        assert old.history("orders", 14) == []  # batches from before have no history
        cases.record(old, "orders", "b1", 5, history=BatchHistory(5, {"x": {"mean": 1.0}}))
        assert [h["row_count"] for h in old.history("orders", 14)] == [5]
