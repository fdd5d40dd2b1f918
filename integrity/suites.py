"""Loading expectation suites as stewards write them: GX 1.x or 0.x JSON, or the same in YAML.

Every expectation is checked against the registry when the suite loads: an unknown type, an unknown
or mistyped argument, or a missing required one is a :class:`SuiteError` naming the file, the
expectation (index and type), the argument and the close matches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.checks import builtin_registry
from integrity.checks.base import COMMON_ARGS, Registry
from integrity.errors import SuiteError, UnknownExpectationError, did_you_mean
from integrity.types import ExpectationConfig
from integrity.yamlfile import YAML_SUFFIXES, read_yaml


@dataclass(frozen=True)
class Suite:
    """An expectation suite: a name, its expectations in order, and free-form meta."""

    name: str
    expectations: tuple[ExpectationConfig, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "expectations": [e.to_dict() for e in self.expectations],
                "meta": dict(self.meta)}


def load_suite(source: str | Path | Mapping[str, Any], registry: Registry | None = None) -> Suite:
    """Load and validate a suite from a JSON/YAML file path or an already-parsed dict."""
    registry = registry if registry is not None else builtin_registry()
    if isinstance(source, Mapping):
        return parse_suite(source, registry=registry, path=None)
    path = Path(source)
    try:
        if path.suffix.lower() in YAML_SUFFIXES:
            data = read_yaml(path, error=SuiteError)  # bounded: size, aliases, binary files
        else:
            data = _parse_json(path.read_text(encoding="utf-8"), path)
    except FileNotFoundError:
        raise SuiteError(f"suite file not found: {path}. Check the --suite path.") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                         "save the suite as UTF-8.") from None
    except OSError as exc:
        raise SuiteError(f"cannot read suite {path}: {exc.strerror}") from None
    if not isinstance(data, Mapping):
        raise SuiteError(f"{path}: a suite is an object with 'name' and 'expectations', "
                         f"not a {type(data).__name__}")
    return parse_suite(data, registry=registry, path=str(path))


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}). "
                         "Fix the syntax there (a trailing comma or a missing quote is typical).") from None


def parse_suite(data: Mapping[str, Any], *, registry: Registry | None = None,
                path: str | None = None) -> Suite:
    """Validate a parsed suite dict (1.x ``name``/``type`` or 0.x ``expectation_suite_name``)."""
    registry = registry if registry is not None else builtin_registry()
    name = data.get("name") or data.get("expectation_suite_name")
    if not isinstance(name, str) or not name:
        name = Path(path).stem if path else "suite"
    raw = data.get("expectations")
    if raw is None:
        raise SuiteError("the suite has no 'expectations' list", path=path)
    if not isinstance(raw, list):
        raise SuiteError(f"'expectations' must be a list, not {type(raw).__name__}", path=path)
    configs = tuple(parse_expectation(item, i, registry=registry, path=path)
                    for i, item in enumerate(raw))
    meta = data.get("meta") or {}
    return Suite(name=name, expectations=configs, meta=dict(meta), path=path)


def parse_expectation(item: Any, index: int, *, registry: Registry, path: str | None) -> ExpectationConfig:
    """Validate one expectation entry against its registered definition."""
    if not isinstance(item, Mapping):
        raise SuiteError(f"each expectation is an object, not {type(item).__name__}",
                         path=path, index=index)
    type_name = item.get("type") or item.get("expectation_type")
    if not isinstance(type_name, str):
        raise SuiteError("the expectation has no 'type' (or 0.x 'expectation_type')",
                         path=path, index=index)
    try:
        definition = registry.get(type_name)
    except UnknownExpectationError as exc:
        raise UnknownExpectationError(str(exc).split(": ", 1)[-1], path=path, index=index,
                                      expectation_type=type_name) from None
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise SuiteError("'kwargs' must be an object", path=path, index=index,
                         expectation_type=type_name)
    known = {a.name: a for a in definition.args}
    for key, value in kwargs.items():
        if key in COMMON_ARGS:
            continue
        arg = known.get(key)
        if arg is None:
            raise SuiteError(
                f"unknown argument.{did_you_mean(key, known)} {type_name} takes: "
                f"{', '.join(sorted(known))}.",
                path=path, index=index, expectation_type=type_name, argument=key)
        if value is not None and arg.types and not isinstance(value, arg.types):
            wanted = " or ".join(t.__name__ for t in arg.types)
            raise SuiteError(f"must be {wanted}, got {type(value).__name__} {value!r}",
                             path=path, index=index, expectation_type=type_name, argument=key)
        if value is not None and isinstance(value, bool) and arg.types and bool not in arg.types \
                and int in arg.types:
            raise SuiteError(f"must be a number, got a boolean {value!r}",
                             path=path, index=index, expectation_type=type_name, argument=key)
        if value is not None and arg.check is not None:
            problem = arg.check(value)
            if problem:
                raise SuiteError(problem, path=path, index=index, expectation_type=type_name,
                                 argument=key)
    for arg in definition.args:
        if arg.required and kwargs.get(arg.name) is None:
            raise SuiteError("is required but missing", path=path, index=index,
                             expectation_type=type_name, argument=arg.name)
    meta = item.get("meta") or {}
    return ExpectationConfig(type=type_name, kwargs=dict(kwargs), meta=dict(meta), id=item.get("id"),
                             notes=item.get("notes"), severity=item.get("severity"))

