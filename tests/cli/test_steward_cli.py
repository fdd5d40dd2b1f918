"""The stewards' first contact with the job's CLI, through the real console script: the run summary
and ``quarantine show`` say which expectation held which row (column and value) and keep warnings
apart; ``quarantine list`` is newest first; every id the CLI prints is accepted back as it is, and
any unique prefix of 4+ characters is too; the tables fit an 80-column terminal."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from integrity.job import FAILPOINT_ENV, Project
from integrity.store import Store
from tests.cli.test_run_cli import clear_error, cli
from tests.clirun import Run
from tests.job.test_run import SUITE, make_project, published_ids, write_csv

#: The feedback suite whose warn-only expectation (the mean rating) fails too.
WARNING_SUITE = copy.deepcopy(SUITE)
WARNING_SUITE["expectations"][2]["kwargs"]["max_value"] = 2


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3, 7))
    return make_project(tmp_path, suite=WARNING_SUITE)


def run(project: Project, *args: str, columns: int = 200) -> Run:
    return cli(*args, "--project", str(project.root), env={"COLUMNS": str(columns)})


def printed_quarantine_id(result: Run) -> str:
    """The entry id exactly as the run summary prints it (what a steward pastes)."""
    (entry_id,) = re.findall(r"integrity quarantine show (\S+)", result.stdout)
    return entry_id


def section(text: str, heading: str) -> list[str]:
    """The indented lines under ``heading`` up to the next line indented no deeper."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    depth = len(lines[start]) - len(lines[start].lstrip())
    found = []
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip()) <= depth:
            break
        found.append(line.strip())
    return found


def fits(text: str, width: int = 80) -> None:
    """Every line fits ``width`` columns and nothing was cut with an ellipsis."""
    for line in text.splitlines():
        assert len(line.rstrip()) <= width, line
    assert "…" not in text, text


# -- the run summary --------------------------------------------------------------------------

def test_run_summary_shows_what_held_rows_apart_from_warnings(project: Project) -> None:
    result = run(project, "run", "feedback")
    assert result.code == 1, result.stderr
    assert section(result.stdout, "quarantined because:") == [
        "#0 expect_column_values_to_not_be_null on customer_id: 2 unexpected (20.0%)",
        "#1 expect_column_values_to_be_between on rating: 2 unexpected (20.0%)"]
    assert section(result.stdout, "warnings only (nothing held):") == [
        "#2 expect_column_mean_to_be_between on rating: observed 4.1"]


def test_a_clean_batch_with_a_failing_warning_publishes_and_says_so(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10))
    project = make_project(tmp_path, suite=WARNING_SUITE)
    result = run(project, "run", "feedback")
    assert result.code == 0, result.stderr
    assert "quarantined because" not in result.stdout
    assert section(result.stdout, "warnings only (nothing held):") == [
        "#2 expect_column_mean_to_be_between on rating: observed 3"]
    assert "every row published (exit 0)" in result.stdout


def test_every_id_the_cli_prints_is_accepted_back_as_it_is(project: Project) -> None:
    summary = run(project, "run", "feedback")
    entry_id = printed_quarantine_id(summary)
    (batch_id,) = re.findall(r"^│ (\S+) +│ +10 │", summary.stdout, re.MULTILINE)
    with Store.open(project.store_url) as store:
        (entry,) = store.quarantine_entries("feedback")
    assert (entry_id, batch_id) == (entry.id, entry.batch_id)  # whole ids, nothing cut or added

    listed = run(project, "quarantine", "list")
    assert re.search(rf"^│ {re.escape(entry_id)} ", listed.stdout, re.MULTILINE), listed.stdout
    listed_batches = run(project, "batches", "list")
    assert re.search(rf"^│ {re.escape(batch_id)} ", listed_batches.stdout, re.MULTILINE)

    shown = run(project, "quarantine", "show", entry_id)
    assert shown.code == 0, shown.stderr
    assert shown.stdout.startswith(f"{entry_id} (held): 2 rows of dataset feedback, batch {batch_id}")
    clear_error(run(project, "batches", "fail", batch_id, "--steward", "ann"),
                f"batch {batch_id} is partial, not pending")
    rejected = run(project, "quarantine", "reject", entry_id, "--steward", "ann")
    assert rejected.code == 0 and rejected.stdout.startswith(f"{entry_id}: rejected by ann")


# -- ids by prefix ----------------------------------------------------------------------------------

def test_any_unique_prefix_of_four_characters_names_an_entry_in_every_command(
        project: Project) -> None:
    entry_id = printed_quarantine_id(run(project, "run", "feedback"))
    shown = run(project, "quarantine", "show", entry_id[:4])
    assert shown.code == 0 and shown.stdout.startswith(f"{entry_id} (held)")
    clear_error(run(project, "quarantine", "show", entry_id[:3]),
                f"no quarantine entry has the id {entry_id[:3]!r}, and an id prefix needs at "
                "least 4 characters")
    clear_error(run(project, "quarantine", "show", "0000"), "no quarantine entry '0000'")
    released = run(project, "quarantine", "release", entry_id[:5], "--steward", "maria")
    assert released.code == 0, released.stderr
    assert released.stdout.startswith(f"{entry_id}: released by maria (2 rows published)")
    clear_error(run(project, "quarantine", "reject", entry_id[:4], "--steward", "tom"),
                f"quarantine entry {entry_id} is already released (by maria")
    assert published_ids(project.root) == list(range(10))


def test_an_ambiguous_prefix_lists_the_ids_it_matches(tmp_path: Path) -> None:
    # Backfills of rows no regular run took: each range is its own batch, "backfill-<hash>".
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 20), bad=(3, 12))
    project = make_project(tmp_path, cursor={"column": "id", "initial": 100})
    first = printed_quarantine_id(run(project, "run", "feedback", "--from", "0", "--to", "9"))
    second = printed_quarantine_id(run(project, "run", "feedback", "--from", "10", "--to", "19"))
    assert first.startswith("backfill-") and second.startswith("backfill-")
    ids = ", ".join(sorted([first, second]))
    clear_error(run(project, "quarantine", "show", "backfill"),
                f"quarantine entry id prefix 'backfill' is ambiguous: it matches {ids}; give more "
                "characters")
    clear_error(run(project, "quarantine", "release", "backf", "--steward", "ann"), "is ambiguous")
    clear_error(run(project, "batches", "fail", "backfill-", "--steward", "ann"),
                "batch id prefix 'backfill-' is ambiguous: it matches "
                + ", ".join(sorted([first, second])).replace("-rows", ""))
    assert run(project, "quarantine", "show", first[:14]).stdout.startswith(first)


def test_batches_fail_takes_a_prefix_of_the_printed_batch_id(project: Project) -> None:
    killed = cli("run", "feedback", "--project", str(project.root),
                 env={FAILPOINT_ENV: "after_publish"})
    assert killed.code != 0
    listed = run(project, "batches", "list")
    (batch_id,) = re.findall(r"^│ (\S+) +│ pending", listed.stdout, re.MULTILINE)
    staged = project.root / "state" / "data" / "staging" / "feedback" / f"{batch_id}.arrow"
    staged.unlink()
    clear_error(run(project, "batches", "fail", batch_id[:3], "--steward", "maria"),
                "an id prefix needs at least 4 characters")
    given_up = run(project, "batches", "fail", batch_id[:6], "--steward", "maria")
    assert given_up.code == 0, given_up.stderr
    assert given_up.stdout.startswith(f"{batch_id}: failed by maria")
    clear_error(run(project, "batches", "fail", "ffff", "--steward", "maria"),
                "no batch 'ffff' in the results store")


# -- quarantine list and show ------------------------------------------------------------------

def test_quarantine_list_is_newest_first_with_the_columns_that_held_each_entry(
        project: Project) -> None:
    first = printed_quarantine_id(run(project, "run", "feedback"))
    write_csv(project.root / "src" / "feedback.csv", range(10, 14), bad=(12,), append=True)
    second = printed_quarantine_id(run(project, "run", "feedback"))
    listed = run(project, "quarantine", "list")
    assert listed.code == 0, listed.stderr
    assert listed.stdout.index(second) < listed.stdout.index(first)
    assert "newest first" in listed.stdout
    assert listed.stdout.count("#0 column_values_to_not_be_null on customer_id") == 2
    assert listed.stdout.count("#1 column_values_to_be_between on rating") == 2
    assert "mean" not in listed.stdout  # the warning held nothing


def test_quarantine_show_names_expectation_column_and_value_for_each_row(project: Project) -> None:
    entry_id = printed_quarantine_id(run(project, "run", "feedback"))
    shown = run(project, "quarantine", "show", entry_id)
    assert shown.code == 0, shown.stderr
    assert section(shown.stdout, "Held because:") == [
        "#0 expect_column_values_to_not_be_null on customer_id: 2 unexpected (20.0%)",
        "#1 expect_column_values_to_be_between on rating: 2 unexpected (20.0%)"]
    assert section(shown.stdout, "Warnings only (these held nothing):") == [
        "#2 expect_column_mean_to_be_between on rating: observed 4.1"]
    rows = [line.split() for line in shown.stdout.split("Rows (2 of 2):")[1].splitlines() if line]
    assert rows == [["1"], ["id", "3"], ["customer_id", "None", "#0", "column_values_to_not_be_null"],
                    ["rating", "9", "#1", "column_values_to_be_between"], ["text", "'bad", "3'"],
                    ["2"], ["id", "7"], ["customer_id", "None", "#0", "column_values_to_not_be_null"],
                    ["rating", "9", "#1", "column_values_to_be_between"], ["text", "'bad", "7'"]]
    assert "_integrity_reasons" not in shown.stdout and '{"expectation' not in shown.stdout
    limited = run(project, "quarantine", "show", entry_id, "-n", "1")
    assert "Rows (1 of 2; -n 2 shows all):" in limited.stdout


def test_a_batch_held_whole_says_so_on_every_row(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 3))
    suite = {"name": "s", "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 5},
         "meta": {"action": "quarantine_batch"}}]}
    project = make_project(tmp_path, suite=suite)
    entry_id = printed_quarantine_id(run(project, "run", "feedback"))
    shown = run(project, "quarantine", "show", entry_id)
    assert section(shown.stdout, "Held because:") == [
        "#0 expect_table_row_count_to_be_between: observed 3 (failed; the batch is held)"]
    assert shown.stdout.count("Every row is held with the whole batch (the reasons above).") == 1
    assert "Rows (3 of 3):" in shown.stdout and "'text 2'" in shown.stdout


# -- an 80-column terminal ------------------------------------------------------------------------

def test_the_job_commands_fit_an_80_column_terminal_with_ids_whole(tmp_path: Path) -> None:
    # Long dataset names, long column names and two entries: what squeezes a table most.
    for name in ("customer_feedback_europe", "customer_feedback_americas"):
        write_csv(tmp_path / "src" / f"{name}.csv", range(0, 10), bad=(3, 7))
        project = make_project(tmp_path, name=name, suite=WARNING_SUITE)
    summary = run(project, "run", "--all", columns=80)
    assert summary.code == 1, summary.stderr
    fits(summary.stdout)
    entry_ids = re.findall(r"integrity quarantine show (\S+)", summary.stdout)
    assert len(entry_ids) == 2
    for line in ("#0 expect_column_values_to_not_be_null on customer_id: 2 unexpected (20.0%)",
                 "#2 expect_column_mean_to_be_between on rating: observed 4.1"):
        assert summary.stdout.count(f"    {line}\n") == 2

    listed = run(project, "quarantine", "list", columns=80)
    fits(listed.stdout)
    for entry_id in entry_ids:
        assert re.search(rf"^│ {re.escape(entry_id)} +│ +2 │ held +│$", listed.stdout, re.MULTILINE)
    for line in ("customer_feedback_americas, ", "#0 column_values_to_not_be_null on customer_id",
                 "#1 column_values_to_be_between on rating"):
        assert re.search(rf"^│   {re.escape(line)}", listed.stdout, re.MULTILINE), line

    shown = run(project, "quarantine", "show", entry_ids[0], columns=80)
    fits(shown.stdout)
    assert "customer_id  None     #0 column_values_to_not_be_null" in shown.stdout

    batches = run(project, "batches", "list", columns=80)
    fits(batches.stdout)
    for entry_id in entry_ids:
        assert f"│ {entry_id.removesuffix('-rows')} " in batches.stdout
    assert "│   customer_feedback_europe " in batches.stdout
