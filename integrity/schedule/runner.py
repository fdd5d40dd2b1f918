"""One scheduled run of one dataset, in a child process, with retries for what is transient.

The child is ``python -m integrity.schedule.worker`` (see there): a crash, a leak or a hang in a
run ends with that process, never with the scheduler. It runs in its own session, so a Ctrl-C on
the scheduler's terminal reaches the scheduler alone, which decides how its runs stop.

Retries: a transient failure (a source or the network, another process holding the dataset, a
results store locked or unreachable for a moment) is tried again after ``backoff`` seconds,
doubling each time (with jitter) up to ``retries`` times, unless the dataset's next scheduled run
comes first (it takes over) or the scheduler is stopping. A terminal failure is not retried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from integrity.errors import LockedError, printable
from integrity.job.alerting import RunOutcome
from integrity.store import Store

MAX_BACKOFF_SECONDS = 300.0
KILL_AFTER_SECONDS = 10.0
"""After SIGTERM, how long a child has before SIGKILL."""
STDERR_TAIL = 2000


@dataclass(frozen=True)
class Policy:
    retries: int = 3
    """Further attempts after a transient failure."""
    backoff: float = 10.0
    """Seconds before the first retry; doubled for each further one (at most 5 minutes)."""
    run_timeout: float = 3600.0
    """A run still going after this long is stopped (SIGTERM, then SIGKILL) and reported failed."""


class Children:
    """The child processes running now, so that stopping the scheduler can wait for or end them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, tuple[str, subprocess.Popen[bytes]]] = {}
        self._closed = False
        self.terminated: set[int] = set()
        """Pids ended by :meth:`terminate` (stopped by the scheduler, not failed)."""

    def add(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running[proc.pid] = (name, proc)
            if not self._closed:
                return
            self.terminated.add(proc.pid)  # started as the scheduler stopped: end it too
        _signal_group(proc, signal.SIGTERM)

    def discard(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.pop(proc.pid, None)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(name for name, _ in self._running.values())

    def terminate(self) -> None:
        """SIGTERM every child's process group; SIGKILL what is left after a grace period."""
        with self._lock:
            self._closed = True
            procs = [proc for _, proc in self._running.values()]
            self.terminated.update(p.pid for p in procs)
        for proc in procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + KILL_AFTER_SECONDS
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)


def run_child(root: Path, name: str, *, children: Children, timeout: float) -> RunOutcome:
    """Run ``name`` once in a child process and return what it reported (or what became of it)."""
    command = [sys.executable, "-m", "integrity.schedule.worker", "--project", str(root), name]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=errors, start_new_session=True, env=os.environ.copy())
        children.add(name, proc)
        timed_out = False
        try:
            try:
                out, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _signal_group(proc, signal.SIGTERM)
                try:
                    out, _ = proc.communicate(timeout=KILL_AFTER_SECONDS)
                except subprocess.TimeoutExpired:
                    _signal_group(proc, signal.SIGKILL)
                    out, _ = proc.communicate()
        finally:
            children.discard(proc)
        errors.seek(0, os.SEEK_END)
        errors.seek(max(0, errors.tell() - STDERR_TAIL))
        tail = errors.read().decode("utf-8", "replace")
    if proc.pid in children.terminated:
        return RunOutcome(name, "stopped", error="stopped with the scheduler; the next run "
                          "finishes its batch", error_type="Stopped")
    if timed_out:
        return RunOutcome(name, "failed", error=f"the run took longer than {timeout:g} s and was "
                          "stopped; the next run finishes its batch (raise --run-timeout if such "
                          "runs are expected)", error_type="Timeout")
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == 0 and lines:
        try:
            return RunOutcome.from_dict(json.loads(lines[-1]))
        except (ValueError, TypeError):
            pass
    how = (f"was killed by {_signal_name(-proc.returncode)}" if proc.returncode < 0
           else f"exited with code {proc.returncode} without reporting")
    last = [line for line in tail.splitlines() if line.strip()]
    said = f"; it said: {printable(last[-1].strip())[:300]}" if last else ""
    return RunOutcome(name, "failed", error=f"the run's process {how}{said}; the next run finishes "
                      "its batch", error_type="Crashed", transient=True)


def fix_crashed_runs(store: Store, name: str, since: dt.datetime, error: str) -> None:
    """Mark the runs of ``name`` a dead child left ``running`` (started since ``since``) failed.

    Done under the dataset's lock, so a run another process started meanwhile is left alone (it
    holds the lock; nothing is changed then)."""
    try:
        with store.lock(name):
            for run in store.runs(name, limit=5):
                started = dt.datetime.fromisoformat(run["started_at"])
                if run["status"] == "running" and started >= since:
                    store.finish_run(run["run_id"], "failed", {"error": error, "by": "scheduler"})
    except LockedError:
        pass


def with_retries(attempt: Callable[[], RunOutcome], policy: Policy, *, stopping: threading.Event,
                 next_run: Callable[[], dt.datetime | None],
                 say: Callable[[str], None]) -> tuple[RunOutcome, int]:
    """Call ``attempt`` until it succeeds, fails for good, or retrying is not worth it; return
    the last outcome and the number of attempts."""
    tries = 0
    delay = policy.backoff
    while True:
        tries += 1
        outcome = attempt()
        if not outcome.transient or outcome.status not in ("failed", "locked") \
                or tries > policy.retries or stopping.is_set():
            return outcome, tries
        pause = min(delay, MAX_BACKOFF_SECONDS) * random.uniform(0.8, 1.2)
        upcoming = next_run()
        if upcoming is not None and dt.datetime.now(dt.UTC) + dt.timedelta(seconds=pause) >= upcoming:
            say(f"dataset {outcome.dataset!r}: not retried: its next scheduled run, at "
                f"{upcoming:%Y-%m-%d %H:%M:%S} UTC, comes first")
            return outcome, tries
        say(f"dataset {outcome.dataset!r}: {_kind(outcome)}; retry {tries} of {policy.retries} in "
            f"{pause:.0f} s")
        if stopping.wait(pause):
            return outcome, tries
        delay *= 2


def _kind(outcome: RunOutcome) -> str:
    if outcome.status == "locked":
        return "another process is running it"
    return f"transient failure ({printable(outcome.error or '')[:200]})"


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the child leads its own session: its helpers go too


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
