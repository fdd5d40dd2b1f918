"""``integrity schedule start``: every dataset's job on its ``schedule:``, until SIGTERM or SIGINT.

APScheduler 3 (a background scheduler) keeps its jobs in the results store (``schedule_jobs``,
through SQLAlchemy: SQLite or PostgreSQL), so next run times survive a restart: a run missed while
the scheduler was down runs once on restart if it is within the misfire grace time (older ones are
counted as missed). Each dataset runs at most once at a time (``max_instances=1``; runs that fell
due while one was going are coalesced into one), and every run takes the same per-dataset lock as
``integrity run`` in its own child process (:mod:`integrity.schedule.runner`), so a manual run and
a scheduled one never overlap, in this process or across processes, and a run that crashes or
leaks takes nothing else down. One scheduler per results store: a second one is refused.

Stopping (SIGTERM, SIGINT): no new run starts; the runs going on get ``--stop-timeout`` seconds to
finish, then are stopped (SIGTERM, then SIGKILL), which the job is built to survive: the next run
finishes their batches exactly once. A second signal stops them at once.
"""

from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from integrity.errors import ConfigError, LockedError, printable
from integrity.job import Project
from integrity.job.alerting import RunOutcome, after_run, check_datasets, targets
from integrity.job.preflight import ConfigProblems
from integrity.kpi import max_ages
from integrity.schedule.metrics import SchedulerMetrics, serve
from integrity.schedule.runner import Children, Policy, fix_crashed_runs, run_child, with_retries
from integrity.store import Store
from integrity.triggers import Schedule, make_trigger, parse

JOB_PREFIX = "dataset:"
SCHEDULER_LOCK = "integrity:scheduler"
"""The lock one scheduler per store holds (':' cannot appear in a dataset name)."""
JOB_TABLE = "schedule_jobs"
DEFAULT_METRICS_PORT = 9464

_ACTIVE: Service | None = None
"""The scheduler of this process: stored jobs name :func:`run_scheduled`, which finds it here."""


def run_scheduled(root: str, dataset: str, schedule: str = "") -> None:
    """What every stored job calls (by this import path): run ``dataset`` in the active scheduler."""
    del schedule  # kept in the stored job to notice a changed schedule on restart
    service = _ACTIVE
    if service is not None and str(service.project.root) == root:
        service.run_dataset(dataset)


@dataclass(frozen=True)
class Options:
    workers: int = 4
    """Datasets that may run at the same time (each in its own process)."""
    metrics_host: str = "127.0.0.1"
    metrics_port: int = DEFAULT_METRICS_PORT
    """Port of ``/metrics``; 0 serves none."""
    misfire_grace: float = 300.0
    """A run that could not start on time (the scheduler was down or busy) still starts within
    this many seconds of its time; later, it is skipped and counted as missed."""
    stop_timeout: float = 60.0
    check_every: float = 60.0
    """Seconds between freshness checks and retries of undelivered alerts."""
    policy: Policy = field(default_factory=Policy)


Log = Callable[[str], None]


def stderr_log(message: str) -> None:
    """One timestamped line on stderr, control characters escaped (errors quote hostile text)."""
    now = dt.datetime.now(dt.UTC)
    sys.stderr.write(f"{now:%Y-%m-%d %H:%M:%S}Z {printable(message)}\n")
    sys.stderr.flush()


def scheduled_datasets(project: Project) -> tuple[dict[str, Schedule], list[str]]:
    """Every dataset with a ``schedule:``, parsed; and every problem that stops the scheduler from
    starting (a definition that does not load, a schedule that does not parse, an alert
    destination that cannot be used), one line each."""
    problems: dict[str, None] = {}
    schedules: dict[str, Schedule] = {}
    folder = project.path(project.config.connectors_dir)
    for line in targets(project, None)[1]:
        problems[line] = None
    for name in project.dataset_names():
        try:
            dataset = project.dataset(name)
        except ConfigError as exc:
            problems.update(dict.fromkeys(str(exc).splitlines()))
            continue
        if dataset.schedule is not None:
            try:
                schedules[name] = parse(dataset.schedule, where=f"{folder / name}.yaml: schedule")
            except ConfigError as exc:
                problems[str(exc)] = None
        problems.update(dict.fromkeys(targets(project, dataset)[1]))
    return schedules, list(problems)


class Service:
    """One running scheduler. Build it with :meth:`prepare`, then :meth:`run` it."""

    def __init__(self, project: Project, schedules: dict[str, Schedule], options: Options,
                 log: Log) -> None:
        self.project = project
        self.schedules = schedules
        self.options = options
        self.log = log
        self.stopping = threading.Event()
        self.children = Children()
        self._stop_requested = threading.Event()
        self._urgent = threading.Event()
        self._store: Store | None = None
        self._lock: Any = None
        self._scheduler: Any = None
        self._server: Any = None
        self._metrics: SchedulerMetrics | None = None
        self._said: set[str] = set()

    @classmethod
    def prepare(cls, project: Project, options: Options, log: Log = stderr_log) -> Service:
        """A scheduler for ``project``; ConfigProblems (one line each) if it cannot start."""
        schedules, problems = scheduled_datasets(project)
        if not schedules and not problems:
            folder = project.path(project.config.connectors_dir)
            problems.append(f"{folder}: no dataset has a schedule; add one to connectors/<name>.yaml, "
                            "e.g. `schedule: every 15m` or `schedule: \"*/15 * * * *\"`")
        if problems:
            raise ConfigProblems(problems)
        return cls(project, schedules, options, log)

    # -- lifecycle -------------------------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until SIGTERM or SIGINT, stop cleanly. Returns the exit code (0)."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self._stop_requested.wait(0.5):
                pass
            self.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _on_signal(self, signum: int, _frame: Any) -> None:
        if self._stop_requested.is_set():
            self._urgent.set()
        self._stop_requested.set()

    def start(self) -> None:
        global _ACTIVE
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        from integrity.store.connect import WRITE_OPTION

        store = self._store = self.project.open_store()
        try:
            self._lock = store.lock(SCHEDULER_LOCK)
            self._lock.__enter__()
        except LockedError:
            store.close()
            self._store = None
            raise ConfigError(f"another `integrity schedule start` is running on the results store "
                              f"{store.url_for_display}; one scheduler per store: stop that one "
                              "first (or give this project its own store_url).") from None
        try:
            self._metrics = SchedulerMetrics(store, self._next_runs,
                                            max_ages(self.project.loadable_datasets()))
            self._serve_metrics()
            jobs = SQLAlchemyJobStore(engine=store.engine.execution_options(**{WRITE_OPTION: True}),
                                      tablename=JOB_TABLE)
            self._scheduler = BackgroundScheduler(
                timezone=dt.UTC,
                jobstores={"default": jobs, "internal": MemoryJobStore()},
                executors={"default": ThreadPoolExecutor(self.options.workers),
                           "internal": ThreadPoolExecutor(1)},
                job_defaults={"coalesce": True, "max_instances": 1,
                              "misfire_grace_time": int(self.options.misfire_grace)})
            self._scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
                                         | EVENT_JOB_ERROR)
            _quiet_apscheduler()
            _ACTIVE = self
            self._scheduler.start(paused=True)
            self._sync_jobs()
            self._scheduler.add_job(
                self._check, "interval", seconds=self.options.check_every, id="integrity:check",
                jobstore="internal", executor="internal",
                next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
            self._scheduler.resume()
        except BaseException:
            self._close()
            raise
        where = (f"; /metrics on http://{self.options.metrics_host}:{self.options.metrics_port}/metrics"
                 if self._server is not None else "")
        self.log(f"scheduler started: {len(self.schedules)} dataset(s), {self.options.workers} "
                 f"worker(s), results store {store.url_for_display}{where}")
        for name, when in sorted(self._next_runs().items()):
            self.log(f"dataset {name!r}: {self.schedules[name].description}; next run "
                     f"{_when(when)}")

    def stop(self) -> None:
        """No new run starts; wait for the ones going on (up to the stop timeout), then end them."""
        self.stopping.set()
        if self._scheduler is not None:
            self._scheduler.pause()
        going = self.children.names()
        if going:
            self.log(f"stopping: no new run starts; waiting up to {self.options.stop_timeout:g} s "
                     f"for {', '.join(going)} (signal again to stop them now)")
        deadline = time.monotonic() + self.options.stop_timeout
        while self.children.names() and time.monotonic() < deadline and not self._urgent.is_set():
            self._urgent.wait(0.2)
        going = self.children.names()
        if going:
            self.log(f"stopping the runs of {', '.join(going)}: their batches are finished, exactly "
                     "once, by the next run")
        self.children.terminate()
        self._close()
        self.log("scheduler stopped")

    def _close(self) -> None:
        global _ACTIVE
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
            self._lock = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if _ACTIVE is self:
            _ACTIVE = None

    def _serve_metrics(self) -> None:
        options = self.options
        if not options.metrics_port or self._metrics is None:
            return
        try:
            self._server = serve(self._metrics.registry, options.metrics_host, options.metrics_port)
        except OSError as exc:
            raise ConfigError(f"cannot serve /metrics on {options.metrics_host}:"
                              f"{options.metrics_port} ({exc.strerror or exc}); choose another "
                              "--metrics-port, or 0 for none.") from None

    def _sync_jobs(self) -> None:
        """The stored jobs made to match the definitions: a dataset whose schedule is unchanged
        keeps its stored next run time (so a run missed while stopped is caught up, once); a new
        or changed one starts afresh; a dataset no longer scheduled is removed."""
        scheduler = self._scheduler
        stored = {job.id: job for job in scheduler.get_jobs(jobstore="default")}
        root = str(self.project.root)
        now = dt.datetime.now(dt.UTC)
        for name, schedule in sorted(self.schedules.items()):
            job_id = JOB_PREFIX + name
            old = stored.pop(job_id, None)
            settings = {"max_instances": 1, "coalesce": True,
                        "misfire_grace_time": int(self.options.misfire_grace)}
            if old is not None and old.kwargs.get("schedule") == schedule.text \
                    and tuple(old.args) == (root, name):
                scheduler.modify_job(job_id, jobstore="default", **settings)
                continue
            scheduler.add_job(run_scheduled, make_trigger(schedule, start=now + stagger(name, schedule)),
                              id=job_id, name=name, args=[root, name],
                              kwargs={"schedule": schedule.text}, jobstore="default",
                              executor="default", replace_existing=True, **settings)
        for job_id in stored:
            scheduler.remove_job(job_id, jobstore="default")

    # -- runs ------------------------------------------------------------------------------------

    def run_dataset(self, name: str) -> None:
        """One scheduled run of ``name`` (with its retries), reported and alerted."""
        if self.stopping.is_set() or self._metrics is None or self._store is None:
            return
        metrics, store = self._metrics, self._store
        metrics.running.labels(name).set(1)
        began = time.monotonic()
        since = dt.datetime.now(dt.UTC)
        try:
            def attempt() -> RunOutcome:
                if self.stopping.is_set():
                    return RunOutcome(name, "stopped", error_type="Stopped")
                start = dt.datetime.now(dt.UTC)
                outcome = run_child(self.project.root, name, children=self.children,
                                    timeout=self.options.policy.run_timeout)
                if outcome.error_type in ("Crashed", "Timeout"):
                    fix_crashed_runs(store, name, start, outcome.error or "")
                metrics.attempts.labels(name, outcome.status).inc()
                return outcome

            outcome, tries = with_retries(attempt, self.options.policy, stopping=self.stopping,
                                          next_run=lambda: self._next_run(name), say=self.log)
            if tries > 1:
                metrics.retries.labels(name).inc(tries - 1)
            seconds = time.monotonic() - began
            metrics.duration.observe(seconds)
            if outcome.status == "failed":
                outcome = self._recorded(outcome, since)
            self.log(_report(outcome, seconds, tries))
            if outcome.status != "stopped":
                for line in after_run(self.project, outcome, store=store):
                    self.log(f"warning: {line}")
        except Exception as exc:  # the scheduler must outlive anything a run does
            self.log(f"dataset {name!r}: the scheduler could not handle this run: "
                     f"{type(exc).__name__}: {exc}")
        finally:
            metrics.running.labels(name).set(0)

    def _recorded(self, outcome: RunOutcome, since: dt.datetime) -> RunOutcome:
        """A failure the run could not record itself (it failed before it started, or its process
        died) recorded as a failed run, so `schedule list`, the metrics and the KPI see it."""
        assert self._store is not None
        store = self._store
        try:
            latest = store.runs(outcome.dataset, limit=1)
            if latest and latest[0]["status"] == "failed" \
                    and dt.datetime.fromisoformat(latest[0]["started_at"]) >= since:
                return replace(outcome, run_id=int(latest[0]["run_id"]))
            run_id = store.start_run(outcome.dataset)
            store.finish_run(run_id, "failed", {"error": outcome.error, "by": "scheduler",
                                                "error_type": outcome.error_type})
            return replace(outcome, run_id=run_id)
        except Exception as exc:
            self.log(f"dataset {outcome.dataset!r}: the failure could not be recorded in the results "
                     f"store ({type(exc).__name__})")
            return outcome

    def _check(self) -> None:
        """Freshness of every dataset and alerts still owed (every ``check_every`` seconds)."""
        if self.stopping.is_set() or self._store is None:
            return
        lines = check_datasets(self.project, self._store, self.project.dataset_names())
        for line in lines:
            if line not in self._said:
                self.log(f"warning: {line}")
        self._said = set(lines)

    def _on_event(self, event: Any) -> None:
        from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

        name = str(event.job_id).removeprefix(JOB_PREFIX)
        if self._metrics is None or not str(event.job_id).startswith(JOB_PREFIX):
            return
        if event.code == EVENT_JOB_MISSED:
            self._metrics.missed.labels(name).inc()
            self.log(f"dataset {name!r}: the run due at {_when(event.scheduled_run_time)} was "
                     f"missed (not started within the misfire grace time of "
                     f"{self.options.misfire_grace:g} s)")
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self._metrics.skipped.labels(name).inc()
            self.log(f"dataset {name!r}: the run due now is skipped: the previous one is still "
                     "going (one run per dataset at a time)")
        else:
            self.log(f"dataset {name!r}: the scheduled job raised {event.exception!r}")

    def _next_run(self, name: str) -> dt.datetime | None:
        scheduler = self._scheduler
        job = scheduler.get_job(JOB_PREFIX + name, jobstore="default") if scheduler else None
        return job.next_run_time if job is not None else None

    def _next_runs(self) -> dict[str, dt.datetime | None]:
        scheduler = self._scheduler
        if scheduler is None:
            return {}
        return {job.name: job.next_run_time for job in scheduler.get_jobs(jobstore="default")}


def stagger(name: str, schedule: Schedule) -> dt.timedelta:
    """Where in its first period an interval dataset first runs: spread by name, so fifty datasets
    on `every 1m` do not all start in the same second."""
    if schedule.interval is None:
        return dt.timedelta(0)
    window = min(schedule.interval, 60.0)
    return dt.timedelta(seconds=window * (zlib.crc32(name.encode()) % 1000) / 1000)


def _report(outcome: RunOutcome, seconds: float, tries: int) -> str:
    head = f"dataset {outcome.dataset!r}: " + (f"run {outcome.run_id} " if outcome.run_id else "")
    took = f" ({seconds:.1f} s" + (f", {tries} attempts)" if tries > 1 else ")")
    if outcome.status in ("clean", "quarantined"):
        return (f"{head}{outcome.status}: {outcome.rows} rows, {outcome.published_rows} published, "
                f"{outcome.quarantined_rows} quarantined{took}")
    if outcome.status == "empty":
        return f"{head}no new rows{took}"
    if outcome.status == "locked":
        return f"{head}skipped: another process is running this dataset{took}"
    if outcome.status == "stopped":
        return f"{head}stopped with the scheduler{took}"
    return f"{head}failed{' (transient)' if outcome.transient else ''}: {outcome.error}{took}"


def _when(value: dt.datetime | None) -> str:
    return f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC" if value is not None else "none"


def _quiet_apscheduler() -> None:
    """APScheduler's own log lines repeat what the listener reports (and name jobs by repr)."""
    import logging

    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
