"""Imports point down only (docs: ARCHITECTURE.md, "Layers"), and ``import integrity`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "integrity"

#: Module (or package prefix) -> layer, per ARCHITECTURE.md. The longest matching prefix wins.
LAYERS: dict[str, int] = {
    "integrity.errors": 0,
    "integrity.types": 0,
    "integrity.jsonable": 0,
    "integrity.yamlfile": 0,
    "integrity.durations": 0,
    "integrity.checks": 1,
    "integrity.suites": 1,
    "integrity.config": 1,
    "integrity.sqlguard": 1,
    "integrity.engine": 2,
    "integrity.connectors": 2,
    "integrity.store": 2,
    "integrity.gate": 3,
    "integrity.kpi": 3,
    "integrity.report": 3,
    "integrity.alerts": 3,
    "integrity.triggers": 1,
    "integrity.job": 4,
    "integrity.api": 4,
    "integrity.cli": 5,
    "integrity.schedule": 5,
    "integrity.__main__": 5,
    # The package facade re-exports the public API lazily; it sits on top, like the CLI.
    "integrity": 5,
}


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    """Every integrity module imported anywhere in the file (top level, functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from integrity.checks import builtin_registry` may name submodules too.
            found += [(node.lineno, f"{target}.{a.name}") for a in node.names
                      if _is_module(f"{target}.{a.name}")]
    return [(line, name) for line, name in found if name == "integrity" or name.startswith("integrity.")]


def _is_module(name: str) -> bool:
    base = PACKAGE.parent / name.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def violations(path: Path, module: str) -> list[str]:
    """Imports in ``path`` (as module ``module``) of a higher layer."""
    own = layer_of(module)
    problems = []
    for line, target in imports_of(path, module):
        theirs = layer_of(target)
        # Same-layer imports are allowed (suites asks the checks registry; api sits with the job).
        if own is not None and theirs is not None and theirs > own:
            problems.append(f"{path}:{line}: {module} (layer {own}) imports {target} (layer {theirs})")
    return problems


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    unknown = [module_name(p) for p in modules() if layer_of(module_name(p)) is None]
    assert not unknown, f"give these modules a layer in tests/test_layers.py (ARCHITECTURE.md): {unknown}"


def test_imports_point_down_only() -> None:
    problems = [p for path in modules() for p in violations(path, module_name(path))]
    assert not problems, "imports must point down only:\n" + "\n".join(problems)


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from integrity import api\n\ndef f():\n    from ..cli import main\n")
    found = violations(bad, "integrity.checks.bad")
    assert any("integrity.api (layer 4)" in p for p in found), found
    assert any("integrity.cli (layer 5)" in p for p in found), found


def test_import_integrity_does_not_import_polars() -> None:
    code = ("import sys, integrity; heavy = [m for m in ('polars', 'integrity.engine', 'pyarrow', "
            "'numpy') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"`import integrity` imported {out.stdout.strip()}"


def test_cli_module_does_not_import_polars_at_import_time() -> None:
    code = "import sys, integrity.cli; print('polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", "integrity.cli must import polars inside its commands only"
