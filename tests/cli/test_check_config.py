"""``integrity check-config`` and the checks ``integrity run`` makes before it pulls anything, through
the real console script: one line per problem, exit 2, nothing pulled, published or left pending;
a results store URL typo never becomes a new, empty store (and so never publishes a row twice);
relative paths follow --project, not the working directory."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from integrity.job import Project
from integrity.store import Store
from tests.cli.test_run_cli import cli
from tests.clirun import Run, entry_point
from tests.job.test_run import SUITE, make_project, published_ids, quarantined_ids, write_csv
from tests.test_yamlfile import laughs


def in_dir(cwd: Path, *args: str) -> Run:
    """The console script run from ``cwd`` (the project is named by --project, if at all)."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("INTEGRITY_DEBUG", None)
    proc = subprocess.run([entry_point(), *args], capture_output=True, text=True, cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def error_lines(result: Run) -> list[str]:
    """The problems printed (exit 2, no traceback, every line an 'error:' line)."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("error: ") for line in lines), result.stderr
    return lines


def one_error(result: Run, *fragments: str) -> str:
    (line,) = error_lines(result)
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def set_store_url(root: Path, url: str) -> None:
    (root / "integrity.yaml").write_text(yaml.safe_dump({"store_url": url, "data_root": "state/data"}))


def db_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.db"))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    return make_project(tmp_path)


def check(project: Project, *args: str) -> Run:
    return cli("check-config", *args, "--project", str(project.root))


# -- check-config -----------------------------------------------------------------------------------

def test_a_good_project_passes_and_nothing_is_created(project: Project) -> None:
    write_csv(project.root / "src" / "other.csv", range(0, 3))
    make_project(project.root, name="other")
    result = check(project)
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == (f"OK: 2 datasets checked (feedback, other); results store "
                                     f"sqlite:///{project.root}/state/integrity.db.")
    assert not (project.root / "state").exists()


def test_every_problem_is_one_line_and_all_are_listed(project: Project) -> None:
    connectors = project.root / "connectors"
    (connectors / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    long_name = "n" * 201
    make_project(project.root, name=long_name)
    make_project(project.root, name="dots")
    definition = yaml.safe_load((connectors / "dots.yaml").read_text())
    (connectors / "dots.yaml").write_text(yaml.safe_dump({**definition, "name": "do..ts"}))
    (connectors / "bomb.yaml").write_text("name: bomb\nconnector:\n  type: memory\n  params:\n"
                                          + "\n".join(laughs(9, 9, indent="    "))
                                          + "\nsuite: expectations/feedback.json\n")
    make_project(project.root, name="pub", publish={
        "kind": "sql", "url": "postgresql://u:${INTEGRITY_T_CC_UNSET}@db/x", "table": "t"})
    set_store_url(project.root, "sqlite:/state/integrity.db")
    result = check(project)
    lines = error_lines(result)
    assert len(lines) == 6, lines
    expected = [
        "integrity.yaml: store_url: the results store URL 'sqlite:/state/integrity.db' is not a URL",
        "binary.yaml: a binary file, not YAML text (a NUL byte at offset 8)",
        "bomb.yaml: its aliases expand",
        "dots.yaml: field 'name': use letters, digits, '_', '-' and '.' only, without '..'",
        f"dataset name '{long_name}': is 201 characters long; use at most 200",
        "pub.yaml: publish.url: secret ${INTEGRITY_T_CC_UNSET} is not set",
    ]
    for fragment in expected:
        assert sum(fragment in line for line in lines) == 1, (fragment, lines)
    assert result.stdout.strip() == f"6 problems in {project.root}; nothing was run."

    # Named datasets only: the project-level problem and that dataset's.
    only = error_lines(check(project, "pub"))
    assert len(only) == 2 and "store_url" in only[0] and "INTEGRITY_T_CC_UNSET" in only[1]


def test_a_project_without_definitions_or_with_a_broken_integrity_yaml(tmp_path: Path) -> None:
    one_error(cli("check-config", "--project", str(tmp_path)), "no dataset definitions")
    (tmp_path / "integrity.yaml").write_bytes(b"store_url: \xff\xfe\n")
    one_error(cli("check-config", "--project", str(tmp_path)), "integrity.yaml:1: not UTF-8 text")


def test_terminal_control_sequences_in_a_definition_are_not_echoed(project: Project) -> None:
    (project.root / "expectations" / "feedback.json").write_text(
        '{"name": "s", "expectations": [{"type": "expect_column_values_to_not_be_null", '
        '"kwargs": {"column": "id", "\\u001b]0;pwned\\u0007": 1}}]}')
    line = one_error(check(project), "unknown argument")
    assert "\x1b" not in line and "\x07" not in line and "\\x1b" in line


# -- run refuses the same problems before it pulls anything ----------------------------------------

def test_an_unset_secret_in_publish_url_leaves_no_pending_batch(project: Project) -> None:
    assert cli("run", "feedback", "--project", str(project.root)).code == 1
    write_csv(project.root / "src" / "feedback.csv", range(10, 14), append=True)
    warehouse = project.root / "warehouse"
    warehouse.mkdir()
    make_project(project.root, publish={"kind": "sql", "table": "clean",
                                        "url": "sqlite:///${INTEGRITY_T_CC_WAREHOUSE}/w.db"})
    refused = cli("run", "feedback", "--project", str(project.root), unset=("INTEGRITY_T_CC_WAREHOUSE",))
    one_error(refused, "publish.url: secret ${INTEGRITY_T_CC_WAREHOUSE} is not set",
              "export INTEGRITY_T_CC_WAREHOUSE=")
    with Store.open(project.store_url, create=False) as store:
        assert store.pending_batch("feedback") is None and len(store.runs("feedback")) == 1
    assert list((project.root / "state" / "data" / "staging" / "feedback").iterdir()) == []

    ran = cli("run", "feedback", "--project", str(project.root),
              env={"INTEGRITY_T_CC_WAREHOUSE": str(warehouse)})
    assert ran.code == 0, ran.stderr
    with sqlite3.connect(warehouse / "w.db") as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM clean")) == [10, 11, 12, 13]


def test_an_alias_bomb_in_connector_params_is_refused_at_load(project: Project) -> None:
    (project.root / "connectors" / "feedback.yaml").write_text(
        "name: feedback\nconnector:\n  type: files\n  params:\n"
        f"    path: {project.root / 'src' / 'feedback.csv'}\n"
        + "\n".join(laughs(12, 12, indent="    ")) + "\nsuite: expectations/feedback.json\n")
    one_error(cli("run", "feedback", "--project", str(project.root)), "feedback.yaml: its aliases expand")
    assert not (project.root / "state").exists()


def test_a_binary_definition_a_long_name_and_dots_are_refused_by_run(project: Project) -> None:
    (project.root / "connectors" / "feedback.yaml").write_bytes(os.urandom(64) + b"\x00")
    one_error(cli("run", "feedback", "--project", str(project.root)), "feedback.yaml: a binary file")
    one_error(cli("run", "n" * 201, "--project", str(project.root)), "201 characters long")
    one_error(cli("run", "../feedback", "--project", str(project.root)), "without '..'")
    assert not (project.root / "state").exists()


# -- the results store: a typo never becomes a new, empty store ------------------------------------

def test_a_store_url_typo_is_refused_and_nothing_is_published_twice(tmp_path: Path) -> None:
    # Before: each typo made a new, empty store beside the working directory, and the next run
    # published all 100 earlier rows again (201 duplicates, exit 0).
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_csv(root / "src" / "feedback.csv", range(0, 100))
    make_project(root)
    first = in_dir(elsewhere, "run", "feedback", "--project", str(root))
    assert first.code == 0, first.stderr
    assert published_ids(root) == list(range(100))

    write_csv(root / "src" / "feedback.csv", range(100, 201), append=True)
    set_store_url(root, "sqlite:/state/integrity.db")
    one_error(in_dir(elsewhere, "run", "feedback", "--project", str(root)),
              "store_url: the results store URL 'sqlite:/state/integrity.db' is not a URL",
              "Did you mean sqlite:///state/integrity.db")
    set_store_url(root, "state/integrty.db")  # a plain relative path, misspelt
    one_error(in_dir(elsewhere, "quarantine", "list", "--project", str(root)),
              f"there is no results store at {root / 'state' / 'integrty.db'}",
              "published-batch marker(s)", "--new-store")
    assert published_ids(root) == list(range(100))
    assert db_files(root, elsewhere) == [root / "state" / "integrity.db"]  # no new, empty store

    set_store_url(root, "sqlite:///state/integrity.db")
    second = in_dir(elsewhere, "run", "feedback", "--project", str(root))
    assert second.code == 0, second.stderr
    assert published_ids(root) == list(range(201))  # each row exactly once


def test_new_store_creates_the_store_on_purpose(project: Project) -> None:
    assert cli("run", "feedback", "--project", str(project.root)).code == 1
    set_store_url(project.root, "sqlite:///state/second.db")
    one_error(cli("run", "feedback", "--project", str(project.root)), "--new-store")
    assert not (project.root / "state" / "second.db").exists()
    started = cli("run", "feedback", "--project", str(project.root), "--new-store")
    assert started.code in (0, 1), started.stderr
    with Store.open(project.store_url, create=False) as store:
        assert [r["status"] for r in store.runs("feedback")] != []


def test_a_fresh_project_creates_its_store_without_the_flag(project: Project) -> None:
    set_store_url(project.root, "state/fresh.db")
    assert cli("run", "feedback", "--project", str(project.root)).code == 1
    assert (project.root / "state" / "fresh.db").exists()


# -- relative paths follow --project ----------------------------------------------------------------

def test_relative_paths_resolve_against_the_project_from_any_working_directory(tmp_path: Path) -> None:
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_csv(root / "landing" / "labels.csv", range(0, 6), bad=(2,))
    (root / "src").mkdir()
    with sqlite3.connect(root / "src" / "source.db") as db:
        db.execute("CREATE TABLE feedback (id INTEGER, customer_id TEXT, rating INTEGER, text TEXT)")
        db.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?)",
                       [(i, f"C-{i}", 3, f"t{i}") for i in range(4)])
    make_project(root, name="labels", connector={"type": "files", "params": {"path": "landing/*.csv",
                                                                  "settle_seconds": 0}},
                 publish={"kind": "jsonl", "path": "out/published"},
                 extra={"quarantine": {"path": "out/held"}})
    make_project(root, name="feedback", suite=SUITE, store_url="state/integrity.db",
                 connector={"type": "sql", "params": {"url": "sqlite:///src/source.db", "table": "feedback"}},
                 publish={"kind": "sql", "url": "sqlite:///out/warehouse.db", "table": "clean"})
    assert in_dir(elsewhere, "check-config", "--project", "../project").code == 0
    labels = in_dir(elsewhere, "run", "labels", "--project", "../project")
    assert labels.code == 1, labels.stderr
    feedback = in_dir(elsewhere, "run", "feedback", "--project", "../project")
    assert feedback.code == 0, feedback.stderr
    published = [line for f in (root / "out" / "published").rglob("*.jsonl")
                 for line in f.read_text().splitlines()]
    assert len(published) == 5
    assert [p.name for p in (root / "out" / "held").iterdir() if not p.name.startswith(".")]
    with sqlite3.connect(root / "out" / "warehouse.db") as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM clean")) == [0, 1, 2, 3]
    assert (root / "state" / "integrity.db").exists()
    assert list(elsewhere.iterdir()) == []
    assert quarantined_ids(root, "labels") == []  # held under out/held, not the default folder
