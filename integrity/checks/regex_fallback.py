"""Regexes polars' engine refuses, run on Python's ``re`` in a child process under a time budget.

polars matches with Rust's regex crate: linear time in the text, whatever the pattern, but without
look-around or back-references. GX (on pandas) runs those on Python's ``re``, so a suite may use
them; ``re`` backtracks, and a pattern such as ``^(a+)+(?=b)`` takes exponential time on a short
value (a run was stuck for minutes on 36 characters). So such a pattern is matched in a child
Python process, all of a batch's distinct values in one call, and the child is killed when the
expectation's budget (:func:`budget_seconds`, shared by every call it makes) runs out: that
expectation then fails with the reason, and the rest of the suite runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

from integrity.errors import ExpectationRunError

#: Environment variable that sets the budget, in seconds, of each expectation's fallback regexes.
BUDGET_ENV = "INTEGRITY_REGEX_SECONDS"
DEFAULT_BUDGET = 10.0

# The child reads {"regex": ..., "values": [...]} (ASCII JSON) and writes one 0/1 per value.
_CHILD = (
    "import json, re, sys\n"
    "job = json.loads(sys.stdin.buffer.read())\n"
    "found = re.compile(job['regex']).search\n"
    "sys.stdout.write(''.join('1' if found(v) else '0' for v in job['values']))\n"
)


def budget_seconds() -> float:
    """The budget from ``INTEGRITY_REGEX_SECONDS`` (default 10 s)."""
    raw = os.environ.get(BUDGET_ENV)
    try:
        value = float(raw) if raw else DEFAULT_BUDGET
    except ValueError:
        value = DEFAULT_BUDGET
    return value if value > 0 else DEFAULT_BUDGET


def _shown(regex: str) -> str:
    return repr(regex if len(regex) <= 80 else regex[:77] + "...")


class Budget:
    """The time one expectation may spend in fallback regexes, across all its calls."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = budget_seconds() if seconds is None else seconds
        self.spent = 0.0
        self.exhausted: str | None = None
        self._lock = threading.Lock()

    def search_all(self, regex: str, values: list[str]) -> list[bool]:
        """Whether ``regex`` finds a match in each value (``re.search``), in a child process.

        Raises:
            ExpectationRunError: the budget ran out (now or on an earlier call), or the child
                failed.
        """
        if not values:
            return []
        with self._lock:  # one child at a time: the budget is the expectation's, not a thread's
            if self.exhausted is None and self.spent >= self.seconds:
                self.exhausted = self._timeout(regex)
            if self.exhausted is not None:
                raise ExpectationRunError(self.exhausted)
            payload = json.dumps({"regex": regex, "values": values}).encode("ascii")
            started = time.monotonic()
            try:
                done = subprocess.run([sys.executable, "-I", "-S", "-c", _CHILD], input=payload,
                                      capture_output=True, timeout=self.seconds - self.spent,
                                      check=False)
            except subprocess.TimeoutExpired:  # run() has killed the child
                self.exhausted = self._timeout(regex)
                raise ExpectationRunError(self.exhausted) from None
            finally:
                self.spent += time.monotonic() - started
        answer = done.stdout.decode("ascii", "replace")
        if done.returncode != 0 or len(answer) != len(values):
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ExpectationRunError(f"regex {_shown(regex)} failed on Python's re: "
                                      f"{lines[-1] if lines else f'exit {done.returncode}'}")
        return [c == "1" for c in answer]

    def _timeout(self, regex: str) -> str:
        return (f"regex {_shown(regex)} ran out of its {self.seconds:g} s budget: it needs "
                "Python's backtracking re (look-around or back-references), which can take "
                "exponential time on some values. Rewrite it without look-around and "
                "back-references so it runs on the linear-time engine, or raise "
                f"{BUDGET_ENV}.")
