"""The trajectory object shared by the SGD engine and the ODE integrator.

Both engines record at the same times ``t = steps / N`` (log-spaced, plus t = 0), so two
trajectories can be compared point by point. Arrays are numpy float64 with the run axis first,
then time, then the matrix indices: Q (runs, times, K, K), R (runs, times, K, M),
v (runs, times, K), eg (runs, times). T (runs, M, M) does not change in time.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from . import validate


def record_steps(t_max: float, N: int, points: int = 60, t_min: float = 0.01) -> np.ndarray:
    """Integer SGD steps at which to record: 0 plus ``points`` log-spaced times in [t_min, t_max]
    (in units of t = steps / N), rounded to whole steps, duplicates removed."""
    t_max = validate.real("t_max", t_max, positive=True)
    N = validate.integer("N", N, 1)
    points = validate.integer("points", points, 1)
    t_min = min(validate.real("t_min", t_min, positive=True), t_max)
    ts = np.geomspace(t_min, t_max, points)
    steps = np.unique(np.concatenate([[0], np.round(ts * N).astype(np.int64)]))
    return steps


@dataclass
class Trajectory:
    """Recorded order parameters of one or many runs (run axis first)."""

    t: np.ndarray                       # (times,)
    Q: np.ndarray                       # (runs, times, K, K)
    R: np.ndarray                       # (runs, times, K, M)
    v: np.ndarray                       # (runs, times, K)
    eg: np.ndarray                      # (runs, times): analytic, from the order parameters
    T: np.ndarray                       # (runs, M, M)
    eg_numeric: np.ndarray | None = None   # (runs, times): on a held-out test set
    Omega: np.ndarray | None = None        # (runs, times, K, K)
    Sigma: np.ndarray | None = None        # (runs, times, K, K)
    Q_emp: np.ndarray | None = None        # (runs, times, K, K) empirical preactivation covariance
    R_emp: np.ndarray | None = None        # (runs, times, K, M)
    meta: dict = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return self.Q.shape[0]

    def _map_runs(self, fn) -> "Trajectory":
        out = {}
        for fld in fields(self):
            x = getattr(self, fld.name)
            out[fld.name] = fn(x) if isinstance(x, np.ndarray) and fld.name != "t" else x
        return Trajectory(**out)

    def mean(self) -> "Trajectory":
        """Average over runs (keeps a run axis of length 1)."""
        return self._map_runs(lambda x: x.mean(axis=0, keepdims=True))

    def std(self) -> "Trajectory":
        """Standard deviation over runs (run axis of length 1)."""
        return self._map_runs(lambda x: x.std(axis=0, keepdims=True))

    def select(self, runs) -> "Trajectory":
        """A subset of runs (an index, slice or list), keeping the run axis."""
        idx = [runs] if isinstance(runs, (int, np.integer)) else runs
        return self._map_runs(lambda x: x[idx])

    def with_meta(self, **meta) -> "Trajectory":
        return replace(self, meta={**self.meta, **meta})

    def save(self, path: str | Path) -> None:
        arrays = {f.name: getattr(self, f.name) for f in fields(self)
                  if isinstance(getattr(self, f.name), np.ndarray)}
        np.savez_compressed(path, **arrays, meta=np.array(repr(self.meta)))

    @classmethod
    def load(cls, path: str | Path) -> "Trajectory":
        import ast

        with np.load(path, allow_pickle=False) as data:
            kwargs = {k: data[k] for k in data.files if k != "meta"}
            meta = ast.literal_eval(str(data["meta"])) if "meta" in data.files else {}
        return cls(**kwargs, meta=meta)
