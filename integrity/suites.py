"""Loading expectation suites as stewards write them: GX 1.x or 0.x JSON, or the same in YAML.

Every expectation is checked against the registry when the suite loads, and every problem is
reported at once: an unknown type, an unknown, mistyped or missing argument, each naming the file
and line, the expectation (index and type), the argument and the fix, in one :class:`SuiteError`
whose ``problems`` list them (its message is one line per problem). GX 0.x leftovers (see
:mod:`integrity.checks.legacy`) are accepted with a warning when their meaning survives; the
warnings travel with the :class:`Suite` into the validation result's meta.

What only the data can tell (a missing column, a column of the wrong type, contradictory bounds
GX finds while validating) is not a load problem: the engine fails that one expectation with
``exception_info``, as GX does, and runs the rest.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from integrity.checks import builtin_registry
from integrity.checks.base import COMMON_ARGS, ExpectationDef, Registry, configuration_problem
from integrity.checks.legacy import leftover, renamed_type
from integrity.errors import SuiteError, UnknownExpectationError, did_you_mean, located
from integrity.types import ExpectationConfig, ResultFormat
from integrity.yamlfile import MAX_BYTES, YAML_SUFFIXES, decode_text, parse_yaml

Lines = dict[int, tuple[int, dict[str, int]]]
"""Where a parsed file put its objects: ``id(mapping)`` -> (its line, {key: the key's line}).
Keyed by identity, so it is only good while the parsed data it describes is alive."""

#: YAML aliases a suite may use; a suite has no need for more, and an alias bomb would otherwise
#: expand into gigabytes when the suite is printed or stored.
MAX_YAML_ALIASES = 100


@dataclass(frozen=True)
class Suite:
    """An expectation suite: a name, its expectations in order, and free-form meta."""

    name: str
    expectations: tuple[ExpectationConfig, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    warnings: tuple[str, ...] = ()
    """One line per thing accepted with a warning (GX 0.x leftovers, bounds that can never
    pass), located like errors. The engine copies them into the result's meta."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "expectations": [e.to_dict() for e in self.expectations],
                "meta": dict(self.meta)}


def load_suite(source: str | Path | Mapping[str, Any], registry: Registry | None = None) -> Suite:
    """Load and validate a suite from a JSON/YAML file path or an already-parsed dict.

    Raises:
        SuiteError: the file cannot be read or parsed, or has problems; ``problems`` lists each.
    """
    registry = registry if registry is not None else builtin_registry()
    if isinstance(source, Mapping):
        return parse_suite(source, registry=registry, path=None)
    path = Path(source)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SuiteError(f"suite file not found: {path}. Check the --suite path.") from None
    except OSError as exc:
        raise SuiteError(f"cannot read suite {path}: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise SuiteError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB; a suite is far "
                         "smaller. Check that this is the right file.")
    # Binary files, UTF-16 and other encodings are refused with one line naming the file.
    data, lines = _parse_text(decode_text(raw, str(path), error=SuiteError), path)
    if not isinstance(data, Mapping):
        raise SuiteError(f"{path}: a suite is an object with 'name' and 'expectations', "
                         f"not a {type(data).__name__}")
    return parse_suite(data, registry=registry, path=str(path), lines=lines)


def _parse_text(text: str, path: Path) -> tuple[Any, Lines]:
    if path.suffix.lower() in YAML_SUFFIXES:
        return _parse_yaml(text, path)
    try:
        return _parse_json(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}). "
                         "Fix the syntax there (a trailing comma or a missing quote is typical).") from None


def _parse_json(text: str) -> tuple[Any, Lines]:
    """``json.loads`` that also records the line of every object and of each key's value.

    The standard scanner is used in its pure-Python form, with its object parser wrapped: the
    value scanner it calls for each member is told the member's offset first.
    """
    lines: Lines = {}
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def line_at(offset: int) -> int:
        return bisect_right(starts, offset)

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, object_hook: Any,
                     object_pairs_hook: Any, memo: Any = None) -> tuple[dict[str, Any], int]:
        offsets: list[int] = []

        def scan(string: str, index: int) -> Any:
            offsets.append(index)
            return scan_once(string, index)

        pairs, end = json.decoder.JSONObject(  # type: ignore[attr-defined]
            s_and_end, strict, scan, None, list, memo)
        obj = dict(pairs)
        lines[id(obj)] = (line_at(s_and_end[1] - 1),
                          {key: line_at(at) for (key, _), at in zip(pairs, offsets, strict=False)})
        return obj, end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text), lines


def _parse_yaml(text: str, path: Path) -> tuple[Any, Lines]:
    import yaml

    lines: Lines = {}

    class Loader(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                    raise SuiteError(f"{path}:{mark.line + 1}: more than {MAX_YAML_ALIASES} YAML "
                                     "aliases (*name); write the values out instead.")
            return super().compose_node(parent, index)

    def construct_map(loader: Loader, node: yaml.MappingNode) -> Any:
        data: dict[Any, Any] = {}
        yield data
        data.update(loader.construct_mapping(node))
        lines[id(data)] = (node.start_mark.line + 1,
                           {str(k.value): k.start_mark.line + 1 for k, _ in node.value})

    Loader.add_constructor("tag:yaml.org,2002:map", construct_map)
    # The shared reader refuses aliases that would expand the suite past its bounds.
    return parse_yaml(text, str(path), error=SuiteError, loader_class=Loader), lines


def parse_suite(data: Mapping[str, Any], *, registry: Registry | None = None,
                path: str | None = None, lines: Lines | None = None) -> Suite:
    """Validate a parsed suite dict (1.x ``name``/``type`` or 0.x ``expectation_suite_name``).

    ``lines`` (from parsing the file) lets each problem name its line. Every expectation is
    checked before anything is raised, so one :class:`SuiteError` lists every problem.
    """
    registry = registry if registry is not None else builtin_registry()
    lines = lines if lines is not None else {}
    name = data.get("name") or data.get("expectation_suite_name")
    if not isinstance(name, str) or not name:
        name = Path(path).stem if path else "suite"
    raw = data.get("expectations")
    top = lines.get(id(data), (None, {}))[1].get("expectations")
    if raw is None:
        raise SuiteError("the suite has no 'expectations' list", path=path)
    if not isinstance(raw, list):
        raise SuiteError(f"'expectations' must be a list, not {type(raw).__name__}", path=path,
                         line=top)
    problems: list[SuiteError] = []
    warnings: list[str] = []
    configs = []
    for index, item in enumerate(raw):
        checker = _Checker(registry, path, lines, index, top)
        config = checker.expectation(item)
        problems += checker.problems
        warnings += checker.warnings
        if config is not None:
            configs.append(config)
    meta = data.get("meta") or {}
    if not isinstance(meta, Mapping):
        problems.append(SuiteError(f"the suite's 'meta' must be an object, not "
                                   f"{type(meta).__name__}", path=path,
                                   line=lines.get(id(data), (None, {}))[1].get("meta")))
    if problems:
        raise SuiteError.of(problems)
    return Suite(name=name, expectations=tuple(configs), meta=dict(meta), path=path,
                 warnings=tuple(warnings))


def parse_expectation(item: Any, index: int, *, registry: Registry, path: str | None) -> ExpectationConfig:
    """Validate one expectation entry against its registered definition (every problem at once)."""
    checker = _Checker(registry, path, {}, index, None)
    config = checker.expectation(item)
    if checker.problems:
        raise SuiteError.of(checker.problems)
    assert config is not None
    return config


class _Checker:
    """Checks one expectation entry, collecting its problems and warnings instead of raising."""

    def __init__(self, registry: Registry, path: str | None, lines: Lines, index: int,
                 fallback_line: int | None) -> None:
        self.registry, self.path, self.lines, self.index = registry, path, lines, index
        self.line = fallback_line
        self.keys: dict[str, int] = {}
        self.type: str | None = None
        self.problems: list[SuiteError] = []
        self.warnings: list[str] = []

    def problem(self, message: str, argument: str | None = None, line: int | None = None,
                unknown_type: bool = False) -> None:
        kind = UnknownExpectationError if unknown_type else SuiteError
        self.problems.append(kind(message, path=self.path, index=self.index,
                                  expectation_type=self.type, argument=argument,
                                  line=line or self.line))

    def warn(self, message: str, argument: str | None = None, line: int | None = None) -> None:
        self.warnings.append(located(message, path=self.path, line=line or self.line,
                                     index=self.index, expectation_type=self.type,
                                     argument=argument))

    def expectation(self, item: Any) -> ExpectationConfig | None:
        if not isinstance(item, Mapping):
            self.problem(f"each expectation is an object with 'type' and 'kwargs', not "
                         f"{type(item).__name__}")
            return None
        self.line, self.keys = self.lines.get(id(item), (self.line, {}))
        type_name = item.get("type") or item.get("expectation_type")
        if not isinstance(type_name, str):
            self.problem("the expectation has no 'type' (or 0.x 'expectation_type'); add one, "
                         "e.g. \"type\": \"expect_column_values_to_not_be_null\"")
            return None
        self.type = type_name
        type_line = self.keys.get("type") or self.keys.get("expectation_type")
        renamed = renamed_type(type_name, self.registry)
        if renamed is not None:
            self.warn(f"GX 0.x spelling of {renamed!r} (GX 1.x refuses it); write {renamed!r}.",
                      line=type_line)
            type_name = self.type = renamed
        if type_name not in self.registry:
            self.problem(f"unknown expectation type {type_name!r}."
                         f"{did_you_mean(type_name, self.registry.definitions)} The registry "
                         f"knows {len(self.registry)} types; `integrity expectations` lists them.",
                         line=type_line, unknown_type=True)
            return None
        kwargs = item.get("kwargs") or {}
        if not isinstance(kwargs, Mapping):
            self.problem(f"'kwargs' must be an object of arguments, not {type(kwargs).__name__}",
                         line=self.keys.get("kwargs"))
            return None
        before = len(self.problems)
        definition = self.registry.get(type_name)
        kept = self.arguments(definition, kwargs)
        if len(self.problems) == before:
            found = configuration_problem(definition, type_name, kept,
                                          Path(self.path).parent if self.path else None)
            if found is not None:
                argument = found.argument
                kwargs_line, arg_lines = self.lines.get(id(kwargs), (self.keys.get("kwargs"), {}))
                self.problem(found.detail, argument,
                             arg_lines.get(argument or "", kwargs_line or self.line))
        meta = item.get("meta") or {}
        if not isinstance(meta, Mapping):
            self.problem(f"'meta' must be an object (e.g. {{\"action\": \"warn\"}}), not "
                         f"{type(meta).__name__}", line=self.keys.get("meta"))
            return None
        return ExpectationConfig(type=type_name, kwargs=kept, meta=dict(meta), id=item.get("id"),
                                 notes=item.get("notes"), severity=item.get("severity"))

    def arguments(self, definition: ExpectationDef, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Check every argument; return the kwargs without the 0.x leftovers that were dropped."""
        fallback: tuple[int | None, dict[str, int]] = (self.keys.get("kwargs") or self.line, {})
        kwargs_line, arg_lines = self.lines.get(id(kwargs), fallback)
        known = {a.name: a for a in definition.args}
        kept: dict[str, Any] = {}
        for key, value in kwargs.items():
            line = arg_lines.get(key, kwargs_line)
            arg = known.get(key)
            if arg is None and key not in COMMON_ARGS:
                old = leftover(key, value, kwargs, definition)
                if old is not None and old.refuse:
                    self.problem(old.message, key, line)
                elif old is not None:
                    self.warn(old.message, key, line)
                else:
                    self.problem(f"unknown argument.{did_you_mean(key, known)} {definition.type} "
                                 f"takes: {', '.join(sorted(known))}.", key, line)
                continue
            kept[key] = value
            problem = _value_problem(key, value, arg)
            if problem:
                self.problem(problem, key, line)
            elif arg is not None and arg.caution is not None and value is not None:
                caution = arg.caution(value)
                if caution:
                    self.warn(caution, key, line)
        for arg in definition.args:
            if arg.required and kwargs.get(arg.name) is None:
                self.problem(f"is required but missing; add \"{arg.name}\" to kwargs", arg.name,
                             kwargs_line)
        lo, hi = kept.get("min_value"), kept.get("max_value")
        if _number(lo) and _number(hi) and lo > hi:
            self.warn(f"min_value {lo} is above max_value {hi}, so this expectation can never "
                      "pass; swap them.", "min_value", arg_lines.get("min_value", kwargs_line))
        return kept


def _number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value_problem(key: str, value: Any, arg: Any) -> str | None:
    """What is wrong with one argument's value (None when it is fine)."""
    if arg is None:  # a common argument
        if key == "result_format" and value is not None:
            try:
                ResultFormat.parse(value)
            except ValueError as exc:
                return str(exc)
        if key == "catch_exceptions" and value is not None and not isinstance(value, bool):
            return f"must be true or false, got {value!r}"
        return None
    if value is None:
        return None
    if arg.types and not isinstance(value, arg.types):
        wanted = _wanted(arg.types)
        return f"must be {wanted}, got {_type_word(type(value))} {value!r}"
    if isinstance(value, bool) and arg.types and bool not in arg.types and int in arg.types:
        return f"must be a number, got a boolean {value!r}"
    if arg.check is not None:
        problem: str | None = arg.check(value)
        return problem
    return None


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "an object", type(None): "null"}


def _type_word(kind: type) -> str:
    return _TYPE_WORDS.get(kind, kind.__name__)


def _wanted(types: tuple[type, ...]) -> str:
    """``(int, float, dict)`` as "a number or an object"."""
    kinds = [t for t in types if not (t is int and float in types)]
    return " or ".join(dict.fromkeys(_type_word(t) for t in kinds))
