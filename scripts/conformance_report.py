"""Run the conformance cases through integrity and write docs/conformance.md.

Two sets of cases: GX's own test definitions (../shared, read from INTEGRITY_GX_DEFINITIONS), and
the cases under tests/conformance/cases/ written from GX 1.x's source and per-expectation tests.

Usage: python scripts/conformance_report.py [--out docs/conformance.md]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conformance.fidelity import judge_case, load_fidelity_cases  # noqa: E402
from tests.conformance.gx_cases import Case, definitions_dir, judge, load_cases  # noqa: E402
from tests.conformance.known_failures import FIDELITY_FAILURES, KNOWN_FAILURES  # noqa: E402
from tests.conformance.test_gx_definitions import run_case  # noqa: E402
from tests.conformance.test_gx_fidelity import run_fidelity_case  # noqa: E402

INTRO = """\
# Conformance with Great Expectations

integrity reads Great Expectations' suite format and is judged against GX itself, twice:

1. **GX's test definitions** (../shared/conformance/gx/test_definitions): every case that applies
   to GX's pandas backend runs through integrity's polars engine as its own pytest item
   (`tests/conformance/test_gx_definitions.py`), judged the way GX's runner judges itself.
2. **Cases written from GX 1.x's source and its per-expectation tests**
   (`tests/conformance/cases/*.yaml`, run by `tests/conformance/test_gx_fidelity.py`). Each
   expectation type was gone through against GX 1.24: its metric providers, its `_validate`, the
   result keys it returns at every `result_format`, and the errors it raises when configured;
   and against GX's own tests beyond the definitions (tests/integration/data_sources_and_expectations/
   expectations/test_expect_*.py, the validation-result schema matrix, tests/expectations/core,
   and GX 0.x's distributional tests for the types GX 1.24 no longer implements). What those
   assert became data: a dataset, the expectation's arguments, and the outcome.
   `tests/integration/test_gx_fidelity_crosscheck.py` runs every case through real GX 1.24 on the
   same data (pandas; GX's SQLite data source for the LIKE and SQL types) and judges GX by the
   same expected outcome, so a case states what GX really returns.

Regenerate this page with `python scripts/conformance_report.py`.
"""

POLICY = """\
## Deliberate differences

Where GX does something a user would not want, or where GX's test definitions (the GX 1.x release
integrity is measured against) and GX 1.24 disagree, integrity decides, and the case records
both outcomes: `out` is what integrity returns, `gx_out`/`gx_raises` what GX 1.24 returns, and
the cross-check holds GX to the latter. The rules:

- **Definitions first, GX 1.24's extras added.** Where the definitions and GX 1.24 disagree on a
  result's shape, integrity returns every key the definitions read plus every key GX 1.24 adds
  (distinct-value sets, multicolumn counts, the unexpected-rows count).
- **No engine-specific snippets.** GX's `unexpected_index_query` is code for GX's own backend;
  integrity returns the same rows as positions (`unexpected_index_list`).
- **`null` means "not set"** for optional arguments with a default; GX 1.24 refuses it.
- **A problem the data cannot change is refused when the suite loads** (an invalid JSON schema,
  an internal weight holdout on categories), where GX raises it as the expectation's exception.

Every case with a deliberate difference, and why:
"""

GAPS = """## What the cases do not cover yet

- `result_format` options beyond the level and `partial_unexpected_count`:
  `include_unexpected_rows`, `unexpected_index_column_names`, `exclude_unexpected_values`,
  `return_unexpected_index_query`. GX's tests of them were not turned into cases.
- Suite parameters (`{"$PARAMETER": ...}` with `expectation_parameters`): GX's tests pass values at
  validation time, which a suite file cannot; integrity evaluates the time expressions it knows.
- `expect_query_results_to_match_comparison` and
  `expect_table_row_count_to_equal_other_table`: GX runs them only on SQL sources with a second
  table or data source; `tests/checks/test_table_pair_multi.py` covers the latter on polars.
- NaN in float columns: GX's pandas backend counts it as missing; integrity, like polars, counts it
  as a value. No case feeds NaN (JSON has none; the test definitions use null).
"""


def _report_definitions() -> tuple[list[str], int, int]:
    folder = definitions_dir()
    if not folder.is_dir():
        return ([f"GX test definitions not found at {folder}; set INTEGRITY_GX_DEFINITIONS.", ""],
                0, 0)
    cases = load_cases(folder)
    per_type: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    failing: list[tuple[str, str]] = []
    for case in cases:
        result, error = run_case(case)
        problems = judge(case, result, error)
        per_type[case.expectation_type][0] += 1
        if problems:
            failing.append((case.id, KNOWN_FAILURES.get(case.id, "UNEXPLAINED: " + "; ".join(problems))))
        else:
            per_type[case.expectation_type][1] += 1
    passed = sum(p for _, p in per_type.values())
    lines = [
        "## 1. GX's test definitions",
        "",
        f"**{passed} of {len(cases)} applicable cases pass ({100.0 * passed / len(cases):.1f}%).**",
        "",
        "A case applies when GX would run it on its pandas backend: its `only_for` (on the test or on",
        "its dataset) names `pandas` or is absent, and its `suppress_test_for` does not name `pandas`.",
        "The SQL-only cases of `unexpected_rows_expectation` and `expect_table_row_count_to_equal_other_table`",
        "do not apply; `tests/checks/test_table_pair_multi.py` covers both types on polars instead.",
        "`tests/checks/test_registry.py` checks that all 59 types (GX's 48 exported core types and the 11",
        "its core folder keeps unexported) are registered with the arguments GX's kwargs schemas list.",
        "As in GX's runner, a case with `exact_match_out` and a float observed value is judged on",
        "`success` and that value alone.",
        "",
        "| expectation type | applicable cases | passing |",
        "|---|---:|---:|",
    ]
    lines += [f"| `{t}` | {n} | {p} |" for t, (n, p) in sorted(per_type.items())]
    lines += ["", "Cases that do not pass, and why:", ""]
    if failing:
        lines += ["| case | reason |", "|---|---|"]
        lines += [f"| `{cid}` | {_cell(reason)} |" for cid, reason in failing]
    else:
        lines.append("None.")
    return [*lines, ""], passed, len(cases)


def _reason(case: Case) -> str | None:
    return FIDELITY_FAILURES.get(case.id)


def _report_fidelity() -> tuple[list[str], list[str], dict[str, int]]:
    cases = load_fidelity_cases()
    rows: dict[str, dict[str, int]] = collections.defaultdict(collections.Counter)
    failing: list[tuple[str, str]] = []
    differences: dict[str, list[str]] = collections.defaultdict(list)
    for case in cases:
        result, error = run_fidelity_case(case)
        problems = judge_case(case, result, error)
        row = rows[case.expectation_type]
        row["cases"] += 1
        row["gx" if case.test.get("gx") is not False else "no_gx"] += 1
        if problems:
            failing.append((case.id, _reason(case) or "UNEXPLAINED: " + "; ".join(problems)))
        else:
            row["passing"] += 1
        if "difference" in case.test:
            row["differences"] += 1
            differences[" ".join(str(case.test["difference"]).split())].append(case.id)
    total = len(cases)
    passed = sum(r["passing"] for r in rows.values())
    crosschecked = sum(r["gx"] for r in rows.values())
    counts = {"total": total, "passed": passed, "failing": len(failing),
              "crosschecked": crosschecked}
    lines = [
        "## 2. Cases from GX 1.x's source and its own tests",
        "",
        f"**{passed} of {total} cases pass ({100.0 * passed / total:.1f}%)**"
        + (f"; {len(failing)} fail for the reasons listed below." if failing else "."),
        "",
        f"{crosschecked} of the {total} cases run on real GX 1.24 in the cross-check and GX returns "
        "what each says; the others are of types GX 1.24 does not implement (each says why).",
        "",
        "| expectation type | cases | passing | run on GX 1.24 | deliberate differences |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| `{t}` | {r['cases']} | {r['passing']} | {r['gx']} | {r['differences']} |"
              for t, r in sorted(rows.items())]
    lines += ["", "Cases that do not pass, and why:", ""]
    if failing:
        lines += ["| case | reason |", "|---|---|"]
        lines += [f"| `{cid}` | {_cell(reason)} |" for cid, reason in failing]
    else:
        lines.append("None.")
    diff_lines = [POLICY]
    for reason, ids in sorted(differences.items(), key=lambda item: item[1][0]):
        diff_lines.append(f"- {', '.join(f'`{i}`' for i in ids)}: {reason}")
    return [*lines, ""], [*diff_lines, ""], counts


def _cell(text: str) -> str:
    return text.replace("|", "/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "conformance.md")
    args = parser.parse_args()
    definitions, passed, total = _report_definitions()
    fidelity, differences, counts = _report_fidelity()
    lines: list[Any] = [INTRO, *definitions, *fidelity, *differences, GAPS]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines).rstrip("\n") + "\n")
    print(f"definitions {passed}/{total} pass; cases from GX's tests {counts['passed']}/"
          f"{counts['total']} pass ({counts['failing']} fail); "
          f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
