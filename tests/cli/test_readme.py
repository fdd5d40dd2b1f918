"""The README cannot drift from the code: every ``$ integrity ...`` example it shows is run and its
output compared, every error line it quotes is produced, every memory figure it (or ``validate
--help``) quotes is one docs/performance.md measured, and every command and option the CLI has is
in its synopsis.

Examples run on a terminal 100 columns wide. A line holding only ``…`` in an example stands for
lines left out; timings and timestamps are normalised. The job's examples (``run``,
``quarantine``, ``batches``) run in order in one fresh project, built as the README describes it.
"""

from __future__ import annotations

import os
import re
import shlex
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integrity.engine.polars_engine import CHUNK_ROWS
from tests.cli.test_steward_cli import WARNING_SUITE
from tests.clirun import ROOT, Run, integrity
from tests.job.test_run import make_project, write_csv

README = (ROOT / "README.md").read_text(encoding="utf-8")
PERFORMANCE = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
WIDTH = 100
SKIPPED = "…"
JOB_COMMANDS = ("run", "quarantine", "batches")
CHECK_ROOT = "/srv/support"
GROUPS = ("quarantine", "batches", "baseline", "schedule")
"""Command groups: their synopsis lines name two words (``quarantine show``)."""
"""Where the README's check-config example pretends its project is."""


@dataclass
class Example:
    command: str
    expected: list[str] = field(default_factory=list)


def examples() -> list[Example]:
    """The ``$ integrity`` commands of the README's indented blocks, each with the lines after it."""
    found: list[Example] = []
    current: Example | None = None
    for line in README.splitlines():
        if not line.startswith("    "):  # a block ends at the first line that is not indented
            current = None
            continue
        text = line[4:].rstrip()
        if text.startswith("$ integrity "):
            current = Example(text[2:])
            found.append(current)
        elif current is not None:
            current.expected.append(text)
    return found


def normalised(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = re.sub(r"\b\d+\.\d{3} s\.", "N.NNN s.", line.rstrip())
        out.append(re.sub(r"\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d)?", "YYYY-MM-DD", line))
    return out


def assert_shows(expected: list[str], actual: list[str], command: str) -> None:
    """``expected`` is ``actual`` with some runs of lines replaced by ``…``."""
    expected, actual = normalised(expected), normalised(actual)
    segments: list[list[str]] = [[]]
    for line in expected:
        if line == SKIPPED:
            segments.append([])
        else:
            segments[-1].append(line)
    assert segments[0] and segments[-1], f"{command}: an example starts and ends with real lines"
    report = f"\n$ {command}\n" + "\n".join(actual)
    if len(segments) == 1:
        assert actual == segments[0], report
        return
    assert actual[:len(segments[0])] == segments[0], report
    assert actual[len(actual) - len(segments[-1]):] == segments[-1], report
    at = len(segments[0])
    for segment in segments[1:-1]:
        starts = [i for i in range(at, len(actual) - len(segment) + 1)
                  if actual[i:i + len(segment)] == segment]
        assert starts, f"{command}: these README lines are not in the output:\n" + \
            "\n".join(segment) + report
        at = starts[0] + len(segment)
    assert at <= len(actual) - len(segments[-1]), report


def run_example(example: Example, cwd: Path) -> list[str]:
    args = shlex.split(example.command)[1:]
    result = integrity(*args, cwd=cwd, columns=WIDTH)
    assert result.code in (0, 1, 2), result
    assert "Traceback" not in result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    while lines and not lines[-1].strip():  # the progress line leaves an empty line on stderr
        lines.pop()
    return lines


def test_the_readme_has_examples_of_validate_and_of_the_job() -> None:
    commands = [e.command.split()[1] for e in examples()]
    assert "validate" in commands and "run" in commands and "quarantine" in commands
    assert all(e.expected for e in examples())


def test_every_validate_and_expectations_example_prints_what_the_readme_shows() -> None:
    for example in examples():
        if example.command.split()[1] not in (*JOB_COMMANDS, "check-config"):
            assert_shows(example.expected, run_example(example, ROOT), example.command)


def test_every_job_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    # The README's project: ten feedback rows, two with no customer and a rating of 9.
    write_csv(tmp_path / "src" / "feedback.csv", range(0, 10), bad=(3, 7))
    make_project(tmp_path, suite=WARNING_SUITE)
    for example in examples():
        if example.command.split()[1] in JOB_COMMANDS:
            assert_shows(example.expected, run_example(example, tmp_path), example.command)


def test_the_check_config_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    # The README's project: a store_url missing its '//', and a publish URL whose secret is unset.
    root = tmp_path / "support"
    make_project(root, name="tickets", publish={
        "kind": "sql", "url": "postgresql+psycopg://wh:${WAREHOUSE_PASSWORD}@db/warehouse"})
    (root / "integrity.yaml").write_text("store_url: sqlite:/state/integrity.db\n")
    (example,) = [e for e in examples() if e.command.split()[1] == "check-config"]
    assert "WAREHOUSE_PASSWORD" not in os.environ
    result = integrity(*shlex.split(example.command)[1:], cwd=root, columns=WIDTH)
    assert result.code == 2, result
    printed = (result.stderr + result.stdout).replace(str(root), CHECK_ROOT).splitlines()
    assert_shows(example.expected, printed, example.command)


# -- quoted error lines ---------------------------------------------------------------------------

SUITE_NOT_NULL = ('{"name": "s", "expectations": [{"type": "expect_column_values_to_not_be_null", '
                  '"kwargs": {"column": "%s"}}]}')
#: What produces each error the README quotes: the files to write, then the arguments.
ERROR_CASES: list[tuple[dict[str, bytes], list[str]]] = [
    ({"feedback.csv": b'id,text\n1,ok\n"2"x,ok\n', "suite.json": (SUITE_NOT_NULL % "id").encode()},
     ["feedback.csv", "--suite", "suite.json"]),
    ({"export.csv": b"id,name\n1,Jos\xe9\n", "suite.json": (SUITE_NOT_NULL % "id").encode()},
     ["export.csv", "--suite", "suite.json"]),
    ({"orders.csv": b"id,amount,currency\n1,10,EUR\n2,20,EUR\n3,30,EUR\n4,40,EUR\n5,50,EUR\n"
                    b"6,60,EUR,extra\n", "suite.json": (SUITE_NOT_NULL % "id").encode()},
     ["orders.csv", "--suite", "suite.json"]),
    ({"upload.csv": b"PK\x03\x04" + bytes(range(256)) * 4, "suite.json": (SUITE_NOT_NULL % "id").encode()},
     ["upload.csv", "--suite", "suite.json"]),
    ({"suite.json": b'{"name": "t",\n "expectations": [\n  {"type": "x",}\n ]}\n'},
     [str(ROOT / "connectors" / "data" / "customer_feedback.csv"), "--suite", "suite.json"]),
    ({"suite.json": (SUITE_NOT_NULL % "custmer_id").encode()},
     [str(ROOT / "connectors" / "data" / "customer_feedback.csv"), "--suite", "suite.json"]),
    ({"suite.json": b'{"name": "s", "expectations": [{"type": "expect_table_row_count_to_be_between",'
                    b' "kwargs": {"min_value": 1}}, {"type": "expect_table_row_count_to_equal_other_'
                    b'table", "kwargs": {"other_table_name": "orders"}}]}'},
     [str(ROOT / "connectors" / "data" / "customer_feedback.csv"), "--suite", "suite.json"]),
    ({"suite.json": b'{"name": "s", "expectations": []}'},
     [str(ROOT / "connectors" / "data" / "customer_feedback.csv"), "--suite", "suite.json",
      "--table", "orders"]),
]


def quoted_errors() -> list[str]:
    block = README.split("Examples of input errors")[1].split("\n## ")[0]
    return [line[4:] for line in block.splitlines() if line.startswith("    error: ")]


def test_every_error_line_the_readme_quotes_is_what_the_cli_prints(tmp_path: Path) -> None:
    quoted = quoted_errors()
    assert len(quoted) == len(ERROR_CASES)

    def produce(number: int) -> Run:
        files, args = ERROR_CASES[number]
        case = tmp_path / str(number)
        case.mkdir()
        for name, content in files.items():
            (case / name).write_bytes(content)
        return integrity("validate", *args, cwd=case)

    with ThreadPoolExecutor(max_workers=3) as pool:  # each waits on its own process
        results = list(pool.map(produce, range(len(ERROR_CASES))))
    for line, result in zip(quoted, results, strict=True):
        assert result.code == 2, result
        (printed,) = result.stderr.splitlines()
        if line.endswith("..."):
            assert printed.startswith(line.removesuffix("...")), (line, printed)
        else:
            assert printed == line


# -- figures ------------------------------------------------------------------------------------------

def memory_figures(text: str) -> list[str]:
    return re.findall(r"\b\d+(?:\.\d+)? (?:MiB|GiB)\b", text)


def test_every_memory_figure_the_readme_and_the_help_quote_was_measured() -> None:
    helped = " ".join(integrity("validate", "--help").stdout.split())
    quoted = memory_figures(README) + memory_figures(helped)
    assert len(quoted) >= 6, quoted
    missing = [f for f in quoted if f not in PERFORMANCE]
    assert not missing, f"figures not in docs/performance.md: {missing}"
    chunk = re.search(r"row chunks of ([\d,]+)", README)
    assert chunk is not None and int(chunk.group(1).replace(",", "")) == CHUNK_ROWS


# -- the synopsis ---------------------------------------------------------------------------------

def synopsis() -> dict[str, str]:
    """README synopsis lines by command (``"quarantine show"``), continuation lines joined."""
    lines: dict[str, str] = {}
    last = None
    for line in README.splitlines():
        match = re.match(r"    integrity ([a-z-]+(?: [a-z-]+)?)\b(.*)", line)
        if match and not line.startswith("    integrity --"):
            words = match.group(1).split()
            name = " ".join(words[:2]) if words[0] in GROUPS else words[0]
            lines[name] = lines.get(name, "") + " " + line
            last = name
        elif last and re.match(r"    \s{8,}\[", line):
            lines[last] += " " + line
        else:
            last = None
    return lines


def cli_options() -> dict[str, list[list[str]]]:
    """Every command of the real CLI (``"quarantine show"``) with the names of each of its options
    (but --help and --project, which the README states once), read from the Typer app itself."""
    import typer.main

    import integrity.cli.baseline
    import integrity.cli.batches
    import integrity.cli.quarantine
    import integrity.cli.run
    import integrity.cli.schedule
    import integrity.cli.validate  # noqa: F401  (each module registers its commands)
    from integrity.cli import app

    found: dict[str, list[list[str]]] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):  # a command group (quarantine, batches)
                walk(command, f"{prefix}{name} ")
                continue
            found[prefix + name] = [
                [*p.opts, *p.secondary_opts] for p in command.params
                if p.param_type_name == "option" and "--project" not in p.opts]

    walk(typer.main.get_command(app), "")
    return found


def test_every_command_and_option_is_in_the_readme_synopsis() -> None:
    lines = synopsis()
    commands = cli_options()
    assert {"validate", "run", "quarantine show", "batches fail", "schedule start"} <= set(commands)
    for command, names_of_options in commands.items():
        assert command in lines, f"`integrity {command}` has no synopsis line in the README"
        for names in names_of_options:
            assert any(re.search(rf"{re.escape(n)}\b", lines[command]) for n in names), \
                f"the README's synopsis of `integrity {command}` lacks {'/'.join(names)}"
