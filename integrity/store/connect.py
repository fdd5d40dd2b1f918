"""Turning a store URL into a ready engine: private SQLite files, WAL, write locks, migrations.

SQLite is shared by the scheduler and the CLI, so it runs in WAL mode (readers never block the
writer) with a busy timeout, and every write transaction starts with ``BEGIN IMMEDIATE``: taking the
write lock up front means a transaction never has to upgrade a read lock, which is where SQLite
returns "database is locked" at once instead of waiting.

The first use of a SQLite store (switching the new file to WAL, building the schema) happens once,
under an exclusive file lock beside it: switching the journal mode needs the database to itself and
SQLite answers "database is locked" at once, without waiting, when another process opens it at that
moment. WAL mode is a property of the file, so later connections need not ask for it again.
``scripts/stress_store.py`` opens a new store from 20 processes at once, round after round.

PostgreSQL stores take the libpq connect timeout from the URL
(``postgresql://.../db?connect_timeout=3``), :data:`CONNECT_TIMEOUT_SECONDS` when it says nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from integrity.errors import StoreError, did_you_mean
from integrity.store.records import json_dumps

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 10
WRITE_OPTION = "integrity_write"
"""Execution option that makes SQLite open the transaction with BEGIN IMMEDIATE."""
HEAD_REVISION = "0004"
"""The newest revision in ``migrations/versions`` (a test keeps the two in step)."""
_MIGRATION_LOCK_KEY = 0x696E746567726974  # "integrit": serializes concurrent migrations on PostgreSQL


_FIX = ("Write sqlite:///state/integrity.db (a path relative to the project), "
        "sqlite:////var/lib/integrity/integrity.db (an absolute path) or "
        "postgresql+psycopg://user:${PASSWORD}@host:5432/database.")
_SCHEME_COLON = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DIALECT = r"(?:sqlite|postgres|postgresql|mysql|mariadb|mssql|oracle)(?:\+\w+)?"
_DIALECT_SLASH = re.compile(_DIALECT + "/", re.IGNORECASE)
BACKENDS = ("sqlite", "postgresql")


class StoreMissingError(StoreError):
    """``Store.open(..., create=False)`` found no store: no SQLite file, or no tables of ours."""

    def __init__(self, message: str, *, location: str) -> None:
        super().__init__(message)
        self.location = location
        """Where the store was expected (a file path, or the database URL without its password)."""


def parse_url(url: str | os.PathLike[str] | URL) -> URL:
    """A SQLAlchemy URL for ``url``; a plain path means a SQLite file, ``postgresql://`` means psycopg 3.

    A typo must not quietly become a new, empty store somewhere else (its watermarks gone, every
    row published again), so anything that is not clearly a SQLite or PostgreSQL URL, or a plain
    file path, is a StoreError with the spelling to use: ``sqlite:/x`` (one slash), ``sqlite://x``
    (a host, which SQLite has not), ``postgresql//u@db/x`` (no colon), an unknown scheme.
    """
    if isinstance(url, URL):
        return _checked(url, url.render_as_string(hide_password=True))
    text = os.fspath(url)
    shown = _mask(text)
    if not text.strip():
        raise StoreError(f"the results store URL is empty. {_FIX}")
    if "://" not in text:
        if _SCHEME_COLON.match(text):
            scheme, rest = text.split(":", 1)
            raise StoreError(f"the results store URL {shown!r} is not a URL: '//' is missing after "
                             f"'{scheme}:'. {_suggest(scheme, rest)}")
        if _DIALECT_SLASH.match(text) or "@" in text:
            scheme, _, rest = text.partition("/")
            raise StoreError(f"the results store URL {shown!r} is not a URL: ':' is missing after "
                             f"the scheme (or, as a file path, it names a database server). "
                             f"{_suggest(scheme, rest) if rest.startswith('/') else _FIX}")
        return URL.create("sqlite", database=text)
    try:
        parsed = make_url(text)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise StoreError(f"the results store URL {shown!r} cannot be parsed. {_FIX}") from None
    return _checked(parsed, shown)


def _checked(parsed: URL, shown: str) -> URL:
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver the postgres extra installs
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise StoreError(f"the results store must be SQLite or PostgreSQL, not {backend!r} "
                         f"({shown}).{did_you_mean(backend, BACKENDS)} {_FIX}")
    if backend == "sqlite" and (parsed.host or parsed.port or parsed.username):
        path = "/".join(p for p in (parsed.host, parsed.database) if p)
        raise StoreError(f"the results store URL {shown!r} gives SQLite a host ({parsed.host!r}), "
                         f"which SQLite has not: write three slashes, sqlite:///{path} (relative "
                         f"to the project), or four for an absolute path, sqlite:////{path}.")
    return parsed


def _suggest(scheme: str, rest: str) -> str:
    if not re.fullmatch(_DIALECT, scheme, re.IGNORECASE):
        return _FIX  # e.g. 'user:password@host': no scheme to repair, and nothing to echo
    rest = rest.lstrip("/")
    if scheme.lower().startswith("sqlite"):
        return (f"Did you mean {scheme}:///{rest} (relative to the project) or {scheme}:////{rest} "
                f"(the absolute path /{rest})?")
    return f"Did you mean {_mask(f'{scheme}://{rest}')}?"


def _mask(text: str) -> str:
    """``text`` with anything between ``user:`` and ``@`` hidden, for messages about bad URLs."""
    return re.sub(r"(?<=:)[^:@/]*(?=@)", "***", text)


def display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def is_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def prepare_sqlite_file(url: URL) -> URL:
    """Create the database file (0600) and, if missing, its folder (0700); return the absolute URL.

    Quarantine reasons quote customer text, so the file is private from the start rather than
    chmod-ed after SQLite created it with the umask. A folder that already exists is left as it is:
    it may be the project root.
    """
    assert url.database
    path = Path(url.database).expanduser().absolute()
    try:
        if not path.parent.exists():
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile: fine
                path.parent.mkdir(parents=True, mode=0o700)
                os.chmod(path.parent, 0o700)
        if not path.exists():
            # Only when missing: closing any descriptor of the file drops every POSIX lock this
            # process holds on it, SQLite's included. Reopening the store while a connection of
            # this process is in it (the scheduler does) would then let the next process that
            # closes its connection take itself for the last one and delete the WAL under ours
            # ("database disk image is malformed").
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(path, 0o600)
        for extra in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(f"{path}{extra}", 0o600)
    except OSError as exc:
        raise StoreError(f"cannot create the results store at {path}: {exc.strerror}; check the "
                         "folder exists and is writable, or set store_url in integrity.yaml") from None
    return url.set(database=str(path))


def create_store_engine(url: URL) -> Engine:
    """An engine for ``url`` with JSON that survives NaN/datetimes and the SQLite settings above."""
    kwargs: dict[str, Any] = {"json_serializer": json_dumps}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
        if is_memory(url):
            kwargs["poolclass"] = StaticPool  # one connection, or every checkout is a new empty db
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"application_name": "integrity"}
        if "connect_timeout" not in url.query:  # the URL's own wins: the store's option
            kwargs["connect_args"]["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    try:
        engine = sa.create_engine(url, **kwargs)
    except ImportError as exc:
        raise StoreError(f"the database driver for {display(url)} is not installed ({exc.name}); "
                         "install it with: pip install 'integrity[postgres]'") from None
    if url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below); pysqlite's own transaction handling skips it
        # before SELECT and DDL, which breaks transactional migrations.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def has_store(engine: Engine) -> bool:
    """Whether the database holds a results store (a schema revision, or any table of ours)."""
    with engine.connect() as conn:
        return bool(_our_tables(conn))


def _our_tables(conn: sa.Connection) -> set[str]:
    from integrity.store.schema import metadata

    return set(sa.inspect(conn).get_table_names()) & {*metadata.tables, "alembic_version"}


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None before the first migration."""
    version = sa.table("alembic_version", sa.column("version_num"))
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        value = conn.execute(sa.select(version.c.version_num)).scalar()
    return str(value) if value is not None else None


def migrate(engine: Engine, writer: Engine, *, build_fresh: bool = True) -> None:
    """Upgrade the schema to the newest revision, inside one write-locked transaction.

    A SQLite file is set up under :func:`_first_use_lock` (WAL first, then the schema), so that
    processes opening a new store at once neither trip over each other nor build it twice.
    A store already at :data:`HEAD_REVISION` skips Alembic entirely: loading it costs more than
    the CLI command the store was opened for. A brand-new SQLite store (no tables of ours) is built
    straight from ``schema.py`` and stamped with the head revision, Alembic's own recipe for a
    fresh database (``build_fresh=False`` runs the migrations instead; tests keep both equal).
    """
    if _ready(engine):
        return
    with _first_use_lock(engine):
        if engine.dialect.name == "sqlite" and not is_memory(engine.url):
            _use_wal(engine)
        if current_revision(engine) == HEAD_REVISION:  # a concurrent opener built it meanwhile
            return
        _upgrade(engine, writer, build_fresh=build_fresh)


def _upgrade(engine: Engine, writer: Engine, *, build_fresh: bool) -> None:
    with writer.begin() as conn:
        if build_fresh and conn.dialect.name == "sqlite" and _build_fresh(conn):
            return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
                sa.bindparam("key", _MIGRATION_LOCK_KEY, type_=sa.BigInteger))))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _ready(engine: Engine) -> bool:
    """Whether the store needs nothing: at the head revision and, for a SQLite file, in WAL mode.

    Read without any lock (a brand-new, empty SQLite file is never ready, and is not even read)."""
    if engine.dialect.name == "sqlite" and not is_memory(engine.url):
        database = Path(str(engine.url.database))
        if not database.exists() or database.stat().st_size == 0:
            return False
        if _journal_mode(engine) != "wal":
            return False
    return current_revision(engine) == HEAD_REVISION


def _journal_mode(engine: Engine) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        row = cursor.execute("PRAGMA journal_mode").fetchone()
        return str(row[0]).lower() if row else ""
    finally:
        raw.close()


def _use_wal(engine: Engine) -> None:
    """Switch a SQLite file to WAL (the mode is kept in the file). Called under
    :func:`_first_use_lock`; a process that has not reached that lock yet may still be reading the
    file for a moment, and the switch does not wait for readers, so it is retried until the busy
    timeout."""
    import sqlite3

    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        while True:
            try:
                row = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
                mode = str(row[0]).lower() if row else ""
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                mode = "locked"
            if mode == "wal":
                return
            if time.monotonic() > deadline:
                raise StoreError(f"cannot switch the results store {display(engine.url)} to WAL "
                                 f"mode (it stays in {mode!r} mode); keep it on a local disk, or "
                                 "point store_url somewhere else")
            time.sleep(0.01)
    finally:
        raw.close()


@contextlib.contextmanager
def _first_use_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock on ``<store>-open.lock`` beside a SQLite store for the block.

    Blocks (up to the busy timeout) while another process sets the store up; like SQLite's own
    ``-wal`` and ``-shm`` files, the lock file stays. PostgreSQL needs none: its migration takes
    an advisory lock in its own transaction."""
    if engine.dialect.name != "sqlite" or is_memory(engine.url):
        yield
        return
    import filelock

    path = f"{engine.url.database}-open.lock"
    lock = filelock.FileLock(path, timeout=BUSY_TIMEOUT_SECONDS, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise StoreError(f"another process has been setting up the results store "
                         f"{display(engine.url)} for {BUSY_TIMEOUT_SECONDS} s (lock file {path}); "
                         "wait for it or stop it, then try again") from None
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {path}: {exc.strerror}; check that the "
                         "results store's folder is writable") from None
    try:
        yield
    finally:
        lock.release()


def _build_fresh(conn: sa.Connection) -> bool:
    """Create the newest schema and stamp it, if the database has none of our tables yet."""
    from integrity.store.kpi_views import create_views
    from integrity.store.schema import metadata

    if _our_tables(conn):
        return False
    metadata.create_all(conn)
    create_views(conn)
    version = sa.Table("alembic_version", sa.MetaData(),
                       sa.Column("version_num", sa.String(32), nullable=False),
                       sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))
    version.create(conn)
    conn.execute(version.insert().values(version_num=HEAD_REVISION))
    return True
