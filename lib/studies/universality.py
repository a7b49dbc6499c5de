"""Section V.2 of 000: universality across input laws (Table 1, Fig. 7) and the Lorentz breakdown (Fig. 8).

Builds on :mod:`lib.measures.compare`. Three pieces:

* **Table 1.** :class:`Law` names one latent law (a ``lib.core.inputs`` distribution and its parameters);
  :func:`law_moments` gives its mean, variance, skewness and excess kurtosis from exact formulas
  (mixture: from the components' raw moments), inf where a moment diverges, nan where it does not exist.
  :func:`projected_cumulants` measures what the central limit argument is about: skewness and excess
  kurtosis of a projection u = C w / |w| of the standardised D-dimensional C (w ~ N(0, I_D)), against the
  prediction kappa_3 sum w^3 / |w|^3 and kappa_4 sum w^4 / |w|^4 (cumulants of a weighted sum of i.i.d.
  terms), which vanish like D^(-1/2) and D^(-1).
* **SGD against the ODE for every law.** :func:`guarded_batch` is :func:`lib.measures.compare.compare` for many
  laws in one engine call that survives diverging runs: heavy-tailed labels (Lorentz) can blow up a ReLU
  network; such a run is stopped and its divergence time kept (``simulate_sgd(on_divergence="record")``),
  the others go on unaffected. :class:`Outcome` holds the per-run tLog-RMSE of Q, R, v and eg (eq. 18/20 of
  001, :mod:`lib.measures.metrics`), inf for a diverged run.
* **Statistics against the Gaussian floor.** :func:`floor_test` compares each law's mean per-run tLog-RMSE
  with the Gaussian input's (the floor set by finite-N fluctuations), in units of the run-to-run scatter
  pooled over the laws under test (a comparison-with-control t statistic).

Seeds: every law is compared from the same initial weights (``seed``) and run ids, so the laws differ
only in the inputs; ``dist_seed`` draws the mixture and the standardisation sample.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy import stats

from ..core import validate
from ..core.cache import cached
from ..measures.compare import METRICS, Comparison, ComparisonResult, ode_reference, per_run_tlog
from ..core.functions import ACTIVATIONS, FOLDS
from ..core.inputs import _seed_for, make_distribution
from ..core.model import Model, init_weights
from ..core.sgd import simulate_sgd
from ..core.validate import ParameterError

GAPS = METRICS + ("eg",)      # order parameters whose tLog-RMSE we report


# ------------------------------------------------------------------------------------------ laws

@dataclass(frozen=True)
class Law:
    """One latent law: a ``lib.core.inputs`` distribution name, its parameters as sorted (name, value) pairs,
    and a label for tables and legends."""

    label: str
    dist: str
    params: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "params", tuple(sorted(dict(self.params).items())))
        if not isinstance(self.label, str) or not self.label:
            raise ParameterError(f"label={self.label!r} must be a non-empty string")
        make_distribution(self.dist, 1, **self.kwargs)     # validates dist and every parameter

    @property
    def kwargs(self) -> dict:
        return dict(self.params)

    def describe(self) -> str:
        """Parameters in words, defaults filled in (e.g. 'a = 0.5, b = 0.5')."""
        p = make_distribution(self.dist, 1, **self.kwargs).params
        keep = {k: v for k, v in p.items() if k not in ("preset", "variant") and v is not None}
        if self.dist == "gmm":
            keep["variant"] = p["variant"]
        return ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}" for k, v in keep.items()) \
            or "-"


def make_laws(specs) -> list[Law]:
    """Laws from notebook-style specs ``[[label, dist, {params}], ...]``; labels must be unique."""
    laws = []
    for spec in specs:
        if not isinstance(spec, (list, tuple)) or len(spec) not in (2, 3):
            raise ParameterError(f"law spec {spec!r} must be [label, dist] or [label, dist, {{params}}]")
        label, dist, params = (*spec, {})[:3]
        if not isinstance(params, dict):
            raise ParameterError(f"law {label!r}: parameters {params!r} must be a dict")
        laws.append(Law(label, dist, tuple(params.items())))
    labels = [law.label for law in laws]
    if len(set(labels)) != len(labels):
        raise ParameterError(f"law labels must be unique, got {labels}")
    return laws


@dataclass(frozen=True)
class LawMoments:
    """Mean, variance, skewness, excess kurtosis of a scalar law (inf: diverges; nan: does not exist), and
    the tail index: moments of order r exist iff r < tail (inf for laws with all moments)."""

    mean: float
    var: float
    skew: float
    exkurt: float
    tail: float

    @property
    def finite_variance(self) -> bool:
        return self.tail > 2

    @property
    def finite_kurtosis(self) -> bool:
        return self.tail > 4


def _central_from_raw(m1, m2, m3, m4) -> tuple[float, float, float, float]:
    c2 = m2 - m1**2
    c3 = m3 - 3 * m1 * m2 + 2 * m1**3
    c4 = m4 - 4 * m1 * m3 + 6 * m1**2 * m2 - 3 * m1**4
    return m1, c2, c3 / c2**1.5, c4 / c2**2 - 3


def law_moments(dist: str, *, seed: int = 0, **params) -> LawMoments:
    """Exact moments of one coordinate of ``dist`` (``lib.core.inputs`` parameters; ``seed`` draws a mixture).

    Formulas: uniform (0, -6/5); Beta(a, b): skew 2(b-a) sqrt(a+b+1) / ((a+b+2) sqrt(ab)), exkurt
    6[(a-b)^2 (a+b+1) - ab(a+b+2)] / [ab(a+b+2)(a+b+3)]; Poisson(rate): (rate^-1/2, 1/rate); Laplace (0, 3);
    Pareto(s, x_m = 1): skew 2(1+s)/(s-3) sqrt((s-2)/s) for s > 3, exkurt 6(s^3+s^2-6s-2)/(s(s-3)(s-4)) for
    s > 4; Cauchy: none; mixture of N(mu_k, 1): central moments from sum_k p_k E[(mu_k + z)^n].
    Standardisation leaves skewness and kurtosis unchanged.
    """
    d = make_distribution(dist, 1, seed=seed, **params)
    p, inf, nan = d.params, math.inf, math.nan
    if dist == "gaussian":
        return LawMoments(0.0, 1.0, 0.0, 0.0, inf)
    if dist == "uniform":
        return LawMoments((p["low"] + p["high"]) / 2, (p["high"] - p["low"]) ** 2 / 12, 0.0, -1.2, inf)
    if dist == "beta":
        a, b = p["a"], p["b"]
        s = a + b
        skew = 2 * (b - a) * math.sqrt(s + 1) / ((s + 2) * math.sqrt(a * b))
        exk = 6 * ((a - b) ** 2 * (s + 1) - a * b * (s + 2)) / (a * b * (s + 2) * (s + 3))
        return LawMoments(a / s, a * b / (s**2 * (s + 1)), skew, exk, inf)
    if dist == "poisson":
        lam = p["rate"]
        return LawMoments(lam, lam, 1 / math.sqrt(lam), 1 / lam, inf)
    if dist == "laplace":
        return LawMoments(0.0, 2 * p["scale"] ** 2, 0.0, 3.0, inf)
    if dist == "pareto":
        s = p["shape"]
        mean = s / (s - 1) if s > 1 else inf
        var = s / ((s - 1) ** 2 * (s - 2)) if s > 2 else (inf if s > 1 else nan)
        skew = 2 * (1 + s) / (s - 3) * math.sqrt((s - 2) / s) if s > 3 else (inf if s > 2 else nan)
        exk = 6 * (s**3 + s**2 - 6 * s - 2) / (s * (s - 3) * (s - 4)) if s > 4 else (inf if s > 2 else nan)
        return LawMoments(mean, var, skew, exk, s)
    if dist == "lorentz":
        return LawMoments(nan, nan, nan, nan, 1.0)
    # gmm: one coordinate is a mixture of N(mu_k, 1) with weights p_k (both variants share this marginal
    # in the coordinate variant; the shared variant's coordinates have their own means, use coordinate 0)
    mu = d.means if d.means.ndim == 1 else d.means[:, 0]
    w = d.weights
    raw = [float(w @ mu), float(w @ (mu**2 + 1)), float(w @ (mu**3 + 3 * mu)), float(w @ (mu**4 + 6 * mu**2 + 3))]
    m1, c2, skew, exk = _central_from_raw(*raw)
    return LawMoments(m1, c2, skew, exk, inf)


def table1(laws, seed: int = 0) -> list[dict]:
    """Rows of Table 1: label, dist, parameters (in words), and :func:`law_moments`."""
    rows = []
    for law in laws:
        mo = law_moments(law.dist, seed=seed, **law.kwargs)
        rows.append({"label": law.label, "dist": law.dist, "parameters": law.describe(), "mean": mo.mean,
                     "var": mo.var, "skew": mo.skew, "exkurt": mo.exkurt, "tail": mo.tail})
    return rows


def projected_cumulants(law: Law, D: int, *, samples: int = 20_000, directions: int = 8, seed: int = 0,
                        standardize_samples: int = 10_000, batch: int = 2_000) -> dict:
    """Skewness and excess kurtosis of u = C w / |w| for the standardised law in dimension D (the paper's
    sample standardisation), over ``directions`` independent w ~ N(0, I_D) and ``samples`` draws of C.

    Returns 'skew', 'exkurt' (directions,) measured; 'skew_pred', 'exkurt_pred' (directions,): the cumulants
    of a weighted sum of i.i.d. standardised terms, kappa_3 sum_j w_j^3 / |w|^3 and kappa_4 sum_j w_j^4 / |w|^4
    (inf or nan where the law's cumulant diverges or does not exist); 'se_skew', 'se_exkurt': the Gaussian
    standard errors sqrt(6/n), sqrt(24/n) of one direction's estimate.
    """
    D = validate.integer("D", D, 1)
    samples = validate.integer("samples", samples, 2)
    directions = validate.integer("directions", directions, 1)
    dist = make_distribution(law.dist, D, seed=seed, standardize=law.dist != "gaussian",
                             standardize_samples=standardize_samples, **law.kwargs)
    gen = torch.Generator().manual_seed(_seed_for(seed, 11))
    w = torch.randn(D, directions, generator=gen, dtype=torch.float64)
    w = w / w.norm(dim=0)
    s1 = s2 = s3 = s4 = 0.0
    for start in range(0, samples, batch):
        u = dist.sample(min(batch, samples - start), gen, "cpu", torch.float64) @ w     # (n, directions)
        s1, s2 = s1 + u.sum(0), s2 + (u**2).sum(0)
        s3, s4 = s3 + (u**3).sum(0), s4 + (u**4).sum(0)
    n = samples
    raw = [(s / n).numpy() for s in (s1, s2, s3, s4)]
    with np.errstate(all="ignore"):
        _, c2, skew, exk = _central_from_raw(*raw)
    mo = law_moments(law.dist, seed=seed, **law.kwargs)
    wn = w.numpy()
    with np.errstate(all="ignore"):
        skew_pred = mo.skew * (wn**3).sum(0) if np.isfinite(mo.skew) else np.full(directions, mo.skew)
        exk_pred = mo.exkurt * (wn**4).sum(0) if np.isfinite(mo.exkurt) else np.full(directions, mo.exkurt)
    return {"law": law.label, "D": D, "skew": skew, "exkurt": exk, "skew_pred": skew_pred, "exkurt_pred": exk_pred,
            "se_skew": math.sqrt(6 / n), "se_exkurt": math.sqrt(24 / n)}


# ------------------------------------------------------------------------------ guarded comparison

@dataclass
class Outcome:
    """SGD against the ODE for one comparison, diverged runs included.

    ``result``: the comparison restricted to the surviving runs (None if every run diverged);
    ``survivors``: their run ids; ``t_diverged`` (runs,): time at which each run diverged, nan if it did not;
    ``tlog``: name -> (runs,) component-averaged tLog-RMSE per run (eq. 20 of 001), inf for a diverged run,
    for name in Q, R, v, eg.
    """

    comparison: Comparison
    result: ComparisonResult | None
    survivors: np.ndarray
    t_diverged: np.ndarray
    tlog: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def diverged(self) -> int:
        return int(np.isfinite(self.t_diverged).sum())

    def finite(self, name: str) -> np.ndarray:
        """Per-run tLog-RMSE of the surviving runs."""
        x = self.tlog[name]
        return x[np.isfinite(x)]


@cached(version=1)
def guarded_batch(cs: tuple, progress: bool = False) -> list[Outcome]:
    """:func:`lib.measures.compare.compare` for several comparisons in one engine call, kept going when runs diverge.

    The comparisons must share the model, seed, t_max, points, test_samples and dt (they differ in the
    input law). Comparison j's runs are those of ``compare(c_j)``: run ids 0..runs-1 (every comparison
    draws from the same random streams, transformed by its own law), initial weights
    ``init_weights(model, seed, share_student=True)`` (shared by all runs), ODE from ``ode_reference``.
    One batch of sum(runs) runs uses the engine far better than many batches of 10 (lib.bench.engine: ~50k
    against ~26k run-steps/s on 2 CPU cores). A run that diverges is stopped where it does
    (``on_divergence="record"``); each run is computed independently, so the survivors are unaffected.
    """
    cs = tuple(cs)
    if not cs or not all(isinstance(c, Comparison) for c in cs):
        raise ParameterError(f"cs must be a non-empty sequence of lib.measures.compare.Comparison, got {cs!r}")
    shared = ("model", "seed", "t_max", "points", "test_samples", "dt")
    for c in cs[1:]:
        differ = [k for k in shared if getattr(c, k) != getattr(cs[0], k)]
        if differ:
            raise ParameterError(f"comparisons of one batch must share {', '.join(differ)}")
    c0, model = cs[0], cs[0].model
    dists, run_ids = [], []
    for c in cs:
        d = c.distribution()
        dists += [d] * c.runs
        run_ids += list(range(c.runs))
    w = init_weights(model, runs=len(run_ids), seed=c0.seed, share_student=True)
    sgd = simulate_sgd(model, dists, runs=len(run_ids), t_max=c0.t_max, seed=c0.seed, weights=w, points=c0.points,
                       test_samples=c0.test_samples, run_ids=run_ids, on_divergence="record", progress=progress)
    ode = ode_reference(model, c0.seed, c0.t_max, c0.points, c0.dt)
    assert np.allclose(ode.t, sgd.t), "SGD and ODE record at different times"
    outcomes, first = [], 0
    for c in cs:
        t_div = sgd.meta["t_diverged"][first:first + c.runs]
        alive = np.flatnonzero(np.isnan(t_div))
        tlog = {name: np.full(c.runs, np.inf) for name in GAPS}
        result = None
        if alive.size:
            own = sgd.select(list(first + alive)).with_meta(t_diverged=t_div[alive])
            per = per_run_tlog(own, ode, GAPS)
            result = ComparisonResult(sgd=own, ode=ode, tlog={n: per[n] for n in METRICS})
            for name in GAPS:
                tlog[name][alive] = per[name].reshape(alive.size, -1).mean(axis=1)
        outcomes.append(Outcome(c, result, alive, t_div.copy(), tlog))
        first += c.runs
    return outcomes


def guarded_compare(c: Comparison, progress: bool = False) -> Outcome:
    """One comparison, diverged runs recorded (a :func:`guarded_batch` of one)."""
    return guarded_batch((c,), progress=progress)[0]


def comparison(model: Model, law: Law, *, runs: int, t_max: float, points: int = 40, seed: int = 0,
               standardize_samples: int | None = 10_000, test_samples: int = 500) -> Comparison:
    """The experiment of one law: standardised by sample moments (the paper's procedure), except the
    Gaussian reference, which is N(0, I_D) itself. ``standardize_samples`` is the number of draws behind the
    sample mean and standard deviation (None: exact population moments, where they exist)."""
    params = dict(law.params)
    if law.dist != "gaussian" and standardize_samples != 10_000:
        params["standardize_samples"] = standardize_samples
    return Comparison(model=model, dist=law.dist, params=tuple(params.items()), standardize=law.dist != "gaussian",
                      dist_seed=seed, runs=runs, t_max=t_max, points=points, seed=seed, test_samples=test_samples)


def settings(activations, folds, cross: bool = False) -> list[tuple[str, str]]:
    """The (g, f) settings of the study: the main one (first activation, first fold) first, then each further
    activation with the first fold, then each further fold with the first activation, and, with ``cross``,
    every further activation with every further fold. Names are validated; duplicates are errors."""
    activations = [validate.choice("activations", g, ACTIVATIONS) for g in activations]
    folds = [validate.choice("folds", f, FOLDS) for f in folds]
    if not activations or not folds:
        raise ParameterError("activations and folds must each hold at least one name")
    if len(set(activations)) != len(activations) or len(set(folds)) != len(folds):
        raise ParameterError(f"activations={activations} and folds={folds} must not repeat a name")
    g0, f0 = activations[0], folds[0]
    out = [(g0, f0)] + [(g, f0) for g in activations[1:]] + [(g0, f) for f in folds[1:]]
    if cross:
        out += [(g, f) for g in activations[1:] for f in folds[1:]]
    return out


def sweep(model: Model, laws, *, runs: int, t_max: float, points: int = 40, seed: int = 0,
          progress: bool = False) -> dict[str, Outcome]:
    """Every law against the ODE (one cached :func:`guarded_batch`), keyed by label."""
    laws = list(laws)
    cs = tuple(comparison(model, law, runs=runs, t_max=t_max, points=points, seed=seed) for law in laws)
    return dict(zip([law.label for law in laws], guarded_batch(cs, progress=progress)))


def sample_size_study(model: Model, law: Law, sizes, *, runs: int, t_max: float, points: int = 40,
                      seed: int = 0, progress: bool = False) -> list[Outcome]:
    """The law standardised by sample moments of n draws, for each n in ``sizes`` (Fig. 8; None: the exact
    population moments), in one cached :func:`guarded_batch`."""
    sizes = [None if n is None else validate.integer("sizes", n, 2) for n in sizes]
    return guarded_batch(tuple(comparison(model, law, runs=runs, t_max=t_max, points=points, seed=seed,
                                          standardize_samples=n) for n in sizes), progress=progress)


@cached(version=1)
def standardization_scale(law: Law, D: int, sizes, seed: int = 0) -> dict:
    """The per-coordinate sample standard deviation that standardisation divides by, for each sample size n
    (the same draws as ``comparison(..., seed=seed, standardize_samples=n)`` uses).

    Returns 'n' (len(sizes),), 'median', 'q10', 'q90' over the D coordinates, and 'exact': the population
    standard deviation of the raw law (inf where the variance diverges, nan where it does not exist).
    """
    sizes = [validate.integer("sizes", n, 2) for n in sizes]
    out = {"n": np.array(sizes, dtype=float), "median": [], "q10": [], "q90": []}
    for n in sizes:
        sc = make_distribution(law.dist, D, seed=seed, standardize=True, standardize_samples=n, **law.kwargs).scale
        for key, q in (("median", 50), ("q10", 10), ("q90", 90)):
            out[key].append(float(np.percentile(sc, q)))
    out = {k: np.asarray(v) for k, v in out.items()}
    mo = law_moments(law.dist, seed=seed, **law.kwargs)
    out["exact"] = math.sqrt(mo.var) if np.isfinite(mo.var) else mo.var
    return out


# ------------------------------------------------------------------------------ floor statistics

@dataclass(frozen=True)
class FloorTest:
    """Each law's mean per-run tLog-RMSE against the Gaussian floor, for one order parameter ``name``.

    ``mean``, ``se``: label -> mean and standard error over runs (inf if a run diverged); ``floor``: the
    Gaussian mean; ``pooled_sd``: run-to-run standard deviation pooled over the reference and ``pool`` laws
    (``dof`` degrees of freedom); ``margin``: t_crit * pooled_sd * sqrt(1/n_law + 1/n_ref), the largest
    excess over the floor compatible with no effect at one-sided level ``level``; ``t``: label -> excess in
    units of margin / t_crit (the comparison-with-control t statistic).
    """

    name: str
    floor: float
    pooled_sd: float
    dof: int
    t_crit: float
    level: float
    mean: dict
    se: dict
    t: dict
    margin: dict

    def passes(self, label: str) -> bool:
        return bool(self.t[label] < self.t_crit)

    def ratio(self, label: str) -> float:
        return self.mean[label] / self.floor


def floor_test(outcomes: dict[str, Outcome], reference: str, pool, name: str, level: float = 1e-3) -> FloorTest:
    """Compare every outcome's mean tLog-RMSE of ``name`` with the ``reference`` (Gaussian) one.

    Null hypothesis: the law's per-run values come from the same distribution as the reference's (the law
    follows the ODE as well as Gaussian inputs do). The run-to-run variance is pooled over the reference and
    the labels in ``pool`` (laws expected to be null; diverged runs are not allowed there), so its estimate
    has sum(n_i - 1) degrees of freedom; t = (mean_law - mean_ref) / (sd sqrt(1/n_law + 1/n_ref)) against the
    one-sided Student quantile t_crit at ``level``.
    """
    validate.choice("name", name, GAPS)
    level = validate.real("level", level, positive=True, maximum=0.5)
    group = [reference] + [p for p in pool if p != reference]
    for label in group:
        if label not in outcomes:
            raise ParameterError(f"{label!r} is not among the outcomes {list(outcomes)}")
        if outcomes[label].diverged:
            raise ParameterError(f"{label!r} has diverged runs; it cannot enter the pooled scatter")
    x = {label: outcomes[label].tlog[name] for label in outcomes}
    ss = sum(((x[g] - x[g].mean()) ** 2).sum() for g in group)
    dof = sum(x[g].size - 1 for g in group)
    if dof < 1:
        raise ParameterError("the pooled scatter needs at least two runs of one law")
    sd = math.sqrt(ss / dof)
    t_crit = float(stats.t.ppf(1 - level, dof))
    ref = x[reference]
    mean, se, t, margin = {}, {}, {}, {}
    for label, v in x.items():
        mean[label] = float(v.mean()) if np.all(np.isfinite(v)) else math.inf
        se[label] = float(v.std(ddof=1) / math.sqrt(v.size)) if np.all(np.isfinite(v)) and v.size > 1 else math.nan
        unit = sd * math.sqrt(1 / v.size + 1 / ref.size)
        margin[label] = t_crit * unit
        t[label] = (mean[label] - float(ref.mean())) / unit if unit > 0 else math.inf
    return FloorTest(name, float(ref.mean()), sd, dof, t_crit, level, mean, se, t, margin)


def run_margin(test: FloorTest, n_ref: int) -> float:
    """The one-sided prediction bound for a single run's excess over the floor under the null:
    t_crit * pooled_sd * sqrt(1 + 1/n_ref) (``n_ref`` runs behind the floor)."""
    return test.t_crit * test.pooled_sd * math.sqrt(1 + 1 / n_ref)


def excess_in_margins(outcome: Outcome, test: FloorTest, n_ref: int) -> np.ndarray:
    """Per run: (tLog-RMSE - floor) / :func:`run_margin`, inf for a diverged run. Values above 1 are outside
    the run-to-run scatter of Gaussian inputs at level ``test.level``."""
    return (outcome.tlog[test.name] - test.floor) / run_margin(test, n_ref)
