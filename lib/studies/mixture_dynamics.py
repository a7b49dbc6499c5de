"""Section IV: SGD against the Gaussian-theory ODE for unstandardised and standardised Gaussian mixtures.

Builds on :mod:`lib.measures.compare`. A :class:`Setup` fixes the model (N, D, K, M, lr, f, g), the SGD runs and
the seed; :func:`sweep` runs one :class:`lib.measures.compare.Comparison` per (m, alpha, mixture) cell (the cells of
one mixture index as one batch of the engine) and keeps only small summaries (cached): per-run tLog-RMSE
per component (eqs. 18 and 20 of 001, as defined in :mod:`lib.measures.metrics`), the metric's scale E|X|, the KL divergence of the latent law from N(0, I_D), the
run-to-run spread and the mean gap of the second layer v over time (Fig. 4 of 000).

Conventions
* Mixture ``j`` of a cell uses ``dist_seed = seed + j`` (its means and weights) and ``seed + j`` for the
  initial weights and the SGD sample streams, so every mixture index has its own initial condition and
  its own ODE reference; all cells with the same ``j`` share that initial condition (paired comparisons).
* alpha = 0: GM(0, m) has all component means at 0, so it *is* N(0, 1) per coordinate, whatever m and the
  weights; the cell is run as ``dist="gaussian"`` (same law, one computation shared by every m and variant).
* KL: exact (:func:`lib.measures.kl.kl_exact`) for the Gaussian and the coordinate-wise mixture, direct Monte
  Carlo (:func:`lib.measures.kl.kl_monte_carlo`) for the shared-label one. The k-NN estimator is not used: at
  D = 500 it is badly biased (notebooks/03_gaussian_mixtures.py).

Arrays of a :class:`SweepResult` are indexed (m, alpha, mixture, run, *component); per-run component
averages (eq. 20) are :meth:`SweepResult.gap`.

The chapter (notebooks/04_mixture_dynamics.py) makes its calls through :class:`Chapter` (its parameters cell);
its figures are in :mod:`lib.studies.mixture_dynamics_figures`, the numbers of its prose and the inputs of its
claim checks in :mod:`lib.studies.mixture_dynamics_numbers`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from ..core import validate
from ..core.cache import cached
from ..measures.compare import METRICS, Comparison, ComparisonResult, compare
from ..core.functions import ACTIVATIONS, FOLDS
from ..core.inputs import GMM_VARIANTS
from ..measures.kl import kl_exact, kl_monte_carlo
from ..measures.metrics import log_time_indices
from ..core.model import Model
from ..measures.paper_tables import PAPER_TABLES, TABLE_COLUMNS
from .universality import guarded_batch

KL_MC_SAMPLES = 4_000   # Monte Carlo samples for the shared-label KL (its standard error is reported)


@dataclass(frozen=True)
class Setup:
    """Model and SGD settings shared by every cell of a sweep (paper defaults for the model)."""

    g: str = "relu"           # activation of teacher and student
    f: str = "sgn"            # folding function
    N: int = 1000
    D: int = 500
    K: int = 2
    M: int = 2
    lr: float = 0.2
    runs: int = 3             # SGD runs per mixture (same initial weights, different samples)
    t_max: float = 20.0
    seed: int = 0
    points: int = 40          # recorded (log-spaced) times

    def __post_init__(self):
        validate.choice("g", self.g, ACTIVATIONS)
        validate.choice("f", self.f, FOLDS)
        validate.integer("runs", self.runs, 2)        # a run-to-run spread needs two runs
        validate.integer("seed", self.seed, 0)
        validate.integer("points", self.points, 2)
        validate.real("t_max", self.t_max, positive=True)

    @property
    def model(self) -> Model:
        return Model(N=self.N, D=self.D, K=self.K, M=self.M, lr=self.lr, f=self.f, g=self.g)

    def comparison(self, alpha: float, m: int, standardize: bool, variant: str = "coordinate",
                   mixture: int = 0) -> Comparison:
        """The SGD-vs-ODE experiment of one cell (see the module docstring for seeds and alpha = 0)."""
        alpha = validate.real("alpha", alpha, nonnegative=True)
        m = validate.integer("m", m, 1)
        validate.choice("variant", variant, GMM_VARIANTS)
        mixture = validate.integer("mixture", mixture, 0)
        if alpha == 0.0:
            dist, params = "gaussian", ()
        else:
            dist, params = "gmm", (("alpha", alpha), ("m", m), ("variant", variant))
        s = self.seed + mixture
        return Comparison(model=self.model, dist=dist, params=params, standardize=bool(standardize),
                          dist_seed=s, runs=self.runs, t_max=self.t_max, points=self.points, seed=s)


def example(setup: Setup, alpha: float, m: int, standardize: bool, variant: str = "coordinate",
            mixture: int = 0) -> ComparisonResult:
    """One cell's full trajectories (cached by :func:`lib.measures.compare.compare`), for Figs. 3 and 5."""
    return compare(setup.comparison(alpha, m, standardize, variant, mixture))


def v_gap(result: ComparisonResult) -> np.ndarray:
    """Mean gap of the second layer over time (Fig. 4 of 000): mean_k |<v_k>_runs - v_k^ODE|, (times,)."""
    return np.abs(result.sgd.v.mean(axis=0) - result.ode.v[0]).mean(axis=-1)


def run_spread(result: ComparisonResult, name: str) -> float:
    """Run-to-run spread of ``name`` over the log-sampled times: sqrt(mean_{tau, comps} Var_runs), the
    size of the finite-N fluctuations of one run about the runs' mean (ddof = 1)."""
    idx = log_time_indices(result.sgd.t)
    x = getattr(result.sgd, name)[:, idx]
    return float(np.sqrt(x.var(axis=0, ddof=1).mean()))


def kl_divergence(c: Comparison) -> tuple[float, float]:
    """(D_KL(P || N(0, I_D)), its standard error) for the latent law of ``c`` (exact where possible)."""
    dist = c.distribution()
    if dist.dist == "gaussian" or dist.params.get("variant") == "coordinate":
        return kl_exact(dist), 0.0
    return kl_monte_carlo(dist, KL_MC_SAMPLES, seed=c.dist_seed)


@dataclass
class SweepResult:
    """Summaries of a sweep. Shapes: nm = len(ms), na = len(alphas), nx = n_mixtures, R = runs, T = times."""

    setup: Setup
    ms: tuple
    alphas: tuple
    n_mixtures: int
    standardize: bool
    variant: str
    t: np.ndarray                                            # (T,)
    tlog: dict[str, np.ndarray] = field(default_factory=dict)    # name -> (nm, na, nx, R, *comps)
    scale: dict[str, np.ndarray] = field(default_factory=dict)   # name -> (nm, na, nx, *comps): mean |x|
    spread: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (nm, na, nx): run_spread
    kl: np.ndarray | None = None                             # (nm, na, nx)
    kl_err: np.ndarray | None = None                         # (nm, na, nx)
    vgap: np.ndarray | None = None                           # (nm, na, nx, T)

    def gap(self, name: str) -> np.ndarray:
        """Component-averaged tLog-RMSE per run (eq. 20), pooled over mixtures and runs: (nm, na, nx * R)."""
        x = self.tlog[name]
        per_run = x.reshape(*x.shape[:4], -1).mean(axis=-1)
        return per_run.reshape(*x.shape[:2], -1)

    def per_mixture(self, name: str) -> np.ndarray:
        """Mean tLog-RMSE over components and runs, per mixture: (nm, na, nx)."""
        x = self.tlog[name]
        return x.reshape(*x.shape[:4], -1).mean(axis=(3, 4))

    def mean(self, name: str) -> np.ndarray:
        """Mean tLog-RMSE over components, mixtures and runs: (nm, na)."""
        return self.gap(name).mean(axis=-1)

    def sem(self, name: str) -> np.ndarray:
        """Standard error of :meth:`mean` from the scatter over the nx * R (mixture, run) pairs: (nm, na)."""
        g = self.gap(name)
        return g.std(axis=-1, ddof=1) / np.sqrt(g.shape[-1])

    def scale_mean(self, name: str) -> float:
        """The metric's scale over the whole sweep: mean |x| over components, times, runs and cells."""
        return float(self.scale[name].mean())

    def kl_mean(self) -> np.ndarray:
        """KL divergence averaged over mixtures: (nm, na)."""
        return self.kl.mean(axis=-1)


def _batch(cs: list[Comparison], progress: bool = False) -> list[ComparisonResult]:
    """``compare(c)`` for every c, in one engine call (:func:`lib.studies.universality.guarded_batch`, cached); a diverged
    run is an error here, as it is for ``compare``."""
    outcomes = guarded_batch(tuple(cs), progress=progress)
    for c, o in zip(cs, outcomes):
        if o.diverged:
            raise RuntimeError(f"SGD diverged in {o.diverged} of {c.runs} runs of the cell {c.dist} {dict(c.params)} "
                               f"(standardize={c.standardize}, seed {c.seed}) at t = {np.nanmin(o.t_diverged):.4g}; "
                               f"lower lr (lr = {c.model.lr})")
    return [o.result for o in outcomes]


@cached(version=1)
def sweep(setup: Setup, ms, alphas, n_mixtures: int = 1, standardize: bool = True,
          variant: str = "coordinate", progress: bool = True) -> SweepResult:
    """Run every (m, alpha, mixture) cell (:meth:`Setup.comparison`) and summarise it (cached). The cells of
    one mixture index share initial weights and seed and run as one batch (runs x cells SGD runs).
    ``progress``: a bar over the mixture indices and one over the steps of each batch (not in the cache key)."""
    ms = tuple(validate.integer("ms", m, 1) for m in ms)
    alphas = tuple(validate.real("alphas", a, nonnegative=True) for a in alphas)
    if not ms or not alphas:
        raise validate.ParameterError("ms and alphas must each hold at least one value")
    n_mixtures = validate.integer("n_mixtures", n_mixtures, 1)
    validate.choice("variant", variant, GMM_VARIANTS)
    shape = (len(ms), len(alphas), n_mixtures)
    out = SweepResult(setup, ms, alphas, n_mixtures, bool(standardize), variant, t=np.empty(0))
    out.kl, out.kl_err = np.zeros(shape), np.zeros(shape)
    label = f"{setup.g}, {'standardised' if standardize else 'raw'} {variant} mixtures"
    for x in tqdm(range(n_mixtures), desc=label, unit="mixture", disable=not progress):
        cs = {(i, j): setup.comparison(alpha, m, standardize, variant, x)     # one engine call per mixture
              for i, m in enumerate(ms) for j, alpha in enumerate(alphas)}    # index: shared weights and seed
        unique = list(dict.fromkeys(cs.values()))          # alpha = 0 is the same Gaussian cell for every m
        results = dict(zip(unique, _batch(unique, progress)))
        for (i, j), c in cs.items():
            r = results[c]
            if out.vgap is None:
                out.t = r.sgd.t
                out.vgap = np.zeros((*shape, r.sgd.t.size))
                for name in METRICS:
                    comps = r.tlog[name].shape[1:]
                    out.tlog[name] = np.zeros((*shape, setup.runs, *comps))
                    out.scale[name] = np.zeros((*shape, *comps))
                    out.spread[name] = np.zeros(shape)
            for name in METRICS:
                out.tlog[name][i, j, x] = r.tlog[name]
                out.scale[name][i, j, x] = np.abs(getattr(r.sgd, name)).mean(axis=(0, 1))
                out.spread[name][i, j, x] = run_spread(r, name)
            out.vgap[i, j, x] = v_gap(r)
            out.kl[i, j, x], out.kl_err[i, j, x] = kl_divergence(c)
    return out


def chapter_grid(g: str, activations, ms, alphas, appendix_ms, appendix_alphas) -> tuple[list, list, int, float]:
    """(ms, alphas, example m, example alpha) of activation ``g`` in the chapter: the main grid for the first
    of ``activations`` (the main text), the appendix grid for the others."""
    if g not in activations:
        raise validate.ParameterError(f"activation {g!r} is not among activations={list(activations)!r}")
    g_ms, g_alphas = (ms, alphas) if g == activations[0] else (appendix_ms, appendix_alphas)
    if not g_ms or not g_alphas:
        raise validate.ParameterError(f"the grid of activation {g!r} needs at least one m and one alpha")
    return g_ms, g_alphas, g_ms[0], max(g_alphas)


def chapter_sweeps(setup: Setup, ms, alphas, n_mixtures: int, standardize, shared_alphas) -> dict:
    """Every sweep of the chapter for one activation (each cached): ``{False: raw, True: standardised}`` over
    the grid (for the settings in ``standardize``) and, when standardised mixtures are run, ``"shared"``: the
    standardised shared-label mixture at m = ms[0] over alpha = 0 and ``shared_alphas``."""
    out = {st: sweep(setup, ms, alphas, n_mixtures, st) for st in standardize}
    if True in standardize:
        out["shared"] = sweep(setup, [ms[0]], [0] + sorted(shared_alphas), n_mixtures, True, "shared")
    return out


# --- the chapter's parameters -----------------------------------------------------------------------

@dataclass(frozen=True)
class Chapter:
    """The parameters cell of notebooks/04_mixture_dynamics.py, checked, with the calls built from it: the
    setup and grid of each activation (the first is the main text, the others the appendix), the sweeps and
    the example cells. Lists are kept as the chapter passes them (the cache keys do not change)."""

    activations: list
    f: str
    ms: list
    alphas: list
    appendix_ms: list
    appendix_alphas: list
    shared_alphas: list
    standardize: list
    n_mixtures: int
    runs: int
    N: int
    D: int
    K: int
    M: int
    lr: float
    t_max: float
    seed: int

    def __post_init__(self):
        for g in self.activations:
            validate.choice("activations", g, ("relu", "erf"))
        for s in self.standardize:
            if not isinstance(s, bool):
                raise validate.ParameterError(f"standardize={self.standardize!r} must list True and/or False")
        for name in ("alphas", "appendix_alphas"):
            a = getattr(self, name)
            if not a or a[0] != 0:
                raise validate.ParameterError(f"{name}={a!r} must start with 0 (the Gaussian floor)")
        if not self.appendix_ms:
            raise validate.ParameterError("appendix_ms must hold at least one number of components")

    @classmethod
    def of(cls, namespace: dict) -> Chapter:
        """The chapter's parameters picked by name from ``namespace`` (the notebook's ``globals()``)."""
        return cls(**{name: namespace[name] for name in cls.__dataclass_fields__})

    def setup(self, g: str) -> Setup:
        return Setup(g=g, f=self.f, N=self.N, D=self.D, K=self.K, M=self.M, lr=self.lr, runs=self.runs,
                     t_max=self.t_max, seed=self.seed)

    def grid(self, g: str) -> tuple[list, list, int, float]:
        """(ms, alphas, example m, example alpha) of activation ``g`` (:func:`chapter_grid`)."""
        return chapter_grid(g, self.activations, self.ms, self.alphas, self.appendix_ms, self.appendix_alphas)

    def sweeps(self) -> dict:
        """``{g: chapter_sweeps(...)}`` for every activation on its grid (cached)."""
        return {g: chapter_sweeps(self.setup(g), *self.grid(g)[:2], self.n_mixtures, self.standardize,
                                  self.shared_alphas) for g in self.activations}

    def example(self, g: str, standardize: bool, variant: str = "coordinate", m: int | None = None,
                alpha: float | None = None) -> ComparisonResult:
        """:func:`example` for activation ``g``, by default at the example cell of its grid (Figs. 3 and 5)."""
        _, _, m_ex, alpha_ex = self.grid(g)
        return example(self.setup(g), alpha_ex if alpha is None else alpha, m_ex if m is None else m,
                       standardize, variant)


# --- Tables I and II of 001 -----------------------------------------------------------------------

# The paper's values (001, appendix F, Tables I (erf) and II (ReLU): per-component tLog-RMSE for
# standardised GM(alpha, m = 2) and the E[|X|] row) are transcribed once, in lib.measures.paper_tables;
# checked against shared/paper/001_*.txt lines 2128-2180. Activation -> table key:
PAPER_TABLE_OF = {"erf": "I", "relu": "II"}


def paper_table(g: str) -> dict[str, list[float]]:
    """The paper's table for activation ``g`` as rows 'alpha=<a>' / 'E[|X|]' -> 10 values (TABLE_COLUMNS)."""
    validate.choice("g", g, PAPER_TABLE_OF)
    return dict(PAPER_TABLES[PAPER_TABLE_OF[g]]["rows"])


def _components(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """Concatenate Q, R, v components in TABLE_COLUMNS order along the last axis (K = M = 2 only)."""
    return np.concatenate([arrays[n].reshape(*arrays[n].shape[:-2 if n != "v" else -1], -1) for n in METRICS],
                          axis=-1)


def table_rows(res: SweepResult, m: int = 2) -> dict[str, list[float]]:
    """Our version of Table I/II: per-component tLog-RMSE for each alpha (mean over mixtures and runs)
    and the E[|X|] row (mean |x| per component over times, runs, mixtures and alphas). Needs K = M = 2."""
    if (res.setup.K, res.setup.M) != (2, 2):
        raise validate.ParameterError(f"the paper's tables have K = M = 2, not K={res.setup.K}, M={res.setup.M}")
    if m not in res.ms:
        raise validate.ParameterError(f"m={m} is not in the sweep's ms={res.ms}")
    i = res.ms.index(m)
    tl = _components({n: res.tlog[n][i] for n in METRICS})          # (na, nx, R, 10)
    sc = _components({n: res.scale[n][i] for n in METRICS})         # (na, nx, 10)
    rows = {f"alpha={a:g}": list(tl[j].mean(axis=(0, 1))) for j, a in enumerate(res.alphas)}
    rows["E[|X|]"] = list(sc.mean(axis=(0, 1)))
    return rows


def table_versus_paper(ours: dict[str, list[float]], g: str) -> list[tuple[str, str, list[float]]]:
    """Rows present in both our table and the paper's: (row label, 'ours' | 'paper' | 'diff', values),
    diff = ours - paper."""
    paper = paper_table(g)
    out = []
    for label, vals in ours.items():
        if label in paper:
            p = paper[label]
            out += [(label, "ours", list(vals)), (label, "paper", list(p)),
                    (label, "diff", [a - b for a, b in zip(vals, p)])]
    return out


TABLE_GROUPS = (TABLE_COLUMNS[:4], TABLE_COLUMNS[4:])   # Q | R and v: two tables that fit a book column


def table_markdown(rows: list[tuple[str, str, list[float]]], groups=TABLE_GROUPS) -> str:
    """:func:`table_versus_paper` rows as Markdown, one table per group of columns (default: the components of
    Q, then those of R and v; all twelve columns in one table are wider than the book's text column)."""
    tables = []
    for cols in groups:
        idx = [TABLE_COLUMNS.index(c) for c in cols]
        lines = ["| row | source | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 2)]
        for label, source, vals in rows:
            lines.append(f"| {label.replace('|', '&#124;')} | {source} | " + " | ".join(
                f"{vals[i]:+.3f}" if source == "diff" else f"{vals[i]:.3f}" for i in idx) + " |")
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


def table_ratio_markdown(ours: dict[str, list[float]], g: str) -> str:
    """The table against the paper's in three rows of ratios ours / paper per component: at alpha = 0, the
    mean over the alpha > 0 rows both tables have, and the E|X| row (the full table is :func:`table_markdown`)."""
    paper = paper_table(g)
    shared = [k for k in ours if k in paper]
    ratio = {k: np.asarray(ours[k], float) / np.asarray(paper[k], float) for k in shared}
    later = [ratio[k] for k in shared if k.startswith("alpha=") and k != "alpha=0"]
    picked = [("ours / paper at alpha = 0", ratio.get("alpha=0")),
              (f"ours / paper, mean over {len(later)} rows alpha > 0", np.mean(later, axis=0) if later else None),
              ("ours / paper, E&#124;X&#124;", ratio.get("E[|X|]"))]
    tables = []
    for cols in TABLE_GROUPS:
        idx = [TABLE_COLUMNS.index(c) for c in cols]
        lines = ["| | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
        lines += [f"| {label} | " + " | ".join(f"{r[i]:.2f}" for i in idx) + " |" for label, r in picked
                  if r is not None]
        tables.append("\n".join(lines))
    return "\n\n".join(tables)


# --- statistics used by the claims ----------------------------------------------------------------

def pooled_sd(res: SweepResult, name: str, cells=None) -> float:
    """Pooled run-to-run standard deviation of the per-run tLog-RMSE (eq. 20) over ``cells`` (a list of
    (m index, alpha index); default every cell): sqrt(sum_c (n - 1) s_c^2 / sum_c (n - 1)), n = nx * R."""
    g = res.gap(name)
    cells = [(i, j) for i in range(g.shape[0]) for j in range(g.shape[1])] if cells is None else list(cells)
    if g.shape[-1] < 2 or not cells:
        raise validate.ParameterError("a pooled standard deviation needs >= 2 runs per cell and one cell")
    return float(np.sqrt(np.mean([g[i, j].var(ddof=1) for i, j in cells])))


def gaussian_scatter(std: SweepResult | None, unstd: SweepResult | None, name: str) -> tuple[float, int]:
    """Run-to-run standard deviation of M(name) at the Gaussian level and the number of values behind it:
    pooled over every cell of the standardised coordinate-wise sweep (all at the Gaussian level if claim 3
    of the chapter holds; its alpha = 0 cell, the same for every m, counted once) and the alpha = 0 cell
    of the unstandardised one (an exactly Gaussian input)."""
    groups = []
    for res, all_cells in ((std, True), (unstd, False)):
        if res is None:
            continue
        g, j0 = res.gap(name), res.alphas.index(0.0)
        groups.append(g[0, j0])
        if all_cells:
            groups += [g[i, j] for i in range(g.shape[0]) for j in range(g.shape[1]) if j != j0]
    if not groups or groups[0].size < 2:
        raise validate.ParameterError("the Gaussian scatter needs a sweep with alpha = 0 and >= 2 runs per cell")
    return float(np.sqrt(np.mean([x.var(ddof=1) for x in groups]))), sum(x.size for x in groups)


def versus_floor(res: SweepResult, floor: SweepResult, name: str, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """(M - M_floor, (M - M_floor) / se) for every cell of ``res``: (nm, na) each. M_floor is the alpha = 0
    cell of ``floor`` (first m); se = sd sqrt(1/n + 1/n0) with n, n0 the (mixture, run) pairs of the
    cell and of the floor and ``sd`` the run-to-run standard deviation at the Gaussian level (the null
    hypothesis 'this cell is at the Gaussian level' fixes the scatter of both means)."""
    if 0.0 not in floor.alphas:
        raise validate.ParameterError("the floor sweep needs alpha = 0 among its alphas")
    j0 = floor.alphas.index(0.0)
    n0, n = floor.gap(name).shape[-1], res.gap(name).shape[-1]
    diff = res.mean(name) - floor.mean(name)[0, j0]
    return diff, diff / (sd * np.sqrt(1.0 / n + 1.0 / n0))


def mixture_mean(res: SweepResult, m_index: int, alpha_index: int) -> np.ndarray:
    """Mean of one coordinate of the raw coordinate-wise mixture, sum_k p_k mu_k, per mixture: (nx,)."""
    out = []
    for x in range(res.n_mixtures):
        d = res.setup.comparison(res.alphas[alpha_index], res.ms[m_index], False, res.variant, x).distribution()
        out.append(0.0 if d.dist == "gaussian" else float(d.raw_mean[0]))
    return np.array(out)


def growth_with_time(gap: np.ndarray, t: np.ndarray, fraction: float = 0.25) -> float:
    """Ratio of the mean of ``gap`` over the last ``fraction`` of the log-sampled times to its mean over
    the first ``fraction`` (t > 0); > 1 when the gap grows with time. ``gap``: (..., T) -> float."""
    idx = log_time_indices(t)
    n = max(1, int(round(fraction * idx.size)))
    g = np.asarray(gap)[..., idx]
    return float(g[..., -n:].mean() / g[..., :n].mean())


def half_steps(gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Growth of ``gap`` (..., n) along its last axis over the lower and the upper half of it: (gap[k] - gap[0],
    gap[-1] - gap[k]) with k = (n - 1) // 2, so that for n odd both halves span the same number of steps. On an
    equally spaced grid the upper step is larger when the gap accelerates and smaller when it levels off."""
    g = np.asarray(gap)
    if g.shape[-1] < 3:
        raise validate.ParameterError(f"half_steps needs three points or more, got {g.shape[-1]}")
    k = (g.shape[-1] - 1) // 2
    return g[..., k] - g[..., 0], g[..., -1] - g[..., k]


def late_mean(gap: np.ndarray, t: np.ndarray, fraction: float = 0.25) -> np.ndarray:
    """Mean of ``gap`` (..., T) over the last ``fraction`` of the log-sampled times: (...)."""
    idx = log_time_indices(t)
    n = max(1, int(round(fraction * idx.size)))
    return np.asarray(gap)[..., idx[-n:]].mean(axis=-1)


def initial_activity(setup: Setup, alpha: float, m: int, standardize: bool, variant: str = "coordinate",
                     mixture: int = 0, samples: int = 2000) -> np.ndarray:
    """Fraction of inputs on which each student unit is active (lambda_k > 0) at the initial weights of a
    cell (the weights both SGD and the ODE start from), from ``samples`` draws of C: (K,).
    lambda = W f(C F / sqrt D) / sqrt N (eq. 2); 1/2 for centred Gaussian inputs with f = sgn."""
    import torch

    from ..core.functions import fold
    from ..core.model import init_weights

    c = setup.comparison(alpha, m, standardize, variant, mixture)
    samples = validate.integer("samples", samples, 1)
    w = init_weights(c.model, runs=1, seed=c.seed, share_student=True)
    C = c.distribution().sample(samples, torch.Generator().manual_seed(c.seed), dtype=torch.float64)
    X = fold(c.model.f)(C @ w.F[0] / np.sqrt(c.model.D))
    lam = X @ w.W[0].T / np.sqrt(c.model.N)
    return (lam > 0).double().mean(0).numpy()


def latent_covariance_top(dist) -> float:
    """Largest eigenvalue of the exact covariance of C (after standardisation) for a 'gmm' distribution.

    Coordinate-wise: Cov = diag(raw_var) / scale^2 (independent coordinates, top ~ 1). Shared label:
    Cov = S^-1 [I + sum_k p_k (mu_k - mu_bar)(mu_k - mu_bar)^T] S^-1 with S = diag(scale): a rank-(m-1)
    spike on the unit diagonal. Returns a float."""
    if dist.dist != "gmm":
        raise validate.ParameterError(f"latent_covariance_top needs dist='gmm', not {dist.dist!r}")
    if dist.params["variant"] == "coordinate":
        return float((dist.raw_var / dist.scale**2).max())
    centred = dist.means - dist.weights @ dist.means                           # (m, D)
    cov = np.eye(dist.D) + (centred.T * dist.weights) @ centred
    cov /= np.outer(dist.scale, dist.scale)
    return float(np.linalg.eigvalsh(cov)[-1])


def ode_movement(result: ComparisonResult, name: str) -> float:
    """How far the ODE trajectory travels from its start: max over recorded times and components of
    |x(t) - x(0)| for x = Q (K, K), R (K, M), v (K,) or eg, from ``result.ode`` (one run). Used to check
    that a comparison is not vacuous: an SGD run that never left its initial weights would sit a distance
    of this order from the ODE, far above the Gaussian floor when the movement is many floors."""
    validate.choice("name", name, METRICS + ("eg",))
    x = getattr(result.ode, name)[0]                                # (times, *components)
    return float(np.abs(x - x[:1]).max())
