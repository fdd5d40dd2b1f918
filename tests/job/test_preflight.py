"""The check a run makes before it opens the store or pulls anything (and check-config makes alone):
every problem is found at load, all of them at once, one line each, and a refused run leaves
nothing behind: no run recorded, no pending batch, no staged copy."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from integrity.config import NAME_MAX
from integrity.errors import ConfigError
from integrity.gate._files import safe_name
from integrity.job import Project, run
from integrity.job.preflight import ConfigProblems, check_config, checked_dataset
from tests.job.test_run import SUITE, make_project, published_ids, write_csv


@pytest.fixture
def project(tmp_path: Path) -> Project:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    return make_project(tmp_path)


def problems_of(project: Project, *names: str) -> list[str]:
    found = check_config(project, names or project.dataset_names())
    assert all("\n" not in p for p in found), found
    return found


def test_a_good_project_has_no_problems(project: Project) -> None:
    assert problems_of(project) == []
    checked = checked_dataset(project, "feedback")
    assert checked.dataset.name == "feedback" and checked.suite.name == "feedback"
    assert not (project.root / "state").exists()  # checking creates nothing, not even the store


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTEGRITY_T_STORE_PW", "INTEGRITY_T_SRC_PW", "INTEGRITY_T_PUB_PW"):
        monkeypatch.delenv(name, raising=False)
    suite = {"name": "s", "meta": {"default_action": "quarantine_row"}, "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"},
         "meta": {"action": "wran"}}]}
    project = make_project(
        tmp_path, suite=suite,
        store_url="postgresql+psycopg://u:${INTEGRITY_T_STORE_PW}@db/x",
        connector={"type": "sql", "params": {"url": "postgresql://u:${INTEGRITY_T_SRC_PW}@db/x",
                                             "table": "t"}},
        publish={"kind": "sql", "url": "postgresql://u:${INTEGRITY_T_PUB_PW}@db/x", "table": "t"})
    found = problems_of(project)
    text = "\n".join(found)
    assert len(found) == 5, text
    assert f"{tmp_path / 'integrity.yaml'}: store_url: secret ${{INTEGRITY_T_STORE_PW}} is not set" in text
    assert "connectors/feedback.yaml: connector.params.url: secret ${INTEGRITY_T_SRC_PW}" in text
    assert "connectors/feedback.yaml: publish.url: secret ${INTEGRITY_T_PUB_PW}" in text
    assert "meta.default_action: unknown action 'quarantine_row'. Did you mean 'quarantine_rows'" in text
    assert "expectation #0 (expect_column_values_to_not_be_null): meta.action: unknown action 'wran'" in text
    with pytest.raises(ConfigProblems) as caught:
        run(project, "feedback")
    assert caught.value.problems == found


def test_an_unset_secret_in_publish_url_is_refused_before_anything_is_pulled(
        project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(project, "feedback").exit_code == 1  # an earlier, good run
    write_csv(tmp_path / "src" / "feedback.csv", range(10, 15), append=True)
    monkeypatch.delenv("INTEGRITY_T_WAREHOUSE", raising=False)
    project = make_project(tmp_path, publish={"kind": "sql", "table": "clean",
                                              "url": "sqlite:///${INTEGRITY_T_WAREHOUSE}/w.db"})
    with pytest.raises(ConfigError, match=r"publish\.url: secret \$\{INTEGRITY_T_WAREHOUSE\} is not set"):
        run(project, "feedback")
    with project.open_store() as store:
        assert len(store.runs("feedback")) == 1  # the refused run did not even start
        assert store.pending_batch("feedback") is None
    assert list((tmp_path / "state" / "data" / "staging" / "feedback").iterdir()) == []

    monkeypatch.setenv("INTEGRITY_T_WAREHOUSE", str(tmp_path))
    assert run(project, "feedback").exit_code == 0
    with sqlite3.connect(tmp_path / "w.db") as db:
        assert sorted(r[0] for r in db.execute("SELECT id FROM clean")) == [10, 11, 12, 13, 14]


def test_dataset_names_agree_with_the_gate_s_file_names(tmp_path: Path) -> None:
    longest, too_long = "n" * NAME_MAX, "n" * (NAME_MAX + 1)
    assert safe_name(longest, "dataset") == longest
    with pytest.raises(ValueError):
        safe_name(too_long, "dataset")
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 2))
    connector = {"type": "files", "params": {"path": str(tmp_path / "src" / "feedback.csv")}}
    make_project(tmp_path, name=longest, connector=connector)
    project = make_project(tmp_path, name=too_long, connector=connector)
    assert problems_of(project, longest) == []
    assert run(project, longest).exit_code == 0  # 200 characters publish and quarantine fine
    (refused,) = problems_of(project, too_long)
    assert f"is {NAME_MAX + 1} characters long; use at most {NAME_MAX}" in refused


@pytest.mark.parametrize("name", ["a..b", "..", "../feedback", "a/b", ".hidden", "x\x1b[2J"])
def test_names_that_could_leave_their_folder_are_refused(project: Project, name: str) -> None:
    (found,) = problems_of(project, name)
    assert found.startswith(f"dataset name {name!r}: use letters")
    with pytest.raises(ConfigError, match="use letters, digits"):
        run(project, name)


def test_a_name_with_dots_inside_the_file_is_refused(project: Project) -> None:
    path = project.root / "connectors" / "feedback.yaml"
    definition = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**definition, "name": "feed..back"}))
    (found,) = problems_of(project)
    assert found.startswith(f"{path}: field 'name'") and "without '..'" in found


def test_connector_type_and_parameters_are_checked_by_constructing_it(project: Project) -> None:
    make_project(project.root, name="typo", connector={"type": "filez", "params": {"path": "x"}})
    make_project(project.root, name="param", connector={"type": "files", "params": {"pth": "x"}})
    make_project(project.root, name="format", connector={
        "type": "files", "params": {"path": "x.csv", "format": "xlsx"}})
    make_project(project.root, name="sql", connector={"type": "sql", "params": {"url": "sqlite:///x.db"}})
    make_project(project.root, name="http", connector={"type": "http", "params": {"url": "file:///etc/passwd"}})
    found = "\n".join(problems_of(project, "typo", "param", "format", "sql", "http"))
    assert "dataset 'typo': unknown connector type 'filez'. Did you mean 'files'?" in found
    assert "dataset 'param': connector 'files' parameters:" in found and "'pth'" in found
    assert "dataset 'format': unknown file format 'xlsx'" in found
    assert "dataset 'sql': the sql connector needs exactly one of 'table' and 'query'" in found
    assert "dataset 'http': 'url' must start with http:// or https://" in found


def test_publish_targets_and_folders_are_checked(project: Project) -> None:
    make_project(project.root, name="badurl", publish={"kind": "sql", "url": "not a url", "table": "t"})
    make_project(project.root, name="nodriver", publish={"kind": "sql", "url": "nosuchdb://h/x"})
    make_project(project.root, name="nourl", publish={"kind": "sql"})
    (project.root / "blocker").write_text("a file")
    make_project(project.root, name="underfile", publish={"kind": "parquet", "path": "blocker/out"},
                 extra={"quarantine": {"path": "blocker/q"}})
    found = "\n".join(problems_of(project, "badurl", "nodriver", "nourl", "underfile"))
    assert "dataset 'badurl': publish.url cannot be used (ArgumentError" in found
    assert "dataset 'nodriver': publish.url cannot be used (NoSuchModuleError" in found
    assert "dataset 'nourl': publish.kind is 'sql', so publish.url is required" in found
    assert (f"underfile.yaml: publish.path: {project.root / 'blocker'} is a file, so the folder "
            f"{project.root / 'blocker' / 'out'} cannot be created there") in found
    assert "underfile.yaml: quarantine.path:" in found


def test_a_data_root_that_is_a_file_is_found_before_the_run(project: Project) -> None:
    (project.root / "integrity.yaml").write_text("store_url: sqlite:///s.db\ndata_root: blocker\n")
    (project.root / "blocker").write_text("a file")
    found = problems_of(Project.load(project.root))
    assert any(f"integrity.yaml: data_root: {project.root / 'blocker'} is a file" in p for p in found)
    assert not (project.root / "s.db").exists()


def test_a_missing_suite_names_the_definition_and_the_closest_file(project: Project) -> None:
    path = project.root / "connectors" / "feedback.yaml"
    definition = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**definition, "suite": "expectations/feedbak.json"}))
    (found,) = problems_of(project)
    assert found.startswith(f"{path}: suite: {project.root / 'expectations' / 'feedbak.json'} does not exist")
    assert "Did you mean 'feedback.json'?" in found


def test_a_broken_suite_is_found_before_the_pull(project: Project) -> None:
    (project.root / "expectations" / "feedback.json").write_text(json.dumps(
        {**SUITE, "expectations": [{"type": "expect_column_values_to_be_nul", "kwargs": {"column": "a"}}]}))
    (found,) = problems_of(project)
    assert found.startswith("dataset 'feedback': ") and "expect_column_values_to_not_be_null" in found
    with pytest.raises(ConfigError):
        run(project, "feedback")
    assert published_ids(project.root) == [] and not (project.root / "state" / "integrity.db").exists()
