"""SGD against the Gaussian-theory ODE from the same initial weights (paper sec. III B).

One :class:`Comparison` fixes the model, the latent distribution (and its standardisation), the
number of SGD runs and the seed. All runs start from the same weights (F, teacher, student), so
their mean is compared with one ODE trajectory started from those weights; runs differ only in the
samples they see. The discrepancy is the tLog-RMSE (lib.measures.metrics) of Q, R and v.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..core import validate
from ..core.cache import cached
from ..core.inputs import make_distribution
from .metrics import tlog_rmse
from ..core.model import Model, init_weights
from ..core.ode import ODEState, integrate_ode
from ..core.sgd import simulate_sgd
from ..core.trajectory import Trajectory, record_steps

METRICS = ("Q", "R", "v")


@dataclass(frozen=True)
class Comparison:
    """One SGD-vs-ODE experiment. ``params`` are the distribution's parameters as (name, value) pairs."""

    model: Model = field(default_factory=Model)
    dist: str = "gaussian"
    params: tuple = ()
    standardize: bool = False
    dist_seed: int = 0          # draws the distribution (e.g. the mixture's means and weights)
    runs: int = 10
    t_max: float = 100.0
    points: int = 40
    seed: int = 0               # draws the weights and the SGD sample streams
    dt: float = 0.01
    test_samples: int = 500

    def __post_init__(self):
        object.__setattr__(self, "params", tuple(sorted(dict(self.params).items())))
        validate.integer("runs", self.runs, 1)
        validate.real("t_max", self.t_max, positive=True)
        validate.real("dt", self.dt, positive=True)

    def distribution(self):
        return make_distribution(self.dist, self.model.D, seed=self.dist_seed, standardize=self.standardize,
                                 **dict(self.params))


@dataclass
class ComparisonResult:
    sgd: Trajectory                 # (runs, times, ...)
    ode: Trajectory                 # (1, times, ...)
    tlog: dict[str, np.ndarray]     # per run and component, e.g. tlog["Q"]: (runs, K, K)

    def tlog_mean(self, name: str) -> float:
        """Component- and run-averaged tLog-RMSE (eq. 20 of 001)."""
        return float(self.tlog[name].mean())

    def scale(self, name: str) -> float:
        """The metric's scale: mean of |x| over components, times and runs (dotted line of Fig. 6)."""
        return float(np.abs(getattr(self.sgd, name)).mean())


def per_run_tlog(sgd: Trajectory, ode: Trajectory, names=METRICS) -> dict[str, np.ndarray]:
    """tLog-RMSE of every SGD run against the (single) ODE trajectory, per component:
    {name: (runs, *components)} for each order parameter in ``names``."""
    return {name: tlog_rmse(sgd.t, getattr(sgd, name), getattr(ode, name), time_axis=1) for name in names}


@cached(version=1)
def ode_reference(model: Model, seed: int, t_max: float, points: int, dt: float) -> Trajectory:
    """The Gaussian-theory ODE from the initial weights ``init_weights(model, seed=seed,
    share_student=True)`` (the same for every input distribution, hence cached on its own)."""
    w = init_weights(model, runs=1, seed=seed, share_student=True)
    t = record_steps(t_max, model.N, points) / model.N
    return integrate_ode(ODEState.from_weights(model, w), model.lr, t_max, dt=dt, times=t)


@cached(version=1)
def compare(c: Comparison, progress: bool = False) -> ComparisonResult:
    """Run ``c.runs`` SGD runs and the ODE from the same initial weights; tLog-RMSE per run."""
    w = init_weights(c.model, runs=c.runs, seed=c.seed, share_student=True)
    sgd = simulate_sgd(c.model, c.distribution(), runs=c.runs, t_max=c.t_max, seed=c.seed, weights=w,
                       points=c.points, test_samples=c.test_samples, progress=progress)
    ode = ode_reference(c.model, c.seed, c.t_max, c.points, c.dt)
    assert np.allclose(ode.t, sgd.t), "SGD and ODE record at different times"
    tlog = per_run_tlog(sgd, ode)
    return ComparisonResult(sgd=sgd, ode=ode, tlog=tlog)

