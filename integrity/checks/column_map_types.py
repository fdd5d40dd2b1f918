"""Column type expectations, judged as GX's pandas backend judges them.

GX looks at the column's dtype when it is a real (numpy/pandas) dtype: that is an aggregate answer
whose observed_value is the dtype's scalar type name (``int64``, ``datetime64``, ``Timestamp``). For
pandas ``object`` columns (text, lists, dicts, dates...) it checks each value's Python type instead, a
row-wise answer with unexpected lists. We map each polars dtype onto the pandas dtype it would have,
and also accept polars' own dtype names (``Int64``, ``String``, ``Datetime``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from integrity.checks.base import Arg, Check, Spec, expectation
from integrity.checks.column_map import COLUMN, MAP, column_dtype
from integrity.checks.families import aggregate_check, column_map

OBJECT_NAMES = ("object", "object_", "O")
"""type_ values asking for pandas' object dtype itself: judged on the dtype even for object columns."""

_NATIVE: Mapping[str, type] = {
    "none": type(None), "bool": bool, "int": int, "long": int, "float": float, "bytes": bytes,
    "complex": complex, "str": str, "string_types": str, "list": list, "dict": dict,
}
"""GX's names for Python value types (lower-cased), used on object columns."""

_PANDAS: Mapping[str, str] = {"Timestamp": "Timestamp", "DatetimeTZDtypeType": "Timestamp",
                              "CategoricalDtypeType": "CategoricalDtypeType"}


def _value_type(dtype: pl.DataType) -> type | None:
    """The Python type of every value of an object-like column, or None for a dtype pandas keeps."""
    simple: dict[Any, type] = {pl.String: str, pl.Binary: bytes, pl.Date: dt.date, pl.Time: dt.time,
                               pl.Null: type(None)}
    if dtype in simple:
        return simple[dtype]
    if isinstance(dtype, pl.List | pl.Array):
        return list
    if isinstance(dtype, pl.Struct):
        return dict
    if isinstance(dtype, pl.Decimal):
        return decimal.Decimal
    return None


def observed_name(dtype: pl.DataType) -> str:
    """The name GX reports for the pandas dtype a polars column of ``dtype`` would have."""
    import numpy as np
    if dtype.is_numeric() and not isinstance(dtype, pl.Decimal):
        return np.dtype(str(dtype).lower()).type.__name__
    if dtype == pl.Boolean:
        return np.dtype(bool).type.__name__
    if isinstance(dtype, pl.Datetime):
        return "datetime64" if dtype.time_zone is None else "Timestamp"
    if isinstance(dtype, pl.Duration):
        return "timedelta64"
    if dtype == pl.Categorical or isinstance(dtype, pl.Enum):
        return "CategoricalDtypeType"
    return "object_"


def _dtype_names(type_: str) -> set[str]:
    """The dtype names that ``type_`` accepts (numpy's aliases, pandas' scalar types)."""
    import numpy as np
    names = {_PANDAS[type_]} if type_ in _PANDAS else set()
    with contextlib.suppress(TypeError, ValueError):  # not a numpy dtype name
        names.add(np.dtype(type_).type.__name__)
    return names


def _polars_name(dtype: pl.DataType, type_: str) -> bool:
    return type_ in (str(dtype), type(dtype).__name__, dtype.base_type().__name__)


def _is_object(dtype: pl.DataType) -> bool:
    return observed_name(dtype) == "object_"


def _dtype_accepts(dtype: pl.DataType, type_: str) -> bool:
    return observed_name(dtype) in _dtype_names(type_) or _polars_name(dtype, type_)


#: Type names that a date column answers to. pandas holds a date column read from CSV or SQL as
#: ``datetime64``, and profilers list SQL and Spark names beside it, so a suite written against
#: pandas calls a polars Date column any of these (docs/conformance.md, deliberate differences).
DATE_NAMES = frozenset({"date", "datetime", "datetime64", "datetime64[ns]", "datetime64[us]",
                        "datetime64[ms]", "timestamp", "datetype", "timestamptype"})


def _value_accepts(dtype: pl.DataType, type_: str) -> bool:
    value_type = _value_type(dtype)
    native = _NATIVE.get(type_.lower())
    if dtype == pl.Date and type_.lower() in DATE_NAMES:
        return True
    return _polars_name(dtype, type_) or (
        value_type is not None and native is not None and issubclass(value_type, native))


def _types_check(spec: Spec, types: Sequence[str] | None) -> Check:
    dtype = column_dtype(spec)
    observed = observed_name(dtype)
    object_like = _is_object(dtype) and dtype != pl.Object
    if types is None or not object_like or any(t in OBJECT_NAMES for t in types):
        ok = types is None or any(_dtype_accepts(dtype, t) for t in types)
        return aggregate_check(spec, {}, lambda m: (ok, {"observed_value": observed}))
    # Object-like columns: every value has the same Python type, so the row verdict is a constant.
    wrong = not any(_value_accepts(dtype, t) for t in types)
    return column_map(spec, lambda col: pl.lit(wrong))


@expectation("expect_column_values_to_be_of_type", family="column_map",
             args=(COLUMN, Arg("type_", (str,), required=True), *MAP))
def be_of_type(spec: Spec) -> Check:
    """The column (or, for text-like columns, every value) has type type_."""
    return _types_check(spec, [spec.kwargs["type_"]])


@expectation("expect_column_values_to_be_in_type_list", family="column_map",
             args=(COLUMN, Arg("type_list", (list,)), *MAP))
def be_in_type_list(spec: Spec) -> Check:
    """The column (or, for text-like columns, every value) has one of the types of type_list."""
    return _types_check(spec, spec.kwargs.get("type_list"))
