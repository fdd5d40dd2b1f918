"""Results store URLs: a typo is refused with the spelling to use, never turned into a new, empty
store somewhere else; ``Store.open(create=False)`` finds a missing store without creating it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from integrity.errors import StoreError
from integrity.store import Store, connect
from integrity.store.connect import StoreMissingError, parse_url


@pytest.mark.parametrize(("text", "fragments"), [
    ("sqlite:/state/integrity.db", ("'//' is missing after 'sqlite:'",
                                    "sqlite:///state/integrity.db (relative to the project)",
                                    "sqlite:////state/integrity.db (the absolute path")),
    ("sqlite:state.db", ("'//' is missing", "sqlite:///state.db")),
    ("postgresql:/u@db/x", ("'//' is missing after 'postgresql:'", "postgresql://u@db/x")),
    ("postgresql//u@db/x", ("':' is missing after the scheme", "Did you mean postgresql://u@db/x?")),
    ("postgresql+psycopg//me:s3cret@db/x", ("':' is missing", "postgresql+psycopg://me:***@db/x")),
    ("sqlite//state/x.db", ("':' is missing", "sqlite:///state/x.db")),
    ("me:s3cret@db/x", ("'//' is missing",)),
    ("u@db/x", ("':' is missing",)),
    ("sqlite://state/integrity.db", ("gives SQLite a host ('state')", "sqlite:///state/integrity.db",
                                     "sqlite:////state/integrity.db")),
    ("sqlit:///state/integrity.db", ("SQLite or PostgreSQL, not 'sqlit'", "Did you mean 'sqlite'?")),
    ("mysql://me:s3cret@db/x", ("SQLite or PostgreSQL, not 'mysql'", "postgresql+psycopg://")),
    ("postgresql://me:s3cret@db:notaport/x", ("cannot be parsed", "sqlite:///")),
    ("", ("is empty",)),
])
def test_urls_that_do_not_parse_are_refused_with_the_fix(text: str, fragments: tuple[str, ...]) -> None:
    with pytest.raises(StoreError) as caught:
        parse_url(text)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize(("text", "backend", "database"), [
    ("sqlite:///state/integrity.db", "sqlite", "state/integrity.db"),
    ("sqlite:////var/lib/integrity.db", "sqlite", "/var/lib/integrity.db"),
    ("sqlite+pysqlite:///x.db", "sqlite", "x.db"),
    ("state/integrity.db", "sqlite", "state/integrity.db"),  # a plain path is a SQLite file
    ("/abs/integrity.db", "sqlite", "/abs/integrity.db"),
    ("sqlite://", "sqlite", None),
    ("postgresql://me:pw@db:5432/x", "postgresql", "x"),
    ("postgres://me@db/x", "postgresql", "x"),
])
def test_valid_spellings_parse(text: str, backend: str, database: str | None) -> None:
    parsed = parse_url(text)
    assert parsed.get_backend_name() == backend and parsed.database == database
    if backend == "postgresql":
        assert parsed.drivername == "postgresql+psycopg"
    assert parse_url(parsed) == parsed  # an already parsed URL is checked, not re-read


def test_a_missing_sqlite_store_is_reported_not_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "integrity.db"
    with pytest.raises(StoreMissingError) as caught:
        Store.open(f"sqlite:///{path}", create=False)
    assert caught.value.location == str(path)
    assert not path.exists() and not path.parent.exists()
    Store.open(f"sqlite:///{path}").close()  # create=True, the default, creates it
    assert path.exists()
    with Store.open(f"sqlite:///{path}", create=False) as store:
        assert store.runs() == []


def test_a_new_store_file_is_private_and_in_memory_never_exists(tmp_path: Path) -> None:
    path = tmp_path / "integrity.db"
    Store.open(path).close()  # a plain path (PathLike) is a SQLite file
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    with pytest.raises(StoreMissingError):
        Store.open("sqlite://", create=False)
    assert connect.is_memory(parse_url("sqlite://"))
