"""Arguments and type names that GX 0.x suites carry and GX 1.x dropped.

GX 1.x refuses every one of these (its expectations forbid extra arguments). A suite written by a
0.x profiler or by hand years ago is still worth running, so each leftover whose meaning survives
is accepted with a warning naming the 1.x spelling, and the rest are refused with the fix. The
list, with the reasons, is in docs/suites.md. Only arguments an expectation does not itself take
count as leftovers: ``parse_strings_as_datetimes`` is still a real argument of
``expect_column_values_to_be_increasing`` here, as in GX's test definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from integrity.checks.base import ExpectationDef, Registry


@dataclass(frozen=True)
class Leftover:
    """What to do with one 0.x argument: warn (and drop it from kwargs) or refuse."""

    refuse: bool
    message: str


Rule = Callable[[Any, Mapping[str, Any], ExpectationDef], Leftover]

_DROP = "Remove it from kwargs."


def _include_config(_: Any, __: Mapping[str, Any], ___: ExpectationDef) -> Leftover:
    return Leftover(False, "GX 0.x argument, gone in GX 1.x: every result carries the "
                           f"expectation's configuration anyway. {_DROP}")


def _parse_strings_as_datetimes(value: Any, _: Mapping[str, Any], __: ExpectationDef) -> Leftover:
    if not value:
        return Leftover(False, f"GX 0.x argument, gone in GX 1.x; it was off here. {_DROP}")
    return Leftover(False, "GX 0.x argument, gone in GX 1.x, which reads ISO-8601 string "
                           "bounds as dates when the column holds dates or times (so does "
                           "integrity). A text column is compared as text: right for ISO-8601 "
                           "dates of one format, wrong for others; cast such a column to a "
                           f"date/time in the source. {_DROP}")


def _allow_cross_type_comparisons(value: Any, _: Mapping[str, Any],
                                  __: ExpectationDef) -> Leftover:
    if not value:
        return Leftover(False, f"GX 0.x argument, gone in GX 1.x; it was off here. {_DROP}")
    return Leftover(True, "GX 0.x argument, gone in GX 1.x: values of different types are no "
                          "longer compared. Give bounds of the column's type (or cast the "
                          "column in the source), then remove it.")


def _output_strftime_format(_: Any, __: Mapping[str, Any], ___: ExpectationDef) -> Leftover:
    return Leftover(False, "GX 0.x argument, gone in GX 1.x: it only changed how an observed "
                           "date was printed; results give dates as ISO-8601 and the verdict is "
                           f"the same. {_DROP}")


def _mostly(_: Any, __: Mapping[str, Any], definition: ExpectationDef) -> Leftover:
    return Leftover(False, f"'mostly' means nothing to a {definition.family.replace('_', ' ')} "
                           "expectation, which judges one value rather than rows (GX 0.x "
                           f"ignored it; GX 1.x refuses it). {_DROP}")


def _auto(value: Any, _: Mapping[str, Any], __: ExpectationDef) -> Leftover:
    if not value:
        return Leftover(False, f"GX 0.x profiler argument, gone in GX 1.x; it was off here. {_DROP}")
    return Leftover(True, "auto: true asked GX 0.x's profiler to estimate this expectation's "
                          "bounds while validating, which GX 1.x and integrity do not do. Write "
                          "the bounds a profiling run found (min_value/max_value), then remove "
                          "auto and profiler_config.")


def _profiler_config(_: Any, kwargs: Mapping[str, Any], __: ExpectationDef) -> Leftover:
    if kwargs.get("auto"):
        return Leftover(True, "used only with auto: true (see 'auto'); remove both and write the "
                              "bounds.")
    return Leftover(False, f"GX 0.x profiler argument, gone in GX 1.x; unused without auto. {_DROP}")


RULES: Mapping[str, Rule] = {
    "include_config": _include_config,
    "parse_strings_as_datetimes": _parse_strings_as_datetimes,
    "allow_cross_type_comparisons": _allow_cross_type_comparisons,
    "output_strftime_format": _output_strftime_format,
    "mostly": _mostly,
    "auto": _auto,
    "profiler_config": _profiler_config,
}
"""0.x argument -> how it is handled when the expectation does not take it itself."""


def leftover(name: str, value: Any, kwargs: Mapping[str, Any],
             definition: ExpectationDef) -> Leftover | None:
    """How to treat argument ``name`` of ``definition``, if it is a GX 0.x leftover."""
    rule = RULES.get(name)
    if rule is None or name in definition.arg_names:
        return None
    return rule(value, kwargs, definition)


def renamed_type(type_name: str, registry: Registry) -> str | None:
    """The GX 1.x name of a 0.x type name (``expect_column_pair_values_A_to_be_greater_than_B``
    became ``..._a_to_be_greater_than_b``), when that is all that changed."""
    lower = type_name.lower()
    return lower if lower != type_name and lower in registry else None
