"""One run per dataset at a time: a file lock beside a SQLite store, an advisory lock on PostgreSQL.

Both kinds are released by the operating system or the server when their holder dies (``flock`` on
the file; the session ending on PostgreSQL), so a crashed run never leaves a stale lock that someone
has to delete by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from integrity.errors import LockedError, StoreError


def lock_file_name(dataset: str) -> str:
    """A safe file name for ``dataset``: readable, and unique even when characters were replaced."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", dataset)[:80]
    if safe != dataset:
        safe += "-" + hashlib.sha256(dataset.encode()).hexdigest()[:10]
    return f"{safe}.lock"


@contextmanager
def file_lock(lock_dir: Path, dataset: str) -> Iterator[None]:
    """Hold ``<lock_dir>/<dataset>.lock`` for the block; fail at once if another process holds it."""
    import filelock

    try:
        lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(f"cannot create the lock folder {lock_dir}: {exc.strerror}") from None
    path = lock_dir / lock_file_name(dataset)
    # thread_local=False: the scheduler may enter and leave the block on different threads.
    lock = filelock.FileLock(str(path), timeout=0, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockedError(
            f"dataset {dataset!r} is being run by another process (lock file {path}); wait for it to "
            "finish, or stop that process. The lock is released when its holder exits, so there is "
            "no stale lock file to delete.") from None
    try:
        yield
    finally:
        lock.release()


def advisory_key(dataset: str) -> int:
    """A stable, non-negative 63-bit key for ``dataset`` (the same in every process and version)."""
    digest = hashlib.sha256(b"integrity.dataset:" + dataset.encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


_TRY_LOCK = sa.select(sa.func.pg_try_advisory_lock(sa.bindparam("key", type_=sa.BigInteger)))
_UNLOCK = sa.select(sa.func.pg_advisory_unlock(sa.bindparam("key", type_=sa.BigInteger)))
# A bigint advisory key shows in pg_locks split into its high (classid) and low (objid) halves.
_HOLDER = sa.text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
    "AND classid::bigint = :hi AND objid::bigint = :lo"
)


@contextmanager
def advisory_lock(engine: Engine, dataset: str, display_url: str) -> Iterator[None]:
    """Hold a session-level PostgreSQL advisory lock for the block on a dedicated connection.

    The connection is in autocommit mode so it does not sit "idle in transaction" for the length of
    a run (which would hold back vacuum and trip ``idle_in_transaction_session_timeout``).
    """
    key = advisory_key(dataset)
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except DBAPIError as exc:
        raise StoreError(f"cannot reach the results store at {display_url} to lock dataset "
                         f"{dataset!r}: {_first_line(exc)}") from None
    try:
        if not conn.execute(_TRY_LOCK, {"key": key}).scalar():
            holder = conn.execute(_HOLDER, {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).scalar()
            who = f"server process {holder}" if holder is not None else "another session"
            raise LockedError(
                f"dataset {dataset!r} is being run by another process (PostgreSQL advisory lock "
                f"{key} held by {who} on {display_url}); wait for it to finish, or stop that run. "
                "The lock is released when its session ends.")
        try:
            yield
        finally:
            try:
                conn.execute(_UNLOCK, {"key": key})
            except DBAPIError:
                # Dropping the session releases every lock it held; never return it to the pool.
                conn.invalidate()
    finally:
        conn.close()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
