"""The probe pass over a CSV: ragged rows counted, the first one described, and value-less
columns found, whether the first ragged row is in the parser's first block or a later one."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrity.connectors import csv_input


@pytest.mark.parametrize("good_before", [1, 200_000])  # in the first 4 MiB block, or past it
def test_probe_counts_ragged_rows_and_describes_the_first(tmp_path: Path, good_before: int) -> None:
    path = tmp_path / "feedback.csv"
    good = "".join(f"{i},text {i},\n" for i in range(good_before))
    path.write_text("id,text,empty\n" + good + "x,short\n" + "y,1,2,3\n" + good + "z,\"a\nb\"\n")
    found = csv_input.probe(path, ",", [1, 2])
    assert (found.ragged, found.first, found.width) == (3, (3, 2), 3)


def test_probe_finds_the_columns_with_a_value(tmp_path: Path) -> None:
    path = tmp_path / "feedback.csv"
    path.write_text("id,text,empty\n1,a,\n2,,\n")
    found = csv_input.probe(path, ",", [1, 2])
    assert (found.ragged, found.valued) == (0, {1})
