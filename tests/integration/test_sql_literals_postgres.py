"""The driverless connectorx path renders cursor values as literals; on a PostgreSQL server whose
``standard_conforming_strings`` is off (where a backslash in ``'...'`` escapes the next character),
values with quotes and backslashes must still select exactly the rows they name, and never the
rows a crafted value would add.

The pulls run in a subprocess that must not import the DBAPI driver: that proves the rows came
from the driverless path (a failing statement there would be retried, correctly, through the
driver, hiding the fault). Each test gets a database of its own, with the setting off for every
session, dropped afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.clirun import ROOT

pytestmark = pytest.mark.integration

# Text cursor values in the order PostgreSQL's "C" collation sorts them (the column says COLLATE "C").
FIRST = ["a", "b'c", "b\\", "c\\'", "d''\\\\e"]
LATER = ["e'\\", "f\\'x", "g"]


@pytest.fixture
def off_url(admin: sa.Engine) -> Iterator[str]:
    """A database whose sessions run with standard_conforming_strings = off."""
    name = f"integrity_scs_{uuid.uuid4().hex[:10]}"
    quote = admin.dialect.identifier_preparer.quote
    with admin.connect() as conn:
        # An identifier cannot be a bound parameter; the name is ours (hex).
        conn.execute(sa.text(f"CREATE DATABASE {quote(name)}"))
        conn.execute(sa.text(f"ALTER DATABASE {quote(name)} SET standard_conforming_strings = off"))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))


def add(url: str, keys: list[str]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SHOW standard_conforming_strings").scalar() == "off"
        conn.exec_driver_sql('CREATE TABLE IF NOT EXISTS notes (k text COLLATE "C", n integer)')
        conn.execute(sa.text("INSERT INTO notes VALUES (:k, :n)"),
                     [{"k": k, "n": i} for i, k in enumerate(keys)])
    engine.dispose()


PULL = """
import json, sys
from integrity.connectors.base import Watermark
from integrity.connectors.sql import SqlConnector
since, until = json.loads(sys.argv[2])
with SqlConnector(dataset="notes", cursor="k", url=sys.argv[1], table="notes") as connector:
    batch = connector.pull(Watermark.from_dict(since), until)
print(json.dumps({"source": batch.info.source, "driver": "psycopg" in sys.modules,
                  "keys": batch.frame["k"].to_list(), "next": batch.next_watermark.to_dict()}))
"""


def pull(url: str, since: dict[str, Any] | None = None, until: str | None = None) -> dict[str, Any]:
    """Pull through the driverless path in a fresh process; fail if it needed the driver."""
    done = subprocess.run([sys.executable, "-c", PULL, url, json.dumps([since, until])],
                          capture_output=True, text=True, timeout=120, check=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["source"].startswith("sql[connectorx]") and not result["driver"], result
    return result


def test_cursor_values_with_quotes_and_backslashes_select_exactly_the_new_rows(off_url: str) -> None:
    add(off_url, FIRST)
    first = pull(off_url)
    assert first["keys"] == FIRST and first["next"]["value"] == FIRST[-1]
    add(off_url, LATER)
    assert pull(off_url, first["next"])["keys"] == LATER
    # From just past a quote-and-backslash value: the rows after it, and only those.
    assert pull(off_url, {"value": "c\\'"})["keys"] == ["c\\'", *FIRST[4:], *LATER]


def test_a_range_whose_bounds_would_break_out_of_their_quotes_selects_only_the_range(
        off_url: str) -> None:
    # Rendered as plain '...' literals with the setting off, '\' swallows its closing quote and
    # the upper bound's text becomes SQL: WHERE k >= '...' OR 1=1 -- would select every row.
    add(off_url, ["!", "\\", "\\ OR 1=1 --", "~"])
    assert pull(off_url, {"value": "\\"}, until=" OR 1=1 --")["keys"] == []
    assert pull(off_url, {"value": "\\"}, until="\\ OR 1=1 --")["keys"] == [
        "\\", "\\ OR 1=1 --"]
