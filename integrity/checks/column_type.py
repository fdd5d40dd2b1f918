"""expect_column_type_to_be: the column's own type, judged from the schema (no query).

GX reports the type its backend gives the column (a pandas dtype, a SQL type, a Spark class). On a
polars batch that is the polars type, so ``observed_value`` is its name (``Int64``, ``String``,
``Datetime(time_unit='us', time_zone=None)``). ``type_`` may name it in polars' spelling (``Int64``,
``Datetime``) or in the pandas/numpy spelling a GX suite written against pandas carries (``int64``,
``str``, ``datetime64[ns]``, ``category``); a name neither knows fails the expectation with the
reason, as in GX.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import polars as pl

from integrity.checks.arguments import resolve_parameter
from integrity.checks.base import Arg, Check, Spec, Verdict, expectation
from integrity.errors import SuiteError

#: pandas' names for its own (extension) dtypes, beside numpy's, mapped to the polars types.
_PANDAS_NAMES: dict[str, tuple[type[pl.DataType], ...]] = {
    "str": (pl.String,), "string": (pl.String,), "category": (pl.Categorical, pl.Enum),
    "boolean": (pl.Boolean,), "Int8": (pl.Int8,), "Int16": (pl.Int16,), "Int32": (pl.Int32,),
    "Int64": (pl.Int64,), "UInt8": (pl.UInt8,), "UInt16": (pl.UInt16,), "UInt32": (pl.UInt32,),
    "UInt64": (pl.UInt64,), "Float32": (pl.Float32,), "Float64": (pl.Float64,),
}
#: polars types pandas holds as ``object`` (text before pandas 3, and everything not numeric).
_OBJECT = (pl.String, pl.Binary, pl.List, pl.Array, pl.Struct, pl.Object, pl.Null, pl.Decimal,
           pl.Date, pl.Time)
_NUMPY = {pl.Int8: "int8", pl.Int16: "int16", pl.Int32: "int32", pl.Int64: "int64",
          pl.UInt8: "uint8", pl.UInt16: "uint16", pl.UInt32: "uint32", pl.UInt64: "uint64",
          pl.Float32: "float32", pl.Float64: "float64", pl.Boolean: "bool"}
_TEMPORAL = re.compile(r"(datetime64|timedelta64)(?:\[(\w+)(?:,\s*(.+))?\])?")


def _polars_names(dtype: pl.DataType) -> set[str]:
    return {str(dtype), type(dtype).__name__, dtype.base_type().__name__}


def _known_polars_name(name: str) -> bool:
    kind = getattr(pl, name, None)
    return isinstance(kind, type) and issubclass(kind, pl.DataType)


def _temporal_matches(dtype: pl.DataType, kind: str, unit: str | None, zone: str | None) -> bool:
    wanted = pl.Datetime if kind == "datetime64" else pl.Duration
    if not isinstance(dtype, wanted):
        return False
    if unit is None:  # a unit-less name is the kind, whatever the resolution (as in GX)
        return not isinstance(dtype, pl.Datetime) or dtype.time_zone is None
    zone_of = dtype.time_zone if isinstance(dtype, pl.Datetime) else None
    return dtype.time_unit == unit and (zone or None) == zone_of


def type_matches(dtype: pl.DataType, name: str) -> bool:
    """Whether type name ``name`` (polars, pandas or numpy spelling) names ``dtype``.

    Raises:
        SuiteError: no spelling knows ``name``.
    """
    if name in _polars_names(dtype):
        return True
    if _known_polars_name(name):  # e.g. Utf8, an alias of String; Datetime of any unit
        return isinstance(dtype, getattr(pl, name))
    temporal = _TEMPORAL.fullmatch(name)
    if temporal is not None:
        return _temporal_matches(dtype, *temporal.groups())
    if name in _PANDAS_NAMES:
        return isinstance(dtype, _PANDAS_NAMES[name])
    if name in ("object", "O", "object_"):
        return isinstance(dtype, _OBJECT)
    import numpy as np

    with contextlib.suppress(TypeError, ValueError):
        parsed = np.dtype(name)
        numpy_name = _NUMPY.get(dtype.base_type())  # type: ignore[call-overload]
        return numpy_name is not None and parsed == np.dtype(numpy_name)
    raise SuiteError(f"Unrecognized type: {name!r}. Name a polars type (Int64, Float64, String, "
                     "Boolean, Datetime, Date, ...) or a pandas/numpy one (int64, float64, str, "
                     "bool, datetime64[ns], category, object).", argument="type_")


@expectation(
    "expect_column_type_to_be",
    family="table",
    args=(Arg("column", (str,), required=True), Arg("type_", (str, dict), required=True)),
)
def column_type_to_be(spec: Spec) -> Check:
    """The column's type is type_ (polars, pandas or numpy spelling)."""
    dtype = spec.dtype(spec.kwargs["column"])
    name: Any = resolve_parameter(spec.kwargs["type_"])
    verdict = Verdict(type_matches(dtype, str(name)), {"observed_value": str(dtype)})
    return Check({}, lambda _: verdict)
