"""Real-world-shaped suites (GX 0.x profiler output, 0.x and 1.x hand-written, YAML) on generated
batches: each loads and runs with the verdict real GX 1.x gives on the same batch.

``verdicts.json`` holds GX's verdicts (rewritten from GX by ``python -m
tests.suites_corpus.gx_runner``; ``test_verdicts_are_what_gx_says_today`` keeps it honest);
``expected.yaml`` lists where integrity's verdict is not GX's and why (an argument GX 1.x
dropped, an expectation GX's pandas engine cannot run, a comparison pandas refuses).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from integrity.engine.polars_engine import validate_frame
from integrity.errors import SuiteError
from integrity.suites import load_suite
from integrity.types import Outcome
from tests.suites_corpus.batches import BATCHES
from tests.suites_corpus.gx_runner import HERE, VERDICTS, batch_name, suite_files

EXPECTED: dict[str, dict[Any, Any]] = yaml.safe_load((HERE / "expected.yaml").read_text()) or {}
GX: dict[str, list[dict[str, Any]]] = json.loads(VERDICTS.read_text())
NAMES = [p.name for p in suite_files()]


def test_the_corpus_is_large_and_varied() -> None:
    assert len(NAMES) >= 40
    styles = {"gx0_profiler", "gx0_handwritten", "gx1", "yaml"}
    seen = {s for s in styles if any(s in n for n in NAMES if s != "yaml")}
    seen |= {"yaml"} if any(n.endswith((".yaml", ".yml")) for n in NAMES) else set()
    assert seen == styles
    assert set(GX) == set(NAMES), "verdicts.json is stale: run python -m tests.suites_corpus.gx_runner"
    assert set(EXPECTED) <= set(NAMES)


def expected_verdicts(name: str) -> list[dict[str, Any]]:
    """GX's verdict for each expectation, with expected.yaml's reasoned verdicts over it."""
    spec = EXPECTED.get(name) or {}
    out = []
    for index, gx in enumerate(GX[name]):
        override = spec.get(index)
        out.append({"success": override["success"], "why": override["why"]} if override else gx)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_suite_gets_the_verdict_gx_gives(name: str) -> None:
    path = HERE / "suites" / name
    spec = EXPECTED.get(name) or {}
    if "refused" in spec:
        with pytest.raises(SuiteError) as refused:
            load_suite(path)
        message = str(refused.value)
        missing = [s for s in spec["refused"] if s not in message]
        assert not missing, (missing, message)
        assert message.count("\n") + 1 >= len(spec["refused"]), "every problem is reported at once"
        return
    suite = load_suite(path)
    tables = {other: BATCHES[batch]().lazy() for other, batch in (spec.get("tables") or {}).items()}
    result = validate_frame(BATCHES[batch_name(path)](), suite, tables=tables)
    wrong = []
    for index, (mine, theirs) in enumerate(zip(result.results, expected_verdicts(name), strict=True)):
        if "success" in theirs:
            if mine.outcome is Outcome.ERROR or mine.success != theirs["success"]:
                wrong.append((index, mine.config.type, mine.outcome.value, theirs,
                              mine.exception_info.get("exception_message"), mine.result))
        elif theirs.get("gx") == "error":  # GX raises: the expectation fails, the rest still run
            if mine.success or mine.outcome is not Outcome.ERROR:
                wrong.append((index, mine.config.type, mine.outcome.value, theirs))
        else:
            wrong.append((index, mine.config.type, "GX refuses it: list it in expected.yaml", theirs))
    assert not wrong, "\n".join(map(str, wrong))


@pytest.mark.integration
def test_verdicts_are_what_gx_says_today() -> None:
    pytest.importorskip("great_expectations", reason="install the gx extra: pip install -e '.[gx]'")
    from tests.suites_corpus.gx_runner import gx_verdicts

    stale = {p.name for p in suite_files() if gx_verdicts(p) != GX[p.name]}
    assert not stale, f"verdicts.json differs from GX for {sorted(stale)}; rerun the gx_runner"
