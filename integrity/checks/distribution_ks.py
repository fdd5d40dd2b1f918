"""Kolmogorov-Smirnov expectations: the column's values against a named or a partitioned distribution.

A KS test needs the values themselves, so the metric collects the column's non-null values with
``implode()``; it is still an aggregate (one row), so it runs inside the engine's fused query.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from integrity.checks.aggregate import COLUMN
from integrity.checks.base import CONDITION, Arg, Check, Spec, expectation
from integrity.checks.distribution import NUMBER, _unit_interval
from integrity.checks.families import aggregate_check, column_values
from integrity.checks.partitions import ARG, parse_partition, require_numeric
from integrity.errors import SuiteError

#: Seed of the bootstrap's sampler, so that a suite gives the same verdict on the same data.
BOOTSTRAP_SEED = 20240601

#: Parameter names of each distribution, in scipy's positional order, with defaults (None: required).
#: As in GX, a uniform's ``min`` and ``max`` are passed as scipy's ``loc`` and ``scale``.
DISTRIBUTIONS: dict[str, tuple[tuple[str, float | None], ...]] = {
    "norm": (("mean", 0.0), ("std_dev", 1.0)),
    "beta": (("alpha", None), ("beta", None), ("loc", 0.0), ("scale", 1.0)),
    "gamma": (("alpha", None), ("loc", 0.0), ("scale", 1.0)),
    "uniform": (("min", 0.0), ("max", 1.0)),
    "chi2": (("df", None), ("loc", 0.0), ("scale", 1.0)),
    "expon": (("loc", 0.0), ("scale", 1.0)),
}
_POSITIVE = {"std_dev", "alpha", "beta", "scale", "df"}

if TYPE_CHECKING:  # numpy is imported by the functions that need it: it costs 0.13 s
    import numpy as np


def values_of(spec: Spec) -> pl.Expr:
    """All non-null values of the column in the domain, as one list."""
    return column_values(spec).cast(pl.Float64).implode()


def distribution_args(distribution: str, params: Any) -> tuple[float, ...]:
    """scipy's positional arguments for ``distribution`` from GX's params (a dict or a list)."""
    names = DISTRIBUTIONS[distribution]
    if isinstance(params, Mapping):
        unknown = set(params) - {n for n, _ in names}
        if unknown:
            raise SuiteError(
                f"{distribution} takes {', '.join(n for n, _ in names)}; "
                f"unknown: {', '.join(sorted(unknown))}",
                argument="params",
            )
        args = []
        for name, default in names:
            value = params.get(name, default)
            if value is None:
                raise SuiteError(f"{distribution} needs parameter {name!r}", argument="params")
            args.append(value)
    elif isinstance(params, list | tuple):
        if not 0 < len(params) <= len(names):
            raise SuiteError(
                f"{distribution} takes up to {len(names)} parameters "
                f"({', '.join(n for n, _ in names)})",
                argument="params",
            )
        args = list(params)
    else:
        raise SuiteError(
            "must be an object of named parameters or a list of them", argument="params"
        )
    if not all(isinstance(a, int | float) and not isinstance(a, bool) for a in args):
        raise SuiteError(f"parameters must be numbers, got {params!r}", argument="params")
    for (name, _), value in zip(names, args, strict=False):
        if name in _POSITIVE and value <= 0:
            raise SuiteError(
                f"{distribution} parameter {name!r} must be greater than 0", argument="params"
            )
    return tuple(float(a) for a in args)


@expectation(
    "expect_column_parameterized_distribution_ks_test_p_value_to_be_greater_than",
    family="distribution",
    args=(
        COLUMN,
        Arg("distribution", (str,), required=True),
        Arg("p_value", NUMBER, default=0.05, check=_unit_interval),
        # GX refuses a test without parameters ("params must be a dict or list"); {} or [] asks
        # for the distribution's defaults.
        Arg("params", (dict, list), required=True),
        *CONDITION,
    ),
)
def parameterized_ks_p_value_greater_than(spec: Spec) -> Check:
    """A KS test of the column against a scipy distribution with params gives a p-value above p_value."""
    distribution = spec.kwargs["distribution"]
    if distribution not in DISTRIBUTIONS:
        raise SuiteError(
            f"unknown distribution {distribution!r}; use one of {', '.join(DISTRIBUTIONS)}",
            argument="distribution",
        )
    args = distribution_args(distribution, spec.kwargs["params"])
    require_numeric(spec, "a KS test")
    threshold = float(spec.get("p_value", 0.05))

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        import numpy as np
        data = np.asarray(m["values"] or [], dtype=float)
        if data.size == 0:
            return False, {"observed_value": None}
        statistic, p_value = _stats().kstest(data, distribution, args=args)
        return float(p_value) > threshold, {
            "observed_value": float(p_value),
            "details": {
                "expected_params": spec.kwargs.get("params"),
                "observed_ks_result": [float(statistic), float(p_value)],
            },
        }

    return aggregate_check(spec, {"values": values_of(spec)}, judge)


def _observed_partition(
    data: np.ndarray[Any, Any], bins: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Bins and weights of the data over ``bins``, widened to the data's range when it spills over."""
    import numpy as np
    hist, _ = np.histogram(data, bins=np.asarray(bins))
    edges, weights = list(bins), (hist / data.size).tolist()
    low, high = float(data.min()), float(data.max())
    if low < bins[0]:
        edges.insert(0, low)
        weights.insert(0, float(np.sum(data < bins[0])) / data.size)
    if high > bins[-1]:
        edges.append(high)
        weights.append(float(np.sum(data > bins[-1])) / data.size)
    return edges, weights


@expectation(
    "expect_column_bootstrapped_ks_test_p_value_to_be_greater_than",
    family="distribution",
    args=(
        COLUMN,
        Arg(ARG, (dict,), required=True),
        Arg("p", NUMBER, default=0.05, check=_unit_interval),
        Arg("bootstrap_samples", (int,), check=lambda v: None if v > 0 else "must be positive"),
        Arg("bootstrap_sample_size", (int,), check=lambda v: None if v > 0 else "must be positive"),
        *CONDITION,
    ),
)
def bootstrapped_ks_p_value_greater_than(spec: Spec) -> Check:
    """Bootstrapped KS tests of the column against a continuous partition give a p-value above p.

    The partition's cumulative weights, linearly interpolated between its finite bin edges, are the
    expected CDF. Each of bootstrap_samples resamples (of bootstrap_sample_size values, default twice
    the number of bins) is KS-tested; the observed value is the share of resamples whose p-value
    reaches p, with GX's +1 smoothing.
    """
    import numpy as np
    partition = parse_partition(spec.kwargs[ARG])
    if partition.bins is None:
        raise SuiteError(
            "Invalid continuous partition object: the bootstrapped KS test needs "
            "'bins', not categorical 'values' (ValueError)",
            argument=ARG,
        )
    if not all(math.isfinite(b) for b in partition.bins):
        raise SuiteError(
            "Partition endpoints must be finite; replace -Infinity/Infinity with the "
            "lowest/highest values you expect",
            argument=ARG,
        )
    if partition.tail_weights is not None and sum(partition.tail_weights) > 0:
        raise SuiteError(
            "Partition cannot have tail weights -- endpoints must be finite; fold "
            "them into the first and last bins",
            argument=ARG,
        )
    require_numeric(spec, "a KS test")
    bins = list(partition.bins)
    expected_cdf = np.concatenate(([0.0], np.cumsum(partition.weights)))
    threshold = float(spec.get("p", 0.05))
    samples = int(spec.get("bootstrap_samples", 1000))
    sample_size = int(spec.get("bootstrap_sample_size", 2 * len(partition.weights)))

    def cdf(x: Any) -> Any:
        import numpy as np
        return np.interp(x, bins, expected_cdf)

    def judge(m: Mapping[str, Any]) -> tuple[bool, dict[str, Any]]:
        import numpy as np
        data = np.asarray(m["values"] or [], dtype=float)
        if data.size == 0:
            return False, {"observed_value": None}
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        draws = rng.choice(data, size=(samples, sample_size))
        p_values = _stats().kstest(draws, cdf, axis=1).pvalue
        observed = float((1 + np.sum(p_values >= threshold)) / (samples + 1))
        edges, weights = _observed_partition(data, bins)
        details = {
            "bootstrap_samples": samples,
            "bootstrap_sample_size": sample_size,
            "observed_partition": {"bins": edges, "weights": weights},
            "expected_partition": {"bins": bins, "weights": list(partition.weights)},
            "observed_cdf": {"x": edges, "cdf_values": [0.0, *np.cumsum(weights).tolist()]},
            "expected_cdf": {"x": bins, "cdf_values": expected_cdf.tolist()},
        }
        return observed > threshold, {"observed_value": observed, "details": details}

    return aggregate_check(spec, {"values": values_of(spec)}, judge)


def _stats() -> Any:
    """scipy.stats, imported on first use: it costs over a second and most suites never need it."""
    from scipy import stats

    return stats
