"""A project's paths and its results store: every relative path is taken from the project root,
never the working directory, and a missing store where earlier runs left state is refused unless
a new store is asked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from integrity.errors import ConfigError
from integrity.job import Project, run
from integrity.store import Store
from tests.job.test_run import make_project, published_ids, write_csv


def set_store_url(project: Project, url: str, *, new_store: bool = False) -> Project:
    (project.root / "integrity.yaml").write_text(yaml.safe_dump({"store_url": url,
                                                                 "data_root": "state/data"}))
    return Project.load(project.root, new_store=new_store)


# -- relative paths -------------------------------------------------------------------------------

def test_relative_paths_in_a_definition_are_anchored_at_the_project_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRITY_TEST_SUBDIR", "landing")
    monkeypatch.setenv("INTEGRITY_TEST_ABS", str(tmp_path / "elsewhere"))
    project = make_project(tmp_path, connector={"type": "sql", "params": {
        "url": "sqlite:///src/${INTEGRITY_TEST_SUBDIR}/source.db", "table": "t"}},
        publish={"kind": "parquet", "path": "out/published"},
        extra={"quarantine": {"path": "out/quarantine"}})
    dataset = project.dataset("feedback")
    root = project.root
    # The reference stays unresolved (no secret is written into the definition), the root is added.
    assert dataset.connector.params["url"] == f"sqlite:///{root}/src/${{INTEGRITY_TEST_SUBDIR}}/source.db"
    assert dataset.suite == str(root / "expectations" / "feedback.json")
    assert dataset.publish.path == str(root / "out" / "published")
    assert dataset.quarantine.path == str(root / "out" / "quarantine")

    for given, expected in [
        ("src/*.csv", f"{root}/src/*.csv"),
        ("${INTEGRITY_TEST_SUBDIR}/a.csv", f"{root}/${{INTEGRITY_TEST_SUBDIR}}/a.csv"),
        ("${INTEGRITY_TEST_ABS}/a.csv", "${INTEGRITY_TEST_ABS}/a.csv"),  # absolute once resolved
        (str(tmp_path / "x.csv"), str(tmp_path / "x.csv")),
        ("~/drops/a.csv", os.path.expanduser("~/drops/a.csv")),
        ("${INTEGRITY_TEST_UNSET_VAR}/a.csv", "${INTEGRITY_TEST_UNSET_VAR}/a.csv"),  # reported by the check
    ]:
        make_project(tmp_path, connector={"type": "files", "params": {"path": given}})
        assert project.dataset("feedback").connector.params["path"] == expected, given
    for given in ("sqlite:////abs/source.db", "sqlite://", "sqlite:///:memory:",
                  "postgresql://u@h/db", "sqlite:///${INTEGRITY_TEST_ABS}/s.db"):
        make_project(tmp_path, connector={"type": "sql", "params": {"url": given, "table": "t"}})
        assert project.dataset("feedback").connector.params["url"] == given


def test_a_glob_under_a_root_with_glob_characters_still_matches(tmp_path: Path) -> None:
    root = tmp_path / "team[1]"
    write_csv(root / "src" / "feedback.csv", range(0, 3))
    project = make_project(root, connector={"type": "files", "params": {"path": "src/*.csv", "settle_seconds": 0}})
    summary = run(project, "feedback")
    assert summary.exit_code == 0 and summary.batches[0].published_rows == 3


def test_relative_paths_do_not_depend_on_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    write_csv(root / "src" / "feedback.csv", range(0, 4))
    make_project(root, connector={"type": "files", "params": {"path": "src/feedback.csv", "settle_seconds": 0}},
                 store_url="state/integrity.db")  # a plain relative path, too
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run(Project.load(root), "feedback").exit_code == 0
    assert published_ids(root) == [0, 1, 2, 3]
    assert (root / "state" / "integrity.db").exists()
    assert list(elsewhere.iterdir()) == []


# -- the store URL --------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "fragment"), [
    ("sqlite:/state/integrity.db", "'//' is missing"),
    ("postgresql//u@db/x", "':' is missing"),
    ("sqlite://state/integrity.db", "gives SQLite a host"),
    ("sqlite://", "in-memory store"),
])
def test_a_store_url_that_does_not_parse_is_a_config_error_naming_integrity_yaml(
        tmp_path: Path, url: str, fragment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 3))
    project = set_store_url(make_project(tmp_path), url)
    with pytest.raises(ConfigError) as caught:
        project.store_url  # noqa: B018
    assert str(caught.value).startswith(f"{tmp_path / 'integrity.yaml'}: store_url: ")
    assert fragment in str(caught.value)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=fragment):
        run(project, "feedback")
    assert list(tmp_path.rglob("*.db")) == [] and published_ids(tmp_path) == []


@pytest.mark.parametrize("url", ["state/integrity.db", "sqlite:///state/integrity.db",
                                 "./state/integrity.db", "sqlite:///./state/integrity.db"])
def test_relative_sqlite_spellings_all_mean_the_same_file_under_the_root(tmp_path: Path, url: str) -> None:
    project = set_store_url(make_project(tmp_path), url)
    assert Path(project.store_url.removeprefix("sqlite:///")).resolve() == tmp_path / "state" / "integrity.db"


# -- a missing store where state was left ---------------------------------------------------------

@pytest.fixture
def used(tmp_path: Path) -> Project:
    """A project whose first run published rows 0-9 (row 3 quarantined) into its store."""
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    project = make_project(tmp_path)
    run(project, "feedback")
    return project


def test_a_fresh_project_has_no_leftover_state_and_creates_its_store(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 3))
    project = make_project(tmp_path)
    assert project.leftover_state() == []
    assert run(project, "feedback").exit_code == 0
    assert (tmp_path / "state" / "integrity.db").exists()


def test_each_kind_of_leftover_state_is_found(used: Project) -> None:
    data = used.root / "state" / "data"
    found = " | ".join(used.leftover_state())
    assert f"published-batch marker(s) in {data / 'published' / '.published'}" in found
    assert f"1 quarantine entry in {data / 'quarantine' / 'feedback'}" in found
    assert f"lock files in {used.root / 'state' / 'locks'}" in found
    # Each kind alone is enough.
    for path in [data / "published", data / "quarantine", used.root / "state" / "locks"]:
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
    assert used.leftover_state() == []
    (data / "staging" / "feedback").mkdir(parents=True, exist_ok=True)
    (data / "staging" / "feedback" / "0123abcd.arrow").write_bytes(b"staged")
    assert used.leftover_state() == [f"1 staged batch file(s) under {data / 'staging'}"]


def test_state_under_a_dataset_s_own_publish_and_quarantine_paths_is_found(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 4), bad=(1,))
    project = make_project(tmp_path, publish={"kind": "jsonl", "path": "out/pub"},
                           extra={"quarantine": {"path": "out/held"}})
    run(project, "feedback")
    (tmp_path / "state" / "integrity.db").unlink()
    for name in os.listdir(tmp_path / "state"):
        if name != "data":
            for child in sorted((tmp_path / "state" / name).rglob("*"), reverse=True):
                child.unlink()
    found = " | ".join(project.leftover_state())
    assert str(tmp_path / "out" / "pub" / ".published") in found
    assert f"1 quarantine entry in {tmp_path / 'out' / 'held'}" in found


def test_a_missing_store_is_refused_where_earlier_runs_left_state(used: Project) -> None:
    moved = set_store_url(used, "sqlite:///state/renamed.db")
    with pytest.raises(ConfigError) as caught:
        moved.open_store()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"there is no results store at {used.root / 'state' / 'renamed.db'}")
    assert "published-batch marker" in message and "--new-store" in message
    assert not (used.root / "state" / "renamed.db").exists()
    with pytest.raises(ConfigError, match="no results store"):
        run(moved, "feedback")
    assert published_ids(used.root) == [0, 1, 2, 4, 5, 6, 7, 8, 9]  # nothing published again

    # Asked for explicitly, a new store is created (and from then on simply opened).
    with set_store_url(used, "sqlite:///state/renamed.db", new_store=True).open_store() as store:
        assert store.runs() == []
    with moved.open_store() as store:
        assert store.runs() == []


def test_the_original_store_still_opens_without_the_flag(used: Project) -> None:
    with used.open_store() as store:
        assert store.watermark("feedback") is not None
    with Store.open(used.store_url, create=False) as store:
        assert [r["status"] for r in store.runs("feedback")] == ["quarantined"]
