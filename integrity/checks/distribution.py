"""Distributional expectations: a column's distribution compared with an expected partition.

The metrics are aggregates (a histogram over the partition's bins, or value counts), computed in the
engine's fused query; scipy only turns those few numbers into a divergence or a p-value. The
Kolmogorov-Smirnov tests, which need the column's values themselves, live in
:mod:`integrity.checks.distribution_ks`; Cramér's phi in :mod:`integrity.checks.association`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from integrity.checks.aggregate import COLUMN
from integrity.checks.aggregate_sets import counts_of, value_counts
from integrity.checks.base import CONDITION, Arg, Check, Spec, expectation
from integrity.checks.families import aggregate_check, between, check_bounds
from integrity.checks.partitions import ARG, Partition, histogram, parse_partition, require_numeric
from integrity.errors import SuiteError

NUMBER = (int, float)

Decide = Callable[[float | None], bool]


def _unit_interval(value: Any) -> str | None:
    if 0 <= value <= 1:
        return None
    return f"must be greater than or equal to 0 and less than or equal to 1, not {value!r}"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else f"must be greater than or equal to zero, not {value!r}"


HOLDOUTS = (
    Arg("tail_weight_holdout", NUMBER, default=0, check=_unit_interval),
    Arg("internal_weight_holdout", NUMBER, default=0, check=_unit_interval),
)


def _weights(values: list[float]) -> list[float]:
    return [float(v) for v in values]


# --- KL divergence ------------------------------------------------------------------------------


def _expected_continuous(
    p: Partition, tail_holdout: float, internal_holdout: float
) -> tuple[tuple[float, ...], list[float], list[float]]:
    """The expected partition's finite edges, bin weights and [below, above] tail weights."""
    assert p.bins is not None
    start, stop = (
        (1 if p.infinite_low else 0),
        (len(p.weights) - 1 if p.infinite_high else len(p.weights)),
    )
    edges = p.bins[start : stop + 1]
    weights = list(p.weights[start:stop])
    tails = list(p.tail_weights or (0.0, 0.0))
    if p.infinite_low:
        tails[0] = p.weights[0]
    if p.infinite_high:
        tails[1] = p.weights[-1]
    if tail_holdout > 0:
        # The holdout is the mass the partition leaves for values beyond its finite ends.
        weights = [w * (1 - tail_holdout) for w in weights]
        tails = [t * (1 - tail_holdout) for t in tails]
        if p.infinite_low:
            tails[1] += tail_holdout
        elif p.infinite_high:
            tails[0] += tail_holdout
        else:
            tails = [t + tail_holdout / 2 for t in tails]
    empty = sum(1 for w in p.weights[start:stop] if w == 0)
    if internal_holdout > 0 and empty:
        original = p.weights[start:stop]
        weights = [
            internal_holdout / empty if w0 == 0 else w - w0 * internal_holdout
            for w, w0 in zip(weights, original, strict=True)
        ]
    return edges, weights, tails


def _kl(observed: list[float], expected: list[float]) -> float | None:
    divergence = float(_stats().entropy(observed, expected))
    return None if math.isinf(divergence) or math.isnan(divergence) else divergence


def _decider(spec: Spec) -> Decide:
    """threshold bounds the divergence; without one, min_value/max_value do (none: always pass)."""
    threshold = spec.kwargs.get("threshold")
    low, high = spec.kwargs.get("min_value"), spec.kwargs.get("max_value")
    if threshold is not None:
        return lambda divergence: divergence is not None and divergence <= threshold
    if low is None and high is None:
        return lambda divergence: True
    return lambda divergence: between(divergence, low, high)


def _check_holdouts(spec: Spec, p: Partition) -> tuple[float, float]:
    tail = float(spec.get("tail_weight_holdout", 0))
    internal = float(spec.get("internal_weight_holdout", 0))
    if p.continuous:
        if tail > 0 and p.tail_weights is not None:
            raise SuiteError(
                "tail_weight_holdout cannot be used with a partition that has "
                "tail_weights; drop one of them (ValueError)",
                argument="tail_weight_holdout",
            )
        if tail > 0 and p.infinite_low and p.infinite_high:
            raise SuiteError(
                "tail_weight_holdout must be 0 for a partition whose bins reach "
                "-Infinity and Infinity (ValueError)",
                argument="tail_weight_holdout",
            )
        if p.tail_weights is not None and (p.infinite_low or p.infinite_high):
            raise SuiteError(
                "a partition with an infinite endpoint cannot also have tail_weights", argument=ARG
            )
    elif internal > 0:
        raise SuiteError(
            "internal_weight_holdout cannot be used with a categorical partition (ValueError)",
            argument="internal_weight_holdout",
        )
    return tail, internal


def _kl_continuous(spec: Spec, p: Partition, decide: Decide) -> Check:
    require_numeric(spec, "a partition with bins")
    tail_holdout, internal_holdout = _check_holdouts(spec, p)
    edges, expected, expected_tails = _expected_continuous(p, tail_holdout, internal_holdout)
    expected_partition = {"bins": list(edges), "weights": expected, "tail_weights": expected_tails}

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        counts = m["histogram"]
        total = counts[-1]
        if not total:
            return False, {
                "observed_value": None,
                "details": {"expected_partition": expected_partition},
            }
        observed = [c / total for c in counts[1:-2]]
        tails = [counts[0] / total, counts[-2] / total]
        divergence = _kl(
            [tails[0], *observed, tails[1]], [expected_tails[0], *expected, expected_tails[1]]
        )
        details = {
            "observed_partition": {"bins": list(edges), "weights": observed, "tail_weights": tails},
            "expected_partition": expected_partition,
        }
        return decide(divergence), {"observed_value": divergence, "details": details}

    return aggregate_check(spec, {"histogram": histogram(spec, edges)}, judge)


def _kl_categorical(spec: Spec, p: Partition, decide: Decide) -> Check:
    tail_holdout, _ = _check_holdouts(spec, p)
    known = p.values or ()
    expected_of = dict(zip(known, p.weights, strict=True))

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        counts = dict(counts_of(m["value_counts"]))
        total = sum(counts.values())
        if not total:
            return False, {"observed_value": None}
        unexpected = [v for v in counts if v not in expected_of]
        values = [*known, *unexpected]
        expected = [expected_of[v] for v in known]
        if unexpected and tail_holdout > 0:
            expected = [w * (1 - tail_holdout) for w in expected]
            expected += [tail_holdout / len(unexpected)] * len(unexpected)
        else:
            expected += [0.0] * len(unexpected)
        observed = [counts.get(v, 0) / total for v in values]
        divergence = _kl(observed, expected)
        details = {
            "observed_partition": {"values": values, "weights": observed},
            "expected_partition": {"values": values, "weights": expected},
        }
        return decide(divergence), {"observed_value": divergence, "details": details}

    return aggregate_check(spec, {"value_counts": value_counts(spec)}, judge)


def _profile(spec: Spec) -> Check:
    """No partition: report the observed one (GX's profiling mode) and pass."""
    dtype = spec.dtype(spec.kwargs["column"])
    bucketize = spec.get("bucketize_data", True) and dtype.is_numeric()

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        import numpy as np
        pairs = counts_of(m["value_counts"])
        total = sum(n for _, n in pairs)
        if not total:
            return True, {"observed_value": None}
        if bucketize:
            data = np.repeat([float(v) for v, _ in pairs], [n for _, n in pairs])
            hist, edges = np.histogram(data, bins="auto")
            partition: dict[str, Any] = {"bins": edges.tolist(), "weights": (hist / total).tolist()}
        else:
            partition = {"values": [v for v, _ in pairs], "weights": [n / total for _, n in pairs]}
        return True, {"observed_value": None, "details": {"observed_partition": partition}}

    return aggregate_check(spec, {"value_counts": value_counts(spec)}, judge)


@expectation(
    "expect_column_kl_divergence_to_be_less_than",
    family="distribution",
    args=(
        COLUMN,
        Arg(ARG, (dict,)),
        Arg("threshold", NUMBER, check=_non_negative),
        *HOLDOUTS,
        Arg("bucketize_data", (bool,), default=True),
        Arg("min_value", (int, float)),
        Arg("max_value", (int, float)),
        *CONDITION,
    ),
)
def kl_divergence_less_than(spec: Spec) -> Check:
    """The KL divergence of the column's distribution from partition_object is at most threshold.

    Values the partition gives no weight make the divergence infinite (reported as None, failing)
    unless tail_weight_holdout / internal_weight_holdout reserve some weight for them. Without a
    partition_object the observed partition is reported and the expectation passes. Without a
    threshold, min_value/max_value bound the divergence instead.
    """
    check_bounds(spec)
    raw = spec.kwargs.get(ARG)
    if raw is None:
        return _profile(spec)
    partition = parse_partition(raw)
    if partition.continuous:
        return _kl_continuous(spec, partition, _decider(spec))
    return _kl_categorical(spec, partition, _decider(spec))


# --- chi-square -----------------------------------------------------------------------------------


@expectation(
    "expect_column_chisquare_test_p_value_to_be_greater_than",
    family="distribution",
    args=(
        COLUMN,
        Arg(ARG, (dict,), required=True),
        Arg("p", NUMBER, default=0.05, check=_unit_interval),
        Arg("tail_weight_holdout", NUMBER, default=0, check=_unit_interval),
        *CONDITION,
    ),
)
def chisquare_p_value_greater_than(spec: Spec) -> Check:
    """A chi-square test of the column's value counts against a categorical partition gives p > p.

    Values outside the partition share tail_weight_holdout of the expected weight; without a
    holdout they are impossible under the partition, so the p-value is 0.
    """
    partition = parse_partition(spec.kwargs[ARG])
    if partition.values is None:
        raise SuiteError(
            "the chi-square test needs a categorical partition (with 'values'), not bins",
            argument=ARG,
        )
    threshold = float(spec.get("p", 0.05))
    holdout = float(spec.get("tail_weight_holdout", 0))
    values = partition.values
    expected_of = dict(zip(values, partition.weights, strict=True))

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        import numpy as np
        counts = dict(counts_of(m["value_counts"]))
        total = sum(counts.values())
        if not total:
            return False, {"observed_value": None}
        unexpected = [v for v in counts if v not in expected_of]
        names = [*values, *unexpected]
        observed = [float(counts.get(v, 0)) for v in names]
        expected = [expected_of[v] * total for v in values]
        if unexpected:
            expected = [e * (1 - holdout) for e in expected]
            expected += [total * holdout / len(unexpected)] * len(unexpected)
        if any(e == 0 and o > 0 for e, o in zip(expected, observed, strict=True)):
            p_value = 0.0
        else:
            kept = [(o, e) for o, e in zip(observed, expected, strict=True) if e > 0]
            obs = np.array([o for o, _ in kept])
            exp = np.array([e for _, e in kept])
            p_value = float(_stats().chisquare(obs, exp * obs.sum() / exp.sum())[1])
        # Both partitions as weights that sum to 1 (GX's "normalize the outputs so they can be
        # used as partitions into other expectations").
        details = {
            "observed_partition": {"values": names, "weights": _normalized(observed)},
            "expected_partition": {"values": names, "weights": _normalized(expected)},
        }
        return p_value > threshold, {"observed_value": p_value, "details": details}

    return aggregate_check(spec, {"value_counts": value_counts(spec)}, judge)


def _normalized(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [w / total for w in weights] if total else list(weights)


def _stats() -> Any:
    """scipy.stats, imported on first use: it costs over a second and most suites never need it."""
    from scipy import stats

    return stats
