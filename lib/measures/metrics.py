"""tLog-RMSE: the distance between an ODE trajectory and an SGD trajectory (eqs. 18 and 20 of 001).

The printed eq. 18 is garbled (the square root sits inside the sum, over a difference of squares).
The definition used throughout the book, which is what the text around it describes:

    M(a, b) = sqrt( (1/T) sum_{tau in tau_log} (a(tau) - b(tau))^2 )

per component (e.g. per Q_kl), where tau_log are T log-spaced times with tau > 0: by default every
recorded time t > 0 (the recording grid is already log-spaced), or, with ``points = T``, the recorded
times nearest (in log t) to T log-spaced targets between the first positive and the last time.
t = 0 is excluded: both dynamics start from the same weights. The component average (eq. 20),
M(Q) = mean_{k,l} M(Q_kl), is :func:`tlog_rmse_mean`.
"""
from __future__ import annotations

import numpy as np

from ..core import validate
from ..core.validate import ParameterError


def _numpy(name, x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def log_time_indices(t, points: int | None = None) -> np.ndarray:
    """Indices into t of the log-sampled times: all t > 0, or the nearest (in log t) to ``points`` targets."""
    t = _numpy("t", t)
    if t.ndim != 1 or t.size < 1 or not np.all(np.isfinite(t)):
        raise ParameterError(f"t must be a 1-d array of finite times, got shape {t.shape}")
    if np.any(np.diff(t) <= 0):
        raise ParameterError("t must be strictly increasing")
    positive = np.flatnonzero(t > 0)
    if positive.size == 0:
        raise ParameterError("t has no time > 0 to compare")
    if points is None:
        return positive
    points = validate.integer("points", points, minimum=1)
    logt = np.log(t[positive])
    targets = np.linspace(logt[0], logt[-1], points)
    nearest = np.abs(logt[None, :] - targets[:, None]).argmin(axis=1)
    return positive[np.unique(nearest)]


def _time_axis(shape: tuple, nt: int, time_axis: int | None) -> int:
    if time_axis is not None:
        ax = validate.integer("time_axis", time_axis)
        ax = ax + len(shape) if ax < 0 else ax
        if not 0 <= ax < len(shape) or shape[ax] != nt:
            raise ParameterError(f"time_axis={time_axis}: the arrays' shape {shape} has no axis of len(t)={nt} there")
        return ax
    matches = [i for i, s in enumerate(shape) if s == nt]
    if len(matches) != 1:
        raise ParameterError(f"cannot tell the time axis of shape {shape} from len(t)={nt}; pass time_axis")
    return matches[0]


def tlog_rmse(t, a, b, points: int | None = None, time_axis: int | None = None) -> np.ndarray:
    """tLog-RMSE per component (eq. 18 of 001, as defined in the module docstring).

    t: recorded times, (T_rec,), strictly increasing, t[0] may be 0 (excluded).
    a, b: trajectories (..., T_rec, *components), broadcastable to a common shape (e.g. an ODE trajectory
    (T_rec, K, K) against SGD runs (runs, T_rec, K, K)). ``time_axis`` defaults to the only axis of
    length T_rec. Returns the common shape with the time axis removed: (..., *components).
    """
    t = _numpy("t", t)
    a, b = _numpy("a", a), _numpy("b", b)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ParameterError(f"a has shape {a.shape} and b {b.shape}: they do not broadcast") from None
    ax = _time_axis(shape, t.size, time_axis)
    idx = log_time_indices(t, points)
    diff = np.take(np.broadcast_to(a, shape), idx, axis=ax) - np.take(np.broadcast_to(b, shape), idx, axis=ax)
    if not np.all(np.isfinite(diff)):
        raise ParameterError("a or b holds NaN or inf at the compared times (a diverged run?)")
    return np.sqrt(np.mean(diff**2, axis=ax))


def tlog_rmse_mean(t, a, b, points: int | None = None, time_axis: int | None = None) -> np.ndarray:
    """Component-averaged tLog-RMSE (eq. 20 of 001): mean of :func:`tlog_rmse` over every axis after the
    time axis, e.g. M(Q) = mean_{k,l} M(Q_kl). Returns the leading shape (e.g. per run), or a scalar."""
    t, a, b = _numpy("t", t), _numpy("a", a), _numpy("b", b)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ParameterError(f"a has shape {a.shape} and b {b.shape}: they do not broadcast") from None
    ax = _time_axis(shape, t.size, time_axis)
    per = tlog_rmse(t, a, b, points, ax)
    comp_axes = tuple(range(ax, per.ndim))
    return per.mean(axis=comp_axes) if comp_axes else per
