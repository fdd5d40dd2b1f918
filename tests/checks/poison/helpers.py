"""Running one poisoning expectation over a list of texts, through the real engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from integrity.engine.polars_engine import validate_frame
from integrity.suites import parse_suite


def run(kind: str, texts: Sequence[str | None], **kwargs: Any) -> dict[str, Any]:
    """The COMPLETE result dict of ``kind`` on a ``text`` column holding ``texts``."""
    frame = pl.DataFrame({"text": list(texts)}, schema={"text": pl.String})
    suite = parse_suite({"name": "t", "expectations": [
        {"type": kind, "kwargs": {"column": "text", **kwargs}}]})
    result = validate_frame(frame, suite, result_format="COMPLETE").results[0].to_dict()
    assert not result.get("exception_info", {}).get("raised_exception"), result
    return result


def flagged(kind: str, texts: Sequence[str], **kwargs: Any) -> dict[str, list[str]]:
    """Each flagged text -> the reasons its details give (texts not flagged are absent).

    Details cover the partial list (20 rows), so the texts go through in batches of 20."""
    reasons: dict[str, list[str]] = {}
    for start in range(0, len(texts), 20):
        batch = list(texts[start:start + 20])
        result = run(kind, batch, **kwargs)["result"]
        mine = {batch[d["index"]]: d["reasons"] for d in result["details"]}
        assert sorted(mine) == sorted(batch[i] for i in result["unexpected_index_list"])
        assert all(mine.values()), mine  # every flagged row says why
        reasons.update(mine)
    return reasons
