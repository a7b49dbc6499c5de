"""Beyond the paper (chapter 09_beyond): how universality emerges with N, where shape breaks it, and a
folding function with a = E[f(u)] != 0.

The measure throughout is the one of Section V (:mod:`lib.studies.universality`): the per-run tLog-RMSE of
Q, R, v and eg between SGD and the Gaussian-theory ODE, against the Gaussian input's (the floor).

* **Relative excess.** For one law and one N, run r of the law and run r of the Gaussian reference share the
  initial weights and the random streams; the paired per-run difference
  d_r = mean over the four metrics of (x_law,r - x_ref,r) / floor_metric is the law's excess in units of the
  floor (0: at the floor). :func:`excess` gives its mean and standard error over runs.
* **Finite-size scaling.** :func:`power_fit` fits x(N) = A (N / N_0)^beta to the relative excess by weighted
  least squares (sigma = its standard errors). beta < 0: the excess vanishes faster than the floor
  (universality emerges); beta = 0: same rate; beta > 0: slower or not at all. :func:`scaling_verdict`
  states which, from the confidence interval. The floor's own exponent comes from :func:`floor_fit`.
* **Map of shape.** :func:`shape_batch` runs laws of :mod:`lib.core.shapes` (any skewness and excess
  kurtosis, Student t) through SGD against the ODE in one engine call (cached).
* **a != 0.** :func:`mean_ode_reference` is the ODE with the a-term (:mod:`lib.core.ode_mean`) from the
  initial weights of the Section V comparisons; :func:`fluctuation_floor` measures the run-to-run part of the
  tLog-RMSE directly (each run against the mean of the others), so the ratio tLog-RMSE / fluctuation floor
  says how much of the gap is bias, for any folding function.

:func:`chapter_results` computes and caches everything the chapter needs (no notebook tools).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ..core import validate
from ..core.cache import cached
from ..core.model import Model, init_weights
from ..core.ode_mean import integrate_ode_mean
from ..core.sgd import simulate_sgd
from ..core.shapes import GaussianLaw, make_law
from ..core.trajectory import record_steps
from ..core.validate import ParameterError
from ..measures.compare import ode_reference, per_run_tlog
from ..measures.metrics import tlog_rmse
from .universality import GAPS, comparison, guarded_batch, make_laws

Z95 = 1.959963984540054


# ------------------------------------------------------------------------------------- engine batches

@cached(version=1)
def shape_batch(model: Model, laws: tuple, runs: int, t_max: float, points: int = 30, seed: int = 0,
                dt: float = 0.01, progress: bool = False) -> dict:
    """SGD for every law of :mod:`lib.core.shapes` in ``laws`` against the ODE, in one engine call.

    As :func:`lib.studies.universality.guarded_batch`: run ids 0..runs-1 for every law, initial weights
    ``init_weights(model, seed, share_student=True)``, ODE ``ode_reference(model, seed, t_max, points, dt)``,
    diverged runs recorded. Returns 'labels', 'tlog' (name -> (laws, runs) component-averaged tLog-RMSE, inf
    for a diverged run) for name in Q, R, v, eg, and 't_diverged' (laws, runs)."""
    laws = tuple(laws)
    if not laws:
        raise ParameterError("laws must hold at least one law of lib.core.shapes")
    runs = validate.integer("runs", runs, 1)
    dists = [law.sampler(model.D) for law in laws for _ in range(runs)]
    run_ids = [r for _ in laws for r in range(runs)]
    w = init_weights(model, runs=len(dists), seed=seed, share_student=True)
    sgd = simulate_sgd(model, dists, runs=len(dists), t_max=t_max, seed=seed, weights=w, points=points,
                       test_samples=0, run_ids=run_ids, on_divergence="record", progress=progress)
    ode = ode_reference(model, seed, t_max, points, dt)
    t_div = sgd.meta["t_diverged"].reshape(len(laws), runs)
    tlog = {name: np.full((len(laws), runs), np.inf) for name in GAPS}
    alive = np.flatnonzero(np.isnan(sgd.meta["t_diverged"]))
    if alive.size:
        per = per_run_tlog(sgd.select(list(alive)), ode, GAPS)
        for name in GAPS:
            flat = tlog[name].reshape(-1)
            flat[alive] = per[name].reshape(alive.size, -1).mean(axis=1)
    return {"labels": [law.label for law in laws], "tlog": tlog, "t_diverged": t_div}


@cached(version=1)
def mean_ode_reference(model: Model, seed: int, t_max: float, points: int, dt: float = 0.01,
                       samples: int = 1 << 13) -> dict:
    """The ODE with the a-term (:func:`lib.core.ode_mean.integrate_ode_mean`) from the initial weights of
    the Section V comparisons (``init_weights(model, 1, seed, share_student=True)``) at the SGD recorder's
    times. Returns 't', 'Q', 'R', 'v', 'eg' (1, times, ...) and 'mu' (1, times, K)."""
    w = init_weights(model, runs=1, seed=seed, share_student=True)
    t = record_steps(t_max, model.N, points) / model.N
    tr = integrate_ode_mean(model, w, t_max, dt=dt, times=t, samples=samples)
    return {"t": tr.t, "Q": tr.Q, "R": tr.R, "v": tr.v, "eg": tr.eg, "mu": tr.meta["mu"]}


# ------------------------------------------------------------------------------------------ statistics

@dataclass(frozen=True)
class Excess:
    """A law's excess over the Gaussian floor at one N, in units of the floor (paired over runs).

    ``value``, ``se``: mean and standard error of d_r over the ``n`` runs (inf if a run diverged);
    ``floor``: metric -> the Gaussian mean tLog-RMSE; ``floor_geo``: their geometric mean; ``floor_rse``:
    the relative standard error of the floor (largest over metrics)."""

    value: float
    se: float
    n: int
    diverged: int
    floor: dict
    floor_geo: float
    floor_rse: float

    @property
    def resolved(self) -> bool:
        """Above zero by more than two standard errors."""
        return bool(np.isfinite(self.value) and self.value > 2 * self.se)


def excess(tlog_law: dict, tlog_ref: dict) -> Excess:
    """:class:`Excess` from per-run tLog-RMSEs (name -> (runs,)) of a law and of the reference, same runs."""
    floor = {name: float(np.mean(tlog_ref[name])) for name in GAPS}
    n = len(tlog_ref[GAPS[0]])
    rse = max(float(np.std(tlog_ref[m], ddof=1) / math.sqrt(n) / floor[m]) if n > 1 else math.nan for m in GAPS)
    geo = float(np.exp(np.mean(np.log(list(floor.values())))))
    d = np.mean([(np.asarray(tlog_law[m]) - np.asarray(tlog_ref[m])) / floor[m] for m in GAPS], axis=0)
    div = int((~np.isfinite(d)).sum())
    if div or d.size < 2:
        return Excess(math.inf if div else float(d.mean()), math.nan, d.size, div, floor, geo, rse)
    return Excess(float(d.mean()), float(d.std(ddof=1) / math.sqrt(d.size)), d.size, 0, floor, geo, rse)


@dataclass(frozen=True)
class PowerFit:
    """y = A (N / N0)^beta fitted by weighted least squares; ``lo``, ``hi``: the 95 % interval of beta
    (nan where there was nothing to fit)."""

    beta: float
    se: float
    A: float
    N0: int
    used: int

    @property
    def lo(self) -> float:
        return self.beta - Z95 * self.se

    @property
    def hi(self) -> float:
        return self.beta + Z95 * self.se

    def at(self, N) -> np.ndarray:
        return self.A * (np.asarray(N, dtype=float) / self.N0) ** self.beta


def power_fit(Ns, y, se) -> PowerFit:
    """Fit y = A (N / N0)^beta (N0 the smallest N) with the standard errors ``se`` as known sigmas; points with
    an infinite or missing value are left out. Needs two points with a positive value."""
    Ns, y, se = (np.asarray(x, dtype=float) for x in (Ns, y, se))
    ok = np.isfinite(y) & np.isfinite(se) & (se > 0)
    nan = PowerFit(math.nan, math.nan, math.nan, int(Ns.min()) if Ns.size else 0, int(ok.sum()))
    if ok.sum() < 2 or (y[ok] > 0).sum() < 2:
        return nan
    N0 = float(Ns[ok].min())
    pos = ok & (y > 0)
    b0 = np.polyfit(np.log(Ns[pos] / N0), np.log(y[pos]), 1)[0] if pos.sum() >= 2 else 0.0
    A0 = float(np.max(y[pos]))
    try:
        p, cov = optimize.curve_fit(lambda n, A, b: A * (n / N0) ** b, Ns[ok], y[ok], p0=(A0, b0), sigma=se[ok],
                                    absolute_sigma=True, maxfev=10_000)
    except (RuntimeError, optimize.OptimizeWarning):
        return nan
    s = math.sqrt(cov[1, 1]) if np.isfinite(cov[1, 1]) else math.nan
    return PowerFit(float(p[1]), s, float(p[0]), int(N0), int(ok.sum()))


def floor_fit(Ns, floors, rses) -> PowerFit:
    """Exponent of the floor: log floor against log N, weighted by the relative standard errors."""
    Ns, floors, rses = (np.asarray(x, dtype=float) for x in (Ns, floors, rses))
    if Ns.size < 2:
        return PowerFit(math.nan, math.nan, math.nan, int(Ns.min()) if Ns.size else 0, int(Ns.size))
    x = np.log(Ns / Ns.min())
    wts = 1 / np.maximum(rses, 1e-6) ** 2
    X = np.stack([np.ones_like(x), x], 1)
    cov = np.linalg.inv(X.T @ (X * wts[:, None]))
    c = cov @ X.T @ (wts * np.log(floors))
    return PowerFit(float(c[1]), float(math.sqrt(cov[1, 1])), float(math.exp(c[0])), int(Ns.min()), int(Ns.size))


VERDICTS = {"floor": "at the floor at every N", "faster": "vanishes faster than the floor",
            "same": "same rate as the floor", "slower": "does not vanish with the floor",
            "diverged": "runs diverged", "undecided": "undecided at these sizes"}


def scaling_verdict(points: list[Excess], fit: PowerFit, width_max: float = 1.0) -> str:
    """One key of :data:`VERDICTS` for a law's relative excess over N (points in N order) and its fit: 'floor'
    if no N resolves an excess (above 0 by 2 s.e.), else by the 95 % interval of beta: 'faster' (below 0),
    'slower' (above 0), 'same' (contains 0, width at most ``width_max``), 'undecided' (wider, or no fit)."""
    if any(p.diverged for p in points):
        return "diverged"
    if not any(p.resolved for p in points):
        return "floor"
    if not np.isfinite(fit.beta) or not np.isfinite(fit.se):
        return "undecided"
    if fit.hi < 0:
        return "faster"
    if fit.lo > 0:
        return "slower"
    return "same" if fit.hi - fit.lo <= width_max else "undecided"


def one_sided_t(level: float, tests: int, dof: int) -> float:
    """Family-wise one-sided critical t (Bonferroni over ``tests``) with ``dof`` degrees of freedom."""
    level = validate.real("level", level, positive=True, maximum=0.5)
    return float(stats.t.isf(level / validate.integer("tests", tests, 1), validate.integer("dof", dof, 1)))


def fluctuation_floor(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per run: tLog-RMSE of run r against the mean of the other runs, times sqrt((n - 1) / n) (so that it
    estimates the tLog-RMSE of one run against the exact mean), component-averaged; x (runs, times, ...)."""
    n = x.shape[0]
    if n < 2:
        raise ParameterError("the fluctuation floor needs at least two runs")
    out = []
    for r in range(n):
        others = np.delete(x, r, axis=0).mean(axis=0, keepdims=True)
        out.append(float(tlog_rmse(t, x[r:r + 1], others, time_axis=1).mean()) * math.sqrt((n - 1) / n))
    return np.array(out)


def tlog_against(x: np.ndarray, t: np.ndarray, ode: np.ndarray) -> np.ndarray:
    """Per run: component-averaged tLog-RMSE of x (runs, times, ...) against ode (1, times, ...)."""
    return tlog_rmse(t, x, ode, time_axis=1).reshape(x.shape[0], -1).mean(axis=1)


def bias_ratio(sgd: dict, t: np.ndarray, ode: dict, boot: int = 2000, seed: int = 0) -> dict:
    """For each of Q, R, v, eg (SGD: eg measured on the test set): mean tLog-RMSE against ``ode`` over the
    mean fluctuation floor; 'all': the geometric mean over the four, with its bootstrap distribution over
    runs ('boot', ``boot`` resamples of the runs, the same resamples for every metric)."""
    rng = np.random.default_rng(seed)
    n = sgd["Q"].shape[0]
    idx = rng.integers(0, n, size=(boot, n))
    per, per_boot = {}, []
    for name in GAPS:
        gap = tlog_against(sgd[name], t, ode[name])
        fl = fluctuation_floor(sgd[name], t)
        per[name] = float(gap.mean() / fl.mean())
        per_boot.append(gap[idx].mean(1) / fl[idx].mean(1))
    out = dict(per)
    out["all"] = float(np.exp(np.mean(np.log(list(per.values())))))
    out["boot"] = np.exp(np.mean(np.log(np.array(per_boot)), axis=0))
    return out


# ------------------------------------------------------------------------------------------ the chapter

@dataclass
class Beyond:
    """The chapter's three studies from its parameters (notebook names); results computed on first use and
    cached by the engines' cached calls. ``standardize_samples=None``: exact population moments."""

    activations: list
    scaling_laws: list
    scaling_Ns: list
    map_activation: str = "relu"
    map_N: int = 1000
    map_skews: list = (0.0, 1.0, 2.0)
    map_exkurts: list = (-1.0, 0.0, 3.0, 8.0)
    student_nus: list = (2.5, 3.0, 4.0, 5.0)
    probe_laws: list = ()
    probe_Ns: list = ()
    fold: str = "relu"
    fold_control: str = "sgn"
    fold_Ns: list = (500,)
    fold_runs: int = 6
    fold_test_samples: int = 500
    runs: int = 10
    t_max: float = 100.0
    points: int = 30
    K: int = 2
    M: int = 2
    lr: float = 0.2
    ratio: float = 0.5
    level: float = 0.01
    reference: str = "Gaussian"
    standardize_samples: int | None = None
    seed: int = 0

    def __post_init__(self):
        self.laws = make_laws(self.scaling_laws)
        if self.laws[0].label != self.reference or self.laws[0].dist != "gaussian":
            raise ParameterError(f"the first of scaling_laws must be the Gaussian reference {self.reference!r}")
        self.scaling_Ns = sorted(validate.integer("scaling_Ns", n, 4) for n in self.scaling_Ns)
        self.probe_Ns = sorted(validate.integer("probe_Ns", n, 4) for n in self.probe_Ns)
        self.fold_Ns = sorted(validate.integer("fold_Ns", n, 4) for n in self.fold_Ns)
        self.map_N = validate.integer("map_N", self.map_N, 4)
        self.map_laws = [GaussianLaw()] + [make_law(["moments", s, k]) for s in self.map_skews
                                           for k in self.map_exkurts if k > s * s - 2 + 0.05]
        self.student_laws = [make_law(["student", nu]) for nu in self.student_nus]
        self.probes = [make_law(p) for p in self.probe_laws]
        self._memo = {}

    def model(self, N: int, g: str, f: str = "sgn") -> Model:
        return Model(N=N, D=max(1, int(round(N * self.ratio))), K=self.K, M=self.M, lr=self.lr, f=f, g=g)

    def _once(self, key, make):
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # -- part 1 ---------------------------------------------------------------------------------------
    def scaling_outcomes(self, g: str, N: int) -> dict:
        """label -> Outcome of every scaling law at N (one cached guarded_batch)."""
        def make():
            cs = tuple(comparison(self.model(N, g), law, runs=self.runs, t_max=self.t_max, points=self.points,
                                  seed=self.seed, standardize_samples=self.standardize_samples, test_samples=0)
                       for law in self.laws)
            return dict(zip([law.label for law in self.laws], guarded_batch(cs)))
        return self._once(("scaling", g, N), make)

    def scaling(self, g: str) -> dict:
        """'excess': label -> [Excess per N], 'fit': label -> PowerFit, 'verdict': label -> key,
        'floor_fit': PowerFit of the floor, 'floor': [floor_geo per N], 'floor_rse'."""
        def make():
            ex = {law.label: [] for law in self.laws[1:]}
            floor, rse = [], []
            for N in self.scaling_Ns:
                out = self.scaling_outcomes(g, N)
                ref = out[self.reference].tlog
                for label in ex:
                    ex[label].append(excess(out[label].tlog, ref))
                floor.append(ex[next(iter(ex))][-1].floor_geo if ex else math.nan)
                rse.append(ex[next(iter(ex))][-1].floor_rse if ex else math.nan)
            fits = {k: power_fit(self.scaling_Ns, [p.value for p in v], [p.se for p in v]) for k, v in ex.items()}
            verdicts = {k: scaling_verdict(v, fits[k]) for k, v in ex.items()}
            return {"excess": ex, "fit": fits, "verdict": verdicts, "floor": floor, "floor_rse": rse,
                    "floor_fit": floor_fit(self.scaling_Ns, floor, rse)}
        return self._once(("scaling-summary", g), make)

    # -- part 2 ---------------------------------------------------------------------------------------
    def shape_map(self) -> dict:
        """'laws', 'excess' (label -> Excess), 'margin' (label -> family-wise one-sided margin in units of
        the floor), 'departs' (labels above it or diverged), 't_fw'."""
        def make():
            laws = tuple(self.map_laws + self.student_laws)
            res = shape_batch(self.model(self.map_N, self.map_activation), laws, self.runs, self.t_max,
                              self.points, self.seed)
            tl = {lab: {m: res["tlog"][m][i] for m in GAPS} for i, lab in enumerate(res["labels"])}
            ref = tl[laws[0].label]
            ex = {law.label: excess(tl[law.label], ref) for law in laws[1:]}
            t_fw = one_sided_t(self.level, len(ex), max(1, self.runs - 1))
            margin = {k: t_fw * e.se for k, e in ex.items()}
            departs = [k for k, e in ex.items() if e.diverged or e.value > margin[k]]
            return {"laws": laws[1:], "excess": ex, "margin": margin, "departs": departs, "t_fw": t_fw}
        return self._once("map", make)

    def probe(self) -> dict:
        """label -> [Excess per probe N] and label -> PowerFit, for the probe laws of the map."""
        def make():
            ex = {law.label: [] for law in self.probes}
            for N in self.probe_Ns:
                res = shape_batch(self.model(N, self.map_activation), tuple([GaussianLaw()] + self.probes),
                                  self.runs, self.t_max, self.points, self.seed)
                ref = {m: res["tlog"][m][0] for m in GAPS}
                for i, law in enumerate(self.probes, start=1):
                    ex[law.label].append(excess({m: res["tlog"][m][i] for m in GAPS}, ref))
            fits = {k: power_fit(self.probe_Ns, [p.value for p in v], [p.se for p in v]) for k, v in ex.items()}
            return {"excess": ex, "fit": fits}
        return self._once("probe", make)

    # -- part 3 ---------------------------------------------------------------------------------------
    def _fold_sgd(self, g: str, N: int, f: str) -> dict:
        gauss = self.laws[0]
        c = comparison(self.model(N, g, f), gauss, runs=self.fold_runs, t_max=self.t_max, points=self.points,
                       seed=self.seed, test_samples=self.fold_test_samples)
        out = guarded_batch((c,))[0]
        sgd = out.result.sgd
        return {"t": sgd.t, "Q": sgd.Q, "R": sgd.R, "v": sgd.v, "eg": sgd.eg_numeric, "ode": out.result.ode}

    def folding(self, g: str, N: int) -> dict:
        """SGD with f = ``fold`` (Gaussian inputs) against the ODE with and without the a-term, and the
        control f = ``fold_control`` against its ODE: :func:`bias_ratio` of each, the trajectories."""
        def make():
            sgd = self._fold_sgd(g, N, self.fold)
            ctrl = self._fold_sgd(g, N, self.fold_control)
            with_a = mean_ode_reference(self.model(N, g, self.fold), self.seed, self.t_max, self.points)
            no = sgd["ode"]
            no_a = {"Q": no.Q, "R": no.R, "v": no.v, "eg": no.eg}
            c_ode = {"Q": ctrl["ode"].Q, "R": ctrl["ode"].R, "v": ctrl["ode"].v, "eg": ctrl["ode"].eg}
            return {"sgd": sgd, "with_a": with_a, "no_a": no_a, "t": sgd["t"],
                    "ratio_with": bias_ratio(sgd, sgd["t"], with_a), "ratio_no": bias_ratio(sgd, sgd["t"], no_a),
                    "ratio_ctrl": bias_ratio(ctrl, ctrl["t"], c_ode, seed=1)}
        return self._once(("fold", g, N), make)

    def fold_test(self, g: str, N: int) -> dict:
        """The with-a ratio over the control's: its value and its one-sided bootstrap interval at ``level``
        ('lo', 'hi'), and the same for the ODE without the term."""
        r = self.folding(g, N)
        out = {}
        for key in ("with", "no"):
            q = r[f"ratio_{key}"]["boot"] / r["ratio_ctrl"]["boot"]
            out[key] = {"value": r[f"ratio_{key}"]["all"] / r["ratio_ctrl"]["all"],
                        "lo": float(np.quantile(q, self.level)), "hi": float(np.quantile(q, 1 - self.level))}
        return out

    # -- everything -----------------------------------------------------------------------------------
    def compute(self) -> dict:
        """Every result the chapter shows (what :func:`chapter_results` returns)."""
        out = {"scaling": {g: self.scaling(g) for g in self.activations}, "map": self.shape_map()}
        if self.probes and self.probe_Ns:
            out["probe"] = self.probe()
        out["fold"] = {(g, N): self.fold_test(g, N) for g in self.activations for N in self.fold_Ns}
        return out


PARAMETERS = ("activations", "scaling_laws", "scaling_Ns", "map_activation", "map_N", "map_skews", "map_exkurts",
              "student_nus", "probe_laws", "probe_Ns", "fold", "fold_control", "fold_Ns", "fold_runs",
              "fold_test_samples", "runs", "t_max", "points", "K", "M", "lr", "ratio", "level", "reference",
              "standardize_samples", "seed")


def chapter_results(params: dict) -> dict:
    """Compute (and cache) everything chapter 09_beyond needs, from its parameters (the notebook's names; the
    others, e.g. results_from, are ignored). Runs without plotting or notebook tools."""
    return Beyond(**{k: v for k, v in params.items() if k in PARAMETERS}).compute()
