"""Writing the KPI for BI tools: a view as Parquet or CSV, or the Prometheus metrics as text.

Files are written whole or not at all (a temporary file beside the target, fsynced, renamed over
it), so a dashboard polling the file never reads half of one. They are 0640, like published data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import polars as pl

from integrity.errors import ConfigError
from integrity.kpi.tables import read_view
from integrity.store import Store

FORMATS = ("parquet", "csv", "prometheus")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export(store: Store, fmt: str, out: Path | IO[str], *, view: str = "daily",
           dataset: str | None = None, days: int | None = None,
           max_age: Mapping[str, float] | None = None) -> int:
    """Write the KPI to ``out`` (a path, or a text stream for ``csv`` and ``prometheus``).

    ``parquet`` and ``csv`` write the rows of one view (``daily`` by default; see
    :data:`integrity.kpi.tables.VIEW_CHOICES`) for ``dataset`` (or all) over the last ``days``
    UTC days (or all); ``prometheus`` writes every metric of every dataset, its gauges over the
    last ``days`` days (1 by default). Returns how many rows (or samples) were written.

    Raises:
        ValueError: an unknown format or view, ``days`` below 1, or Parquet to a stream.
        ConfigError: ``out`` cannot be written (its folder is missing or not writable).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "prometheus":
        try:
            from integrity.kpi.prometheus import exposition
        except ImportError as exc:
            raise ConfigError(f"the Prometheus export needs {exc.name or 'prometheus_client'}; "
                              "install it with: pip install 'integrity[kpi]'") from None
        text = exposition(store, max_age=max_age, days=days or 1)
        _write_text(out, text)
        return sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    frame = read_view(store, view, dataset=dataset, days=days)
    if fmt == "csv":
        _write_text(out, neutralized(frame).write_csv(datetime_format="%Y-%m-%dT%H:%M:%S%.6f%:z"))
    elif isinstance(out, Path):
        _atomic(out, lambda tmp: frame.write_parquet(tmp))
    else:
        raise ValueError("Parquet is binary: give a file path to write it to, not a stream")
    return frame.height


def neutralized(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first)
    with a ``'`` in front, as OWASP advises for CSV: column names and tags come from customers'
    data and stewards' suites."""
    text = [c for c, kind in frame.schema.items() if kind == pl.String]
    return frame.with_columns(
        pl.when(pl.any_horizontal([pl.col(c).str.starts_with(p) for p in _FORMULA_START]))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text)


def _write_text(out: Path | IO[str], text: str) -> None:
    if isinstance(out, Path):
        _atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    else:
        out.write(text)
        out.flush()


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ConfigError(f"cannot write the KPI export {path}: {exc.strerror or exc}; give --out "
                          "a path in a folder that exists and that you can write") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o640)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise ConfigError(f"cannot write the KPI export {path}: {exc.strerror or exc}; give "
                              "--out a writable path (not a folder)") from None
        raise
    with contextlib.suppress(OSError):  # the rename is durable once the folder is synced
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
