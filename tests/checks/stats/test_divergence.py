"""Each distance and test of the drift checks against scipy on small inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import spatial, stats

from integrity.checks.stats import divergence as d

REF = [30, 25, 20, 15, 10]
CUR = [22, 30, 18, 20, 10]


def smoothed(counts: list[int]) -> np.ndarray:
    c = np.asarray(counts, dtype=float) + 0.5
    return c / c.sum()


def raw(counts: list[int]) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    return c / c.sum()


def test_psi_is_the_symmetric_kl_divergence_of_the_smoothed_shares() -> None:
    p, q = smoothed(REF), smoothed(CUR)
    assert d.psi(REF, CUR) == pytest.approx(stats.entropy(q, p) + stats.entropy(p, q), rel=1e-12)


def test_psi_stays_finite_when_a_bin_is_empty_on_one_side() -> None:
    value = d.psi([50, 50, 0], [40, 40, 20])
    p, q = smoothed([50, 50, 0]), smoothed([40, 40, 20])
    assert math.isfinite(value)
    assert value == pytest.approx(stats.entropy(q, p) + stats.entropy(p, q), rel=1e-12)


def test_jensen_shannon_is_scipys_distance_in_base_two() -> None:
    expected = spatial.distance.jensenshannon(raw(REF), raw(CUR), base=2)
    assert d.jensen_shannon(REF, CUR) == pytest.approx(expected, rel=1e-12)
    assert d.jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)
    assert d.jensen_shannon(REF, REF) == 0.0


def test_hellinger_is_half_the_euclidean_distance_of_the_square_roots() -> None:
    expected = spatial.distance.euclidean(np.sqrt(raw(REF)), np.sqrt(raw(CUR))) / math.sqrt(2)
    assert d.hellinger(REF, CUR) == pytest.approx(expected, rel=1e-9)


def test_cohen_w_is_the_square_root_of_chi_square_over_n() -> None:
    p, q = smoothed(REF), smoothed(CUR)
    n = 1000
    chi = stats.chisquare(q * n, p * n).statistic
    assert d.cohen_w(REF, CUR) == pytest.approx(math.sqrt(chi / n), rel=1e-9)


def test_chi_square_is_scipys_test_of_the_two_row_table() -> None:
    statistic, dof, p_value = d.chi_square(REF, CUR)
    expected = stats.chi2_contingency(np.vstack([REF, CUR]), correction=False)
    assert statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert dof == expected.dof
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_sparse_bins_are_merged_before_the_chi_square_test() -> None:
    ordered = d.merge_sparse([50, 1, 1, 48], [45, 2, 0, 53], ordered=True)
    assert [list(side) for side in ordered] == [[50.0, 50.0], [45.0, 55.0]]
    pooled = d.merge_sparse([50, 1, 48, 1], [45, 2, 53, 0], ordered=False)
    assert [list(side) for side in pooled] == [[50.0, 48.0, 2.0], [45.0, 53.0, 2.0]]


def binned(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts over the bins (-inf, e0], (e0, e1], ..., (eL, inf)."""
    result: np.ndarray = np.bincount(np.searchsorted(edges, values, side="left"),
                                     minlength=edges.size + 1)
    return result


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    ref = rng.integers(0, 12, 80).astype(float)
    cur = rng.integers(2, 14, 60).astype(float)
    values = np.unique(np.concatenate([ref, cur]))
    # Each value a bin of its own, (v - ulp, v], as the checks bin a column's heavy values.
    edges = np.unique(np.concatenate([values, np.nextafter(values, -np.inf)]))
    return ref, cur, edges


def test_ks_is_scipys_two_sample_test_when_each_value_has_its_bin(samples: tuple) -> None:
    ref, cur, edges = samples
    gap, p_value = d.ks(binned(ref, edges), binned(cur, edges))
    expected = stats.ks_2samp(ref, cur, method="asymp")
    assert gap == pytest.approx(expected.statistic, rel=1e-12)
    assert p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_mann_whitney_is_scipys_asymptotic_test_with_ties(samples: tuple) -> None:
    ref, cur, edges = samples
    test = d.mann_whitney(binned(ref, edges), binned(cur, edges))
    expected = stats.mannwhitneyu(cur, ref, method="asymptotic", use_continuity=True)
    assert test.auc * ref.size * cur.size == pytest.approx(expected.statistic, rel=1e-12)
    assert test.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert test.cliffs_delta > 0  # the batch's values are larger


def test_wasserstein_is_scipys_distance_when_each_value_has_its_bin(samples: tuple) -> None:
    ref, cur, edges = samples
    distance = d.wasserstein(edges, binned(ref, edges), binned(cur, edges))
    assert distance == pytest.approx(stats.wasserstein_distance(ref, cur), rel=1e-9)


def test_wasserstein_of_continuous_bins_is_within_a_bin_of_the_raw_distance() -> None:
    rng = np.random.default_rng(8)
    ref, cur = rng.normal(0, 1, 4000), rng.normal(0.3, 1, 4000)
    edges = np.quantile(ref, np.linspace(0, 1, 41))
    distance = d.wasserstein(edges, binned(ref, edges), binned(cur, edges))
    assert distance == pytest.approx(stats.wasserstein_distance(ref, cur), abs=0.03)


def test_welch_is_the_normal_tail_of_scipys_welch_statistic() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 300), rng.normal(0.2, 2, 500)
    t = stats.ttest_ind(b, a, equal_var=False).statistic
    p_value = d.welch(a.size, a.mean(), a.var(ddof=1), b.size, b.mean(), b.var(ddof=1))
    assert p_value == pytest.approx(2 * stats.norm.sf(abs(t)), rel=1e-9)


def test_max_share_z_finds_the_moved_cell_and_corrects_for_the_number_of_cells() -> None:
    ref, cur = [500, 300, 200], [400, 400, 200]
    p_value, worst = d.max_share_z(ref, cur)
    n, m = 1000, 1000

    def z(i: int) -> float:
        pooled = (ref[i] + cur[i]) / (n + m)
        return abs(cur[i] / m - ref[i] / n) / math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m))

    assert worst == 1  # 30% -> 40% is more surprising than 50% -> 40%
    assert z(1) > z(0)
    assert p_value == pytest.approx(3 * 2 * stats.norm.sf(z(1)), rel=1e-9)
    assert d.max_share_z([10, 10], [10, 10]) == (1.0, 0)


def test_bonferroni_and_jsonable_float() -> None:
    assert d.bonferroni(0.01, 0.5, 0.2) == pytest.approx(0.03)
    assert d.bonferroni(0.9, 0.8) == 1.0
    assert d.jsonable_float(float("nan")) is None
    assert d.jsonable_float(0.123456789) == 0.123457
