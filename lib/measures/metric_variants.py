"""Variants of the tLog metric, to test readings of the paper's garbled eq. 18 (001) against its Tables I/II.

The book's metric (:mod:`lib.measures.metrics`) is the root-mean-square difference over log-spaced times.
The printed eq. 18 of the first version has the square root inside the time average, over a difference of
squares; read literally it is

    M_eq18(x, x_hat) = (1/T) sum_tau sqrt(|x(tau)^2 - x_hat(tau)^2|),

which is not a distance of the same order as x - x_hat: for a component of size |x| it behaves like
sqrt(2 |x| |x - x_hat|), the square root of a small number. The variants here, per component, over the
times ``idx`` (indices into the recorded times t; default every t > 0):

    "rmse"        sqrt(mean_tau (x - x_hat)^2)                      (the book's metric, eq. 18 as described)
    "eq18"        mean_tau sqrt(|x^2 - x_hat^2|)                    (eq. 18 as printed)
    "mae"         mean_tau |x - x_hat|
    "sqrt_mean"   sqrt(mean_tau |x^2 - x_hat^2|)
    "relative"    rmse / mean_tau |x_hat|                            (an error relative to the size of x)

The RMSE of the *run mean* (the mean over SGD runs compared with the ODE) is "rmse" applied to
``a.mean(axis=0)``: :func:`run_mean_rmse`. :func:`time_indices` builds the alternative time grids (number
of log-spaced points, first time, t = 0 included or not).

Arrays: ``a`` and ``b`` broadcast to (..., T_rec, *components) with the time axis given by ``time_axis``;
results drop that axis.
"""
from __future__ import annotations

import numpy as np

from ..core import validate
from ..core.validate import ParameterError
from .metrics import log_time_indices

VARIANTS = ("rmse", "eq18", "mae", "sqrt_mean", "relative")
DESCRIPTIONS = {
    "rmse": "RMSE over log-times (the book's metric)",
    "eq18": "eq. 18 as printed: mean over log-times of sqrt|x^2 - x_hat^2|",
    "mae": "mean absolute error over log-times",
    "sqrt_mean": "sqrt of the mean over log-times of |x^2 - x_hat^2|",
    "relative": "RMSE relative to the mean |x| of the component",
}


def time_indices(t, points: int | None = None, t_first: float | None = None, include_zero: bool = False) -> np.ndarray:
    """Indices into the recorded times ``t`` of an alternative time grid: the times t >= ``t_first`` (default:
    every t > 0), thinned to the nearest (in log t) of ``points`` log-spaced targets when given, with the index
    of t = 0 prepended when ``include_zero`` (t[0] must then be 0)."""
    t = np.asarray(t, dtype=float)
    idx = log_time_indices(t, points)
    if t_first is not None:
        t_first = validate.real("t_first", t_first, positive=True)
        keep = t[log_time_indices(t)] >= t_first * (1 - 1e-9)
        sub = log_time_indices(t)[keep]
        if sub.size == 0:
            raise ParameterError(f"t_first={t_first} is after the last recorded time {t[-1]}")
        if points is not None:
            logt = np.log(t[sub])
            targets = np.linspace(logt[0], logt[-1], validate.integer("points", points, 1))
            sub = sub[np.unique(np.abs(logt[None, :] - targets[:, None]).argmin(axis=1))]
        idx = sub
    if include_zero:
        if t[0] != 0:
            raise ParameterError("include_zero needs t[0] = 0")
        idx = np.concatenate([[0], idx])
    return idx


def _take(t, a, b, time_axis: int, idx) -> tuple[np.ndarray, np.ndarray, int]:
    t = np.asarray(t, dtype=float)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ParameterError(f"a has shape {a.shape} and b {b.shape}: they do not broadcast") from None
    ax = time_axis + len(shape) if time_axis < 0 else time_axis
    if not 0 <= ax < len(shape) or shape[ax] != t.size:
        raise ParameterError(f"time_axis={time_axis}: shape {shape} has no axis of len(t)={t.size} there")
    idx = log_time_indices(t) if idx is None else np.asarray(idx, dtype=int)
    x = np.take(np.broadcast_to(a, shape), idx, axis=ax)
    y = np.take(np.broadcast_to(b, shape), idx, axis=ax)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ParameterError("a or b holds NaN or inf at the compared times")
    return x, y, ax


def variant(name: str, t, a, b, *, time_axis: int = 1, idx=None) -> np.ndarray:
    """Metric variant ``name`` (one of :data:`VARIANTS`, see the module docstring) between ``a`` (e.g. SGD runs,
    (runs, T_rec, *comps)) and ``b`` (e.g. the ODE, (1, T_rec, *comps)), per component, over the times ``idx``."""
    validate.choice("name", name, VARIANTS)
    x, y, ax = _take(t, a, b, time_axis, idx)
    if name == "rmse":
        return np.sqrt(np.mean((x - y) ** 2, axis=ax))
    if name == "eq18":
        return np.mean(np.sqrt(np.abs(x**2 - y**2)), axis=ax)
    if name == "mae":
        return np.mean(np.abs(x - y), axis=ax)
    if name == "sqrt_mean":
        return np.sqrt(np.mean(np.abs(x**2 - y**2), axis=ax))
    scale = np.mean(np.abs(y), axis=ax)
    return np.sqrt(np.mean((x - y) ** 2, axis=ax)) / np.where(scale > 0, scale, np.nan)


def run_mean_rmse(t, a, b, *, idx=None) -> np.ndarray:
    """RMSE over log-times between the mean over runs of ``a`` (runs, T_rec, *comps) and ``b`` (1 or runs,
    T_rec, *comps): (*comps,). The finite-N noise of one run is divided by sqrt(runs) here."""
    a = np.asarray(a, dtype=float)
    return variant("rmse", t, a.mean(axis=0, keepdims=True), b, time_axis=1, idx=idx)[0]
