"""``integrity schedule list``: each scheduled dataset's trigger, last run and verdict, next run.

Read from the definitions and the results store only: the runs table (whoever ran the dataset,
the scheduler or a person) and the scheduler's job store (its next run times). Nothing is created:
a project whose store does not exist yet simply has no runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from integrity.job import Project
from integrity.schedule.service import JOB_PREFIX, scheduled_datasets, stagger
from integrity.store import Store
from integrity.store import schema as t
from integrity.store.connect import StoreMissingError
from integrity.triggers import make_trigger

OVERDUE_AFTER = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Entry:
    dataset: str
    trigger: str
    last_run: dt.datetime | None
    verdict: str | None
    """The last run's status: clean, quarantined, empty, failed, running."""
    error: str | None
    next_run: dt.datetime | None
    next_note: str = ""
    """``overdue``: the stored next run is past (is the scheduler running?); ``not started``: no
    scheduler has run this dataset on this schedule yet (the time is the trigger's next)."""


def entries(project: Project, *, now: dt.datetime | None = None) -> tuple[list[Entry], list[str]]:
    """The scheduled datasets, and the problems that would stop ``schedule start`` (one line each)."""
    when = now or dt.datetime.now(dt.UTC)
    schedules, problems = scheduled_datasets(project)
    try:
        store: Store | None = Store.open(project.store_url, create=False)
    except StoreMissingError:
        store = None
    found: list[Entry] = []
    try:
        stored = _stored_next_runs(store) if store is not None else {}
        for name, schedule in sorted(schedules.items()):
            last = store.runs(name, limit=1) if store is not None else []
            run = last[0] if last else None
            next_run: dt.datetime | None
            if JOB_PREFIX + name in stored:
                next_run = stored[JOB_PREFIX + name]
                note = "overdue" if next_run is not None and next_run < when - OVERDUE_AFTER else ""
            else:
                trigger = make_trigger(schedule, start=when + stagger(name, schedule))
                next_run, note = trigger.get_next_fire_time(None, when), "not started"
            found.append(Entry(
                name, schedule.description,
                dt.datetime.fromisoformat(run["started_at"]) if run else None,
                run["status"] if run else None,
                str(run["summary"].get("error")) if run and run["summary"].get("error") else None,
                next_run, note))
    finally:
        if store is not None:
            store.close()
    return found, problems


def _stored_next_runs(store: Store) -> dict[str, dt.datetime | None]:
    jobs = t.schedule_jobs
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.id, jobs.c.next_run_time)).all()
    return {job_id: dt.datetime.fromtimestamp(value, dt.UTC) if value is not None else None
            for job_id, value in rows}
