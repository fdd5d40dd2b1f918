"""Column map expectations about text: regexes, SQL LIKE patterns, JSON, and date formats.

Regexes run on polars' vectorised engine (linear time). A regex it cannot compile but Python's
``re`` can (look-around, back-references) falls back to ``re`` once per distinct value, in a child
process under a time budget per expectation (see :mod:`integrity.checks.regex_fallback`): a
pattern that backtracks without end fails its expectation instead of hanging the run. The suite
loader warns about such patterns. Parsing checks with no polars equivalent (json.loads,
jsonschema, strptime, dateutil) also run once per distinct value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.column_map import COLUMN, MAP, ColumnTypeError, column_dtype, require_text
from integrity.checks.families import column_map, per_unique, per_unique_batch
from integrity.checks.regex_fallback import BUDGET_ENV, Budget, budget_seconds

Matcher = Callable[[pl.Expr], pl.Expr]


def _polars_regex_error(regex: str) -> str | None:
    try:
        pl.select(pl.lit("").str.contains(regex))
    except pl.exceptions.PolarsError as exc:
        # Keep polars' one-line explanation ("error: unclosed group"), not its caret drawing.
        lines = [ln.strip() for ln in str(exc).splitlines()]
        reason = next((ln[len("error: "):] for ln in lines if ln.startswith("error: ")), lines[0])
        return reason
    return None


def regex_problem(regex: Any) -> str | None:
    """Why ``regex`` cannot be used (naming it and both engines' reasons), or None."""
    if not isinstance(regex, str):
        return None
    polars_reason = _polars_regex_error(regex)
    if polars_reason is None:
        return None
    try:
        re.compile(regex)
    except re.error as exc:
        return f"regex {regex!r} does not compile: {polars_reason} (Python re: {exc})"
    return None


def regex_caution(regex: Any) -> str | None:
    """A warning for a usable regex that polars cannot run (Python's re under a budget), or None."""
    if not isinstance(regex, str) or _polars_regex_error(regex) is None:
        return None
    return (f"regex {regex!r} needs Python's backtracking re (look-around or back-references): "
            f"it runs under a budget of {budget_seconds():g} s per expectation ({BUDGET_ENV}) "
            "and fails the expectation when that runs out. Without them it would run on the "
            "linear-time engine.")


def regex_list_caution(regexes: Any) -> str | None:
    if not isinstance(regexes, list):
        return None
    return next((c for c in map(regex_caution, regexes) if c), None)


def regex_list_problem(regexes: Any) -> str | None:
    if not isinstance(regexes, list):
        return None
    if not regexes:
        return "the list is empty; give at least one regex"
    for regex in regexes:
        if not isinstance(regex, str):
            return f"every regex must be a string, got {type(regex).__name__} {regex!r}"
        problem = regex_problem(regex)
        if problem:
            return problem
    return None


def _as_text(spec: Spec) -> Matcher:
    """The column as text, as GX's pandas backend casts it (str(value)) before matching."""
    dtype = column_dtype(spec)
    if dtype.is_nested() or dtype == pl.Object:
        raise ColumnTypeError(f"cannot match patterns against column {spec.kwargs['column']!r} of "
                              f"type {dtype}; only text and plain values can be matched.")
    return lambda col: col if dtype == pl.String else col.cast(pl.String)


def regex_matcher(spec: Spec, regex: str, budget: Budget | None = None) -> Matcher:
    """Expression builder: True where the value contains a match of ``regex`` (search semantics).

    A regex only Python's re accepts runs under ``budget`` (the expectation's; a new one when
    None), in a child process that is killed when the budget runs out."""
    text = _as_text(spec)
    if _polars_regex_error(regex) is None:
        return lambda col: text(col).str.contains(regex)
    re.compile(regex)  # the loader checked it; a pattern neither engine takes never gets here
    limit = budget if budget is not None else Budget()
    return lambda col: per_unique_batch(text(col), lambda values: limit.search_all(regex, values))


def like_to_regex(pattern: str, escape: str | None = None) -> str:
    """A SQL LIKE pattern as an anchored regex: % any run, _ one character.

    ``escape`` (GX 1.x's argument, one character) makes the next character literal; without it
    a backslash does, as in PostgreSQL."""
    mark = escape or "\\"
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == mark:
            out.append(re.escape(next(chars, mark)))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "(?s)^" + "".join(out) + "$"


def _combine(spec: Spec, regexes: Sequence[str], every: bool) -> Matcher:
    """True where all (``every``) or any of ``regexes`` match."""
    budget = Budget()  # one budget for the whole expectation
    matchers = [regex_matcher(spec, r, budget) for r in regexes]

    def matched(col: pl.Expr) -> pl.Expr:
        exprs = [m(col) for m in matchers]
        if not exprs:
            return pl.lit(every)
        return pl.all_horizontal(exprs) if every else pl.any_horizontal(exprs)

    return matched


REGEX_LIST = Arg("regex_list", (list,), required=True, check=regex_list_problem,
                 caution=regex_list_caution)
ESCAPE = Arg("escape", (str,), check=lambda v: None if len(v) == 1 else
             f"must be a single character, got {v!r}")
LIKE = Arg("like_pattern", (str,), required=True)
LIKE_LIST = Arg("like_pattern_list", (list,), required=True,
                check=lambda v: "the list is empty; give at least one like pattern" if not v else
                None if all(isinstance(p, str) for p in v) else
                "every like pattern must be a string")
MATCH_ON = Arg("match_on", (str,), default="any",
               check=lambda v: None if v in ("any", "all") else
               f"match_on must be 'any' or 'all', got {v!r}")


@expectation("expect_column_values_to_match_regex", family="column_map",
             args=(COLUMN, Arg("regex", (str,), default="(?s).*", check=regex_problem,
                               caution=regex_caution), *MAP))
def match_regex(spec: Spec) -> Check:
    """Every value contains a match of regex."""
    matched = regex_matcher(spec, spec.get("regex", "(?s).*"))
    return column_map(spec, lambda col: ~matched(col))


@expectation("expect_column_values_to_not_match_regex", family="column_map",
             args=(COLUMN, Arg("regex", (str,), required=True, check=regex_problem,
                               caution=regex_caution), *MAP))
def not_match_regex(spec: Spec) -> Check:
    """No value contains a match of regex."""
    return column_map(spec, regex_matcher(spec, spec.kwargs["regex"]))


@expectation("expect_column_values_to_match_regex_list", family="column_map",
             args=(COLUMN, REGEX_LIST, MATCH_ON, *MAP))
def match_regex_list(spec: Spec) -> Check:
    """Every value matches any (or, with match_on='all', every) regex of regex_list."""
    matched = _combine(spec, spec.kwargs["regex_list"], spec.get("match_on", "any") == "all")
    return column_map(spec, lambda col: ~matched(col))


@expectation("expect_column_values_to_not_match_regex_list", family="column_map",
             args=(COLUMN, REGEX_LIST, *MAP))
def not_match_regex_list(spec: Spec) -> Check:
    """No value matches any regex of regex_list."""
    return column_map(spec, _combine(spec, spec.kwargs["regex_list"], every=False))


@expectation("expect_column_values_to_match_like_pattern", family="column_map",
             args=(COLUMN, LIKE, ESCAPE, *MAP))
def match_like_pattern(spec: Spec) -> Check:
    """Every value matches the SQL LIKE pattern."""
    matched = regex_matcher(spec, like_to_regex(spec.kwargs["like_pattern"], spec.get("escape")))
    return column_map(spec, lambda col: ~matched(col))


@expectation("expect_column_values_to_not_match_like_pattern", family="column_map",
             args=(COLUMN, LIKE, ESCAPE, *MAP))
def not_match_like_pattern(spec: Spec) -> Check:
    """No value matches the SQL LIKE pattern."""
    regex = like_to_regex(spec.kwargs["like_pattern"], spec.get("escape"))
    return column_map(spec, regex_matcher(spec, regex))


@expectation("expect_column_values_to_match_like_pattern_list", family="column_map",
             args=(COLUMN, LIKE_LIST, MATCH_ON, ESCAPE, *MAP))
def match_like_pattern_list(spec: Spec) -> Check:
    """Every value matches any (or, with match_on='all', every) LIKE pattern of the list."""
    regexes = [like_to_regex(p, spec.get("escape")) for p in spec.kwargs["like_pattern_list"]]
    matched = _combine(spec, regexes, spec.get("match_on", "any") == "all")
    return column_map(spec, lambda col: ~matched(col))


@expectation("expect_column_values_to_not_match_like_pattern_list", family="column_map",
             args=(COLUMN, LIKE_LIST, ESCAPE, *MAP))
def not_match_like_pattern_list(spec: Spec) -> Check:
    """No value matches any LIKE pattern of the list."""
    regexes = [like_to_regex(p, spec.get("escape")) for p in spec.kwargs["like_pattern_list"]]
    return column_map(spec, _combine(spec, regexes, every=False))


def _json_value(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


@expectation("expect_column_values_to_be_json_parseable", family="column_map", args=(COLUMN, *MAP))
def be_json_parseable(spec: Spec) -> Check:
    """Every value is a JSON document (Python's json.loads accepts it)."""
    if column_dtype(spec) not in (pl.String, pl.Null):
        # GX's json.loads fails on non-text values, so every one of them is unexpected.
        return column_map(spec, lambda col: pl.lit(True))
    return column_map(spec, lambda col: ~per_unique(col, lambda v: _json_value(v)[0]))


def _schema_problem(schema: Any) -> str | None:
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        return f"json_schema is not a valid JSON Schema: {exc.message}"
    return None


@expectation("expect_column_values_to_match_json_schema", family="column_map",
             args=(COLUMN, Arg("json_schema", (dict,), required=True, check=_schema_problem), *MAP))
def match_json_schema(spec: Spec) -> Check:
    """Every value is a JSON document valid against json_schema."""
    import jsonschema

    schema = spec.kwargs["json_schema"]
    validator = jsonschema.validators.validator_for(schema)(schema)

    def valid(text: str) -> bool:
        ok, document = _json_value(text)
        return ok and bool(validator.is_valid(document))

    if column_dtype(spec) not in (pl.String, pl.Null):
        return column_map(spec, lambda col: pl.lit(True))
    return column_map(spec, lambda col: ~per_unique(col, valid))


def _strftime_problem(fmt: Any) -> str | None:
    """GX's own probe: a format is usable when a datetime written with it reads back."""
    if not isinstance(fmt, str):
        return None
    try:
        dt.datetime.strptime(dt.datetime.now().strftime(fmt), fmt)
    except ValueError as exc:
        return f"Unable to use provided strftime_format. {fmt!r}: {exc}"
    return None


@expectation("expect_column_values_to_match_strftime_format", family="column_map",
             args=(COLUMN, Arg("strftime_format", (str,), required=True, check=_strftime_problem),
                   *MAP))
def match_strftime_format(spec: Spec) -> Check:
    """Every value is a date written in strftime_format (Python's strptime reads it)."""
    require_text(spec, f"Values passed to {spec.type} must be of type string.")
    fmt = spec.kwargs["strftime_format"]

    def parses(text: str) -> bool:
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            return False
        return True

    return column_map(spec, lambda col: ~per_unique(col.cast(pl.String), parses))


def _dateutil_parse(text: str) -> dt.datetime | None:
    from dateutil import parser

    try:
        return parser.parse(text)
    except (ValueError, OverflowError):
        return None


def dateutil_parsed(col: pl.Expr) -> pl.Expr:
    """Text parsed by dateutil (once per distinct value) into naive datetimes; null if unparseable."""

    def run(series: pl.Series) -> pl.Series:
        distinct = series.drop_nulls().unique()
        parsed = [_dateutil_parse(v) for v in distinct.to_list()]
        naive = [p.astimezone(dt.UTC).replace(tzinfo=None) if p and p.tzinfo else p for p in parsed]
        return series.replace_strict(distinct, pl.Series(naive, dtype=pl.Datetime("us")),
                                     default=None, return_dtype=pl.Datetime("us"))

    return col.map_batches(run, return_dtype=pl.Datetime("us"))


@expectation("expect_column_values_to_be_dateutil_parseable", family="column_map",
             args=(COLUMN, *MAP))
def be_dateutil_parseable(spec: Spec) -> Check:
    """Every value is text that dateutil reads as a date or time."""
    require_text(spec, f"Values passed to {spec.type} must be of type string.")
    return column_map(spec, lambda col: ~per_unique(col.cast(pl.String),
                                                      lambda v: _dateutil_parse(v) is not None))

