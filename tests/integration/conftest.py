"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.pg import require_postgres


@pytest.fixture(scope="module")
def admin() -> Iterator[sa.Engine]:
    """An AUTOCOMMIT engine on the test PostgreSQL, for creating roles and databases (skips, or
    fails under CI=true, when the server is not there)."""
    engine = sa.create_engine(sa.make_url(require_postgres()), isolation_level="AUTOCOMMIT",
                              connect_args={"connect_timeout": 5})
    yield engine
    engine.dispose()
