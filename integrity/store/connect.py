"""Turning a store URL into a ready engine: private SQLite files, WAL, write locks, migrations.

SQLite is shared by the scheduler and the CLI, so it runs in WAL mode (readers never block the
writer) with a busy timeout, and every write transaction starts with ``BEGIN IMMEDIATE``: taking the
write lock up front means a transaction never has to upgrade a read lock, which is where SQLite
returns "database is locked" at once instead of waiting.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from integrity.errors import StoreError
from integrity.store.records import json_dumps

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 10
WRITE_OPTION = "integrity_write"
"""Execution option that makes SQLite open the transaction with BEGIN IMMEDIATE."""
HEAD_REVISION = "0001"
"""The newest revision in ``migrations/versions`` (a test keeps the two in step)."""
_MIGRATION_LOCK_KEY = 0x696E746567726974  # "integrit": serializes concurrent migrations on PostgreSQL


def parse_url(url: str | os.PathLike[str]) -> URL:
    """A SQLAlchemy URL for ``url``; a plain path means a SQLite file, ``postgresql://`` means psycopg 3."""
    text = os.fspath(url)
    if "://" not in text:
        return URL.create("sqlite", database=text)
    try:
        parsed = make_url(text)
    except ArgumentError:
        scheme = text.split("://", 1)[0]
        raise StoreError(f"the results store URL (scheme {scheme!r}) cannot be parsed; use "
                         "sqlite:///.integrity/integrity.db or "
                         "postgresql+psycopg://user:password@host:5432/database") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver the postgres extra installs
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"the results store must be SQLite or PostgreSQL, not "
                         f"{parsed.get_backend_name()!r} ({display(parsed)})")
    return parsed


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
            path.parent.mkdir(parents=True, mode=0o700)
            os.chmod(path.parent, 0o700)
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
        if "connect_timeout" not in url.query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS,
                                      "application_name": "integrity"}
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
            cursor.execute("PRAGMA busy_timeout = 30000")  # = BUSY_TIMEOUT_SECONDS
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


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

    A store already at :data:`HEAD_REVISION` skips Alembic entirely: loading it costs more than
    the CLI command the store was opened for. A brand-new SQLite store (no tables of ours) is built
    straight from ``schema.py`` and stamped with the head revision, Alembic's own recipe for a
    fresh database (``build_fresh=False`` runs the migrations instead; tests keep both equal).
    """
    if current_revision(engine) == HEAD_REVISION:
        return
    with writer.begin() as conn:
        if build_fresh and conn.dialect.name == "sqlite" and _build_fresh(conn):
            return
    if current_revision(engine) == HEAD_REVISION:  # a concurrent opener built it meanwhile
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


def _build_fresh(conn: sa.Connection) -> bool:
    """Create the newest schema and stamp it, if the database has none of our tables yet."""
    from integrity.store.schema import metadata

    existing = set(sa.inspect(conn).get_table_names())
    if existing & {*metadata.tables, "alembic_version"}:
        return False
    metadata.create_all(conn)
    version = sa.Table("alembic_version", sa.MetaData(),
                       sa.Column("version_num", sa.String(32), nullable=False),
                       sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))
    version.create(conn)
    conn.execute(version.insert().values(version_num=HEAD_REVISION))
    return True
