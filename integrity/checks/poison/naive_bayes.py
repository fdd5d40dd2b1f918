"""A small text classifier for label checks: multinomial naive Bayes over hashed words (numpy).

Fitted on a reference table (the dataset's published baseline), it predicts each text's label
so that labels flipped in a new batch stand out. Features are the distinct words and word pairs
of the folded text, hashed into 2^18 buckets (no vocabulary to store or grow); counts are
smoothed with add-one (Laplace). Fitting and predicting are a few vectorised numpy passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from integrity.checks.poison.folding import folded

BUCKETS = 1 << 18
_SEED = 0xB4E5


def features(texts: pl.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(row, bucket) of every distinct word and word pair of each text."""
    words = pl.select(folded(pl.lit(texts), mask_digits=True).str.split(" ")).to_series()
    pairs = words.list.eval(pl.element() + " " + pl.element().shift(-1)).list.drop_nulls()
    grams = pl.DataFrame({"w": words, "p": pairs}).select(
        pl.concat_list("w", "p").list.unique().alias("g")).to_series()
    rows = np.repeat(np.arange(len(grams), dtype=np.int64),
                     grams.list.len().fill_null(0).to_numpy().astype(np.int64))
    hashes = grams.explode().drop_nulls().hash(seed=_SEED).to_numpy()
    return rows, (hashes % np.uint64(BUCKETS)).astype(np.int64)


@dataclass(frozen=True)
class NaiveBayes:
    """A fitted classifier: class names, log priors and per-bucket log likelihoods."""

    classes: list[str]
    log_prior: npt.NDArray[np.float64]
    log_likelihood: npt.NDArray[np.float64]
    """Shape (classes, buckets)."""

    @classmethod
    def fit(cls, texts: pl.Series, labels: pl.Series) -> NaiveBayes:
        """Fit on the rows where both text and label are present."""
        keep = texts.is_not_null() & labels.is_not_null()
        texts, labels = texts.filter(keep), labels.cast(pl.String).filter(keep)
        classes = sorted(labels.unique().to_list())
        if len(classes) < 2:
            raise ValueError(f"the reference has {len(classes)} label(s); a classifier needs two")
        code = labels.replace_strict(classes, list(range(len(classes)))).to_numpy()
        rows, buckets = features(texts)
        counts = np.bincount(code[rows] * BUCKETS + buckets,
                             minlength=len(classes) * BUCKETS).reshape(len(classes), BUCKETS)
        smoothed = counts + 1.0
        log_likelihood = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        prior = np.bincount(code, minlength=len(classes)) / len(code)
        return cls(classes, np.log(prior), log_likelihood)

    def probabilities(self, texts: pl.Series) -> npt.NDArray[np.float64]:
        """P(class | text) for each text, shape (len(texts), classes); a null text gets the prior."""
        rows, buckets = features(texts.fill_null(""))
        joint = np.empty((len(texts), len(self.classes)))
        for c in range(len(self.classes)):
            joint[:, c] = self.log_prior[c] + np.bincount(
                rows, weights=self.log_likelihood[c, buckets], minlength=len(texts))
        joint -= joint.max(axis=1, keepdims=True)
        odds = np.exp(joint)
        result: npt.NDArray[np.float64] = odds / odds.sum(axis=1, keepdims=True)
        return result
