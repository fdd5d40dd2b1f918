"""What the job leaves on disk, through the real console script: staged copies that a killed run
left behind are removed by the next run (never one a pending batch needs), and every folder and
file the job creates has an explicit mode, whatever the umask."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

from integrity.job import FAILPOINT_ENV, Project
from integrity.store import Store
from tests.clirun import Run, entry_point
from tests.job.test_run import make_project, published_ids, quarantined_ids, write_csv


def run_cli(project: Project, *, failpoint: str | None = None, umask: int = 0o022) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in (FAILPOINT_ENV, "INTEGRITY_DEBUG")}
    env.update({"COLUMNS": "200", "NO_COLOR": "1", **({FAILPOINT_ENV: failpoint} if failpoint else {})})
    proc = subprocess.run([entry_point(), "run", "feedback", "--project", str(project.root)],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=60, check=False, umask=umask)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def staging(project: Project) -> Path:
    return project.root / "state" / "data" / "staging" / "feedback"


def test_a_staged_copy_left_by_a_run_killed_before_recording_it_is_removed(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    project = make_project(tmp_path)
    killed = run_cli(project, failpoint="after_stage")
    assert killed.code == -signal.SIGKILL, killed.stderr
    (orphan,) = staging(project).iterdir()  # staged, never recorded: no batch refers to it
    (staging(project) / "half-written.tmp").write_bytes(b"ARROW1")
    write_csv(tmp_path / "src" / "feedback.csv", range(10, 12), append=True)  # a new batch id
    again = run_cli(project)
    assert again.code == 1, again.stderr
    assert f"removed {orphan.name}, a staged copy no pending batch refers to" in again.stdout
    assert "removed half-written.tmp" in again.stdout
    assert list(staging(project).iterdir()) == []
    assert published_ids(tmp_path) == [i for i in range(12) if i != 3]
    assert quarantined_ids(tmp_path) == [3]
    with Store.open(project.store_url) as store:
        assert store.runs("feedback")[0]["summary"]["notes"][0].startswith(f"removed {orphan.name}")


def test_the_staged_copy_of_a_pending_batch_is_kept_and_finished(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    project = make_project(tmp_path)
    killed = run_cli(project, failpoint="after_begin")  # pending, with its staged copy
    assert killed.code == -signal.SIGKILL, killed.stderr
    with Store.open(project.store_url) as store:
        pending = store.pending_batch("feedback")
    assert pending is not None
    needed = staging(project) / f"{pending.batch_id}.arrow"
    stray = staging(project) / "0123abcd.arrow"
    stray.write_bytes(needed.read_bytes())  # a copy no batch refers to
    again = run_cli(project)
    assert again.code == 1, again.stderr
    assert "(recovered)" in again.stdout and f"removed {stray.name}" in again.stdout
    assert f"removed {pending.batch_id}" not in again.stdout
    assert list(staging(project).iterdir()) == []  # the recovered batch's copy went when done
    assert published_ids(tmp_path) == [i for i in range(10) if i != 3]
    assert quarantined_ids(tmp_path) == [3]


def test_every_folder_and_file_has_an_explicit_mode_under_umask_000(tmp_path: Path) -> None:
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3,))
    project = make_project(tmp_path)
    assert run_cli(project, failpoint="after_begin", umask=0).code == -signal.SIGKILL
    data = tmp_path / "state" / "data"
    assert stat.S_IMODE(staging(project).stat().st_mode) == 0o700
    (staged,) = staging(project).iterdir()
    assert stat.S_IMODE(staged.stat().st_mode) == 0o600
    assert run_cli(project, umask=0).code == 1
    modes = {str(p.relative_to(data)): stat.S_IMODE(p.stat().st_mode)
             for p in [data, *data.rglob("*")]}
    writable = {path: f"{mode:04o}" for path, mode in modes.items() if mode & 0o022}
    assert writable == {}  # nobody but the owner can plant or swap anything
    assert modes["."] == modes["published"] == 0o750
    assert {modes[p] for p in modes if p.startswith(("staging", "quarantine"))
            and (data / p).is_dir()} == {0o700}
    published = [p for p in modes if p.startswith("published/") and (data / p).is_file()]
    assert len(published) == 2 and {modes[p] for p in published} == {0o640}  # data file, marker
    assert {modes[p] for p in modes if p.startswith("quarantine") and (data / p).is_file()} == {0o600}
