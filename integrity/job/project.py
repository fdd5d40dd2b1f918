"""A project folder: ``integrity.yaml``, ``connectors/*.yaml`` and the suites, with the paths the job uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from integrity.config import (
    DatasetConfig,
    ProjectConfig,
    load_dataset,
    load_project,
    resolve_secrets,
)
from integrity.errors import ConfigError, did_you_mean
from integrity.gate import QuarantineFiles, Sink, make_sink
from integrity.store import Store


@dataclass(frozen=True)
class Project:
    """A project folder: integrity.yaml, connectors/*.yaml, expectations/."""

    root: Path
    config: ProjectConfig

    @classmethod
    def load(cls, root: Path | str = ".") -> Project:
        path = Path(root).resolve()
        return cls(path, load_project(path))

    def path(self, relative: str) -> Path:
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def data_root(self) -> Path:
        return self.path(self.config.data_root)

    @property
    def store_url(self) -> str:
        url = resolve_secrets(self.config.store_url, where="integrity.yaml: store_url")
        assert isinstance(url, str)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            return "sqlite:///" + str(self.root / url[len("sqlite:///"):])
        return url

    def dataset_names(self) -> list[str]:
        folder = self.path(self.config.connectors_dir)
        return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []

    def dataset(self, name: str) -> DatasetConfig:
        path = self.path(self.config.connectors_dir) / f"{name}.yaml"
        if not path.exists():
            names = self.dataset_names()
            raise ConfigError(f"no dataset {name!r}: {path} does not exist.{did_you_mean(name, names)}"
                              f" Datasets here: {', '.join(names) or 'none'}.")
        config = load_dataset(path)
        if config.name != name:
            raise ConfigError(f"{path}: name {config.name!r} differs from the file name {name!r}; "
                              "make them equal")
        return config

    def open_store(self) -> Store:
        return Store.open(self.store_url)

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
