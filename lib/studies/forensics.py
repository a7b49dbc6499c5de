"""Why the numbers differ (issue 19): the Tables I/II floor, the one-label mixture, Property V.4 measured.

Three studies, each a few cached computations with small summaries; the chapter is
notebooks/08_forensics.py, its figures :mod:`lib.studies.forensics_figures`, the field moments of part 3
:mod:`lib.studies.forensics_fields`.

1. **The alpha = 0 level of Tables I/II.** Our Gaussian floor of the tLog metric is a fraction of the paper's,
   by a factor that differs between components. Each candidate explanation gives a predicted alpha = 0 row
   (10 components, erf and ReLU) from the *same* Gaussian SGD runs and ODE trajectories
   (:func:`floor_results`: the stored paper-scale runs of Section IV where they exist, else new ones):
   metric variants (:mod:`lib.measures.metric_variants`), time grids, a selection of runs, an ODE over a
   Marchenko-Pastur density in bins (:func:`binned_state`) and the learning rate (:func:`lr_ratios`, new
   runs). :func:`candidate_table` compares every row with the paper's, component by component, within a band
   set by the scatter of the paper's own ten rows (all at the floor by its claim) and our standard error.
2. **The one-label mixture** (:func:`spike_pair`): from the same initial weights, SGD on (a) the standardised
   shared-label mixture and (b) the Gaussian with its mean and full covariance (:mod:`lib.core.matched`),
   beside Gaussian runs (the floor) and the ODE.
3. **Property V.4 and eq. 24** (:mod:`lib.studies.forensics_fields`).

:func:`chapter_results` computes and caches everything for one parameter dict (the chapter's parameters
cell), so the paper profile can be computed without the notebook.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..core import cache, paths, validate
from ..core.cache import cached
from ..core.inputs import make_distribution
from ..core.matched import MatchedGaussian
from ..core.model import Model, init_weights
from ..core.ode import ODEState, integrate_ode
from ..core.sgd import simulate_sgd
from ..core.trajectory import Trajectory
from ..measures import metric_variants as mv
from ..measures.compare import METRICS, Comparison, ComparisonResult, compare, ode_reference
from ..measures.metrics import log_time_indices, tlog_rmse_mean
from ..measures.paper_tables import PAPER_TABLES, TABLE_COLUMNS

TABLE_OF = {"erf": "I", "relu": "II"}
GROUPS = {"Q diag": (0, 3), "Q off": (1, 2), "R": (4, 5, 6, 7), "v": (8, 9)}
BAND_SIGMAS = 3.0          # a predicted component agrees with the paper within 3 combined standard deviations
DECISIVE_BAND = math.log(1.5)   # a row decides only if its median band is narrower than a factor 1.5


# --- part 1: the alpha = 0 floor -------------------------------------------------------------------------

@dataclass(frozen=True)
class FloorSetup:
    """The Gaussian (alpha = 0) cells of Tables I/II: standardised N(0, 1) latents, ``seeds`` initial
    conditions of ``runs`` SGD runs each (Section IV's convention: seed s draws the weights and the streams)."""

    N: int = 1000
    D: int = 500
    lr: float = 0.2
    runs: int = 10
    t_max: float = 100.0
    seeds: tuple = tuple(range(10))
    points: int = 40

    def __post_init__(self):
        object.__setattr__(self, "seeds", tuple(validate.integer("seeds", s, 0) for s in self.seeds))
        validate.integer("runs", self.runs, 2)
        validate.real("t_max", self.t_max, positive=True)
        if not self.seeds:
            raise validate.ParameterError("seeds must hold at least one seed")

    def comparison(self, g: str, seed: int, lr: float | None = None) -> Comparison:
        model = Model(N=self.N, D=self.D, K=2, M=2, lr=self.lr if lr is None else lr, f="sgn", g=g)
        return Comparison(model=model, dist="gaussian", standardize=True, dist_seed=seed, runs=self.runs,
                          t_max=self.t_max, points=self.points, seed=seed, test_samples=500)


def stored_folders() -> list[Path]:
    """Folders of cached ``guarded_batch`` entries searched for stored Gaussian runs: the cache and the stash."""
    return [paths.cache_dir() / "guarded_batch", paths.ROOT / "results" / "stash" / "guarded_batch"]


def _stored_index() -> dict:
    """{Comparison: result file} of every current guarded_batch entry's Gaussian standardised comparisons."""
    from . import universality  # noqa: F401  (registers guarded_batch, so its records can be checked current)

    out = {}
    for folder in stored_folders():
        for rec_file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                rec = json.loads(rec_file.read_text())
            except (OSError, ValueError):
                continue
            if not cache.is_current(rec):
                continue
            result = cache.find_entry(folder, rec_file.stem)
            for j, c in enumerate(rec.get("params", {}).get("cs", [])):
                if c.get("dist") == "gaussian" and c.get("standardize") and result is not None:
                    key = (c["model"]["g"], c["model"]["N"], c["model"]["D"], c["model"]["lr"], c["runs"],
                           float(c["t_max"]), c["points"], c["seed"], c["dt"])
                    out.setdefault(key, (result, j))
    return out


def floor_results(setup: FloorSetup, g: str, stored: bool = True) -> tuple[list[ComparisonResult], str]:
    """The Gaussian cells of ``setup`` for activation ``g``: one ComparisonResult per seed (SGD runs, ODE), from
    the stored Section IV batches when ``stored`` and every seed is there, else computed (cached). Returns
    (results, "stored" or "computed")."""
    cs = [setup.comparison(g, s) for s in setup.seeds]
    if stored:
        index = _stored_index()
        keys = [(g, c.model.N, c.model.D, c.model.lr, c.runs, float(c.t_max), c.points, c.seed, c.dt) for c in cs]
        if all(k in index for k in keys):
            found = []
            for k in keys:
                path, j = index[k]
                found.append(cache.load_entry(path)[j].result)
            if all(r is not None and r.sgd.runs == setup.runs for r in found):
                return found, "stored"
    return [compare(c) for c in cs], "computed"


def components(x: np.ndarray) -> np.ndarray:
    """(..., K, K) Q or (..., K, M) R or (..., K) v flattened to the table's columns' order."""
    return x.reshape(*x.shape[:-2], -1) if x.ndim >= 2 and x.shape[-1] == x.shape[-2] == 2 else x


def per_run_components(results: list[ComparisonResult], fn) -> np.ndarray:
    """fn(t, sgd_array, ode_array) -> (runs, *comps) per order parameter, stacked to (seeds * runs, 10) in the
    order of TABLE_COLUMNS (Q00, Q01, Q10, Q11, R00, R01, R10, R11, v0, v1)."""
    rows = []
    for r in results:
        parts = []
        for name in METRICS:
            x = np.asarray(fn(r.sgd.t, getattr(r.sgd, name), getattr(r.ode, name)))
            parts.append(x.reshape(x.shape[0], -1))
        rows.append(np.concatenate(parts, axis=1))
    return np.concatenate(rows, axis=0)


@dataclass
class Candidate:
    """A candidate explanation's predicted alpha = 0 row per activation: mean (10,) and standard error (10,)."""

    name: str
    kind: str                                   # "metric", "time grid", "selection", "ODE", "learning rate"
    rows: dict = field(default_factory=dict)    # g -> (10,)
    sems: dict = field(default_factory=dict)    # g -> (10,)


def _pooled(name, kind, per: dict) -> Candidate:
    c = Candidate(name, kind)
    for g, x in per.items():
        c.rows[g] = x.mean(axis=0)
        c.sems[g] = x.std(axis=0, ddof=1) / math.sqrt(x.shape[0]) if x.shape[0] > 1 else np.zeros(x.shape[1])
    return c


def metric_candidates(floors: dict) -> list[Candidate]:
    """Metric variants and time grids on the same trajectories; ``floors``: g -> list of ComparisonResult."""
    out = []
    for name in mv.VARIANTS:
        per = {g: per_run_components(rs, lambda t, a, b, n=name: mv.variant(n, t, a, b)) for g, rs in floors.items()}
        out.append(_pooled(mv.DESCRIPTIONS[name], "metric", per))
    per = {g: per_run_components(rs, lambda t, a, b: mv.run_mean_rmse(t, a, b)[None]) for g, rs in floors.items()}
    out.append(_pooled("RMSE of the mean over runs", "metric", per))
    t = next(iter(floors.values()))[0].sgd.t
    grids = [("10 log-spaced times", dict(points=10)), ("20 log-spaced times", dict(points=20)),
             ("times t >= 0.1", dict(t_first=0.1)), ("times t >= 1", dict(t_first=1.0)),
             ("times t >= 10", dict(t_first=10.0)), ("t = 0 included", dict(include_zero=True))]
    for label, kw in grids:
        if kw.get("t_first", 0) >= t[-1]:
            continue
        idx = mv.time_indices(t, **kw)
        per = {g: per_run_components(rs, lambda t, a, b, i=idx: mv.variant("rmse", t, a, b, idx=i))
               for g, rs in floors.items()}
        out.append(_pooled(f"RMSE, {label}", "time grid", per))
    return out


def selection_candidate(floors: dict, keep: float = 0.5) -> Candidate:
    """The paper's rule of excluding runs where SGD and the ODE 'significantly differ', made concrete: per
    activation keep the fraction ``keep`` of runs with the smallest component-averaged metric. A selection of
    this kind can only lower a row, never raise it."""
    per = {}
    for g, rs in floors.items():
        x = per_run_components(rs, lambda t, a, b: mv.variant("rmse", t, a, b))
        order = np.argsort(x.mean(axis=1))
        per[g] = x[order[:max(2, int(round(keep * len(order))))]]
    return _pooled(f"RMSE, best {keep:.0%} of runs kept", "selection", per)


# --- the ODE over a Marchenko-Pastur density in bins ---

def mp_bin_values(q: float, bins: int, grid: int = 200_001) -> np.ndarray:
    """Mean eigenvalue in each of ``bins`` equal-mass bins of the Marchenko-Pastur law of F F^T / N, F (D x N)
    i.i.d. N(0, 1), ratio q = D / N <= 1: density sqrt((l+ - x)(x - l-)) / (2 pi q x) on [l-, l+],
    l+- = (1 +- sqrt q)^2. Quadrature on a fine grid. Returns (bins,), increasing."""
    q = validate.real("q", q, positive=True, maximum=1.0)
    bins = validate.integer("bins", bins, 1)
    lo, hi = (1 - math.sqrt(q)) ** 2, (1 + math.sqrt(q)) ** 2
    x = np.linspace(lo, hi, grid)
    p = np.sqrt(np.clip((hi - x) * (x - lo), 0, None)) / (2 * math.pi * q * x)
    w = p * (x[1] - x[0])
    cdf = np.cumsum(w) / w.sum()
    which = np.minimum((cdf * bins).astype(int), bins - 1)
    return np.array([np.sum((x * w)[which == k]) / np.sum(w[which == k]) for k in range(bins)])


def binned_state(state: ODEState, bins: int, q: float) -> ODEState:
    """``state`` with its D eigen-directions grouped into ``bins`` equal-count groups in order of eigenvalue: r,
    sigma and the teacher products are averaged within a group, and each group sits at the mean of the
    Marchenko-Pastur law over the same quantile range (:func:`mp_bin_values`), not at the sample eigenvalues. The
    ODE's mean over tau stays exact for equal groups, so ``bins`` must divide D. With bins = D this differs from
    the exact ODE only in the eigenvalues (the MP law's quantiles instead of the sample's)."""
    D = state.D
    bins = validate.integer("bins", bins, 1)
    if D % bins:
        raise validate.ParameterError(f"bins={bins} must divide D={D} (equal groups keep the ODE's mean exact)")
    rho = state.rho if state.rho.dim() == 1 else state.rho[0]
    order = torch.argsort(rho)
    group = lambda x: x[..., order].reshape(*x.shape[:-1], bins, D // bins).mean(-1)
    values = torch.as_tensor(mp_bin_values(q, bins), dtype=state.r.dtype)
    return ODEState(rho=values, r=group(state.r), sigma=group(state.sigma), Omega=state.Omega, v=state.v,
                    T=state.T, T_tilde=state.T_tilde, v_t=state.v_t, a=state.a, b=state.b, c=state.c,
                    delta=state.delta, g=state.g, t_tau=None if state.t_tau is None else group(state.t_tau))


@cached(version=1)
def binned_ode(model: Model, seeds: tuple, bins: int, t_max: float, times: tuple, dt: float = 0.01) -> Trajectory:
    """The ODE from the initial weights of each seed in ``seeds`` (as :func:`lib.measures.compare.ode_reference`:
    ``init_weights(model, seed, share_student=True)``) integrated over ``bins`` Marchenko-Pastur bins instead of
    the D exact eigenvalues, all seeds in one batch (they share the bins' eigenvalues). Run axis: the seeds."""
    states = []
    for s in seeds:
        w = init_weights(model, runs=1, seed=int(s), share_student=True)
        states.append(binned_state(ODEState.from_weights(model, w), bins, model.D / model.N))
    cat = lambda name: torch.cat([getattr(x, name) for x in states], 0)
    s0 = states[0]
    state = ODEState(rho=s0.rho, r=cat("r"), sigma=cat("sigma"), Omega=cat("Omega"), v=cat("v"), T=cat("T"),
                     T_tilde=cat("T_tilde"), v_t=cat("v_t"), a=s0.a, b=s0.b, c=s0.c, delta=s0.delta, g=s0.g,
                     t_tau=cat("t_tau"))
    return integrate_ode(state, model.lr, t_max, dt=dt, times=np.asarray(times))


def ode_candidates(setup: FloorSetup, floors: dict, bins_list, baseline: Candidate) -> tuple[list[Candidate], dict]:
    """The ODE over ``bins`` MP bins, for each bins in ``bins_list``: the per-component ratio of the RMSE of the SGD
    runs of ``setup.seeds`` against the binned ODE to their RMSE against the exact ODE, times ``baseline`` (our row
    over every seed: the initial conditions scatter the row by tens of per cent, so the change must be measured on
    the same seeds); and {g: {bins: component-averaged RMSE between the binned and the exact ODE, mean over the
    seeds}}."""
    out, dist = [], {g: {} for g in floors}
    fn = lambda t, a, b: mv.variant("rmse", t, a, b)
    for bins in bins_list:
        c = Candidate(f"ODE over {bins} Marchenko-Pastur bins (ratio x our row)", "ODE")
        for g, rs in floors.items():
            t = rs[0].sgd.t
            ode = binned_ode(setup.comparison(g, setup.seeds[0]).model, setup.seeds, bins, float(t[-1]), tuple(t))
            swapped = [ComparisonResult(sgd=r.sgd, ode=ode.select(i), tlog={}) for i, r in enumerate(rs)]
            x, x0 = per_run_components(swapped, fn), per_run_components(rs, fn)
            ratio = x.mean(0) / x0.mean(0)
            c.rows[g] = baseline.rows[g] * ratio
            c.sems[g] = baseline.sems[g] * ratio        # the ratio is paired (same runs): its own error is small
            dist[g][bins] = float(np.mean([tlog_rmse_mean(t, getattr(ode.select(i), n), getattr(r.ode, n), time_axis=1)
                                           for i, r in enumerate(rs) for n in METRICS]))
        out.append(c)
    return out, dist


# --- the learning rate: new runs, as a factor on the stored row ---

@dataclass(frozen=True)
class LrSetup:
    """Short Gaussian runs at several learning rates (the metric's ratio to lr = 0.2 scales the stored row)."""

    N: int = 1000
    D: int = 500
    runs: int = 3
    t_max: float = 10.0
    seed: int = 0
    lrs: tuple = (0.1, 0.5)


def lr_ratios(setup: LrSetup, g: str) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """{lr: (ratio (10,), its standard error (10,))} of the per-component RMSE at lr to that at 0.2, from
    ``setup.runs`` runs of one seed at each learning rate (cached by :func:`lib.measures.compare.compare`)."""
    fs = FloorSetup(N=setup.N, D=setup.D, runs=setup.runs, t_max=setup.t_max, seeds=(setup.seed,))
    fn = lambda t, a, b: mv.variant("rmse", t, a, b)
    base = per_run_components(floor_results(fs, g)[0], fn)                 # lr = 0.2: stored where it exists
    out = {}
    for lr in setup.lrs:
        x = per_run_components([compare(fs.comparison(g, setup.seed, lr))], fn)
        ratio = x.mean(0) / base.mean(0)
        rel = np.sqrt((x.std(0, ddof=1) / x.mean(0)) ** 2 + (base.std(0, ddof=1) / base.mean(0)) ** 2) / math.sqrt(len(x))
        out[float(lr)] = (ratio, ratio * rel)
    return out


def lr_candidates(baseline: Candidate, ratios: dict) -> list[Candidate]:
    """The baseline row times the measured lr ratio, per learning rate; ``ratios``: g -> :func:`lr_ratios`."""
    out = []
    lrs = next(iter(ratios.values())).keys()
    for lr in lrs:
        c = Candidate(f"RMSE at learning rate {lr:g} (measured ratio x our row)", "learning rate")
        for g, by_lr in ratios.items():
            ratio, se = by_lr[lr]
            c.rows[g] = baseline.rows[g] * ratio
            c.sems[g] = np.hypot(baseline.sems[g] * ratio, baseline.rows[g] * se)
        out.append(c)
    return out


# --- the verdicts ---

def paper_row(g: str) -> np.ndarray:
    return np.asarray(PAPER_TABLES[TABLE_OF[g]]["rows"]["alpha=0"], float)


def paper_scatter(g: str) -> np.ndarray:
    """Relative scatter of each component over the paper's ten alpha rows (by its claim all at the floor): the
    sampling uncertainty of one of its rows, (10,)."""
    rows = np.array([v for k, v in PAPER_TABLES[TABLE_OF[g]]["rows"].items() if k.startswith("alpha=")], float)
    return rows.std(axis=0, ddof=1) / rows.mean(axis=0)


@dataclass
class Verdict:
    name: str
    kind: str
    ratio: dict                 # g -> (10,) predicted / paper
    band: dict                  # g -> (10,) allowed |log ratio|
    agree: int                  # components within the band (of 10 per activation)
    total: int

    @property
    def reproduces(self) -> bool:
        return self.decided and self.agree == self.total

    @property
    def decided(self) -> bool:
        """Some component lies outside its band (the row does not reproduce the paper's, whatever the band's
        width), or the band is narrow enough to tell the paper's row from ours (median < DECISIVE_BAND)."""
        narrow = float(np.median(np.concatenate(list(self.band.values())))) < DECISIVE_BAND
        return narrow or self.agree < self.total

    def group_ratio(self, g: str) -> dict[str, float]:
        """Geometric mean of the ratio over each group of components (Q diagonal, Q off-diagonal, R, v)."""
        return {k: float(np.exp(np.mean(np.log(self.ratio[g][list(ix)])))) for k, ix in GROUPS.items()}

    @property
    def label(self) -> str:
        if not self.decided:
            return "not decided at this scale"
        if self.reproduces:
            return "reproduces the paper's row"
        return f"does not ({self.agree} of {self.total} components within the band)"


def judge(c: Candidate) -> Verdict:
    """Ratio of ``c``'s rows to the paper's alpha = 0 rows, and how many components fall within
    |log ratio| <= BAND_SIGMAS sqrt(s_paper^2 + s_ours^2) (relative standard deviations)."""
    ratio, band, agree, total = {}, {}, 0, 0
    for g, row in c.rows.items():
        r = row / paper_row(g)
        s = np.sqrt(paper_scatter(g) ** 2 + (c.sems[g] / row) ** 2)
        ratio[g], band[g] = r, BAND_SIGMAS * s
        agree += int(np.sum(np.abs(np.log(r)) <= band[g]))
        total += r.size
    return Verdict(c.name, c.kind, ratio, band, agree, total)


def candidate_table(verdicts: list[Verdict], activations) -> str:
    """Markdown: candidate, its predicted alpha = 0 ratio to the paper per component group and activation,
    components within the band, verdict."""
    head = "| candidate | " + " | ".join(f"{g} {k}" for g in activations for k in GROUPS) + " | within band | verdict |"
    lines = [head, "|" + "---|" * (len(activations) * len(GROUPS) + 3)]
    for v in verdicts:
        cells = [f"{v.group_ratio(g)[k]:.2f}" for g in activations for k in GROUPS]
        lines.append(f"| {v.name} | " + " | ".join(cells) + f" | {v.agree}/{v.total} | "
                     f"{'**reproduces**' if v.reproduces else ('no' if v.decided else 'not decided')} |")
    return "\n".join(lines)


def rows_table(c: Candidate, g: str) -> str:
    """Markdown: one candidate's predicted row against the paper's, all ten components."""
    lines = ["| | " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * (len(TABLE_COLUMNS) + 1)]
    lines.append("| predicted | " + " | ".join(f"{x:.3f}" for x in c.rows[g]) + " |")
    lines.append("| paper | " + " | ".join(f"{x:.3f}" for x in paper_row(g)) + " |")
    return "\n".join(lines)


# --- part 2: the one-label mixture against its matched Gaussian ---------------------------------------------

@dataclass(frozen=True)
class PairSetup:
    """SGD on the standardised shared-label mixture GM(alpha, m), on its matched Gaussian and on N(0, 1)
    latents, all from the initial weights of ``seed`` (runs ids 0..runs-1 in each group)."""

    g: str = "relu"
    N: int = 1000
    D: int = 500
    lr: float = 0.2
    runs: int = 3
    t_max: float = 10.0
    seed: int = 0
    points: int = 40

    def __post_init__(self):
        validate.choice("g", self.g, ("relu", "erf"))
        validate.integer("runs", self.runs, 2)
        validate.real("t_max", self.t_max, positive=True)

    @property
    def model(self) -> Model:
        return Model(N=self.N, D=self.D, K=2, M=2, lr=self.lr, f="sgn", g=self.g)


@dataclass
class PairResult:
    """Summaries of :func:`spike_pair`. Per-run metrics (component-averaged tLog-RMSE against the ODE) are
    name -> (n_alpha, runs) for the mixture "a" and the matched Gaussian "b", name -> (runs,) for the Gaussian
    floor; run-average gaps name -> (n_alpha,); Q trajectories of the run means (n_alpha, T, K, K)."""

    setup: PairSetup
    alphas: tuple
    m: int
    t: np.ndarray
    floor: dict = field(default_factory=dict)          # name -> (runs,)
    a: dict = field(default_factory=dict)              # name -> (n_alpha, runs)
    b: dict = field(default_factory=dict)              # name -> (n_alpha, runs)
    gap_ab: dict = field(default_factory=dict)         # name -> (n_alpha,): RMSE between the run means of a and b
    null_ab: dict = field(default_factory=dict)        # name -> (n_alpha,): its expected size if a and b were one law
    spike: np.ndarray | None = None                    # (n_alpha,): top eigenvalue of Cov C (standardised)
    Q_a: np.ndarray | None = None                      # (n_alpha, T, K, K) run means
    Q_b: np.ndarray | None = None
    Q_floor: np.ndarray | None = None                  # (T, K, K)
    Q_ode: np.ndarray | None = None                    # (T, K, K)

    def excess(self, which: str, name: str) -> np.ndarray:
        """(mean over runs of the metric - the floor's mean) / its standard error under the null hypothesis that the
        cell is at the floor (pooled floor scatter, sqrt(1/R + 1/R_0)), (n_alpha,)."""
        x, f0 = getattr(self, which)[name], self.floor[name]
        se = f0.std(ddof=1) * math.sqrt(1 / x.shape[1] + 1 / f0.size)
        return (x.mean(axis=1) - f0.mean()) / se

    def ratio(self, which: str, name: str) -> np.ndarray:
        return getattr(self, which)[name].mean(axis=1) / self.floor[name].mean()


def _spread(x: np.ndarray, idx) -> float:
    """RMS over the compared times and components of the standard deviation over runs (axis 0)."""
    return float(np.sqrt(x[:, idx].var(axis=0, ddof=1).mean()))


@cached(version=1)
def spike_pair(setup: PairSetup, alphas: tuple, m: int = 2) -> PairResult:
    """One SGD batch: N(0, 1) latents (standardised, the floor), then for each alpha the standardised shared-label
    mixture (a) and its matched Gaussian (b) (:class:`lib.core.matched.MatchedGaussian`), ``runs`` runs each,
    all from ``init_weights(model, seed, share_student=True)``; the ODE from the same weights. Summaries only."""
    alphas = tuple(validate.real("alphas", a, positive=True) for a in alphas)
    m = validate.integer("m", m, 2)
    model, R, s = setup.model, setup.runs, setup.seed
    dists = [make_distribution("gaussian", setup.D, seed=s, standardize=True)] * R
    spikes = []
    for alpha in alphas:
        mix = make_distribution("gmm", setup.D, seed=s, standardize=True, alpha=alpha, m=m, variant="shared")
        mg = MatchedGaussian.of(mix)
        dists += [mix] * R + [mg] * R
        spikes.append(float(np.linalg.eigvalsh(mg.covariance())[-1]))
    n = len(dists)
    w = init_weights(model, runs=n, seed=s, share_student=True)
    sgd = simulate_sgd(model, dists, runs=n, t_max=setup.t_max, seed=s, weights=w, points=setup.points,
                       test_samples=0, run_ids=list(range(R)) * (n // R), progress=False)
    ode = ode_reference(model, s, setup.t_max, setup.points, 0.01)
    idx = log_time_indices(sgd.t)
    out = PairResult(setup, alphas, m, sgd.t, spike=np.array(spikes))
    group = lambda x, j: x[j * R:(j + 1) * R]
    for name in METRICS:
        x, o = getattr(sgd, name), getattr(ode, name)
        per = tlog_rmse_mean(sgd.t, x, o, time_axis=1)                           # (n,)
        out.floor[name] = group(per, 0)
        out.a[name] = np.stack([group(per, 1 + 2 * i) for i in range(len(alphas))])
        out.b[name] = np.stack([group(per, 2 + 2 * i) for i in range(len(alphas))])
        gaps, nulls = [], []
        for i in range(len(alphas)):
            xa, xb = group(x, 1 + 2 * i), group(x, 2 + 2 * i)
            gaps.append(float(tlog_rmse_mean(sgd.t, xa.mean(0), xb.mean(0), time_axis=0)))
            pooled = math.sqrt((_spread(xa, idx) ** 2 + _spread(xb, idx) ** 2) / 2)
            nulls.append(pooled * math.sqrt(2 / R))
        out.gap_ab[name], out.null_ab[name] = np.array(gaps), np.array(nulls)
    out.Q_floor, out.Q_ode = group(sgd.Q, 0).mean(0), ode.Q[0]
    out.Q_a = np.stack([group(sgd.Q, 1 + 2 * i).mean(0) for i in range(len(alphas))])
    out.Q_b = np.stack([group(sgd.Q, 2 + 2 * i).mean(0) for i in range(len(alphas))])
    return out


GAP_NULL_LIMIT = 2.5   # gap / null above this: the run means of a and b differ (see the chapter for the tail bound)
EXCESS_LIMIT = 4.0     # excess over the floor in standard errors: a real departure from the ODE


def spike_verdict(results: dict, names=METRICS) -> dict:
    """Which of the spike and the non-Gaussian label law breaks the Gaussian theory, at the largest alpha, from
    ``results``: g -> PairResult. Returns per g: excess of a and b over the floor (max over Q, R, v), the largest
    gap/null ratio between a and b, and the verdict string."""
    out = {}
    for g, r in results.items():
        za = max(float(r.excess("a", n)[-1]) for n in names)
        zb = max(float(r.excess("b", n)[-1]) for n in names)
        gap = max(float(r.gap_ab[n][-1] / r.null_ab[n][-1]) for n in names)
        if zb > EXCESS_LIMIT and gap <= GAP_NULL_LIMIT:
            verdict = "spike"                     # the matched Gaussian leaves the ODE as the mixture does
        elif zb <= EXCESS_LIMIT and za > EXCESS_LIMIT:
            verdict = "law"                       # only the discrete label law leaves it
        elif zb > EXCESS_LIMIT and za > EXCESS_LIMIT:
            verdict = "both"                      # the spike, and the label law on top of it
        else:
            verdict = "neither"
        out[g] = dict(z_a=za, z_b=zb, gap_ratio=gap, verdict=verdict)
    return out


# --- the chapter's parameters and everything it needs -------------------------------------------------------

@dataclass(frozen=True)
class Chapter:
    """The parameters cell of notebooks/08_forensics.py, checked, with the calls built from it."""

    activations: list
    N: int
    D: int
    lr: float
    seed: int
    floor_seeds: list
    floor_runs: int
    floor_t_max: float
    floor_stored: bool
    ode_bins: list
    ode_seeds: list
    lrs: list
    lr_runs: int
    lr_t_max: float
    spike_alphas: list
    spike_m: int
    spike_runs: int
    spike_t_max: float
    field_laws: list
    field_Ns: list
    field_samples: int

    def __post_init__(self):
        for g in self.activations:
            validate.choice("activations", g, ("relu", "erf"))
        if not set(self.ode_seeds) <= set(self.floor_seeds):
            raise validate.ParameterError(f"ode_seeds={self.ode_seeds!r} must be among floor_seeds")
        for b in self.ode_bins:
            if self.D % validate.integer("ode_bins", b, 1):
                raise validate.ParameterError(f"ode_bins: {b} does not divide D={self.D}")
        if not self.spike_alphas or min(self.spike_alphas) <= 0:
            raise validate.ParameterError(f"spike_alphas={self.spike_alphas!r} must hold alphas > 0")
        from .forensics_fields import LAWS
        for law in self.field_laws:
            validate.choice("field_laws", law, LAWS)
        if "Gaussian" not in self.field_laws:
            raise validate.ParameterError("field_laws must include 'Gaussian' (the reference)")
        if len(self.field_Ns) < 2:
            raise validate.ParameterError("field_Ns needs two sizes or more (a slope)")

    @classmethod
    def of(cls, namespace: dict) -> "Chapter":
        return cls(**{name: namespace[name] for name in cls.__dataclass_fields__})

    @property
    def floor_setup(self) -> FloorSetup:
        return FloorSetup(N=self.N, D=self.D, lr=self.lr, runs=self.floor_runs, t_max=self.floor_t_max,
                          seeds=tuple(self.floor_seeds))

    def pair_setup(self, g: str) -> PairSetup:
        return PairSetup(g=g, N=self.N, D=self.D, lr=self.lr, runs=self.spike_runs, t_max=self.spike_t_max,
                         seed=self.seed)

    def lr_setup(self) -> LrSetup:
        return LrSetup(N=self.N, D=self.D, runs=self.lr_runs, t_max=self.lr_t_max, seed=self.seed,
                       lrs=tuple(float(x) for x in self.lrs))


@dataclass
class Results:
    """Everything the chapter shows: part 1 (floors' source, candidates and verdicts, ODE bin distances), part 2
    (g -> PairResult, verdicts), part 3 (law -> [FieldMoments per N])."""

    floor_source: dict
    candidates: list
    verdicts: list
    bin_distance: dict
    pairs: dict
    spike: dict
    fields: dict


def part1(ch: Chapter) -> tuple[dict, list, list, dict]:
    """(source per g, candidates, verdicts, {g: {bins: distance of the binned from the exact ODE}})."""
    fs = ch.floor_setup
    floors, source = {}, {}
    for g in ch.activations:
        floors[g], source[g] = floor_results(fs, g, ch.floor_stored)
    cands = metric_candidates(floors)
    cands.append(selection_candidate(floors))
    sub = FloorSetup(N=fs.N, D=fs.D, lr=fs.lr, runs=fs.runs, t_max=fs.t_max,
                     seeds=tuple(s for s in fs.seeds if s in ch.ode_seeds))
    chosen = {g: [r for s, r in zip(fs.seeds, rs) if s in ch.ode_seeds] for g, rs in floors.items()}
    ode_rows, dist = ode_candidates(sub, chosen, ch.ode_bins, cands[0])
    cands += ode_rows
    if ch.lrs:
        ratios = {g: lr_ratios(ch.lr_setup(), g) for g in ch.activations}
        cands += lr_candidates(cands[0], ratios)
    return source, cands, [judge(c) for c in cands], dist


def chapter_results(params: dict) -> Results:
    """Compute (and cache) everything notebooks/08_forensics.py shows, for its parameters ``params`` (the
    parameters cell's names; missing names are an error). Every expensive piece is a cached call, so a second
    call, or the notebook after it, only reads."""
    from .forensics_fields import field_study

    ch = params if isinstance(params, Chapter) else Chapter(**{k: params[k] for k in Chapter.__dataclass_fields__})
    source, cands, verdicts, dist = part1(ch)
    pairs = {g: spike_pair(ch.pair_setup(g), tuple(float(a) for a in ch.spike_alphas), ch.spike_m)
             for g in ch.activations}
    fields_ = field_study(ch.field_laws, ch.field_Ns, samples=ch.field_samples, seed=ch.seed)
    return Results(source, cands, verdicts, dist, pairs, spike_verdict(pairs), fields_)


# --- the numbers of the chapter's prose ------------------------------------------------------------------------

def find(verdicts: list[Verdict], prefix: str) -> Verdict | None:
    return next((v for v in verdicts if v.name.startswith(prefix)), None)


def part1_numbers(res: Results, activations) -> dict[str, str]:
    """Glue texts of part 1: sources, ratios of the book's metric and of eq. 18 as printed, best candidate."""
    base, eq18 = find(res.verdicts, "RMSE over"), find(res.verdicts, "eq. 18")
    out = {"floor_source": ", ".join(f"{g}: {s}" for g, s in res.floor_source.items())}
    for g in activations:
        for key, v in (("base", base), ("eq18", eq18)):
            gr = v.group_ratio(g)
            for k, short in (("Q diag", "Qd"), ("Q off", "Qo"), ("R", "R"), ("v", "v")):
                out[f"{key}_{g}_{short}"] = f"{gr[k]:.2f}"
    grid = [v for v in res.verdicts if v.kind == "time grid"]
    if grid:
        moves = [v.group_ratio(g)[k] / base.group_ratio(g)[k] for v in grid for g in activations for k in GROUPS]
        out["grid_lo"], out["grid_hi"] = f"{min(moves):.2f}", f"{max(moves):.2f}"
    scatter = np.concatenate([paper_scatter(g) for g in activations])
    out["paper_cv_lo"], out["paper_cv_hi"] = f"{100 * scatter.min():.0f}", f"{100 * scatter.max():.0f}"
    best = max(res.verdicts, key=lambda v: (v.decided, v.agree))
    out.update(best_name=best.name, best_agree=f"{best.agree} of {best.total}",
               n_candidates=str(len(res.verdicts)),
               n_reproduce=str(sum(v.reproduces for v in res.verdicts)),
               n_undecided=str(sum(not v.decided for v in res.verdicts)))
    bins = {b: d for g in activations for b, d in res.bin_distance[g].items()}
    if bins:
        b0 = min(bins)
        out["bins_min"] = str(b0)
        out["bins_dist"] = f"{max(res.bin_distance[g][b0] for g in activations):.4f}"
        out["floor_Q"] = f"{min(base_row_mean(res, g) for g in activations):.4f}"
    return out


def base_row_mean(res: Results, g: str) -> float:
    """Mean over the ten components of the book's metric at alpha = 0 (the floor)."""
    return float(res.candidates[0].rows[g].mean())


def part2_numbers(res: Results) -> dict[str, str]:
    out = {}
    for g, r in res.pairs.items():
        sv = res.spike[g]
        out[f"sp_{g}_za"], out[f"sp_{g}_zb"] = f"{sv['z_a']:.1f}", f"{sv['z_b']:.1f}"
        out[f"sp_{g}_gap"] = f"{sv['gap_ratio']:.1f}"
        out[f"sp_{g}_aQ"], out[f"sp_{g}_bQ"] = f"{r.ratio('a', 'Q')[-1]:.1f}", f"{r.ratio('b', 'Q')[-1]:.1f}"
        out[f"sp_{g}_verdict"] = SPIKE_WORDS[sv["verdict"]]
        out[f"sp_{g}_top"] = f"{r.spike[-1]:.0f}"
    r0 = next(iter(res.pairs.values()))
    out["sp_alpha"], out["sp_m"] = f"{r0.alphas[-1]:g}", str(r0.m)
    return out


SPIKE_WORDS = {
    "spike": "the spike: the matched Gaussian leaves the ODE as far as the mixture does, and the two run means agree",
    "law": "the law of the label: the matched Gaussian stays at the floor while the mixture leaves the ODE",
    "both": "the spike first: the matched Gaussian already leaves the ODE, and the mixture's discrete label puts "
            "its run mean at a significantly different place again",
    "neither": "neither: at this scale neither run set is resolved from the floor",
}


def spike_sentence(spike: dict) -> str:
    """One sentence on whether the matched Gaussian (second moments only) already leaves the ODE, per activation."""
    yes = [g for g, v in spike.items() if v["z_b"] > EXCESS_LIMIT]
    no = [g for g in spike if g not in yes]
    if yes and not no:
        return ("In our network the second moments alone, spike included, already take SGD away from the ODE "
                f"({', '.join(yes)}).")
    if no and not yes:
        return "In our network the matched Gaussian stays at the floor: the second moments alone do not break the ODE."
    return (f"The matched Gaussian leaves the ODE with {', '.join(yes)} and stays at the floor with {', '.join(no)}.")
