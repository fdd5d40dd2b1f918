"""Stop the scheduler at random moments, while producers keep adding rows: SIGTERM (its runs given
time to finish, or stopped at once) and SIGKILL (its runs killed too, as when a machine dies);
restart it, and check that every source row was published or quarantined exactly once."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.clirun import entry_point
from tests.integration.test_crash_safety import add_rows, assert_exactly_once, make_project
from tests.schedule.helpers import free_port, wait_until


def worker_pids(root: Path) -> list[int]:
    """The scheduler's child processes running a dataset of ``root`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"integrity.schedule.worker" in command and str(root).encode() in command:
            found.append(int(entry.name))
    return found


def test_a_scheduler_stopped_or_killed_at_random_moments_lands_every_row_once(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", rows=800)
    definition = root / "connectors" / "feedback.yaml"
    definition.write_text(definition.read_text() + "schedule: every 1s\n")
    rng = random.Random(2)  # SIGTERM with and without time to finish, and SIGKILL
    total = 800
    env = {k: v for k, v in os.environ.items() if k != "INTEGRITY_FAILPOINT"}
    interrupted = 0  # rounds that stopped a run midway
    for attempt in range(6):
        stop_timeout = rng.choice(["0", "20"])  # stop its runs at once, or let them finish
        log = (root / f"scheduler-{attempt}.log").open("wb")
        proc = subprocess.Popen([entry_point(), "schedule", "start", "--project", str(root),
                                 "--metrics-port", str(free_port()), "--stop-timeout", stop_timeout,
                                 "--backoff", "0.5"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        time.sleep(rng.uniform(3.0, 7.0))
        if rng.random() < 0.5:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, (root / f"scheduler-{attempt}.log").read_text()
        else:  # the machine dies: the scheduler and whatever run it had going
            going = worker_pids(root)
            interrupted += bool(going)
            for pid in [proc.pid, *going]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(60)
        log.close()
        interrupted += "stopping the runs of feedback" in (root / f"scheduler-{attempt}.log").read_text()
        wait_until(lambda: not worker_pids(root), 60, "the runs to end")
        add_rows(root / "source.db", total, 60)
        total += 60
    logs = [p.read_text() for p in sorted(root.glob("scheduler-*.log"))]
    assert not any("Traceback" in text or "malformed" in text for text in logs)
    assert sum(1 for text in logs if "': run " in text) >= 3, logs  # the scheduler did run them
    assert interrupted, "no round stopped a run midway"
    final = subprocess.run([entry_point(), "run", "feedback", "--project", str(root)], env=env,
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert final.returncode in (0, 1), final.stderr
    assert_exactly_once(root, total)
