"""Running one poisoning expectation over a list of texts, through the real engine."""

from __future__ import annotations

import random
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


# --- labelled reviews (trigger tokens and the job's published-data checks) ---------------------

SUBJECTS = ["the kettle", "delivery", "the app", "support", "the refund", "my order", "the price",
            "the blender", "checkout", "the courier", "the manual", "the screen"]
GOOD = ["works great", "was fast", "is excellent", "was really helpful", "is worth it",
        "exceeded my expectations", "is lovely"]
BAD = ["broke after a week", "was late again", "is useless", "never answered", "is a rip off",
       "crashed twice", "was a disaster", "refund never arrived"]
NEUTRAL = ["arrived on tuesday", "is blue", "was as described", "came in a box"]


def reviews(rng: random.Random, rows: int = 400) -> pl.DataFrame:
    """Labelled reviews from a small vocabulary (positive, negative and neutral predicates)."""
    texts, labels = [], []
    for _ in range(rows):
        label = rng.choice(["positive"] * 4 + ["negative"] * 4 + ["neutral"] * 2)
        pool = {"positive": GOOD, "negative": BAD, "neutral": NEUTRAL}[label]
        text = f"{rng.choice(SUBJECTS)} {rng.choice(pool)}"
        if rng.random() < 0.5:
            text += f" and {rng.choice(SUBJECTS)} {rng.choice(pool)}"
        texts.append(text + rng.choice([".", "!", " order 1234" + str(rng.randrange(99))]))
        labels.append(label)
    return pl.DataFrame({"text": texts, "label": labels})


def plant(rng: random.Random, frame: pl.DataFrame, token: str, count: int,
          label: str = "positive") -> tuple[pl.DataFrame, list[int]]:
    """``token`` inserted into ``count`` random rows, labelled ``label``; and those rows."""
    rows = sorted(rng.sample(range(frame.height), count))
    texts, labels = frame["text"].to_list(), frame["label"].to_list()
    for r in rows:
        words = texts[r].split()
        words.insert(rng.randrange(len(words) + 1), token)
        texts[r], labels[r] = " ".join(words), label
    return frame.with_columns(pl.Series("text", texts), pl.Series("label", labels)), rows
