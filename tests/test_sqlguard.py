"""Every SQL string a user writes must be one read-only SELECT: what is refused, in which words,
and what passes, in the dialects the sources speak."""

from __future__ import annotations

import pytest

from integrity.sqlguard import read_only_problem


@pytest.mark.parametrize(("sql", "dialect"), [
    ("SELECT * FROM t WHERE a > 1", "postgres"),
    ("select a, count(*) from t group by a having count(*) > 1 order by 2 desc limit 5", "postgres"),
    ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
     "postgres"),
    ("SELECT * FROM t WHERE x IN (VALUES (1), (2))", "postgres"),
    ("(SELECT 1) UNION (SELECT 2) EXCEPT SELECT 3", "postgres"),
    ("SELECT a::int FROM t; -- trailing comment", "postgres"),
    ("/* leading */ SELECT `a` FROM `t` WHERE b LIKE 'x%'", "mysql"),
    ("SELECT TOP 5 [a] FROM [dbo].[t]", "tsql"),
    ("SELECT a FROM t WHERE b = 'it''s; DROP TABLE t'", "sqlite"),
    ("SELECT count(*) FROM t WHERE note = 'DELETE FROM t'", "postgres"),
])
def test_read_only_selects_pass(sql: str, dialect: str) -> None:
    assert read_only_problem(sql, (dialect,)) is None


@pytest.mark.parametrize(("sql", "dialect", "problem"), [
    ("DROP TABLE t", "postgres", "is a DROP statement, not a SELECT"),
    ("TRUNCATE t", "postgres", "is a TRUNCATE statement, not a SELECT"),
    ("INSERT INTO t SELECT * FROM u", "postgres", "is an INSERT statement, not a SELECT"),
    ("UPDATE t SET a = 1", "mysql", "is an UPDATE statement, not a SELECT"),
    ("SET search_path = evil", "postgres", "is a SET statement, not a SELECT"),
    ("PRAGMA writable_schema = 1", "sqlite", "is a PRAGMA statement, not a SELECT"),
    ("CALL refresh()", "postgres", "is a CALL statement, not a SELECT"),
    ("COPY t TO '/tmp/out'", "postgres", "is a COPY statement, not a SELECT"),
    ("VALUES (1)", "postgres", "is not a SELECT"),
    ("SELECT 1; SELECT 2", "postgres", "holds 2 statements, and only one may run"),
    ("WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", "postgres",
     "contains a DELETE statement, which is not a read"),
    ("SELECT * INTO TEMP copy FROM t", "postgres", "uses SELECT INTO, which creates a table"),
    ("SELECT * FROM t FOR UPDATE", "postgres", "locks rows (FOR UPDATE / FOR SHARE)"),
    ("SELECT pg_catalog.pg_sleep(5)", "postgres", "calls pg_sleep(), which has side effects"),
    ("SELECT * FROM dblink('host=x', 'DELETE FROM t') AS r(a int)", "postgres",
     "calls dblink(), which has side effects"),
    ("SELECT lo_export(1, '/tmp/x')", "postgres", "calls lo_export(), which has side effects"),
    ("SELECT nextval('orders_id_seq')", "postgres", "calls nextval(), which has side effects"),
    ("SELECT load_extension('evil.so')", "sqlite", "calls load_extension(), which has side effects"),
    ("SELECT SLEEP(10)", "mysql", "calls sleep(), which has side effects"),
    ("SELECT dbms_pipe.receive_message('x', 10) FROM dual", "oracle",
     "calls into dbms_pipe, which has side effects"),
    ("", "postgres", "is empty"),
    ("SELECT * FROM t WHERE a = 'open", "postgres", "cannot be parsed as SQL"),
    ("SELECT * FROM {batch}", "postgres",
     "cannot be parsed as SQL (Expected table name near '{' at line 1, column 15)"),
])
def test_anything_else_is_refused_in_words(sql: str, dialect: str, problem: str) -> None:
    said = read_only_problem(sql, (dialect,))
    assert said is not None and said.startswith(problem), said
    assert "Token" not in said and "\n" not in said


def test_the_first_dialect_that_parses_decides() -> None:
    # SQL Server's parser has no `~`; PostgreSQL's reads it, and the query is still checked.
    regex = "SELECT a FROM t WHERE b ~ 'x'"
    assert read_only_problem(regex, ("tsql",)) is not None
    assert read_only_problem(regex, ("tsql", "postgres")) is None
    assert read_only_problem(regex + "; DROP TABLE t", ("tsql", "postgres")) is not None
