"""Read-only SQL: every SQL string a user writes must be one SELECT that changes nothing.

Suites (``unexpected_rows_query``) and dataset definitions (the SQL connector's ``query``) carry SQL
that integrity runs on a batch or on the source database. Such a string is parsed with sqlglot (a
real SQL parser, in the dialect it will run in) and refused unless it is a single query (``SELECT``,
``WITH ... SELECT``, set operations of them) with nothing in it that writes, locks or has side
effects: no second statement, no DDL or DML anywhere (``WITH d AS (DELETE ...)`` included), no
``SELECT INTO``, no ``FOR UPDATE``/``FOR SHARE``, and none of the well-known functions that sleep,
take locks, read or write files, change settings or sequences, or reach other servers. A string the
parser cannot read is refused too: what cannot be checked does not run.

:func:`read_only_problem` says what is wrong in words (None when the query is fine); callers turn
that into their own error naming the suite or dataset. Import this module lazily: sqlglot takes
about 0.1 s to import, which only runs that carry SQL should pay.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

#: SQLAlchemy backend name -> sqlglot dialect.
DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql",
            "mssql": "tsql", "oracle": "oracle", "duckdb": "duckdb", "snowflake": "snowflake",
            "bigquery": "bigquery", "redshift": "redshift", "trino": "trino"}

#: Functions with side effects (PostgreSQL, MySQL, SQLite, SQL Server, Oracle), lower case.
SIDE_EFFECT_FUNCTIONS = frozenset({
    # sleeping and locking
    "pg_sleep", "pg_sleep_for", "pg_sleep_until", "sleep", "benchmark", "get_lock",
    "release_lock", "release_all_locks", "pg_advisory_lock", "pg_advisory_lock_shared",
    "pg_advisory_xact_lock", "pg_advisory_xact_lock_shared", "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock", "pg_advisory_unlock",
    "pg_advisory_unlock_all", "pg_advisory_unlock_shared",
    # settings, sequences, sessions, the server
    "set_config", "nextval", "setval", "pg_terminate_backend", "pg_cancel_backend",
    "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal", "pg_create_restore_point",
    "pg_promote", "pg_notify", "pg_logical_emit_message", "txid_current", "pg_current_xact_id",
    # files and large objects
    "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_file_write",
    "lo_import", "lo_export", "lo_unlink", "lo_create", "lo_creat", "lo_from_bytea", "lo_put",
    "load_file", "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
    "openrowset", "opendatasource", "openquery", "xp_cmdshell",
    # other servers
    "dblink", "dblink_exec", "dblink_connect", "dblink_connect_u", "dblink_send_query",
})

#: Oracle and SQL Server package or procedure prefixes that act on the server.
SIDE_EFFECT_PREFIXES = ("dbms_", "utl_", "xp_", "sp_")

#: Statements (or parts of one) that write, change the session, or run something unparsed.
_NOT_READS: tuple[type, ...] = tuple(
    getattr(exp, name) for name in (
        "DDL", "DML", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter",
        "TruncateTable", "Command", "Copy", "Pragma", "Set", "Transaction", "Commit", "Rollback",
        "Use", "Grant", "Revoke", "Kill", "Execute", "Describe", "Analyze", "Refresh", "Cache",
        "Uncache", "LoadData")
    if isinstance(getattr(exp, name, None), type))

FIX = "Write one read-only SELECT (WITH ... SELECT is fine)."
"""The fix every refusal ends with (callers may add their own)."""


def read_only_problem(sql: str, dialects: Iterable[str | None] = ("postgres",)) -> str | None:
    """What keeps ``sql`` from being one read-only SELECT, in words; None when it is one.

    ``dialects`` are the sqlglot dialects to parse with, in order: the first that parses the text
    decides (more than one only where the engine that runs it accepts several spellings).
    """
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # unparsed syntax is refused below
    statements: list[exp.Expr] | None = None
    first_error = ""
    for dialect in dialects:
        try:
            parsed = sqlglot.parse(sql, dialect=dialect)
        except SqlglotError as exc:
            first_error = first_error or _parse_error(exc)
            continue
        statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
        break
    if statements is None:
        return f"cannot be parsed as SQL ({first_error})"
    if not statements:
        return "is empty"
    if len(statements) > 1:
        return f"holds {len(statements)} statements, and only one may run"
    tree = statements[0]
    if isinstance(tree, _NOT_READS):
        return f"is {_kind(tree)}, not a SELECT"
    if not isinstance(tree, exp.Query):
        return "is not a SELECT (it does not start with SELECT or WITH)"
    for node in tree.walk():
        problem = _node_problem(node)
        if problem:
            return problem
    return None


def _node_problem(node: exp.Expr) -> str | None:
    """Why one node of a parsed query is not read-only (None when it is)."""
    if isinstance(node, _NOT_READS):
        return f"contains {_kind(node)}, which is not a read"
    if isinstance(node, exp.Into):
        return "uses SELECT INTO, which creates a table"
    if isinstance(node, exp.Lock):
        return "locks rows (FOR UPDATE / FOR SHARE)"
    if isinstance(node, exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name in SIDE_EFFECT_FUNCTIONS or name.startswith(SIDE_EFFECT_PREFIXES):
            return f"calls {name}(), which has side effects"
    if isinstance(node, exp.Dot):
        package = str(getattr(node.this, "name", "") or "").lower()
        if package.startswith(SIDE_EFFECT_PREFIXES):
            return f"calls into {package}, which has side effects"
    return None


def _kind(node: exp.Expr) -> str:
    """'a DROP statement', 'an INSERT statement': the statement kind in words."""
    if isinstance(node, exp.Command):
        words = str(node.this or "").split()
        word = words[0].upper() if words else "COMMAND"
    else:
        word = {"TruncateTable": "TRUNCATE", "LoadData": "LOAD DATA"}.get(
            type(node).__name__, type(node).__name__.upper())
    return f"{'an' if word[:1] in 'AEIOU' else 'a'} {word} statement"


def _parse_error(exc: SqlglotError) -> str:
    """The parser's complaint in one line, without its internal token dump."""
    if isinstance(exc, ParseError) and exc.errors:
        first = exc.errors[0]
        what = str(first.get("description", "")).split(" but got ")[0]
        what = re.sub(r" for <class '[^']*'>", "", what)  # the parser's own class names
        near = str(first.get("highlight") or "")
        return (f"{what}{f' near {near!r}' if near else ''} at line {first.get('line')}, "
                f"column {first.get('col')}")
    text = " ".join(str(exc).split())
    if text.startswith("Error tokenizing"):
        return "an unclosed quote or an unreadable token"
    return text if len(text) <= 120 else text[:119] + "…"
