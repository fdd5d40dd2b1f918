"""Run GX's own test definitions through integrity and write docs/conformance.md.

Usage: python scripts/conformance_report.py [--out docs/conformance.md]
The definitions folder comes from INTEGRITY_GX_DEFINITIONS (default ../shared/conformance/gx/test_definitions).
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conformance.gx_cases import definitions_dir, judge, load_cases  # noqa: E402
from tests.conformance.known_failures import KNOWN_FAILURES  # noqa: E402
from tests.conformance.test_gx_definitions import run_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "conformance.md")
    args = parser.parse_args()
    folder = definitions_dir()
    if not folder.is_dir():
        print(f"GX test definitions not found at {folder}; set INTEGRITY_GX_DEFINITIONS", file=sys.stderr)
        return 2
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
        "# Conformance with Great Expectations' own tests",
        "",
        "Every test case in GX's test definitions (../shared/conformance/gx/test_definitions) that applies",
        "to GX's pandas backend runs through integrity's polars engine as its own pytest item",
        "(`tests/conformance/`), judged the way GX judges itself. Regenerate this page with",
        "`python scripts/conformance_report.py`.",
        "",
        f"**{passed} of {len(cases)} applicable cases pass ({100.0 * passed / len(cases):.1f}%).**",
        "",
        "A case applies when GX would run it on its pandas backend: its `only_for` (on the test or on",
        "its dataset) names `pandas` or is absent, and its `suppress_test_for` does not name `pandas`.",
        "The SQL-only cases of `unexpected_rows_expectation` and `expect_table_row_count_to_equal_other_table`",
        "do not apply; `tests/checks/test_table_pair_multi.py` covers both types on polars instead.",
        "`tests/checks/test_registry.py` checks that all 59 types (GX's 48 exported core types and the 11",
        "its core folder keeps unexported) are registered with the arguments GX's kwargs schemas list.",
        "",
        "| expectation type | applicable cases | passing |",
        "|---|---:|---:|",
    ]
    lines += [f"| `{t}` | {n} | {p} |" for t, (n, p) in sorted(per_type.items())]
    lines += ["", "## Cases that do not pass, and why", ""]
    if failing:
        lines += ["| case | reason |", "|---|---|"]
        lines += [f"| `{cid}` | {reason.replace('|', '/')} |" for cid, reason in failing]
    else:
        lines.append("None.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{passed}/{len(cases)} pass; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
