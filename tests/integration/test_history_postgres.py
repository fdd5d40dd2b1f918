"""The results store's history and baselines on a real PostgreSQL (JSONB, timestamptz): the same
cases as tests/store/test_history.py, on a database of its own, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from integrity.store import Store
from tests.pg import PG_URL
from tests.store import history_cases as cases

pytestmark = pytest.mark.integration


@pytest.fixture
def store(admin: sa.Engine) -> Iterator[Store]:
    name = f"integrity_history_{uuid.uuid4().hex[:12]}"
    quoted = admin.dialect.identifier_preparer.quote(name)  # ours (hex), quoted by the dialect
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    try:
        url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with Store.open(url) as opened:
            yield opened
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))


def test_history_checks_match_hand_computed_values(store: Store) -> None:
    cases.history_checks_match_hand_computed_values(store)


def test_history_round_trips(store: Store) -> None:
    cases.history_round_trips(store)


def test_baselines_round_trip(store: Store) -> None:
    cases.baselines_round_trip(store)
