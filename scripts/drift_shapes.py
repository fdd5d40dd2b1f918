"""Synthetic columns for scripts/bench_drift.py: numeric, categorical and text shapes, the clean
day-to-day jitter and the shifts the drift checks must catch.

Numbers: the mean moves by a share of the reference's standard deviation, in the way each shape
moves in practice: added to unbounded values, multiplied into positive ones, and for counts and
ratings by moving rows to the next value (never off the value lattice or past a rating's ends).
Categories: shares move by points. Texts: documents are drawn from topics (a synthetic
vocabulary per topic plus shared English function words), and the topic mix moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

Rng = np.random.Generator
REAL, POSITIVE, COUNT, ORDINAL, TIME = "real", "positive", "count", "ordinal", "time"
_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()


@dataclass(frozen=True)
class NumericShape:
    name: str
    kind: str
    draw: Callable[[Rng, int], np.ndarray]


def _timestamps(rng: Rng, n: int) -> np.ndarray:
    """A month of events, busier by day than by night."""
    day = rng.integers(0, 30, n) * 86_400.0
    hour = np.clip(rng.normal(14, 4, n), 0, 23.99) * 3600.0
    return _EPOCH + day + hour


NUMERIC: tuple[NumericShape, ...] = (
    NumericShape("normal", REAL, lambda r, n: r.normal(50, 10, n)),
    NumericShape("student_t2.5", REAL, lambda r, n: 100 + 10 * r.standard_t(2.5, n)),
    NumericShape("bimodal", REAL, lambda r, n: np.where(r.random(n) < 0.4, r.normal(20, 3, n),
                                                        r.normal(40, 5, n))),
    NumericShape("lognormal", POSITIVE, lambda r, n: r.lognormal(3, 1, n)),
    NumericShape("pareto3", POSITIVE, lambda r, n: (r.pareto(3, n) + 1) * 10),
    NumericShape("zero_inflated", POSITIVE, lambda r, n: np.where(r.random(n) < 0.7, 0.0,
                                                                  r.lognormal(3, 1, n))),
    NumericShape("uniform", POSITIVE, lambda r, n: r.uniform(0, 100, n)),
    NumericShape("exponential", POSITIVE, lambda r, n: r.exponential(10, n)),
    NumericShape("poisson", COUNT, lambda r, n: r.poisson(3, n).astype(np.float64)),
    NumericShape("zipf_counts", COUNT, lambda r, n: np.minimum(r.zipf(3.5, n), 10_000)
                 .astype(np.float64)),
    NumericShape("rating", ORDINAL, lambda r, n: (r.choice(5, n, p=[0.08, 0.1, 0.17, 0.3, 0.35])
                                                  + 1).astype(np.float64)),
    NumericShape("timestamp", TIME, _timestamps),
)


def move_mean(shape: NumericShape, x: np.ndarray, delta_sd: float, how: str, mean: float,
              sd: float, rng: Rng) -> np.ndarray:
    """``x`` with its mean moved by ``delta_sd`` reference standard deviations, ``how`` being
    "add" or "mult" (counts: +1 on some rows, or binomial growth; ratings: one level)."""
    if delta_sd == 0:
        return x
    if shape.kind == ORDINAL:
        movable = x < 5 if delta_sd > 0 else x > 1
        share = abs(delta_sd) * sd / max(float(movable.mean()), 1e-9)
        return x + np.sign(delta_sd) * (movable & (rng.random(x.size) < share))
    if shape.kind == COUNT:
        if how == "add":
            moved = rng.random(x.size) < min(abs(delta_sd) * sd, 1.0)
            return np.maximum(x + np.sign(delta_sd) * moved, 0)
        factor = 1 + delta_sd * sd / mean
        if factor < 1:
            return rng.binomial(x.astype(np.int64), factor).astype(np.float64)
        whole = np.floor(factor - 1)
        return x + whole * x + rng.binomial(x.astype(np.int64), factor - 1 - whole)
    if how == "add":
        return x + delta_sd * sd
    return x * (1 + delta_sd * sd / mean)


def jitter_numeric(shape: NumericShape, x: np.ndarray, mean: float, sd: float,
                   rng: Rng) -> np.ndarray:
    """Day-to-day jitter: the mean moves by up to 0.02 SD, the way the shape moves."""
    how = "add" if shape.kind in (REAL, TIME, ORDINAL) else "mult"
    return move_mean(shape, x, float(rng.uniform(-0.02, 0.02)), how, mean, sd, rng)


def numeric_series(shape: NumericShape, name: str, x: np.ndarray) -> pl.Series:
    if shape.kind == TIME:
        return pl.Series(name, np.round(x * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    if shape.kind in (COUNT, ORDINAL):
        return pl.Series(name, x.astype(np.int64))
    return pl.Series(name, x)


# --- categories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoricalShape:
    name: str
    shares: np.ndarray


def _zipf(k: int, s: float) -> np.ndarray:
    w = 1 / np.arange(1, k + 1) ** s
    result: np.ndarray = w / w.sum()
    return result


CATEGORICAL: tuple[CategoricalShape, ...] = (
    CategoricalShape("channel_5", np.array([0.35, 0.3, 0.15, 0.12, 0.08])),
    CategoricalShape("label_3", np.array([0.65, 0.17, 0.18])),
    CategoricalShape("binary", np.array([0.9, 0.1])),
    CategoricalShape("uniform_20", np.full(20, 0.05)),
    CategoricalShape("zipf_200", _zipf(200, 1.0)),
    CategoricalShape("long_tail_5000", _zipf(5000, 1.1)),
)


def jitter_shares(p: np.ndarray, rng: Rng) -> np.ndarray:
    """Shares moved by up to 0.5 points each (at most 5% of a small share), renormalised."""
    moved = np.clip(p + rng.uniform(-0.005, 0.005, p.size) * np.minimum(1, p / 0.1), 0, None)
    result: np.ndarray = moved / moved.sum()
    return result


def move_largest(p: np.ndarray, points: float = 0.10) -> np.ndarray:
    """The largest category's share moved by ``points`` (down when it cannot go up), the others
    scaled to make room."""
    q = p.copy()
    i = int(np.argmax(q))
    delta = points if q[i] + points <= 0.95 else -points
    rest = np.arange(q.size) != i
    q[rest] *= (1 - q[i] - delta) / q[rest].sum()
    q[i] += delta
    return q


def add_category(p: np.ndarray, share: float = 0.05) -> np.ndarray:
    """A category the reference never saw, at ``share`` (the others scaled down)."""
    return np.append(p * (1 - share), share)


def categorical_series(name: str, shares: np.ndarray, n: int, rng: Rng) -> pl.Series:
    labels = pl.Series([f"{name}:{i}" for i in range(shares.size - 1)] + [f"{name}:new"])
    cumulative = np.cumsum(shares / shares.sum())
    codes = np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), shares.size - 1)
    return labels.gather(codes).alias(name)


# --- texts --------------------------------------------------------------------------------------

FUNCTION_WORDS = [
    "the", "a", "to", "and", "of", "in", "is", "it", "you", "that", "for", "on", "with", "this",
    "my", "was", "have", "be", "at", "not", "but", "are", "your", "we", "me", "i", "so", "they",
    "can", "or", "from", "an", "all", "if", "about", "there", "when", "what", "just", "one",
    "would", "will", "do", "no", "please", "as", "been", "has", "had", "by", "more", "very",
    "out", "up", "get", "our", "how",
]
_LATIN_ONSETS = [
    "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
    "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st", "tr",
]
_LATIN_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"]
_CYRILLIC_ONSETS = [
    "б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т", "ф", "х", "ч", "ш",
]
_CYRILLIC_VOWELS = ["а", "е", "и", "о", "у", "ы", "я", "ю"]


def vocabulary(rng: Rng, size: int, cyrillic: bool = False) -> list[str]:
    """``size`` distinct pseudo-words of two or three syllables."""
    onsets, vowels = ((_CYRILLIC_ONSETS, _CYRILLIC_VOWELS) if cyrillic
                      else (_LATIN_ONSETS, _LATIN_VOWELS))
    words: set[str] = set()
    while len(words) < size:
        syllables = rng.integers(2, 4)
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables)))
    return sorted(words)


@dataclass(frozen=True)
class TextShape:
    name: str
    topics: int
    shares: tuple[float, ...]
    length: Callable[[Rng, int], np.ndarray]
    cyrillic_topics: tuple[int, ...] = ()


TEXT: tuple[TextShape, ...] = (
    TextShape("reviews", 4, (0.4, 0.3, 0.2, 0.1),
              lambda r, n: np.clip(np.round(r.lognormal(3.0, 0.5, n)), 3, 120)),
    TextShape("titles", 4, (0.4, 0.3, 0.2, 0.1), lambda r, n: r.integers(2, 7, n)),
    TextShape("long_documents", 4, (0.4, 0.3, 0.2, 0.1),
              lambda r, n: np.clip(np.round(r.lognormal(5.0, 0.3, n)), 60, 400)),
    TextShape("bilingual", 4, (0.4, 0.3, 0.2, 0.1),
              lambda r, n: np.clip(np.round(r.lognormal(3.0, 0.5, n)), 3, 120),
              cyrillic_topics=(1,)),
)


def topic_texts(rng: Rng, shape: TextShape, topic_words: list[str], n: int,
                cyrillic: bool) -> pl.Series:
    """``n`` texts of one topic: about 45% shared function words (Latin texts only), the rest
    the topic's words, both Zipf-distributed; a first capital, a full stop, now and then an
    order number."""
    lengths = shape.length(rng, n).astype(np.int64)
    total = int(lengths.sum())
    content = pl.Series(topic_words).gather(
        np.minimum(rng.zipf(1.3, total) - 1, len(topic_words) - 1))
    function = pl.Series(FUNCTION_WORDS).gather(
        np.minimum(rng.zipf(1.4, total) - 1, len(FUNCTION_WORDS) - 1))
    use_function = pl.Series(rng.random(total) < (0.0 if cyrillic else 0.45))
    doc = np.repeat(np.arange(n), lengths)
    frame = pl.DataFrame({"doc": doc, "w": pl.select(
        pl.when(use_function).then(function).otherwise(content)).to_series()})
    joined = frame.group_by("doc", maintain_order=True).agg(pl.col("w").str.join(" "))
    numbers = pl.Series(rng.integers(1000, 99999, n)).cast(pl.String)
    with_number = pl.Series(rng.random(n) < 0.1)
    texts = joined.select(
        (pl.col("w").str.slice(0, 1).str.to_uppercase() + pl.col("w").str.slice(1)
         + pl.when(with_number).then(pl.lit(" #") + numbers).otherwise(pl.lit("")) + ".")
        .alias("text")).to_series()
    return texts


@dataclass
class TextPools:
    """Texts of each topic of a shape (the reference's topics and two it never had)."""

    shape: TextShape
    pools: list[pl.Series]

    @classmethod
    def build(cls, shape: TextShape, per_topic: int, rng: Rng) -> TextPools:
        pools = []
        for topic in range(shape.topics + 2):  # + a topic the reference never had, spare
            cyrillic = topic in shape.cyrillic_topics
            words = vocabulary(rng, 400, cyrillic=cyrillic)
            pools.append(topic_texts(rng, shape, words, per_topic, cyrillic))
        return cls(shape, pools)

    def draw(self, shares: np.ndarray, n: int, rng: Rng) -> pl.Series:
        """``n`` texts with topic ``shares`` (one per pool), in random order."""
        counts = rng.multinomial(n, shares / shares.sum())
        parts = [pool.gather(rng.integers(0, pool.len(), k)) for pool, k in
                 zip(self.pools, counts, strict=False) if k]
        texts = pl.concat(parts)
        return texts.gather(rng.permutation(texts.len()))


def text_shares(shape: TextShape, pools: int) -> np.ndarray:
    return np.asarray(list(shape.shares) + [0.0] * (pools - len(shape.shares)))


def replace_texts(shares: np.ndarray, topic: int, share: float = 0.10) -> np.ndarray:
    """``share`` of the texts replaced by texts of ``topic`` (the others scaled down)."""
    moved = shares * (1 - share)
    moved[topic] += share
    return moved
