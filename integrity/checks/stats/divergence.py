"""Distances and tests between a reference distribution and a batch's, from binned counts.

Every function takes two count vectors over the same bins (the reference's first; ordered bins for
the rank and CDF statistics), so the engine only has to count. The distances are effect sizes that
do not grow with the number of rows; the tests give the p-values that say whether a difference is
larger than sampling noise. A drift decision needs both (see :mod:`integrity.checks.stats.drift`).

Conventions, so the figures compare with scipy's: PSI and Cohen's w smooth empty bins with half a
count on both sides (never an infinite statistic); Jensen-Shannon is scipy's ``jensenshannon`` in
base 2 (a distance in [0, 1]); Hellinger is ``sqrt(1 - sum(sqrt(p q)))``; the chi-square test is
scipy's ``chi2_contingency`` on the 2 x bins table (sparse bins merged first); KS is the largest gap
between the binned CDFs with scipy's asymptotic two-sample p-value; Mann-Whitney is scipy's
asymptotic test with tie correction and continuity correction, the bins acting as tied values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import numpy as np

Counts: TypeAlias = "Sequence[float] | np.ndarray[Any, Any]"

#: Half a count added to every bin of both sides before dividing by a share (Jeffreys' prior).
PSEUDO = 0.5


def _arrays(ref: Counts, cur: Counts) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    r = np.asarray(ref, dtype=np.float64)
    c = np.asarray(cur, dtype=np.float64)
    if r.shape != c.shape:
        raise ValueError(f"the two count vectors differ in length ({r.size} and {c.size})")
    return r, c


def shares(counts: Counts, pseudo: float = 0.0) -> np.ndarray:
    """Counts as shares that sum to 1, each bin first given ``pseudo`` extra counts."""
    import numpy as np

    c = np.asarray(counts, dtype=np.float64) + pseudo
    total = c.sum()
    return c / total if total > 0 else np.full(c.shape, 1.0 / max(c.size, 1))


def psi(ref: Counts, cur: Counts) -> float:
    """Population stability index: sum over bins of (q - p) ln(q / p), smoothed."""
    import numpy as np

    r, c = _arrays(ref, cur)
    p, q = shares(r, PSEUDO), shares(c, PSEUDO)
    return float(np.sum((q - p) * np.log(q / p)))


def jensen_shannon(ref: Counts, cur: Counts) -> float:
    """Jensen-Shannon distance in base 2 (the square root of the divergence), in [0, 1]."""
    import numpy as np

    r, c = _arrays(ref, cur)
    p, q = shares(r), shares(c)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        keep = a > 0
        return float(np.sum(a[keep] * np.log2(a[keep] / m[keep])))

    return math.sqrt(max(0.0, (kl(p) + kl(q)) / 2))


def hellinger(ref: Counts, cur: Counts) -> float:
    """Hellinger distance ``sqrt(1 - sum(sqrt(p q)))``, in [0, 1]."""
    import numpy as np

    r, c = _arrays(ref, cur)
    return math.sqrt(max(0.0, 1.0 - float(np.sum(np.sqrt(shares(r) * shares(c))))))


def cohen_w(ref: Counts, cur: Counts) -> float:
    """Cohen's w, the chi-square effect size ``sqrt(sum((q - p)^2 / p))``, smoothed."""
    import numpy as np

    r, c = _arrays(ref, cur)
    p, q = shares(r, PSEUDO), shares(c, PSEUDO)
    return math.sqrt(float(np.sum((q - p) ** 2 / p)))


def merge_sparse(ref: Counts, cur: Counts, *, ordered: bool,
                 minimum: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Merge bins until every expected count of the 2 x bins table is at least ``minimum``.

    Ordered bins merge with their neighbour (the rank order survives); unordered ones pool the
    sparse bins into one. Bins empty on both sides are dropped."""
    import numpy as np

    r, c = _arrays(ref, cur)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    n_r, n_c = r.sum(), c.sum()
    if n_r == 0 or n_c == 0:
        return r, c
    smaller = min(n_r, n_c) / (n_r + n_c)

    def sparse(total: np.ndarray) -> np.ndarray:
        result: np.ndarray = total * smaller < minimum
        return result

    if not ordered:
        thin = sparse(r + c)
        if thin.any():
            r = np.append(r[~thin], r[thin].sum())
            c = np.append(c[~thin], c[thin].sum())
        return r, c
    rows_r: list[float] = []
    rows_c: list[float] = []
    acc_r = acc_c = 0.0
    for a, b in zip(r, c, strict=True):
        acc_r, acc_c = acc_r + a, acc_c + b
        if (acc_r + acc_c) * smaller >= minimum:
            rows_r.append(acc_r)
            rows_c.append(acc_c)
            acc_r = acc_c = 0.0
    if acc_r + acc_c > 0:
        if rows_r:
            rows_r[-1] += acc_r
            rows_c[-1] += acc_c
        else:
            rows_r.append(acc_r)
            rows_c.append(acc_c)
    return np.asarray(rows_r), np.asarray(rows_c)


def chi_square(ref: Counts, cur: Counts, *, ordered: bool = False) -> tuple[float, int, float]:
    """Chi-square test of homogeneity of the 2 x bins table: (statistic, degrees, p-value)."""
    import numpy as np
    from scipy import stats

    r, c = merge_sparse(ref, cur, ordered=ordered)
    if r.size < 2 or r.sum() == 0 or c.sum() == 0:
        return 0.0, 0, 1.0
    table = np.vstack([r, c])
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = r.size - 1
    return statistic, dof, float(stats.chi2.sf(statistic, dof))


def ks(ref: Counts, cur: Counts) -> tuple[float, float]:
    """Kolmogorov-Smirnov over ordered bins: (largest CDF gap, asymptotic two-sample p-value)."""
    import numpy as np
    from scipy import stats

    r, c = _arrays(ref, cur)
    n, m = r.sum(), c.sum()
    if n == 0 or m == 0:
        return 0.0, 1.0
    gap = float(np.max(np.abs(np.cumsum(r) / n - np.cumsum(c) / m)))
    effective = round(n * m / (n + m))
    return gap, float(stats.kstwo.sf(gap, max(1, effective)))


@dataclass(frozen=True)
class RankTest:
    """Mann-Whitney's rank test over ordered bins."""

    auc: float
    """P(batch value > reference value) + P(equal) / 2: 0.5 when neither side is larger."""
    z: float
    p_value: float

    @property
    def cliffs_delta(self) -> float:
        return 2 * self.auc - 1


def mann_whitney(ref: Counts, cur: Counts) -> RankTest:
    """Mann-Whitney U of the batch against the reference, each bin one tied value."""
    import numpy as np
    from scipy import stats

    r, c = _arrays(ref, cur)
    n, m = r.sum(), c.sum()
    if n == 0 or m == 0:
        return RankTest(0.5, 0.0, 1.0)
    below = np.cumsum(r) - r
    u = float(np.sum(c * (below + r / 2)))
    total = n + m
    ties = r + c
    tie_term = float(np.sum(ties**3 - ties)) / (total * (total - 1)) if total > 1 else 0.0
    variance = n * m / 12 * ((total + 1) - tie_term)
    if variance <= 0:
        return RankTest(u / (n * m), 0.0, 1.0)
    centred = u - n * m / 2
    z = (abs(centred) - 0.5) / math.sqrt(variance) if abs(centred) >= 0.5 else 0.0
    return RankTest(u / (n * m), math.copysign(z, centred), float(2 * stats.norm.sf(z)))


def wasserstein(edges: Sequence[float], ref: Counts, cur: Counts, *, low: float | None = None,
                high: float | None = None) -> float:
    """First Wasserstein distance between two binned distributions over the bins (-inf, e0],
    (e0, e1], ..., (eL, inf): the area between their CDFs from ``low`` to ``high`` (default: the
    first and last edge), each CDF linear inside a bin. Values beyond ``low`` and ``high`` count as
    if there, so a few extreme values cannot dominate. When each value has a bin of its own
    that holds nothing else, (v - ulp, v], it is exactly scipy's ``wasserstein_distance``."""
    import numpy as np

    r, c = _arrays(ref, cur)
    e = np.asarray(edges, dtype=np.float64)
    if r.size != e.size + 1 or r.sum() == 0 or c.sum() == 0 or e.size < 2:
        return 0.0
    diff = np.cumsum(r)[:-1] / r.sum() - np.cumsum(c)[:-1] / c.sum()  # CDF gap at each edge
    lo = e[0] if low is None else low
    hi = e[-1] if high is None else high
    total = 0.0
    for i in range(e.size - 1):
        a_x, b_x = max(e[i], lo), min(e[i + 1], hi)
        if b_x <= a_x:
            continue
        width = e[i + 1] - e[i]
        a = diff[i] + (diff[i + 1] - diff[i]) * (a_x - e[i]) / width
        b = diff[i] + (diff[i + 1] - diff[i]) * (b_x - e[i]) / width
        span = b_x - a_x
        if a * b >= 0:
            total += span * (abs(a) + abs(b)) / 2
        else:  # the gap changes sign inside: two triangles
            total += span * (a * a + b * b) / (2 * (abs(a) + abs(b)))
    return float(total)


def welch(n_ref: float, mean_ref: float, var_ref: float, n_cur: float, mean_cur: float,
          var_cur: float) -> float:
    """Two-sided p-value of Welch's test that the two means are equal (normal approximation:
    the checks run it on hundreds of values or more)."""
    from scipy import stats

    if n_ref < 2 or n_cur < 2:
        return 1.0
    se = math.sqrt(max(var_ref, 0.0) / n_ref + max(var_cur, 0.0) / n_cur)
    if se == 0:
        return 1.0 if mean_ref == mean_cur else 0.0
    return float(2 * stats.norm.sf(abs(mean_cur - mean_ref) / se))


def max_share_z(ref: Counts, cur: Counts) -> tuple[float, int]:
    """The bin whose share moved most, in standard errors of a two-proportion test, as a
    Bonferroni-corrected p-value over all bins: (p-value, index of that bin)."""
    import numpy as np
    from scipy import stats

    r, c = _arrays(ref, cur)
    n, m = r.sum(), c.sum()
    if n == 0 or m == 0 or r.size < 2:
        return 1.0, 0
    pooled = (r + c) / (n + m)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, np.abs(c / m - r / n) / se, 0.0)
    worst = int(np.argmax(z))
    return min(1.0, float(2 * stats.norm.sf(z[worst])) * r.size), worst


def bonferroni(*p_values: float) -> float:
    """The smallest p-value times their number, at most 1: a valid p-value for 'any of them'."""
    return min(1.0, min(p_values) * len(p_values)) if p_values else 1.0


def jsonable_float(value: Any) -> float | None:
    """A float for a result (None for NaN), rounded to 6 significant digits."""
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return float(f"{number:.6g}")
