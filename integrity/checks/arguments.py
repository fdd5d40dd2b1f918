"""Validators of expectation arguments in GX's own wording, and GX suite parameters
(``{"$PARAMETER": "now() - timedelta(days=1)"}``) evaluated without ``eval``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from integrity.errors import SuiteError


def gx_mostly(value: Any) -> str | None:
    """Validate ``mostly`` with the wording GX's own tests look for."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a valid float: mostly is a number between 0 and 1, e.g. 0.95"
    if value < 0:
        return f"mostly must be greater than or equal to 0, got {value}"
    if value > 1:
        return f"mostly must be less than or equal to 1, got {value} (0.95 means 95% of the rows)"
    return None


def gx_integer(value: Any) -> str | None:
    """Validate an integer argument with the wording GX's own tests look for."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} is not a valid integer: give a whole number"
    return None


def one_of(*options: str) -> Callable[[Any], str | None]:
    """A validator accepting only ``options``."""

    def check(value: Any) -> str | None:
        if value in options:
            return None
        return f"{value!r} is not one of {', '.join(repr(o) for o in options)}"

    return check


def string_list(value: Any) -> str | None:
    """Validate a list of column names."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of column names, got {value!r}"
    return None


_PARAM_FUNCS: dict[str, Callable[..., Any]] = {
    "now": dt.datetime.now, "datetime": dt.datetime, "date": dt.date, "timedelta": dt.timedelta,
}


def resolve_parameter(value: Any) -> Any:
    """A GX suite parameter (``{"$PARAMETER": "now() - timedelta(days=1)"}``) evaluated to its value.

    Only arithmetic on numbers and now()/datetime()/date()/timedelta() calls is allowed: the text is
    walked as a syntax tree, never passed to ``eval``. Any other value is returned unchanged.
    """
    if not (isinstance(value, dict) and "$PARAMETER" in value):
        return value
    text = value["$PARAMETER"]
    import ast

    try:
        return _eval_parameter(ast.parse(str(text), mode="eval").body)
    except (SyntaxError, TypeError, ValueError, OverflowError) as exc:
        raise SuiteError(
            f"cannot evaluate suite parameter {text!r} ({exc}); integrity evaluates numbers and "
            "now(), datetime(...), date(...), timedelta(...) joined by + - * /") from None


def _eval_parameter(node: Any) -> Any:
    import ast
    import operator

    ops: dict[type, Callable[[Any, Any], Any]] = {ast.Add: operator.add, ast.Sub: operator.sub,
                                                  ast.Mult: operator.mul, ast.Div: operator.truediv}
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _eval_parameter(node.operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        return ops[type(node.op)](_eval_parameter(node.left), _eval_parameter(node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _PARAM_FUNCS:
        args = [_eval_parameter(a) for a in node.args]
        kwargs = {k.arg: _eval_parameter(k.value) for k in node.keywords if k.arg is not None}
        return _PARAM_FUNCS[node.func.id](*args, **kwargs)
    raise ValueError(f"{ast.unparse(node)!r} is not allowed")
