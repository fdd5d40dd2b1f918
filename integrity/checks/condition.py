"""``row_condition`` strings turned into polars boolean expressions.

Accepts GX's ``great_expectations`` syntax (``col("x") > 5 & col("y") == "a"``, ``col("x").notnull()``)
and the common subset of its ``pandas`` (DataFrame.query) syntax (``x > 5 & y == "a"``, backticked
names). ``&``/``and`` bind tighter than ``|``/``or``; comparisons bind tighter than both, as in pandas.
Parsing never evaluates anything: literals are read by a tokenizer, never by ``eval``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from integrity.errors import ConditionError

PARSERS = ("great_expectations", "great_expectations__experimental__", "pandas", "spark", "python")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>-?\d+\.\d*(?:[eE][-+]?\d+)?|-?\.\d+(?:[eE][-+]?\d+)?|-?\d+(?:[eE][-+]?\d+)?)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<bt>`[^`]+`)
    | (?P<op>==|!=|<=|>=|<|>|&|\||~|\(|\)|\[|\]|,|\.)
    | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConditionError(f"row_condition {text!r}: cannot read {text[pos:].strip()[:20]!r} "
                                 f"at character {pos + 1}")
        kind = match.lastgroup or ""
        tokens.append(_Tok(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, columns: Mapping[str, pl.DataType] | None) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.columns = columns

    def fail(self, what: str) -> ConditionError:
        at = self.tokens[self.i].pos + 1 if self.i < len(self.tokens) else len(self.text)
        return ConditionError(
            f"row_condition {self.text!r}: {what} at character {at}. Write conditions like "
            f"'col(\"rating\") > 3 & col(\"channel\") == \"email\"'."
        )

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text != text):
            raise self.fail(f"expected {text!r}" if text else "unexpected end")
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.text in texts

    def parse(self) -> pl.Expr:
        if not self.tokens:
            raise self.fail("empty condition")
        expr = self.or_()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return expr

    def or_(self) -> pl.Expr:
        expr = self.and_()
        while self.at("|", "or"):
            self.take()
            expr = expr | self.and_()
        return expr

    def and_(self) -> pl.Expr:
        expr = self.not_()
        while self.at("&", "and"):
            self.take()
            expr = expr & self.not_()
        return expr

    def not_(self) -> pl.Expr:
        if self.at("~", "not"):
            self.take()
            return ~self.not_()
        return self.comparison()

    def comparison(self) -> pl.Expr:
        left = self.operand()
        if self.at("==", "!=", "<", "<=", ">", ">="):
            op = self.take().text
            right = self.operand()
            return _compare(op, *self.coerce(left, right))
        if self.at("in"):
            self.take()
            return _as_expr(left).is_in(self.list_literal())
        if self.at("not") and self.i + 1 < len(self.tokens) and self.tokens[self.i + 1].text == "in":
            self.take()
            self.take()
            return ~_as_expr(left).is_in(self.list_literal())
        if not isinstance(left, pl.Expr):
            raise self.fail("a condition needs a column")
        return left

    def list_literal(self) -> list[Any]:
        self.take("[")
        values: list[Any] = []
        while not self.at("]"):
            value = self.operand()
            if isinstance(value, pl.Expr):
                raise self.fail("lists hold literals only")
            values.append(value)
            if self.at(","):
                self.take()
        self.take("]")
        return values

    def operand(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise self.fail("expected a column or a value")
        if tok.text == "(":
            self.take()
            inner = self.or_()
            self.take(")")
            return self.methods(inner)
        self.i += 1
        if tok.kind == "num":
            return ast.literal_eval(tok.text)
        if tok.kind == "str":
            return ast.literal_eval(tok.text)
        if tok.kind == "bt":
            return self.methods(self.column(tok.text[1:-1]))
        if tok.kind == "name":
            if tok.text in ("True", "true"):
                return True
            if tok.text in ("False", "false"):
                return False
            if tok.text in ("None", "null"):
                return None
            if tok.text == "col" and self.at("("):
                self.take("(")
                name_tok = self.take()
                if name_tok.kind != "str":
                    raise self.fail("col() takes a quoted column name")
                self.take(")")
                return self.methods(self.column(ast.literal_eval(name_tok.text)))
            return self.methods(self.column(tok.text))
        raise self.fail(f"unexpected {tok.text!r}")

    def methods(self, expr: pl.Expr) -> pl.Expr:
        while self.at("."):
            self.take(".")
            name = self.take().text
            self.take("(")
            self.take(")")
            lowered = name.lower()
            if lowered in ("notnull", "notna", "is_not_null"):
                expr = expr.is_not_null()
            elif lowered in ("isnull", "isna", "is_null"):
                expr = expr.is_null()
            else:
                raise self.fail(f"unknown method {name!r} (use notnull() or isnull())")
        return expr

    def coerce(self, left: Any, right: Any) -> tuple[Any, Any]:
        """Compare a column with a literal of another kind as pandas would: text columns compare
        as text; a number column never equals a string (and ordering them is an error)."""
        for col_side, lit_side in ((left, right), (right, left)):
            if not isinstance(col_side, pl.Expr) or isinstance(lit_side, pl.Expr) or lit_side is None:
                continue
            names = col_side.meta.root_names()
            dtype = self.columns.get(names[0]) if self.columns is not None and len(names) == 1 else None
            if dtype is None:
                continue
            if dtype == pl.String and isinstance(lit_side, int | float) and not isinstance(lit_side, bool):
                lit_side = str(lit_side)
            elif dtype.is_numeric() and isinstance(lit_side, str):
                lit_side = _Mismatch(lit_side)
            return (col_side, lit_side) if col_side is left else (lit_side, col_side)
        return left, right

    def column(self, name: str) -> pl.Expr:
        if self.columns is not None and name not in self.columns:
            from integrity.errors import did_you_mean

            raise ConditionError(
                f"row_condition {self.text!r} names column {name!r}, which the batch does not have."
                f"{did_you_mean(name, list(self.columns))}"
            )
        return pl.col(name)


@dataclass(frozen=True)
class _Mismatch:
    """A string literal compared with a number column: never equal, and not orderable."""

    value: str


def _as_expr(value: Any) -> pl.Expr:
    return value if isinstance(value, pl.Expr) else pl.lit(value)


def _compare(op: str, left: Any, right: Any) -> pl.Expr:
    if isinstance(left, _Mismatch) or isinstance(right, _Mismatch):
        if op in ("==", "!="):
            return pl.lit(op == "!=")
        raise ConditionError(f"cannot order a number column against the text {(left if isinstance(left, _Mismatch) else right).value!r}; "
                             "compare with a number")
    lhs, rhs = _as_expr(left), right if isinstance(right, pl.Expr) else pl.lit(right)
    if right is None or left is None:
        target = lhs if right is None else _as_expr(right)
        if op == "==":
            return target.is_null()
        if op == "!=":
            return target.is_not_null()
    return {
        # pandas semantics (GX's reference backend): a null is "not equal" to any value.
        "==": lambda: lhs == rhs, "!=": lambda: lhs.ne_missing(rhs), "<": lambda: lhs < rhs,
        "<=": lambda: lhs <= rhs, ">": lambda: lhs > rhs, ">=": lambda: lhs >= rhs,
    }[op]()


def parse_condition(text: str, parser: str | None = None,
                    columns: Mapping[str, pl.DataType] | None = None) -> pl.Expr:
    """Parse a row_condition into a boolean polars expression (null counts as False)."""
    if parser is not None and parser not in PARSERS:
        raise ConditionError(
            f"condition_parser {parser!r} is not a valid enumeration member; use one of {', '.join(PARSERS[:3])}"
        )
    if not isinstance(text, str):
        raise ConditionError(f"row_condition must be a string, got {type(text).__name__}")
    return _Parser(text, columns).parse().fill_null(False)
