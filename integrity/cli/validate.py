"""``integrity validate`` and ``integrity expectations``: check a file against a suite, list the types."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from integrity.cli.app import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_PASSED,
    NowOpt,
    app,
    clean,
    clean_json,
    err,
    fail,
    guard,
    out,
    parse_now,
    settle_imports,
    short,
    value_text,
    warn,
)
from integrity.engine.engines import available_engines
from integrity.jsonable import jsonable

if TYPE_CHECKING:
    from rich.console import RenderableType

    from integrity.types import ExpectationResult, ValidationContext, ValidationResult

_ENGINES = available_engines()


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
        "--engine", help=f"polars engine: {', '.join(_ENGINES[:-1])} or auto (the first is the "
                         "default and the fastest).")] = None,
    low_memory: Annotated[bool, typer.Option(
        "--low-memory", help="Read the batch in row chunks: peak memory stays flat as batches "
                             "grow (5M rows: 395 MiB; 50M: 475 MiB), in about twice the time.")
    ] = False,
    table: Annotated[list[str] | None, typer.Option(
        "--table", "-t", metavar="NAME=PATH",
        help="Another table, for the expectations that compare with one (e.g. "
             "expect_table_row_count_to_equal_other_table's other_table_name). Repeatable.")
    ] = None,
    allow_ragged: Annotated[bool, typer.Option(
        "--allow-ragged", help="Keep CSV rows with the wrong number of fields (every field in "
                               "the _integrity_ragged column); each fails a built-in row-level "
                               "check instead of the file being refused.")] = False,
    project: Annotated[Path | None, typer.Option(
        "--project", "-p", help="Project folder whose results store supplies the history and "
                                "baseline of --dataset (default: the current folder).")] = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", help="Compare with this dataset's history and baseline (history, "
                                "freshness and drift checks); without it they are not "
                                "evaluated.")] = None,
    now: NowOpt = None,
) -> None:
    """Validate DATA against a suite. Exit 0 if it passes, 1 if it fails, 2 on bad input."""
    with guard(data):
        tables = _tables(table or [])
        from integrity import api

        settle_imports()

        if explain:
            out.print(clean_lines(api.explain(data, suite, result_format=result_format,
                                              engine=engine, tables=tables,
                                              allow_ragged=allow_ragged)))
            raise typer.Exit(EXIT_PASSED)
        if project is not None and dataset is None:
            raise fail("--project names where the dataset's history is kept; name the dataset "
                       "too (--dataset NAME)")
        with _context(project, dataset, suite, parse_now(now)) as context:
            result = api.validate(data, suite, result_format=result_format, engine=engine,
                                  low_memory=low_memory, tables=tables,
                                  allow_ragged=allow_ragged, context=context)
        for warning in result.meta.get("suite_warnings") or []:
            warn(str(warning))
        if json_out is not None:
            _write_json(result, json_out)
        if str(json_out) != "-":
            _print_result(result, data)
        # An expectation that could not run is a failure (GX: success false), but a failure of
        # the suite against this data rather than of the data: exit 2, after every other result.
        errors = [(i, r) for i, r in enumerate(result.results) if r.outcome.value == "error"]
        if errors:
            columns = result.meta.get("columns", {})
            where = str(result.meta.get("suite_path") or suite)
            for index, item in errors:
                err.print(f"[bold red]error:[/] {clean(_error_line(where, index, item, columns))}",
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
        from integrity.errors import did_you_mean

        registry = builtin_registry()
        definitions = [registry.definitions[name] for name in registry]
        families = sorted({d.family for d in definitions})
        if family is not None and family not in families:
            raise fail(f"unknown family {family!r}.{did_you_mean(family, families)} Families: "
                       f"{', '.join(families)}.")
        shown = [d for d in definitions if family is None or d.family == family]
        table = Table(title=f"{len(shown)} expectation type{'' if len(shown) == 1 else 's'}"
                            + (f" of family {family}" if family else "") + " (arguments: * required)",
                      title_justify="left", show_lines=False)
        table.add_column("type and arguments", overflow="fold")
        table.add_column("family", no_wrap=True)
        for definition in shown:
            args = ", ".join(a.name + ("*" if a.required else "") for a in definition.args)
            table.add_row(f"[bold]{clean(definition.type)}[/]\n  [dim]{clean(args)}[/]",
                          clean(definition.family))
        out.print(table)


def _context(project: Path | None, dataset: str | None, suite: str,
             now: dt.datetime | None) -> contextlib.AbstractContextManager[ValidationContext | None]:
    """The dataset's history from its project's results store; without a dataset, nothing to
    compare with (only the clock, when --now sets it)."""
    if dataset is None:
        if now is None:
            return contextlib.nullcontext()
        from integrity.checks.stats.context import StaticContext

        return contextlib.nullcontext(StaticContext(dataset=None, clock=now,
                                                    folder=Path(suite).resolve().parent))
    from integrity.job.context import project_context

    return project_context(project or Path("."), dataset, str(Path(suite).resolve()), now)


def _tables(specs: list[str]) -> dict[str, str]:
    """``--table NAME=PATH`` options as a name -> path mapping (bad syntax: one line, exit 2)."""
    tables: dict[str, str] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise fail(f"--table {spec!r}: write it as NAME=PATH, e.g. --table orders=orders.csv "
                       "(NAME is what the suite calls it, e.g. other_table_name)")
        if name in tables:
            raise fail(f"--table {name!r} is given twice ({tables[name]!r} and {path!r}); give each "
                       "table once")
        tables[name] = path
    return tables


def clean_lines(text: str) -> str:
    """Multi-line text (a plan) made safe line by line, keeping its line breaks."""
    return "\n".join(clean(line) for line in text.splitlines())


#: Widths (beside the expectation's type) the one-line-per-expectation table needs: the index, at
#: most 20 for the columns, "ok", 24 for what was observed, and the borders and padding.
_WIDE_EXTRA = 4 + 20 + 3 + 24 + 16


def _print_result(result: ValidationResult, data: str) -> None:
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table

    table = Table(title=f"{clean(result.suite_name)} on {clean(data)}", title_justify="left")
    table.add_column("#", justify="right")
    longest = max((len(item.config.type) for item in result.results), default=0)
    if out.width >= longest + _WIDE_EXTRA:
        table.add_column("expectation", no_wrap=True)
        table.add_column("column(s)", max_width=20, overflow="fold")
        table.add_column("ok", no_wrap=True)
        table.add_column("observed / unexpected", min_width=24, overflow="fold")
        for index, item in enumerate(result.results):
            table.add_row(str(index), clean(item.config.type), clean(_columns(item.config.kwargs)),
                          _badge(item), clean(_observed(item)))
    else:  # narrow terminals: the type, then on its columns, then what was observed below it
        table.add_column("ok", no_wrap=True)
        table.add_column("expectation (expect_…) on column(s): observed / unexpected",
                         overflow="fold")
        for index, item in enumerate(result.results):
            name = item.config.type.removeprefix("expect_")
            cell: RenderableType = Group(
                f"{clean(name)} [dim]on[/] {clean(_columns(item.config.kwargs))}",
                Padding(clean(_observed(item) or "-"), (0, 0, 0, 2)))
            table.add_row(str(index), _badge(item), cell)
    out.print(table)
    stats = result.statistics
    verdict = "[bold green]PASSED[/]" if result.success else "[bold red]FAILED[/]"
    percent = stats["success_percent"]
    seconds = result.meta.get("validation_seconds")
    skipped = stats.get("not_evaluated_expectations") or 0
    out.print(
        f"{verdict}: {stats['successful_expectations'] - skipped} of "
        f"{stats['evaluated_expectations']} expectations passed"
        + (f", {skipped} not evaluated (nothing to compare with yet)" if skipped else "")
        + f" ({_pct(percent if not skipped else _share(stats))}) in {result.queries} "
        f"quer{'y' if result.queries == 1 else 'ies'}"
        + (f", {seconds:.3f} s" if isinstance(seconds, int | float) else "") + "."
    )


def _badge(item: ExpectationResult) -> str:
    outcome = item.outcome.value
    if outcome == "passed":
        return "[green]yes[/]"
    if outcome == "failed":
        return "[red]NO[/]"
    if outcome == "not_evaluated":
        return "[yellow]skip[/]"
    return "[yellow]" + clean(outcome.upper()) + "[/]"


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
        return short(str(message).splitlines()[0], 70)
    result = item.result
    details = result.get("details")
    if item.outcome.value == "not_evaluated" and isinstance(details, Mapping):
        return f"not evaluated: {details.get('reason') or 'nothing to compare with'}"
    if "unexpected_count" in result:
        count = result["unexpected_count"]
        text = f"{count} unexpected"
        pct = result.get("unexpected_percent")
        if pct is not None:
            text += f" ({_pct(pct)})"
        sample = result.get("partial_unexpected_list") or []
        if count and sample:
            shown = ", ".join(short(value_text(v), 30) for v in sample[:3])
            text += f": {shown}" + (" …" if len(sample) > 3 else "")
        return text
    if "observed_value" in result:
        return short(value_text(result["observed_value"]), 70) + _against(details)
    return ""


def _against(details: Any) -> str:
    """What a statistical check compared its observed value with (history range, age limit)."""
    if not isinstance(details, Mapping):
        return ""
    if isinstance(details.get("expected_range"), list) and len(details["expected_range"]) == 2:
        low, high = details["expected_range"]
        score = details.get("score")
        return (f" (history: {value_text(low)} to {value_text(high)}"
                + (f", score {score:.2f}" if isinstance(score, int | float) else "") + ")")
    if details.get("age") is not None:
        return f" (age {details['age']}, max_age {details.get('max_age')})"
    return ""


def _error_line(suite: str, index: int, item: ExpectationResult,
                columns: Mapping[str, str]) -> str:
    from integrity.engine.messages import run_error_fix

    message = str(item.exception_info.get("exception_message") or "raised an exception")
    first = message.strip().splitlines()[0] if message.strip() else "raised an exception"
    if f"expectation #{index} (" in first:  # our own error: it names the place and the fix
        return first
    cols = _columns(item.config.kwargs)
    types = ", ".join(f"{c} is {columns[c]}" for c in cols.split(", ") if c in columns)
    return (f"{suite}: expectation #{index} ({item.config.type}) on {cols}"
            + (f" ({types})" if types else "")
            + f" could not run: {first.rstrip('.')}. {run_error_fix(item.config)}.")


def _share(stats: Mapping[str, Any]) -> float | None:
    """The share of expectations that passed, the not-evaluated ones counted apart."""
    total = stats["evaluated_expectations"]
    passed = stats["successful_expectations"] - stats["not_evaluated_expectations"]
    return 100.0 * passed / total if total else None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _write_json(result: ValidationResult, target: Path) -> None:
    text = json.dumps(jsonable(result.to_dict()), indent=2, ensure_ascii=False)
    if str(target) == "-":
        sys.stdout.write(clean_json(text) + "\n")
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {target}: {exc.strerror}. Choose a writable --json path.") from None

