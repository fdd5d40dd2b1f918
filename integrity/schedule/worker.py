"""The child process of one scheduled run: ``python -m integrity.schedule.worker --project DIR NAME``.

It runs the integrity job once (the same :func:`integrity.job.run` as ``integrity run``, under the
same per-dataset lock) and prints one JSON line on stdout: the run's
:class:`~integrity.job.alerting.RunOutcome`. Anything else the run writes goes to stderr. The
scheduler reads the line, retries what is transient and sends the alerts; a child that dies
without printing it (killed, out of memory, a crash in a native library) is reported as such,
and the scheduler itself carries on.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrity.schedule.worker")
    parser.add_argument("--project", required=True)
    parser.add_argument("dataset")
    args = parser.parse_args(argv)
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # only the outcome line goes to the scheduler's pipe
    os.dup2(sys.stderr.fileno(), 1)  # native code writing to fd 1 too

    from integrity.job import Project, run
    from integrity.job.alerting import RunOutcome, run_secrets

    gc.freeze()  # what the imports left lives until exit: no collection walks it (as the CLI does)
    try:
        project = Project.load(args.project)
        outcome = RunOutcome.of_summary(run(project, args.dataset))
    except Exception as exc:
        try:
            secrets = run_secrets(Project.load(args.project), args.dataset)
        except Exception:
            secrets = {}
        outcome = RunOutcome.of_error(args.dataset, exc, secrets)
    answer.write(json.dumps(outcome.to_dict(), default=str) + "\n")
    answer.flush()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # Everything the run wrote is durable and the outcome is sent: skip the interpreter's teardown
    # of polars, SQLAlchemy and pydantic (a tenth of a run's CPU, fifty runs a minute).
    os._exit(code)
