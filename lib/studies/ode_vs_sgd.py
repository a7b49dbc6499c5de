"""The ODE against SGD under Gaussian inputs: the small studies behind the ODE chapter (notebooks/02b_ode.py).

One *cell* (:func:`gaussian_cell`) runs online SGD under C ~ N(0, I_D) from weights shared by all its
runs and integrates the ODE (lib.core.ode, eqs. S41-S48) from the same weights, as lib.measures.compare does, but
with second layers v, v~ that do not change with N (:func:`study_weights`), so that cells at different
N describe the same macroscopic initial condition. The difference between a run and the ODE is then
the finite-N noise of online SGD (and the O(1/N) corrections the ODE drops).

* :func:`convergence` sweeps N at fixed D/N over a few initial conditions and keeps, per N, initial
  condition and run, the component-averaged tLog-RMSE (eq. 20 of 001, lib.measures.metrics) of Q, R and v
  against the ODE; :func:`fit_power_law` fits gap ~ A N^s to it. The fluctuations of a run's order
  parameters about their mean are O(N^-1/2), so the theory expects s = -1/2.
* :func:`initial_gap` checks that ODE and SGD share t = 0 (the projection on the eigenvectors of
  F F^T / N, eqs. S32-S33, is a rotation).
* :func:`conventions` measures how much two integration conventions move the ODE: the exact
  per-eigenvector teacher term against the reference code's constant T~ (``teacher_source``), and
  forward Euler against RK4.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..core import validate
from ..core.cache import cached
from ..measures.compare import METRICS, ComparisonResult, per_run_tlog
from ..core.functions import ACTIVATIONS, FOLDS
from ..core.inputs import make_distribution
from ..measures.metrics import tlog_rmse
from ..core.model import Model, Weights, init_weights
from ..core.ode import ODEState, integrate_ode
from ..core.order_params import order_parameters
from ..core.sgd import simulate_sgd
from ..core.trajectory import Trajectory, record_steps


def component_names(name: str, K: int, M: int) -> list[str]:
    """Labels of the components of Q (K x K), R (K x M) or v (K), row-major: 'Q00', 'Q01', ..."""
    validate.choice("name", name, METRICS)
    if name == "v":
        return [f"v{k}" for k in range(K)]
    cols = K if name == "Q" else M
    return [f"{name}{k}{l}" for k in range(K) for l in range(cols)]


def tlog_of_mean(result: ComparisonResult) -> dict[str, np.ndarray]:
    """tLog-RMSE per component between the mean of the SGD runs and the ODE: Q (K, K), R (K, M), v (K,)."""
    mean = result.sgd.mean()
    return {n: tlog_rmse(result.sgd.t, getattr(mean, n)[0], getattr(result.ode, n)[0], time_axis=0) for n in METRICS}


def floor_components(row, K: int, M: int) -> dict[str, np.ndarray]:
    """A row of the paper's Tables I-II (Q00, Q01, Q10, Q11, R00, R01, R10, R11, v0, v1, for K = M = 2)
    as arrays shaped like the per-component tLog-RMSE: Q (K, K), R (K, M), v (K,). For other K, M (no
    table exists) every entry is the mean of the row's entries of that order parameter."""
    row = np.asarray(row, dtype=float)
    if row.shape != (10,):
        raise validate.ParameterError(f"row must hold the 10 entries Q00..v1, got shape {row.shape}")
    K, M = validate.integer("K", K, 1), validate.integer("M", M, 1)
    parts = {"Q": row[:4].reshape(2, 2), "R": row[4:8].reshape(2, 2), "v": row[8:]}
    if (K, M) == (2, 2):
        return parts
    shapes = {"Q": (K, K), "R": (K, M), "v": (K,)}
    return {n: np.full(shapes[n], parts[n].mean()) for n in METRICS}


# ------------------------------------------------------------------------------------------------
# Initial conditions that do not depend on N, and one SGD-vs-ODE cell
# ------------------------------------------------------------------------------------------------
SECOND_LAYER_STREAM = 7919       # generator offset of the N-independent second layers (any fixed number)


def study_weights(model: Model, runs: int, seed: int) -> Weights:
    """Initial weights of the studies here: ``init_weights(model, runs, seed, share_student=True)``
    (F, W, W~ i.i.d. N(0, 1), the same for every run) with the second layers v (K,) and v~ (M,)
    replaced by an N(0, 1) draw that depends on ``seed``, K and M only.

    Why: v and v~ are O(1) numbers that set the speed and size of the whole dynamics (the first-layer
    gradient is proportional to v_k). Drawn together with F, W, W~ they would change at random from one
    N to the next, and so would the size of the SGD-ODE gap, hiding its dependence on N. With v, v~
    fixed, the macroscopic initial condition (Q, R, T, v, v~ at t = 0) converges as N grows.
    Shapes as in :class:`lib.core.model.Weights` (run axis first).
    """
    runs = validate.integer("runs", runs, 1)
    seed = validate.integer("seed", seed, 0)
    w = init_weights(model, runs=runs, seed=seed, share_student=True)
    gen = torch.Generator().manual_seed(SECOND_LAYER_STREAM + seed)
    v = torch.randn(model.K, generator=gen, dtype=torch.float64)
    v_t = torch.randn(model.M, generator=gen, dtype=torch.float64)
    return Weights(w.F, w.W, v.expand(runs, -1).clone(), w.W_t, v_t.expand(runs, -1).clone())


@cached(version=1)
def gaussian_cell(model: Model, seed: int, runs: int, t_max: float, points: int = 40, dt: float = 0.01,
                  sgd_dtype: str = "float32", progress: bool = False) -> ComparisonResult:
    """``runs`` SGD runs under C ~ N(0, I_D) from :func:`study_weights` (runs differ only in their
    samples) and the ODE (forward Euler, ``dt``) from the same weights, recorded at the same times;
    ``tlog`` holds the per-run tLog-RMSE per component (runs, K, K) / (runs, K, M) / (runs, K)."""
    validate.choice("sgd_dtype", sgd_dtype, ("float32", "float64"))
    w = study_weights(model, runs, seed)
    sgd = simulate_sgd(model, make_distribution("gaussian", model.D, seed=0), runs=runs, t_max=t_max, seed=seed,
                       weights=w, points=points, test_samples=0, dtype=getattr(torch, sgd_dtype), progress=progress)
    first = Weights(w.F, w.W[:1], w.v[:1], w.W_t[:1], w.v_t[:1])
    ode = integrate_ode(ODEState.from_weights(model, first), model.lr, t_max, dt=dt, times=sgd.t)
    return ComparisonResult(sgd=sgd, ode=ode, tlog=per_run_tlog(sgd, ode))


def initial_gap(model: Model, seed: int, result: ComparisonResult) -> dict[str, float]:
    """Largest |difference| at t = 0 between ``result.ode`` and the order parameters (float64) of the
    weights :func:`study_weights` gives every SGD run, per order parameter ("Q", "R", "v"), and the same
    for the SGD recorder's t = 0 values (keys "sgd_Q", ...; the recorder computes in the SGD's dtype)."""
    w = study_weights(model, result.sgd.runs, seed)
    op = order_parameters(model, w)
    exact = {"Q": op["Q"].numpy(), "R": op["R"].numpy(), "v": w.v.numpy()}
    if result.ode.t[0] != 0 or result.sgd.t[0] != 0:
        raise validate.ParameterError("the trajectories do not start at t = 0")
    out = {}
    for n in METRICS:
        out[n] = float(np.abs(getattr(result.ode, n)[:, 0] - exact[n]).max())
        out[f"sgd_{n}"] = float(np.abs(getattr(result.sgd, n)[:, 0] - exact[n]).max())
    return out


# ------------------------------------------------------------------------------------------------
# Convergence with N at fixed D / N
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvergenceStudy:
    """One :func:`gaussian_cell` per N in ``N_values`` (D = round(ratio N)) and per initial condition
    ``seed, ..., seed + seeds - 1``, everything else fixed."""

    g: str = "erf"                                   # activation of teacher and student
    N_values: tuple = (250, 500, 1000, 2000)         # input dimensions
    ratio: float = 0.5                               # D / N
    K: int = 2
    M: int = 2
    lr: float = 0.2
    f: str = "sgn"
    seeds: int = 3                                   # initial conditions per N
    runs: int = 2                                    # SGD runs per initial condition
    t_max: float = 10.0
    points: int = 40                                 # recorded log-spaced times
    seed: int = 0
    dt: float = 0.01                                 # Euler step of the ODE

    def __post_init__(self):
        validate.choice("g", self.g, ACTIVATIONS)
        validate.choice("f", self.f, FOLDS)
        Ns = tuple(validate.integer("N_values", n, 2) for n in self.N_values)
        if len(Ns) < 2 or len(set(Ns)) != len(Ns):
            raise validate.ParameterError(f"N_values={self.N_values!r}: need at least two distinct sizes")
        object.__setattr__(self, "N_values", tuple(sorted(Ns)))
        validate.real("ratio", self.ratio, positive=True)
        validate.integer("seeds", self.seeds, 1)
        validate.integer("runs", self.runs, 1)
        if len(Ns) * self.seeds - self.seeds - 1 < 1:
            raise validate.ParameterError("too few sizes and seeds to fit a slope with an error")
        validate.real("t_max", self.t_max, positive=True)
        validate.integer("points", self.points, 2)
        validate.integer("seed", self.seed, 0)
        for N in Ns:
            self.model(N)                                # validates D = round(ratio N) >= 1, K, M, lr

    def model(self, N: int) -> Model:
        D = int(round(self.ratio * N))
        if D < 1:
            raise validate.ParameterError(f"ratio={self.ratio} gives D = {D} at N = {N}")
        return Model(N=N, D=D, K=self.K, M=self.M, lr=self.lr, f=self.f, g=self.g)


@dataclass(frozen=True)
class PowerLaw:
    """gap = exp(intercept) N^slope, fitted by least squares in log-log; ``stderr`` is the slope's
    standard error from the residual scatter (``dof`` degrees of freedom). With several groups
    (initial conditions) each has its own intercept; ``intercept`` is their mean."""

    slope: float
    intercept: float
    stderr: float
    dof: int

    def __call__(self, N) -> np.ndarray:
        return np.exp(self.intercept) * np.asarray(N, dtype=float) ** self.slope


def fit_power_law(N, gaps) -> PowerLaw:
    """Least-squares fit of log gap = intercept_j + slope log N.

    N (n,); gaps (n,) (one group) or (n, S): column j is group j (an initial condition) with its own
    intercept, all sharing the slope. The slope's standard error comes from the residuals with
    n S - S - 1 degrees of freedom, which must be at least 1.
    """
    N = np.asarray(N, dtype=float)
    gaps = np.asarray(gaps, dtype=float)
    if N.ndim != 1 or N.size < 2 or np.any(N <= 0):
        raise validate.ParameterError("N must be a 1-d array of at least two positive sizes")
    if gaps.ndim == 1:
        gaps = gaps[:, None]
    if gaps.ndim != 2 or gaps.shape[0] != N.size:
        raise validate.ParameterError(f"gaps must have shape ({N.size},) or ({N.size}, groups), got {gaps.shape}")
    if not np.all(np.isfinite(gaps)) or np.any(gaps <= 0):
        raise validate.ParameterError("gaps must be finite and positive")
    S = gaps.shape[1]
    dof = N.size * S - S - 1
    if dof < 1:
        raise validate.ParameterError("a slope with an error needs more observations than parameters")
    x = np.broadcast_to((np.log(N) - np.log(N).mean())[:, None], gaps.shape)
    y = np.log(gaps)
    yc = y - y.mean(axis=0)
    slope = float((x * yc).sum() / (x * x).sum())
    resid = yc - slope * x
    stderr = float(np.sqrt((resid * resid).sum() / dof / (x * x).sum()))
    intercept = float((y.mean(axis=0) - slope * np.log(N).mean()).mean())
    return PowerLaw(slope=slope, intercept=intercept, stderr=stderr, dof=dof)


@dataclass
class ConvergenceResult:
    """Summaries of a :class:`ConvergenceStudy`; n = len(N_values), S = seeds, R = runs.

    per_run[name] (n, S, R): component-averaged tLog-RMSE of each run against the ODE (eq. 20), for
    name in "Q", "R", "v"; of_mean[name] (n, S): the same for the mean of the runs of an initial
    condition; scale[name] (n, S): mean |x| of the SGD runs (the metric's scale).
    """

    study: ConvergenceStudy
    N: np.ndarray
    D: np.ndarray
    per_run: dict
    of_mean: dict
    scale: dict

    def gap(self, name: str) -> np.ndarray:
        """Per-run gap of ``name`` averaged over the runs of each initial condition, (n, S); for
        name = "all", the geometric mean of those of Q, R and v."""
        if name == "all":
            return np.exp(np.mean([np.log(self.gap(n)) for n in METRICS], axis=0))
        validate.choice("name", name, METRICS + ("all",))
        return self.per_run[name].mean(axis=-1)

    def fit(self, name: str) -> PowerLaw:
        """Power law over N of :meth:`gap` (one intercept per initial condition)."""
        return fit_power_law(self.N, self.gap(name))


def convergence(study: ConvergenceStudy, progress: bool = False) -> ConvergenceResult:
    """Run the study's cells (each cached by :func:`gaussian_cell`) and summarise them."""
    per_run = {n: np.zeros((len(study.N_values), study.seeds, study.runs)) for n in METRICS}
    of_mean = {n: np.zeros((len(study.N_values), study.seeds)) for n in METRICS}
    scale = {n: np.zeros((len(study.N_values), study.seeds)) for n in METRICS}
    for i, N in enumerate(study.N_values):
        for j in range(study.seeds):
            res = gaussian_cell(study.model(N), study.seed + j, study.runs, study.t_max, study.points, study.dt,
                                progress=progress)
            mean_tl = tlog_of_mean(res)
            for n in METRICS:
                per_run[n][i, j] = res.tlog[n].reshape(study.runs, -1).mean(axis=1)
                of_mean[n][i, j] = mean_tl[n].mean()
                scale[n][i, j] = res.scale(n)
    return ConvergenceResult(study=study, N=np.array(study.N_values),
                             D=np.array([study.model(N).D for N in study.N_values]),
                             per_run=per_run, of_mean=of_mean, scale=scale)


# ------------------------------------------------------------------------------------------------
# t = 0 and integration conventions
# ------------------------------------------------------------------------------------------------
@cached(version=1)
def conventions(model: Model, seed: int, t_max: float, points: int = 40, dt: float = 0.01,
                rk4_dt: float = 0.02) -> dict[str, Trajectory]:
    """The ODE from ``study_weights(model, 1, seed)`` under the two alternatives to the book's
    convention (exact per-eigenvector teacher term, forward Euler with ``dt``, as in
    :func:`gaussian_cell`): "tilde", the constant T~ of the reference code in the teacher term of
    S41 (Euler with ``dt``), and "rk4", the exact teacher term integrated by RK4 with ``rk4_dt``.
    Recorded at the SGD recorder's times for (t_max, N, points)."""
    dt = validate.real("dt", dt, positive=True)
    rk4_dt = validate.real("rk4_dt", rk4_dt, positive=True)
    w = study_weights(model, 1, seed)
    t = record_steps(t_max, model.N, points) / model.N
    run = lambda source, method, step: integrate_ode(ODEState.from_weights(model, w, teacher_source=source),
                                                     model.lr, t_max, dt=step, method=method, times=t)
    return {"tilde": run("tilde", "euler", dt), "rk4": run("tau", "rk4", rk4_dt)}


def convention_gaps(book: Trajectory, others: dict[str, Trajectory]) -> dict[str, dict[str, float]]:
    """Component-averaged tLog-RMSE of each trajectory of ``others`` (e.g. :func:`conventions`)
    against ``book`` (one ODE trajectory at the same times), {key: {"Q": ., "R": ., "v": .}}."""
    out = {}
    for key, tr in others.items():
        if not np.allclose(tr.t, book.t):
            raise validate.ParameterError(f"trajectory {key!r} is recorded at other times than the book's ODE")
        out[key] = {n: float(tlog_rmse(book.t, getattr(tr, n)[0], getattr(book, n)[0], time_axis=0).mean())
                    for n in METRICS}
    return out


# ------------------------------------------------------------------------------------------------
# The chapter: its expensive calls, and the summaries its prose, tables and checks read
# ------------------------------------------------------------------------------------------------
PARAMETERS = ("activations", "f", "N", "D", "K", "M", "lr", "runs", "t_max", "example_seed", "N_values", "ratio",
              "seeds", "conv_runs", "conv_t_max", "seed", "points", "dt", "rk4_dt")
"""Names of the chapter's parameters cell that its results depend on (``results_from`` only says where
they come from)."""


@dataclass
class ChapterData:
    """Everything notebooks/02b_ode.py computes, per activation g: the models of the comparison, one
    :func:`gaussian_cell` (``cells``), the two alternative conventions (:func:`conventions`) and the
    convergence sweep (:class:`ConvergenceStudy`, :func:`convergence`). ``p``: the parameters used."""

    p: dict
    models: dict
    studies: dict
    cells: dict
    conventions: dict
    convergence: dict

    @property
    def activations(self) -> list[str]:
        return list(self.p["activations"])


def chapter_data(p, progress: bool = False) -> ChapterData:
    """Make the chapter's cached calls, in its order (every cell, then the conventions, then the
    convergence sweep of each activation), and return their results.

    ``p``: a mapping holding the names of the chapter's parameters cell (:data:`PARAMETERS`), such as the
    chapter's ``globals()`` or ``lib.pipeline.paper.chapter_parameters("02b_ode")``; other keys are
    ignored. ``progress`` shows the SGD engine's progress bars (not part of any cache key)."""
    missing = [name for name in PARAMETERS if name not in p]
    if missing:
        raise validate.ParameterError(f"missing parameter(s) of 02b_ode: {', '.join(missing)}")
    p = {name: p[name] for name in PARAMETERS}
    activations = p["activations"]
    if len(set(activations)) != len(activations) or not activations:
        raise validate.ParameterError(f"activations={activations!r} must be a non-empty list without repeats")
    models = {g: Model(N=p["N"], D=p["D"], K=p["K"], M=p["M"], lr=p["lr"], f=p["f"], g=g) for g in activations}
    studies = {g: ConvergenceStudy(g=g, N_values=tuple(p["N_values"]), ratio=p["ratio"], K=p["K"], M=p["M"],
                                   lr=p["lr"], f=p["f"], seeds=p["seeds"], runs=p["conv_runs"],
                                   t_max=p["conv_t_max"], points=p["points"], seed=p["seed"], dt=p["dt"])
               for g in activations}
    cells = {g: gaussian_cell(models[g], p["example_seed"], p["runs"], p["t_max"], p["points"], p["dt"],
                              progress=progress) for g in activations}
    conv = {g: conventions(models[g], p["example_seed"], p["t_max"], p["points"], p["dt"], p["rk4_dt"])
            for g in activations}
    sweeps = {g: convergence(studies[g], progress=progress) for g in activations}
    return ChapterData(p=p, models=models, studies=studies, cells=cells, conventions=conv, convergence=sweeps)


def chapter_results(p: dict) -> None:
    """Compute the chapter's results into the cache without plotting: exactly the cached calls that
    notebooks/02b_ode.py makes for the parameters ``p`` (see :func:`chapter_data`, which the chapter
    calls). Needs only torch, numpy, scipy and tqdm, so that a bare GPU machine can fill the cache for the
    paper profile, ``chapter_results(lib.pipeline.paper.chapter_parameters("02b_ode"))``."""
    chapter_data(p, progress=True)


def start_gaps(data: ChapterData) -> tuple[dict, float, float]:
    """(per activation :func:`initial_gap`, largest ODE gap, largest SGD-record gap) at t = 0 over the
    activations and Q, R, v."""
    t0 = {g: initial_gap(data.models[g], data.p["example_seed"], data.cells[g]) for g in data.activations}
    t0_ode = max(t0[g][n] for g in data.activations for n in METRICS)
    t0_sgd = max(t0[g][f"sgd_{n}"] for g in data.activations for n in METRICS)
    return t0, t0_ode, t0_sgd


@dataclass
class ConventionSummary:
    """Per activation g: ``gaps[g][key][name]``, the component-averaged tLog-RMSE of the constant-T~ ODE
    (key "tilde") and of RK4 ("rk4") against the book's ODE (:func:`convention_gaps`), and
    ``sgd[g][name]``, the run- and component-averaged SGD-vs-ODE gap, for name in Q, R, v."""

    gaps: dict
    sgd: dict
    dt: float
    rk4_dt: float

    def ratio(self, key: str) -> float:
        """Largest ratio of a convention's gap to the SGD gap over activations and Q, R, v."""
        return max(self.gaps[g][key][n] / self.sgd[g][n] for g in self.gaps for n in METRICS)

    def markdown(self) -> str:
        lines = ["| $g$ | difference | $Q$ | $R$ | $v$ |", "|---|---|---|---|---|"]
        for g in self.gaps:
            lines.append(f"| {g} | constant $\\tilde T$ vs exact teacher term | "
                         + " | ".join(f"{self.gaps[g]['tilde'][n]:.1e}" for n in METRICS) + " |")
            lines.append(f"| {g} | RK4 ($dt$ = {self.rk4_dt:g}) vs Euler ($dt$ = {self.dt:g}) | "
                         + " | ".join(f"{self.gaps[g]['rk4'][n]:.1e}" for n in METRICS) + " |")
            lines.append(f"| {g} | *per-run SGD vs ODE, for scale* | "
                         + " | ".join(f"{self.sgd[g][n]:.1e}" for n in METRICS) + " |")
        return "\n".join(lines)


def convention_summary(data: ChapterData) -> ConventionSummary:
    """The convention table of the chapter from its cells and conventions."""
    gaps = {g: convention_gaps(data.cells[g].ode, data.conventions[g]) for g in data.activations}
    sgd = {g: {n: data.cells[g].tlog_mean(n) for n in METRICS} for g in data.activations}
    return ConventionSummary(gaps=gaps, sgd=sgd, dt=data.p["dt"], rk4_dt=data.p["rk4_dt"])


def _flat(d: dict) -> np.ndarray:
    return np.concatenate([np.ravel(d[n]) for n in METRICS])


@dataclass
class FloorSummary:
    """Per activation g and name in Q, R, v, per component: ``per_run`` (the per-run SGD-vs-ODE
    tLog-RMSE averaged over runs), ``of_mean`` (:func:`tlog_of_mean`) and ``floors``, the paper's
    alpha = 0 row of its Table I (erf) or II (ReLU) (:func:`floor_components`)."""

    K: int
    M: int
    per_run: dict
    of_mean: dict
    floors: dict
    per_run_se: dict = None     # standard error over runs of ``per_run``, same layout

    def level_z(self, g: str) -> float:
        """Largest distance over components between the paper's floor and our per-run gap, in standard errors
        of our mean over runs (the band of a two-sided level check)."""
        return float(np.max(np.abs(_flat(self.per_run[g]) - _flat(self.floors[g])) / _flat(self.per_run_se[g])))

    def floor_ratio(self, g: str) -> float:
        """Largest ratio over components of the mean-of-runs gap to the paper's floor."""
        return float(np.max(_flat(self.of_mean[g]) / _flat(self.floors[g])))

    def run_ratio(self, g: str) -> float:
        """Largest ratio over components of the per-run gap to the paper's floor."""
        return float(np.max(_flat(self.per_run[g]) / _flat(self.floors[g])))

    def markdown(self) -> str:
        columns = [c for n in METRICS for c in component_names(n, self.K, self.M)]
        lines = ["| $g$ | source | " + " | ".join(columns) + " |", "|---" * (len(columns) + 2) + "|"]
        paper = "paper, α = 0" + ("" if (self.K, self.M) == (2, 2) else " (block means)")
        for g in self.floors:
            for label, d in [("ours, per run", self.per_run[g]), ("ours, mean of runs", self.of_mean[g]),
                             (paper, self.floors[g])]:
                lines.append(f"| {g} | {label} | " + " | ".join(f"{x:.4f}" for x in _flat(d)) + " |")
        return "\n".join(lines)


    def markdown_by_component(self) -> str:
        """The same numbers as :meth:`markdown`, one row per component and one column per activation and
        source, so that the table fits the book's column (components are many, sources few)."""
        names = [c for n in METRICS for c in component_names(n, self.K, self.M)]
        paper = "paper, α = 0" + ("" if (self.K, self.M) == (2, 2) else " (block means)")
        sources = [("ours, per run", self.per_run), ("ours, mean of runs", self.of_mean), (paper, self.floors)]
        head = [f"{g}: {label}" for g in self.floors for label, _ in sources]
        lines = ["| component | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
        values = {(g, label): _flat(d[g]) for g in self.floors for label, d in sources}
        for i, name in enumerate(names):
            lines.append(f"| {name} | " + " | ".join(f"{values[(g, label)][i]:.4f}" for g in self.floors
                                                      for label, _ in sources) + " |")
        return "\n".join(lines)


PAPER_TABLE = {"erf": "I", "relu": "II"}     # the paper's appendix table of each activation


def floor_summary(data: ChapterData) -> FloorSummary:
    """Our SGD-vs-ODE gaps per component beside the paper's alpha = 0 floor (lib.measures.paper_tables)."""
    from ..measures.paper_tables import PAPER_TABLES

    K, M = data.p["K"], data.p["M"]
    rows = {g: PAPER_TABLES[PAPER_TABLE[g]]["rows"]["alpha=0"] for g in data.activations}
    return FloorSummary(K=K, M=M,
                        per_run={g: {n: data.cells[g].tlog[n].mean(axis=0) for n in METRICS} for g in data.activations},
                        per_run_se={g: {n: data.cells[g].tlog[n].std(axis=0, ddof=1) / np.sqrt(len(data.cells[g].tlog[n]))
                                        for n in METRICS} for g in data.activations},
                        of_mean={g: tlog_of_mean(data.cells[g]) for g in data.activations},
                        floors={g: floor_components(rows[g], K, M) for g in data.activations})


def convergence_fits(data: ChapterData) -> dict[str, dict[str, PowerLaw]]:
    """fits[g][name]: the power law of the convergence sweep's gap, name in Q, R, v and "all"."""
    return {g: {n: data.convergence[g].fit(n) for n in METRICS + ("all",)} for g in data.activations}


def slope_table(fits: dict) -> str:
    """Markdown table of the fitted slopes ± standard errors, one row per activation."""
    lines = ["| $g$ | $Q$ | $R$ | $v$ | all three (geometric mean) |", "|---|---|---|---|---|"]
    for g, f in fits.items():
        lines.append(f"| {g} | " + " | ".join(f"{f[n].slope:.2f} ± {f[n].stderr:.2f}" for n in METRICS + ("all",))
                     + " |")
    return "\n".join(lines)
