"""Run the real ``integrity`` console script in a subprocess (no mocks, no in-process runner)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def entry_point() -> str:
    """The installed ``integrity`` script next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "integrity"
    if beside.exists():
        return str(beside)
    found = shutil.which("integrity")
    if found is None:
        raise RuntimeError("the `integrity` console script is not installed; run `make install`")
    return found


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def integrity(*args: str, cwd: Path | None = None, columns: int = 200,
              env: Mapping[str, str] | None = None) -> Run:
    """Run ``integrity ARGS`` on a terminal ``columns`` wide (plus ``env``), without colour."""
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", **(env or {})}
    env.pop("INTEGRITY_DEBUG", None)
    proc = subprocess.run([entry_point(), *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env=env, stdin=subprocess.DEVNULL, timeout=120, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)
