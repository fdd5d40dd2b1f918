"""How much a text check's vocabulary test could detect: the shipped per-token test against three
tests over whole texts, on the same batches, at the same significance.

The text shapes and shifts are ``scripts/bench_drift.py``'s; the reference is profiled as the job
profiles a baseline. For each batch, over the reference's top tokens (``--vocabulary``):

- **max z**: the largest per-token z of document frequency, Bonferroni over the tokens (what
  ``expect_column_text_distribution_to_match_reference`` ships);
- **Rao-Scott**: the sum of the squared z over all tokens, referred to a scaled chi-square whose
  scale and degrees of freedom come from the batch's own token correlations (second order, so
  words that rise and fall together are not counted as independent evidence);
- **PCA Hotelling**: the batch's mean against the reference's along the leading principal
  components of the batch's token correlations (those above the Marchenko-Pastur edge, at most
  10): each text is one unit;
- **cross-fit**: the direction of change learnt on half of the batch, tested on the other half
  (texts as units, no distributional assumption), both ways, averaged.

It also reports what a threshold set on the clean batches themselves (their 99th percentile, 1%
false alarms) would detect: the most any test of that statistic could do at that alarm rate.

    python scripts/text_drift_power.py --column titles --batches 200
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

sys.path.insert(0, str(Path(__file__).parent))
from bench_drift import World

from integrity.checks.stats import features as f
from integrity.checks.stats.compare import SIGNIFICANCE
from integrity.checks.stats.profile import build_profile
from integrity.checks.stats.text_drift import FEATURES

#: The vocabulary feature's share of the check's significance, and Bonferroni over its two tests.
ALPHA = SIGNIFICANCE / len(FEATURES) / 2


def presence(texts: pl.Series, index: dict[str, int]) -> np.ndarray:
    """Texts x tokens: 1 where the text holds the token."""
    tokens = texts.to_frame("t").select(f.tokens(pl.col("t"))).to_series().to_list()
    matrix = np.zeros((len(tokens), len(index)))
    for row, found in enumerate(tokens):
        for token in found or []:
            column = index.get(token)
            if column is not None:
                matrix[row, column] = 1.0
    return matrix


def statistics(x: np.ndarray, p: np.ndarray, n_ref: float) -> dict[str, float]:
    """Each test's p-value (and the two raw statistics) for one batch ``x`` against the
    reference's document frequencies ``p`` over ``n_ref`` texts."""
    n = len(x)
    mean, spread = x.mean(0), x.std(0)
    live = (spread > 0) & (p > 0) & (p < 1)
    x, mean, spread, p = x[:, live], mean[live], spread[live], p[live]
    tokens = int(live.sum())
    sd_ref = np.sqrt(p * (1 - p))
    z = (mean - p) / (sd_ref * np.sqrt(1 / n + 1 / n_ref))
    p_max = min(1.0, 2 * float(stats.norm.sf(np.abs(z).max())) * tokens)
    # Rao-Scott, second order: the squared z's sum is a weighted sum of chi-squares whose
    # weights are the eigenvalues of the token correlation matrix.
    y = (x - mean) / spread
    corr = y.T @ y / n
    ratio = (spread / sd_ref) ** 2
    scaled = corr * np.sqrt(np.outer(ratio, ratio))
    tr1, tr2 = float(np.trace(scaled)), float((scaled * scaled).sum())
    squares = float((z * z).sum())
    p_rao_scott = float(stats.chi2.sf(squares * tr1 / tr2, tr1 * tr1 / tr2))
    # Hotelling on the leading principal components.
    values, vectors = np.linalg.eigh(corr)
    values, vectors = values[::-1], vectors[:, ::-1]
    edge = (1 + np.sqrt(tokens / n)) ** 2
    k = int(min(10, max(1, (values > edge).sum())))
    along = vectors[:, :k].T @ ((mean - p) / spread)
    hotelling = float(np.sum(along**2 / (values[:k] * (1 / n + 1 / n_ref))))
    p_hotelling = float(stats.chi2.sf(hotelling, k))
    # Cross-fit: the direction from one half, tested on the other; texts are the units.
    halves = (x[0::2], x[1::2])
    t = []
    for learn, test in (halves, halves[::-1]):
        direction = (learn.mean(0) - p) / sd_ref
        scores = ((test - p) / sd_ref) @ direction
        t.append((scores.mean() - tokens / n_ref)
                 / np.sqrt(scores.var(ddof=1) * (1 / len(test) + 1 / n_ref)))
    p_cross = float(stats.norm.sf((t[0] + t[1]) / 2))
    return {"max z": p_max, "Rao-Scott": p_rao_scott, "PCA Hotelling": p_hotelling,
            "cross-fit": p_cross, "_max_z": float(np.abs(z).max()), "_squares": squares}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--column", default="titles",
                        choices=("reviews", "titles", "long_documents", "bilingual"))
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--vocabulary", type=int, default=100)
    parser.add_argument("--texts-per-topic", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    world = World(200_000, args.texts_per_topic, args.seed, True)
    _, texts = world.reference()
    assert texts is not None
    entry = build_profile(texts.select(args.column).lazy())["columns"][args.column]["text"]
    top = entry["vocabulary"][:args.vocabulary]
    index = {str(token): i for i, (token, _) in enumerate(top)}
    p = np.asarray([count for _, count in top], dtype=np.float64) / entry["docs"]
    found: dict[str, list[dict[str, float]]] = {}
    for scenario in ("clean", "shift_a", "shift_b"):
        found[scenario] = [
            statistics(presence(world.texts(args.rows, scenario)[args.column].drop_nulls(), index),
                       p, float(entry["docs"]))
            for _ in range(args.batches)]
    print(f"{args.column}, {args.rows:,} rows, {args.batches} batches per scenario, "
          f"p < {ALPHA:.3g} (shift A: a new topic; B: an existing topic +10 points)\n")
    print("| test | false alarms | shift A | shift B |\n|---|---:|---:|---:|")
    for test in ("max z", "Rao-Scott", "PCA Hotelling", "cross-fit"):
        cells = [sum(r[test] < ALPHA for r in found[s]) for s in ("clean", "shift_a", "shift_b")]
        print(f"| {test} | " + " | ".join(f"{c}/{args.batches}" for c in cells) + " |")
    for raw, name in (("_max_z", "max z"), ("_squares", "sum of squared z")):
        line = np.quantile([r[raw] for r in found["clean"]], 0.99)
        caught = [sum(r[raw] > line for r in found[s]) for s in ("shift_a", "shift_b")]
        print(f"| {name}, threshold at the clean batches' 99th percentile | 1% | "
              + " | ".join(f"{c}/{args.batches}" for c in caught) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
