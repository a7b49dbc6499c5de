"""How far a set of laws sits above the Gaussian floor, over metrics, seeds and sizes (Section V studies).

Works on the :class:`lib.studies.universality.FloorTest` objects of one experiment (one per order parameter).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..core import validate
from ..core.validate import ParameterError


def family_t(level: float, n_tests: int, dof: int) -> float:
    """Critical t that holds the one-sided ``level`` for ``n_tests`` tests together (Bonferroni: the Student
    quantile at level / n_tests with ``dof`` degrees of freedom)."""
    level = validate.real("level", level, positive=True, maximum=0.5)
    n_tests = validate.integer("n_tests", n_tests, 1)
    return float(stats.t.isf(level / n_tests, validate.integer("dof", dof, 1)))


def log_ratios(tests: dict, laws) -> dict[str, np.ndarray]:
    """law -> log(tLog-RMSE / floor) for each metric of ``tests`` (metric -> FloorTest), in their order."""
    return {x: np.log([t.ratio(x) for t in tests.values()]) for x in laws}


def mean_log_ratio(tests: dict, laws) -> float:
    """Mean over laws and metrics of the log-ratio to the floor (its exp is the geometric mean ratio)."""
    return float(np.mean(list(log_ratios(tests, laws).values())))


def largest_t(tests: dict, laws) -> tuple[float, str, str]:
    """(t, law, metric) of the largest excess over the floor among ``laws`` and the metrics of ``tests``."""
    return max((t.t[x], x, name) for name, t in tests.items() for x in laws)


@dataclass(frozen=True)
class SizeTrend:
    """Mean log-ratio per (N, seed) summarised over seeds and fitted against log N.

    ``geo`` / ``geo_se``: N -> geometric mean ratio over seeds and the standard error of its log (scatter
    between seeds); ``slope``, ``slope_se``: least-squares slope of the log-ratio against log N over every
    (N, seed) value; ``pred_slope``: the slope the same fit gives for a log-ratio that falls like 1/N from
    its mean value at the smallest N (a bias of order 1/D beside fluctuations of order N^-1/2)."""

    Ns: tuple
    geo: dict
    geo_se: dict
    slope: float
    slope_se: float
    pred_slope: float

    def predicted(self, n: int) -> float:
        """Geometric mean ratio at ``n`` under the 1/N decay from the smallest N."""
        return float(self.geo[self.Ns[0]] ** (self.Ns[0] / n))


def size_trend(seed_logs: dict) -> SizeTrend:
    """:class:`SizeTrend` from ``{(N, seed): mean log-ratio}`` (at least two sizes)."""
    Ns = tuple(sorted({n for n, _ in seed_logs}))
    if len(Ns) < 2:
        raise ParameterError(f"a trend with N needs at least two sizes, got {list(Ns)}")
    per_N = {n: np.array([v for (m, _), v in seed_logs.items() if m == n]) for n in Ns}
    geo = {n: float(np.exp(v.mean())) for n, v in per_N.items()}
    geo_se = {n: float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan") for n, v in per_N.items()}
    x = np.log(np.array([n for n, _ in seed_logs], dtype=float))
    fit = stats.linregress(x, list(seed_logs.values()))
    pred = stats.linregress(x, np.log(geo[Ns[0]]) * Ns[0] / np.exp(x)).slope
    return SizeTrend(Ns, geo, geo_se, float(fit.slope), float(fit.stderr), float(pred))
