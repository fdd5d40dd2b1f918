"""The KPI views on SQLite against a store with a known history (tests/kpi/history.py), and the
migration that adds them to a store earlier versions filled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.store import Store
from tests.kpi import history as hist
from tests.kpi.checks import check_views, check_windows


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[Store, hist.History]]:
    with Store.open(f"sqlite:///{tmp_path / 'integrity.db'}") as store:
        yield store, hist.build(store)


def test_views_give_the_known_history_numbers(built: tuple[Store, hist.History]) -> None:
    check_views(*built)


def test_dataset_and_day_windows(built: tuple[Store, hist.History]) -> None:
    check_windows(built[0])


def test_an_empty_store_has_empty_views(tmp_path: Path) -> None:
    from integrity.kpi import read_view, summarize
    from integrity.store.kpi_views import VIEW_NAMES

    with Store.open(f"sqlite:///{tmp_path / 'integrity.db'}") as store:
        for name in VIEW_NAMES:
            assert read_view(store, name).is_empty()
        assert summarize(read_view(store, "daily")).is_empty()


def test_the_migration_fills_in_what_earlier_runs_recorded(tmp_path: Path) -> None:
    from tests.kpi.legacy import at_0001, check_upgraded

    url = f"sqlite:///{tmp_path / 'integrity.db'}"
    at_0001(url)
    check_upgraded(url)


def test_the_views_know_every_batch_status() -> None:
    import re

    from integrity.store import BATCH_STATUSES
    from integrity.store.kpi_views import NO_VERDICT, VERDICTS

    named = re.findall(r"'(\w+)'", VERDICTS) + re.findall(r"'(\w+)'", NO_VERDICT)
    assert sorted(named) == sorted(BATCH_STATUSES)  # a new status must be placed on one side
