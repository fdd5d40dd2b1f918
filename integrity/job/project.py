"""A project folder: ``integrity.yaml``, ``connectors/*.yaml`` and the suites, with the paths the job uses.

Every relative path a project names is taken from the project root, never from the working
directory: the suite, ``data_root``, ``publish.path``, ``quarantine.path``, a SQLite ``store_url``,
and, in connector parameters, a ``path`` and a SQLite ``url`` (:meth:`Project.dataset` anchors them
all, so connectors and sinks only ever see absolute paths).
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from integrity.config import (
    DatasetConfig,
    ProjectConfig,
    load_dataset,
    load_project,
    name_problem,
    resolve_secrets,
)
from integrity.errors import (
    ConfigError,
    IntegrityError,
    SecretMissingError,
    StoreError,
    did_you_mean,
)
from integrity.gate import QuarantineFiles, Sink, make_sink
from integrity.store import Store
from integrity.store.connect import StoreMissingError, is_memory, parse_url

_SQLITE_RELATIVE = re.compile(r"(sqlite[^:/]*):///(?!/)(.*)", re.DOTALL)
"""A SQLite URL with a relative path (three slashes; four make it absolute)."""


@dataclass(frozen=True)
class Project:
    """A project folder: integrity.yaml, connectors/*.yaml, expectations/."""

    root: Path
    config: ProjectConfig
    new_store: bool = False
    """Whether a missing results store may be created even though earlier runs left state here
    (``--new-store``): without it, that is refused, since an empty store forgets every watermark."""

    @classmethod
    def load(cls, root: Path | str = ".", *, new_store: bool = False) -> Project:
        path = Path(root).resolve()
        return cls(path, load_project(path), new_store)

    def path(self, relative: str) -> Path:
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def data_root(self) -> Path:
        return self.path(self.config.data_root)

    @property
    def store_url(self) -> str:
        """The results store URL with its secrets resolved and a relative SQLite path (``sqlite:///rel``
        or a plain path) taken from the project root. A URL that does not parse is a ConfigError."""
        where = f"{self.root / 'integrity.yaml'}: store_url"
        url = resolve_secrets(self.config.store_url, where=where)
        assert isinstance(url, str)
        try:
            parsed = parse_url(url)
        except StoreError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if parsed.get_backend_name() != "sqlite":
            return parsed.render_as_string(hide_password=False)
        if is_memory(parsed):
            raise ConfigError(f"{where}: {self.config.store_url!r} is an in-memory store, which "
                              "forgets every watermark when the command ends (rows would be "
                              "published again). Use a file: sqlite:///.integrity/integrity.db.")
        return parsed.set(database=str(self.path(str(parsed.database)))).render_as_string()

    def dataset_names(self) -> list[str]:
        folder = self.path(self.config.connectors_dir)
        return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []

    def loadable_datasets(self) -> list[DatasetConfig]:
        """Every dataset definition that loads; one that does not is left out here (runs and
        ``check-config`` report it)."""
        found = []
        for name in self.dataset_names():
            try:
                found.append(self.dataset(name))
            except IntegrityError:
                continue
        return found

    def dataset(self, name: str) -> DatasetConfig:
        """The dataset's definition, validated, with every relative path anchored at the root."""
        problem = name_problem(name)
        if problem:
            raise ConfigError(f"dataset name {name!r}: {problem}.")
        path = self.path(self.config.connectors_dir) / f"{name}.yaml"
        if not path.exists():
            names = self.dataset_names()
            raise ConfigError(f"no dataset {name!r}: {path} does not exist.{did_you_mean(name, names)}"
                              f" Datasets here: {', '.join(names) or 'none'}.")
        config = load_dataset(path)
        if config.name != name:
            raise ConfigError(f"{path}: name {config.name!r} differs from the file name {name!r}; "
                              "make them equal")
        return self._anchored(config)

    def _anchored(self, config: DatasetConfig) -> DatasetConfig:
        params = dict(config.connector.params)
        if isinstance(params.get("path"), str):
            params["path"] = self._anchor_path(params["path"])
        if isinstance(params.get("url"), str):
            params["url"] = self._anchor_sqlite_url(params["url"])
        publish, quarantine = config.publish, config.quarantine
        return config.model_copy(update={
            "suite": str(self.path(config.suite)),
            "connector": config.connector.model_copy(update={"params": params}),
            "publish": publish.model_copy(update={
                "path": str(self.path(publish.path)) if publish.path else None,
                "url": self._anchor_sqlite_url(publish.url) if publish.url else None}),
            "quarantine": quarantine.model_copy(update={
                "path": str(self.path(quarantine.path)) if quarantine.path else None}),
        })

    def _anchor_path(self, text: str) -> str:
        """``text`` (a file, folder or glob; may hold ``${ENV}``) made absolute from the root. The
        test for "relative" is made on the resolved value; the unresolved text is kept, so no
        secret is written into the definition."""
        resolved = _resolved_or_none(text)
        if resolved is None or Path(resolved).is_absolute():
            return text
        if resolved.startswith("~"):
            return os.path.expanduser(text)
        from integrity.connectors.readers import is_glob  # polars, only when a path is anchored

        root = glob.escape(str(self.root)) if is_glob(text) else str(self.root)
        return f"{root}{os.sep}{text}"

    def _anchor_sqlite_url(self, text: str) -> str:
        """A SQLite URL with a relative path (``sqlite:///rel.db``) made absolute from the root."""
        match = _SQLITE_RELATIVE.fullmatch(text)
        resolved = _resolved_or_none(text)
        if match is None or resolved is None or _SQLITE_RELATIVE.fullmatch(resolved) is None:
            return text
        rest = match.group(2)
        if not rest or rest.startswith(":memory:"):
            return text
        return f"{match.group(1)}:///{self.root}/{rest}"

    def open_store(self) -> Store:
        """The results store, created when it does not exist yet, unless earlier runs left state
        in this project: then the store is missing (moved, renamed, a typo in store_url), and a
        new, empty one would forget every watermark and publish those rows again. That is refused
        unless :attr:`new_store` says the operator wants it."""
        url = self.store_url
        if self.new_store:
            return Store.open(url)
        try:
            return Store.open(url, create=False)
        except StoreMissingError as missing:
            found = self.leftover_state()
            if not found:
                return Store.open(url)  # a new project: its first run creates the store
            try:
                # Again: a first run that started at the same time may have created the store
                # before it left the state just found (it always creates the store first).
                return Store.open(url, create=False)
            except StoreMissingError:
                raise ConfigError(self.missing_store_message(str(missing), found)) from None

    def missing_store_message(self, missing: str, found: list[str]) -> str:
        """One line: the store is ``missing`` while ``found`` (:meth:`leftover_state`) says earlier
        runs used one; what that would cost, and the two ways out."""
        return (f"{missing} (store_url in {self.root / 'integrity.yaml'}), but earlier runs left "
                f"state in this project: {'; '.join(found)}. A new, empty store would forget every "
                "watermark and publish those rows again. Point store_url at the existing store "
                "(was it moved or renamed?), or start a new store on purpose with "
                "`integrity run DATASET --new-store`.")

    def leftover_state(self) -> list[str]:
        """What earlier runs left here that only a results store accounts for: staged batches,
        published-batch markers, quarantine entries, lock files beside a SQLite store. Empty for a
        project that has never run."""
        data = self.data_root
        publish_roots = {data / "published"}
        quarantine_roots = set(_children(data / "quarantine", dirs=True))
        for name in self.dataset_names():
            try:
                dataset = self.dataset(name)
            except IntegrityError:
                continue  # a broken definition is reported by the check; its state, if any, is
                # still found under the default folders
            if dataset.publish.kind != "sql":
                publish_roots.add(self.path(dataset.publish.path or str(data / "published")))
            quarantine_roots.add(self.quarantine_files(dataset).root)
        found: list[str] = []
        staged = [f for folder in _children(data / "staging", dirs=True) for f in _children(folder)]
        if staged:
            found.append(f"{len(staged)} staged batch file(s) under {data / 'staging'}")
        for root in sorted(publish_roots):
            markers = _children(root / ".published")
            if markers:
                found.append(f"{len(markers)} published-batch marker(s) in {root / '.published'}")
        for root in sorted(quarantine_roots):
            entries = _children(root, dirs=True)
            if entries:
                found.append(f"{len(entries)} quarantine entr{'y' if len(entries) == 1 else 'ies'} "
                             f"in {root}")
        locks = self._lock_dir()
        if locks is not None and _children(locks):
            found.append(f"lock files in {locks}")
        return found

    def _lock_dir(self) -> Path | None:
        try:
            parsed = parse_url(self.store_url)
        except IntegrityError:
            return None
        if parsed.get_backend_name() != "sqlite" or is_memory(parsed):
            return None
        return Path(str(parsed.database)).parent / "locks"

    def quarantine_files(self, dataset: DatasetConfig) -> QuarantineFiles:
        where = dataset.quarantine.path or str(Path(self.config.data_root) / "quarantine" / dataset.name)
        return QuarantineFiles(self.path(where))

    def sink(self, dataset: DatasetConfig) -> Sink:
        """The dataset's publish target, with a relative path taken from the project root."""
        publish = dataset.publish
        if publish.path is not None:
            publish = publish.model_copy(update={"path": str(self.path(publish.path))})
        return make_sink(publish, dataset=dataset.name, data_root=self.data_root)

    def staging_dir(self, dataset: DatasetConfig) -> Path:
        """Where pulled batches are staged (privately) until they are published or quarantined."""
        return self.data_root / "staging" / dataset.name

    def staged_path(self, dataset: DatasetConfig, batch_id: str) -> Path:
        # Arrow IPC, uncompressed: the staged copy is private and short-lived, so write speed wins.
        return self.staging_dir(dataset) / f"{batch_id}.arrow"


def _resolved_or_none(text: str) -> str | None:
    """``text`` with its ``${ENV}`` references resolved, or None while one is not set (the check
    of the definition reports that)."""
    try:
        value: Any = resolve_secrets(text, where="")
    except SecretMissingError:
        return None
    return str(value)


def _children(folder: Path, *, dirs: bool = False) -> list[Path]:
    """The visible entries of ``folder`` (folders only with ``dirs``); none when it does not exist."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [Path(e.path) for e in entries
            if not e.name.startswith(".") and (not dirs or e.is_dir(follow_symlinks=False))]
