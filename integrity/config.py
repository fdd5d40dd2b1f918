"""Project and dataset definitions: ``integrity.yaml`` and ``connectors/<dataset>.yaml``.

Validated with pydantic, so a typo is an error that names the file, the field and the valid
choices. Secrets are written as ``${ENV_VAR}`` references and resolved only when a connector opens
(:func:`resolve_secrets`); they are never stored, logged or echoed back in an error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from integrity.durations import duration_problem, zone_problem
from integrity.errors import ConfigError, SecretMissingError
from integrity.yamlfile import read_yaml

Action = Literal["quarantine_batch", "quarantine_rows", "warn"]
ACTIONS: tuple[str, ...] = ("quarantine_batch", "quarantine_rows", "warn")

LateRows = Literal["quarantine", "warn", "drop"]
LATE_ROWS: tuple[str, ...] = ("quarantine", "warn", "drop")

_SECRET = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


AlertEvent = Literal["failure", "quarantine", "staleness"]
ALERT_EVENTS: tuple[str, ...] = ("failure", "quarantine", "staleness")


class AlertConfig(_Model):
    """One alert destination: a webhook that receives Slack-compatible JSON (``{"text": ...}``).

    Written under ``alerts:`` in ``integrity.yaml`` (every dataset) or in a dataset's definition
    (that dataset only: it replaces the project's list; ``alerts: []`` silences the dataset)."""

    webhook: str
    """The URL to POST to (http or https). Write its secret parts as ``${ENV}`` references: the
    resolved URL is never logged, stored or shown in an error."""
    on: list[AlertEvent] = Field(default_factory=lambda: _all_events())
    """Which incidents to report: ``failure`` (a run failed), ``quarantine`` (rows were held),
    ``staleness`` (no new rows for longer than the dataset's ``freshness.max_age``)."""
    remind_after: dt.timedelta | None = Field(default=dt.timedelta(days=1), gt=dt.timedelta(0))
    """An incident still open is reported again at most this often (ISO 8601, e.g. ``PT12H``;
    null: never). Between reminders a recurring failure sends nothing."""
    timeout: float = Field(default=5.0, gt=0, le=60)
    """Seconds one message may take, its retries included; a run never waits longer for it (a
    message not delivered in time is retried by the next run or scheduler check)."""
    retries: int = Field(default=3, ge=0, le=10)
    """Further attempts after a failed one (connection refused, timeout, HTTP 429 or 5xx)."""


def _all_events() -> list[AlertEvent]:
    return ["failure", "quarantine", "staleness"]


def _alert_list(value: Any) -> Any:
    return [value] if isinstance(value, Mapping) else value


class LineageConfig(_Model):
    """``lineage:`` in ``integrity.yaml``: where each run's OpenLineage event goes (Marquez,
    DataHub, a file). Sending never fails or holds up a run: a problem becomes a note in the run's
    summary."""

    transport: Literal["file", "http"]
    path: str | None = None
    """file: the JSON-lines file events are appended to (relative to the project root)."""
    url: str | None = None
    """http: the lineage server's base URL (e.g. http://marquez:5000); may hold ``${ENV}``."""
    endpoint: str = "api/v1/lineage"
    """http: the path events are POSTed to, under ``url``."""
    api_key: str | None = None
    """http: sent as ``Authorization: Bearer ...``; write it as ``${ENV}``."""
    timeout: float = Field(default=5.0, gt=0, le=60)
    """Seconds a run waits for the event to be sent, retries included, before going on without."""
    namespace: str = "integrity"
    """The OpenLineage namespace of the jobs and datasets integrity reports."""

    @model_validator(mode="after")
    def _target(self) -> LineageConfig:
        if self.transport == "file" and not self.path:
            raise ValueError("transport 'file' needs path: the file events are appended to")
        if self.transport == "http" and not self.url:
            raise ValueError("transport 'http' needs url: the lineage server, e.g. "
                             "http://marquez:5000")
        return self


class ProjectConfig(_Model):
    """``integrity.yaml`` at the project root: defaults every dataset shares."""

    store_url: str = "sqlite:///.integrity/integrity.db"
    """SQLAlchemy URL of the results store (SQLite file by default; PostgreSQL in production)."""
    data_root: str = ".integrity/data"
    """Where published and quarantined data go unless a dataset says otherwise."""
    connectors_dir: str = "connectors"
    expectations_dir: str = "expectations"
    alerts: list[AlertConfig] = Field(default_factory=list)
    """Where failures, quarantines and stale sources are reported (see :class:`AlertConfig`)."""

    @field_validator("alerts", mode="before")
    @classmethod
    def _one_or_more_alerts(cls, value: Any) -> Any:
        return _alert_list(value)
    lineage: LineageConfig | None = None
    """Send an OpenLineage run event after every run (see :class:`LineageConfig`)."""


class ConnectorConfig(_Model):
    """Which connector pulls the dataset and its parameters (may hold ``${ENV}`` references)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    """``files``, ``sql``, ``http``, ``memory`` or a name registered by a plugin."""
    params: dict[str, Any] = Field(default_factory=dict)


class CursorConfig(_Model):
    """The incremental cursor: only rows whose cursor column is past the watermark are pulled."""

    column: str
    initial: Any = None
    """Watermark to start from on the first run (None: everything)."""


class PublishConfig(_Model):
    """Where clean rows go: what retrieval indexers and fine-tuning jobs read."""

    kind: Literal["parquet", "jsonl", "sql"] = "parquet"
    path: str | None = None
    """parquet/jsonl: folder (default: <data_root>/published; files land under dataset=<name>/date=<day>/)."""
    url: str | None = None
    """sql: SQLAlchemy URL (may hold ``${ENV}`` references)."""
    table: str | None = None
    """sql: target table name."""


class QuarantineConfig(_Model):
    path: str | None = None
    """Folder for quarantined rows (default: <data_root>/quarantine/<dataset>); kept private (0700)."""


class FreshnessConfig(_Model):
    """How recent the dataset's newest published row must be: a run that finds no new rows while
    the newest is older than ``max_age`` fails (exit 1), since a silent source is an incident."""

    max_age: str | int | float
    """ISO-8601 duration (``PT6H``, ``P1D``) or a number of seconds."""
    column: str | None = None
    """The time column whose newest published value dates the dataset (default: the cursor
    column; without either, the time rows were last published)."""

    @field_validator("max_age")
    @classmethod
    def _duration(cls, value: str | int | float) -> str | int | float:
        problem = duration_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class DatasetConfig(_Model):
    """``connectors/<dataset>.yaml``: one dataset's source, suite and destinations."""

    name: str
    connector: ConnectorConfig
    suite: str
    """Suite file, relative to the project root (e.g. expectations/customer_feedback.json)."""
    cursor: CursorConfig | None = None
    publish: PublishConfig = Field(default_factory=PublishConfig)
    quarantine: QuarantineConfig = Field(default_factory=QuarantineConfig)
    default_action: Action = "quarantine_rows"
    """Action of expectations whose ``meta.action`` is not set."""
    late_rows: LateRows = "quarantine"
    """What happens to rows a cursor watermark alone would skip: rows whose cursor is NULL, and
    late rows (cursor below the watermark, arrived after it moved). ``quarantine``: held for a
    steward with a reason naming the cursor column; ``warn``: validated and published like any
    row, with a warning recorded; ``drop``: counted and recorded, not published. Either way they
    are reported once, never again on later runs."""
    schedule: str | None = None
    """When ``integrity schedule start`` runs the dataset: a cron expression (``*/15 * * * *``)
    or an interval (``every 15m``); see :mod:`integrity.triggers`."""
    alerts: list[AlertConfig] | None = None
    """This dataset's alert destinations, instead of the project's (None: the project's)."""
    description: str = ""
    freshness: FreshnessConfig | None = None
    """``{max_age: PT6H}``: see :class:`FreshnessConfig`; also an alert incident (staleness) when no
    new rows arrived for longer than that."""
    timezone: str = "UTC"
    """The IANA time zone of the dataset's naive timestamps (text or datetimes without an offset)."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        problem = zone_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("alerts", mode="before")
    @classmethod
    def _one_or_more_alerts(cls, value: Any) -> Any:
        return _alert_list(value)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        problem = name_problem(value)
        if problem:
            raise ValueError(problem)
        return value


NAME_MAX = 200
"""Longest dataset name: it names folders and files, and the gate's ``safe_name`` allows 200."""


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a dataset name (it names folders and files), or None when it can."""
    if len(value) > NAME_MAX:
        return f"is {len(value)} characters long; use at most {NAME_MAX} (it names folders and files)"
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", value) or ".." in value:
        return ("use letters, digits, '_', '-' and '.' only, without '..' or a leading '.' "
                "(it names folders and files)")
    return None


def load_yaml(path: Path) -> Any:
    """A definition file's YAML, read within bounds (size, aliases; see :mod:`integrity.yamlfile`)."""
    try:
        return read_yaml(path, error=ConfigError)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc}); check the path and "
                          "its permissions.") from None


def _explain(path: Path, exc: ValidationError) -> ConfigError:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        # pydantic prefixes our validators' messages with "Value error, ": they say it better.
        problems.append(f"{path}: field '{where}': {err['msg'].removeprefix('Value error, ')}")
    return ConfigError("\n".join(problems))


def load_project(root: Path) -> ProjectConfig:
    """Read ``integrity.yaml`` under ``root`` (defaults when it does not exist)."""
    path = root / "integrity.yaml"
    if not path.exists():
        return ProjectConfig()
    data = load_yaml(path) or {}
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, exc) from None


def load_dataset(path: Path) -> DatasetConfig:
    """Read and validate one dataset definition."""
    data = load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a dataset definition is a mapping with name, connector and suite")
    try:
        return DatasetConfig.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, exc) from None


def resolve_secrets(value: Any, *, where: str, env: Mapping[str, str] | None = None) -> Any:
    """Replace ``${VAR}`` references in strings (recursively) with environment values.

    A missing variable raises :class:`SecretMissingError` naming the variable and where it was
    looked for; the resolved value itself never appears in any message.
    """
    environment = os.environ if env is None else env
    if isinstance(value, str):
        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environment:
                raise SecretMissingError(missing_secret_message(name, where))
            return environment[name]

        return _SECRET.sub(substitute, value)
    if isinstance(value, Mapping):
        return {k: resolve_secrets(v, where=f"{where}.{k}", env=environment) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, where=f"{where}[{i}]", env=environment) for i, v in enumerate(value)]
    return value


def missing_secrets(value: Any, *, where: str,
                    env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Every ``${VAR}`` reference in ``value`` (recursively) whose variable is not set, as
    ``(variable, where)`` pairs: all of them, so one check names every one to export."""
    environment = os.environ if env is None else env
    if isinstance(value, str):
        return [(name, where) for name in _SECRET.findall(value) if name not in environment]
    if isinstance(value, Mapping):
        return [m for k, v in value.items() for m in missing_secrets(v, where=f"{where}.{k}", env=environment)]
    if isinstance(value, list):
        return [m for i, v in enumerate(value)
                for m in missing_secrets(v, where=f"{where}[{i}]", env=environment)]
    return []


def missing_secret_message(name: str, where: str) -> str:
    return (f"{where}: secret ${{{name}}} is not set. Looked in the process environment "
            f"(variable {name}); export it before running, e.g. `export {name}=...`.")


def referenced_secrets(*values: Any, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The values of the set variables that ``${VAR}`` references in ``values`` name, to redact them."""
    environment = os.environ if env is None else env
    names = set(_SECRET.findall(json.dumps(values, default=str)))
    return {n: environment[n] for n in sorted(names) if n in environment}


def redact(text: str, secrets: Mapping[str, Any]) -> str:
    """Remove resolved secret values from a message before it is shown or stored."""
    for value in secrets.values():
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text
