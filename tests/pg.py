"""The PostgreSQL the tests use, and one policy for when it is not there.

The URL comes from ``INTEGRITY_TEST_PG_URL`` (default: the local role and database that
``scripts/start_postgres.sh`` creates). When the server is unreachable a test is skipped with the
reason, except under ``CI=true``: CI starts PostgreSQL, so there a missing server is a failure.
"""

from __future__ import annotations

import functools
import os

import pytest
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://integrity:integrity@127.0.0.1:5432/integrity_test"
PG_URL = os.environ.get("INTEGRITY_TEST_PG_URL", DEFAULT_URL)


@functools.cache
def pg_problem() -> str | None:
    """Why PostgreSQL cannot be used (None when it answers); asked once per test session."""
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except (ImportError, sa.exc.DBAPIError) as exc:
        return (f"{sa.make_url(PG_URL).render_as_string(hide_password=True)}: "
                f"{str(getattr(exc, 'orig', exc)).strip().splitlines()[0]}")
    return None


def require_postgres() -> str:
    """The PostgreSQL URL, or skip the test (fail it under CI=true) naming why it is missing."""
    problem = pg_problem()
    if problem is not None:
        message = (f"PostgreSQL is unavailable ({problem}); start it with scripts/start_postgres.sh "
                   "or set INTEGRITY_TEST_PG_URL.")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " CI=true, so this fails instead of skipping.", pytrace=False)
        pytest.skip(message)
    return PG_URL
