"""``integrity validate`` and ``integrity expectations``: check a file against a suite, list the types."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from integrity.cli.app import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_PASSED,
    app,
    err,
    fail,
    guard,
    out,
    settle_imports,
)
from integrity.jsonable import jsonable

if TYPE_CHECKING:
    from integrity.types import ExpectationResult, ValidationResult


@app.command()
def validate(
    data: Annotated[str, typer.Argument(help="Parquet, CSV or NDJSON file, or a quoted glob.")],
    suite: Annotated[str, typer.Option("--suite", "-s", help="Suite file: GX JSON (1.x or 0.x) or YAML.")],
    result_format: Annotated[str | None, typer.Option(
        "--result-format", "-f", help="BOOLEAN_ONLY, BASIC, SUMMARY or COMPLETE (overrides the suite).")
    ] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the GX-shaped validation result as JSON to this file ('-' for stdout).")
    ] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Print the query plan (metrics, de-duplication, query count) and exit "
                          "without validating.")] = False,
    engine: Annotated[str | None, typer.Option(
        "--engine", help="polars engine: in-memory (default, fastest) or streaming.")] = None,
    low_memory: Annotated[bool, typer.Option(
        "--low-memory", help="Read the batch in row chunks: peak memory stays flat as batches "
                             "grow (5M rows: 375 MiB; 50M: 457 MiB), in about twice the time.")
    ] = False,
) -> None:
    """Validate DATA against a suite. Exit 0 if it passes, 1 if it fails, 2 on bad input."""
    with guard(data):
        from integrity import api

        settle_imports()

        if explain:
            out.print(escape(api.explain(data, suite, result_format=result_format, engine=engine)))
            raise typer.Exit(EXIT_PASSED)
        result = api.validate(data, suite, result_format=result_format, engine=engine,
                              low_memory=low_memory)
        if json_out is not None:
            _write_json(result, json_out)
        if str(json_out) != "-":
            _print_result(result, data)
        errors = [(i, r) for i, r in enumerate(result.results) if r.outcome.value == "error"]
        if errors:
            columns = result.meta.get("columns", {})
            for index, item in errors:
                err.print(f"[bold red]error:[/] {escape(_error_line(index, item, columns))}",
                          soft_wrap=True)
            raise typer.Exit(EXIT_INPUT)
        raise typer.Exit(EXIT_PASSED if result.success else EXIT_FAILED)


@app.command()
def expectations(
    family: Annotated[str | None, typer.Option("--family", help="Only this family.")] = None,
) -> None:
    """List the registered expectation types with their family and arguments."""
    with guard():
        from rich.table import Table

        from integrity.checks import builtin_registry

        registry = builtin_registry()
        table = Table(title=f"{len(registry)} expectation types (arguments: * required)",
                      title_justify="left", show_lines=False)
        table.add_column("type and arguments", overflow="fold")
        table.add_column("family", no_wrap=True)
        for name in registry:
            definition = registry.definitions[name]
            if family and definition.family != family:
                continue
            args = ", ".join(a.name + ("*" if a.required else "") for a in definition.args)
            table.add_row(f"[bold]{escape(name)}[/]\n  [dim]{escape(args)}[/]",
                          escape(definition.family))
        out.print(table)


def _print_result(result: ValidationResult, data: str) -> None:
    from rich.table import Table

    table = Table(title=f"{escape(result.suite_name)} on {escape(data)}", title_justify="left")
    table.add_column("#", justify="right")
    narrow = out.width < 110  # drop the common prefix rather than wrap type names
    table.add_column("expectation (expect_…)" if narrow else "expectation", no_wrap=not narrow,
                     overflow="fold", ratio=None)
    table.add_column("column(s)", max_width=20, overflow="fold")
    table.add_column("ok", no_wrap=True)
    table.add_column("observed / unexpected", min_width=None if narrow else 28, overflow="fold")
    for index, item in enumerate(result.results):
        name = item.config.type.removeprefix("expect_") if narrow else item.config.type
        table.add_row(str(index), escape(name), escape(_columns(item.config.kwargs)),
                      _badge(item), escape(_observed(item)))
    out.print(table)
    stats = result.statistics
    verdict = "[bold green]PASSED[/]" if result.success else "[bold red]FAILED[/]"
    percent = stats["success_percent"]
    seconds = result.meta.get("validation_seconds")
    out.print(
        f"{verdict}: {stats['successful_expectations']} of {stats['evaluated_expectations']} "
        f"expectations passed ({_pct(percent)}) in {result.queries} "
        f"quer{'y' if result.queries == 1 else 'ies'}"
        + (f", {seconds:.3f} s" if isinstance(seconds, int | float) else "") + "."
    )


def _badge(item: ExpectationResult) -> str:
    outcome = item.outcome.value
    if outcome == "passed":
        return "[green]yes[/]"
    if outcome == "failed":
        return "[red]NO[/]"
    return "[yellow]" + escape(outcome.upper()) + "[/]"


def _columns(kwargs: Mapping[str, Any]) -> str:
    for key in ("column", "column_list", "column_set", "column_A"):
        value = kwargs.get(key)
        if value is None:
            continue
        if key == "column_A":
            return f"{value}, {kwargs.get('column_B')}"
        if isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value[:4])
            return shown + (f", … (+{len(value) - 4})" if len(value) > 4 else "")
        return str(value)
    if kwargs.get("text_column") is not None:  # the label and policy-table expectations
        return ", ".join(str(kwargs[k]) for k in ("text_column", "label_column") if kwargs.get(k))
    return "(table)"


def _observed(item: ExpectationResult) -> str:
    if item.outcome.value == "error":
        message = item.exception_info.get("exception_message") or "raised an exception"
        return _short(str(message).splitlines()[0], 70)
    result = item.result
    if "unexpected_count" in result:
        count = result["unexpected_count"]
        text = f"{count} unexpected"
        pct = result.get("unexpected_percent")
        if pct is not None:
            text += f" ({_pct(pct)})"
        sample = result.get("partial_unexpected_list") or []
        if count and sample:
            shown = ", ".join(_short(_value_text(v), 30) for v in sample[:3])
            text += f": {shown}" + (" …" if len(sample) > 3 else "")
        return text
    if "observed_value" in result:
        return _short(_value_text(result["observed_value"]), 70)
    return ""


def _error_line(index: int, item: ExpectationResult, columns: Mapping[str, str]) -> str:
    cols = _columns(item.config.kwargs)
    types = ", ".join(f"{c} is {columns[c]}" for c in cols.split(", ") if c in columns)
    message = str(item.exception_info.get("exception_message") or "raised an exception")
    return (f"expectation #{index} ({item.config.type}) on {cols}"
            + (f" ({types})" if types else "")
            + f" could not run: {message.splitlines()[0]}. Check its arguments against the column's type.")


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return repr(value)
    return str(jsonable(value)) if not isinstance(value, list | dict) else json.dumps(
        jsonable(value), ensure_ascii=False)


def _short(text: str, limit: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _write_json(result: ValidationResult, target: Path) -> None:
    text = json.dumps(jsonable(result.to_dict()), indent=2, ensure_ascii=False)
    if str(target) == "-":
        sys.stdout.write(text + "\n")
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror}. Choose a writable --json path.") from None

