"""Section V.3 of 000: SGD on pseudo-real MNIST inputs against the ODE (Fig. 10 and its appendix).

Builds on :mod:`lib.core.pseudo_real` (the fit of C and F, the KDE of C, the pseudo-teachers). One
:class:`MnistRun` fixes the fit, the teacher, the latent inputs and the SGD sizes; :func:`mnist_dynamics`
(cached) runs SGD from one shared initial student and integrates the ODE from the same weights with two
sets of fold constants. The latent inputs (``inputs``) are

* ``"kde"``: new C drawn from the Gaussian-kernel density estimate of the fitted C (the pseudo-real data);
* ``"standardized"``: the same estimate mapped coordinate-wise to mean 0, variance 1 with its exact moments,
  (C - E C) / sd(C) (the standardisation of the paper's sections IV-V applied to the pseudo-real C);
* ``"gaussian"``: C ~ N(0, I_D), the finite-size floor of the same model (same F, teacher, student).

Fold constants (eq. S13) of the ODE:

* ``"gaussian"``: a, b, c of f under u ~ N(0, 1);
* ``"corrected"``: moment-matched to the entries u of U = C F / sqrt(D) under the run's inputs (pooled over
  samples and pixels): a = E f(u), b = E[(u - E u) f(u)] / sd(u), c = E f(u)^2. For u ~ N(0, 1) these are the
  Gaussian constants. The literal E[u f(u)] of :func:`lib.core.pseudo_real.corrected_constants` is not used as b:
  for non-centred u it can exceed sqrt(c - a^2) (MNIST: 2.3 against c = 0.83), which no covariance allows.

Q and R are linear in the constants, Q = (c - a^2 - b^2) Omega + b^2 Sigma, R = (b / D) S W~^T (eqs. 9-15),
so SGD's Q and R are re-expressed with the constants of the ODE they are compared with (:meth:`MnistDynamics.sgd_as`).
The SGD side of eg is the test error on held-out inputs of the run's own law (``eg_numeric``).

What the chapter shows comes only from small cached results, so that its paper-scale results fit in a bundle
(:mod:`lib.pipeline.bundle`): :func:`fit_summary` (numbers, a few images and spectra of the fit and its KDE, never C or
F), :func:`input_moments`, :func:`teacher_field_summary` (cumulants and a histogram, not the samples),
:func:`lib.core.pseudo_real.pseudo_teacher_study` and :func:`mnist_dynamics`.

The chapter makes these calls through :class:`PseudoRealChapter` (built from its parameters cell, one method per
step); :func:`chapter_results` makes the same calls without plotting, so a machine with only the numerical
libraries can fill the cache for a profile. The ``*_table`` and ``*_numbers`` functions give the text it prints
and the numbers its prose glues; its figures are in :mod:`lib.studies.pseudo_real_figures`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from scipy import stats

from ..core import validate
from ..core.cache import cached
from ..core.inputs import make_distribution
from ..measures.metrics import tlog_rmse
from ..core.model import Weights
from ..core.ode import ODEState, integrate_ode
from ..core.pseudo_real import (FoldMoments, KDESampler, PseudoRealParams, TeacherParams, corrected_constants, fit_kde,
                          fit_pseudo_real, fold_moments, pseudo_real_model, pseudo_real_weights,
                          pseudo_teacher_study)
from ..core.sgd import simulate_sgd
from ..core.trajectory import Trajectory

INPUTS = ("kde", "standardized", "gaussian")
CONSTANTS = ("gaussian", "corrected")
GAPS = ("Q", "R", "v", "eg")


# ------------------------------------------------------------------------------------------ inputs
def standardized_kde(kde: KDESampler) -> KDESampler:
    """The KDE mapped coordinate-wise by (C - mean) / sd with its exact mean and variance: centres
    (P, D) -> (centres - mean) / sd, bandwidths h (D,) -> h / sd (an exact affine image of the estimate)."""
    sd = np.sqrt(kde.var)
    return KDESampler((kde.centres - kde.mean) / sd, kde.h / sd, kde.labels)


def latent_inputs(params: PseudoRealParams, inputs: str):
    """The distribution of C for ``inputs`` in :data:`INPUTS` (objects with ``sample(n, generator, ...)``)."""
    validate.choice("inputs", inputs, INPUTS)
    if inputs == "gaussian":
        return make_distribution("gaussian", params.D)
    kde = fit_kde(fit_pseudo_real(params))
    return kde if inputs == "kde" else standardized_kde(kde)


@cached(version=1)
def input_moments(params: PseudoRealParams, inputs: str, n: int = 20000, seed: int = 0) -> FoldMoments:
    """Literal (a, E[u f(u)], c) and the mean and variance of the entries u of U = C F / sqrt(D) for n draws
    of C from ``inputs`` (for "kde" exactly :func:`lib.core.pseudo_real.corrected_constants`). Cached: a chapter
    reads it without the fit (the result is a few numbers)."""
    validate.choice("inputs", inputs, INPUTS)
    if inputs == "kde":
        return corrected_constants(params, "kde", n, seed)
    C = latent_inputs(params, inputs).sample(validate.integer("n", n, 1), torch.Generator().manual_seed(seed),
                                             dtype=torch.float64)
    return fold_moments(fit_pseudo_real(params).U(C.numpy()), params.f)


def ode_constants(m: FoldMoments) -> tuple[float, float, float]:
    """Moment-matched (a, b, c) for the ODE (module docstring): a = E f(u), b = Cov(u, f(u)) / sd(u),
    c = E f(u)^2, from the literal moments (b_lit = E[u f(u)]): Cov(u, f(u)) = b_lit - E[u] a.
    Then c - a^2 - b^2 = Var f(u) (1 - corr(u, f(u))^2) >= 0."""
    return m.a, (m.b - m.u_mean * m.a) / math.sqrt(m.u_var), m.c


# ------------------------------------------------------------------------------------------ dynamics
@dataclass(frozen=True)
class MnistRun:
    """One SGD-vs-ODE experiment on the pseudo-real model (N = 784, D = fit.D, K, M = teacher.M, f = fit.f,
    g = teacher.g). All ``runs`` start from one student drawn from ``seed`` and differ only in their samples.
    ``teacher_index`` picks the pseudo-teacher of :func:`lib.core.pseudo_real.pseudo_teacher_study`."""

    fit: PseudoRealParams = field(default_factory=PseudoRealParams)
    teacher: TeacherParams = field(default_factory=TeacherParams)
    teacher_index: int = 0
    inputs: str = "kde"
    K: int = 2
    lr: float = 0.2
    runs: int = 4
    t_max: float = 20.0
    points: int = 30
    seed: int = 0
    dt: float = 0.01
    test_samples: int = 1000
    moment_samples: int = 20000     # draws of C behind the corrected constants

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)
        if not isinstance(self.fit, PseudoRealParams) or not isinstance(self.teacher, TeacherParams):
            raise validate.ParameterError("fit and teacher must be PseudoRealParams and TeacherParams")
        set_("teacher_index", validate.integer("teacher_index", self.teacher_index, 0))
        if self.teacher_index >= self.teacher.n_teachers:
            raise validate.ParameterError(f"teacher_index={self.teacher_index} must be < n_teachers="
                                          f"{self.teacher.n_teachers}")
        validate.choice("inputs", self.inputs, INPUTS)
        for name in ("K", "runs", "points", "test_samples", "moment_samples"):
            set_(name, validate.integer(name, getattr(self, name), 1))
        for name in ("lr", "t_max", "dt"):
            set_(name, validate.real(name, getattr(self, name), positive=True))
        set_("seed", validate.integer("seed", self.seed, 0))

    @property
    def model(self):
        return pseudo_real_model(self.fit, self.teacher, K=self.K, lr=self.lr)


@dataclass
class MnistDynamics:
    """Result of :func:`mnist_dynamics`. ``sgd``: (runs, times, ...) as recorded (Q, R with the Gaussian
    constants); ``ode``: constants name -> Trajectory (1, times, ...); ``constants``: name -> (a, b, c);
    ``moments``: literal moments of u under the run's inputs; ``teacher_accuracy``: test accuracy of the
    pseudo-teacher on the fitted C."""

    run: MnistRun
    sgd: Trajectory
    ode: dict
    constants: dict
    moments: FoldMoments
    teacher_accuracy: float

    def sgd_as(self, name: str) -> Trajectory:
        """SGD with Q = (c - a^2 - b^2) Omega + b^2 Sigma and R scaled by b / b_gauss for the constants ``name``."""
        validate.choice("name", name, CONSTANTS)
        a, b, c = self.constants[name]
        b0 = self.constants["gaussian"][1]
        s = self.sgd
        return replace(s, Q=(c - a * a - b * b) * s.Omega + b * b * s.Sigma, R=s.R * (b / b0))

    def tlog(self, name: str) -> dict[str, np.ndarray]:
        """Per run, component-averaged tLog-RMSE (eq. 20 of 001) between SGD and the ODE with constants
        ``name``: keys Q, R, v, eg, each (runs,). eg compares SGD's test error with the ODE's eq. S48."""
        s, o = self.sgd_as(name), self.ode[name]
        pairs = {"Q": (s.Q, o.Q), "R": (s.R, o.R), "v": (s.v, o.v), "eg": (s.eg_numeric, o.eg)}
        return {k: tlog_rmse(s.t, x, y, time_axis=1).reshape(s.runs, -1).mean(1) for k, (x, y) in pairs.items()}

    def scale(self, name: str, key: str) -> float:
        """Mean |x| of SGD's ``key`` over runs, times and components (the metric's scale)."""
        s = self.sgd_as(name)
        return float(np.abs(s.eg_numeric if key == "eg" else getattr(s, key)).mean())


def run_weights(run: MnistRun) -> Weights:
    """Initial weights of every run: fitted F, the chosen pseudo-teacher, one student from ``run.seed``."""
    study = pseudo_teacher_study(run.fit, run.teacher)
    return pseudo_real_weights(fit_pseudo_real(run.fit), study.teachers[run.teacher_index], K=run.K,
                               runs=run.runs, seed=run.seed, share_student=True)


@cached(version=1)
def mnist_dynamics(run: MnistRun, progress: bool = False) -> MnistDynamics:
    """SGD on ``run.inputs`` (``run.runs`` runs, shared initial weights) and the ODE from the same weights
    with Gaussian and corrected constants, recorded at the same log-spaced times."""
    model = run.model
    w = run_weights(run)
    sgd = simulate_sgd(model, latent_inputs(run.fit, run.inputs), runs=run.runs, t_max=run.t_max, seed=run.seed,
                       weights=w, points=run.points, test_samples=run.test_samples, progress=progress)
    moments = input_moments(run.fit, run.inputs, run.moment_samples, run.seed)
    constants = {"gaussian": model.abc, "corrected": ode_constants(moments)}
    w1 = Weights(w.F, w.W[:1], w.v[:1], w.W_t[:1], w.v_t[:1])         # runs share the student
    ode = {name: integrate_ode(ODEState.from_weights(model, w1, abc=abc), model.lr, run.t_max, dt=run.dt, times=sgd.t)
           for name, abc in constants.items()}
    acc = pseudo_teacher_study(run.fit, run.teacher).teachers[run.teacher_index].test_accuracy
    return MnistDynamics(run, sgd, ode, constants, moments, acc)


def teacher_dynamics(run: MnistRun, indices) -> list[tuple[MnistDynamics, MnistDynamics]]:
    """The appendix study: for each pseudo-teacher index, (pseudo-real run, Gaussian-floor run) of ``run``."""
    out = []
    for i in indices:
        r = replace(run, teacher_index=validate.integer("indices", i, 0))
        out.append((mnist_dynamics(replace(r, inputs="kde")), mnist_dynamics(replace(r, inputs="gaussian"))))
    return out


# ------------------------------------------------------------------------------------------ statistics
@dataclass(frozen=True)
class Excess:
    """Mean per-run tLog-RMSE of a case against a reference (e.g. the Gaussian floor): ``ratio`` of the means,
    Welch's one-sided t statistic and p-value for case > reference."""

    mean: float
    se: float
    reference: float
    reference_se: float
    ratio: float
    t: float
    p_value: float


def excess(values, reference) -> Excess:
    """Welch's t-test (one-sided, case > reference) of two sets of per-run values."""
    x, y = np.asarray(values, float), np.asarray(reference, float)
    if x.size < 2 or y.size < 2:
        raise validate.ParameterError("excess needs at least two runs on each side")
    res = stats.ttest_ind(x, y, equal_var=False, alternative="greater")
    se = lambda z: float(z.std(ddof=1) / math.sqrt(z.size))
    return Excess(float(x.mean()), se(x), float(y.mean()), se(y), float(x.mean() / y.mean()),
                  float(res.statistic), float(res.pvalue))


def paired_improvement(worse, better) -> tuple[float, float]:
    """Paired one-sided t-test that ``better`` < ``worse`` run by run (the same SGD runs against two ODEs):
    (mean of worse - better, p-value)."""
    x, y = np.asarray(worse, float), np.asarray(better, float)
    if x.shape != y.shape or x.size < 2:
        raise validate.ParameterError("paired_improvement needs two equal-length sets of at least two runs")
    d = x - y
    if np.all(d == d[0]):
        return float(d[0]), 0.0 if d[0] > 0 else 1.0
    return float(d.mean()), float(stats.ttest_rel(x, y, alternative="greater").pvalue)


def teacher_field(params: PseudoRealParams, teacher: TeacherParams, index: int, inputs: str, n: int = 20000,
                  seed: int = 0) -> dict:
    """Cumulants of the teacher's preactivations nu = W~ C / sqrt(D) (n, M) under ``inputs``, and of a random
    direction w (rows at |w|^2 = D, drawn from ``seed``) for comparison. Keys: "nu" (n, M) samples, "mean",
    "var", "skew", "exkurt" (M,), "random_var", "random_skew", "random_exkurt" (M,), "se_skew", "se_exkurt"
    (Gaussian standard errors sqrt(6/n), sqrt(24/n)); T = W~ W~^T / D is 1 on the diagonal."""
    W_t = pseudo_teacher_study(params, teacher).teachers[validate.integer("index", index, 0)].W_t
    gen = torch.Generator().manual_seed(validate.integer("seed", seed, 0))
    C = latent_inputs(params, inputs).sample(validate.integer("n", n, 10), gen, dtype=torch.float64).numpy()
    w = torch.randn(W_t.shape, generator=gen, dtype=torch.float64).numpy()
    w *= math.sqrt(params.D) / np.linalg.norm(w, axis=1, keepdims=True)
    nu, u = C @ W_t.T / math.sqrt(params.D), C @ w.T / math.sqrt(params.D)
    return {"nu": nu, "mean": nu.mean(0), "var": nu.var(0), "skew": stats.skew(nu), "exkurt": stats.kurtosis(nu),
            "random_var": u.var(0), "random_skew": stats.skew(u), "random_exkurt": stats.kurtosis(u),
            "se_skew": math.sqrt(6 / n), "se_exkurt": math.sqrt(24 / n)}


def _field_histogram(x: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """np.histogram of the columns of x (n, M) with ``bins`` equal bins over each column's range, as density:
    (edges (M, bins + 1), density (M, bins)); the binning of matplotlib's ``hist(x[:, m], bins, density=True)``."""
    pairs = [np.histogram(x[:, m], bins=bins, density=True) for m in range(x.shape[1])]
    return np.stack([e for _, e in pairs]), np.stack([d for d, _ in pairs])


@cached(version=1)
def teacher_field_summary(params: PseudoRealParams, teacher: TeacherParams, index: int, inputs: str,
                          n: int = 20000, seed: int = 0, bins: int = 80) -> dict:
    """:func:`teacher_field` without its n samples: the same cumulants (keys "mean", "var", "skew", "exkurt",
    "random_var", "random_skew", "random_exkurt" (M,), "se_skew", "se_exkurt") plus the histogram of the
    teacher field nu (n, M), ``bins`` equal bins over each column's range: "hist_edges" (M, bins + 1), "hist_density"
    (M, bins). Cached and small (O(M bins) numbers whatever n), so a chapter can read it from a bundle."""
    bins = validate.integer("bins", bins, 1)
    tf = teacher_field(params, teacher, index, inputs, n, seed)
    edges, density = _field_histogram(tf.pop("nu"), bins)
    return {**tf, "hist_edges": edges, "hist_density": density}


@dataclass
class FitSummary:
    """What the pseudo-real chapter shows of the fit (:func:`fit_summary`), without C (P, D) or F (D, N).

    before / after / baselines / history / wall_s: as in :class:`lib.core.pseudo_real.PseudoRealFit`;
    shown (n_show,): indices (into the fitted digits) of the digits shown; images: rows of the figure, each
    (n_show, 28, 28) grey levels in [0, 1]: "targets" (the MNIST digits), "fit" (their f(C F / sqrt D)), "kde"
    (f(U) of n_show new C drawn from the KDE), "standardized" (the same draws standardised coordinate-wise with
    the KDE's exact mean and variance); h_ratio: mean over coordinates of the KDE bandwidth h_i over the sample
    standard deviation of C_i; pixel_var (N,): variance of each pixel's u = (C F / sqrt D)_r for C ~ N(0, I_D),
    sum_i F_ir^2 / D; corr_eig (D,): eigenvalues of the correlation matrix of the KDE (ascending)."""

    params: PseudoRealParams
    before: dict
    after: dict
    baselines: dict
    history: dict
    wall_s: float
    shown: np.ndarray
    images: dict
    h_ratio: float
    pixel_var: np.ndarray
    corr_eig: np.ndarray


@cached(version=1)
def fit_summary(params: PseudoRealParams, n_show: int = 8, seed: int = 0) -> FitSummary:
    """Summary of :func:`lib.core.pseudo_real.fit_pseudo_real` and of its KDE (:class:`FitSummary`): a few numbers,
    n_show digits (drawn without replacement by numpy's generator from ``seed``) and n_show KDE draws (torch
    generator seeded with ``seed``). Its size is O(n_show N + N + D), independent of P."""
    n_show = validate.integer("n_show", n_show, 1)
    if n_show > params.P:
        raise validate.ParameterError(f"n_show={n_show} exceeds the P={params.P} fitted digits")
    seed = validate.integer("seed", seed, 0)
    fit = fit_pseudo_real(params)
    kde = fit_kde(fit)
    shown = np.random.default_rng(seed).choice(params.P, n_show, replace=False)
    new_C = kde.sample(n_show, torch.Generator().manual_seed(seed), dtype=torch.float64).numpy()
    std_C = (new_C - kde.mean) / np.sqrt(kde.var)
    images = {"targets": fit.targets()[shown].reshape(-1, 28, 28) / (2 * params.pixel_scale) + 0.5,
              "fit": fit.images()[shown], "kde": fit.images(new_C), "standardized": fit.images(std_C)}
    sd_C = np.sqrt(kde.var)
    return FitSummary(params, dict(fit.before), dict(fit.after), dict(fit.baselines),
                      {k: np.asarray(v) for k, v in fit.history.items()}, float(fit.wall_s), shown, images,
                      h_ratio=float(np.mean(kde.h / np.sqrt(np.diag(np.cov(fit.C, rowvar=False))))),
                      pixel_var=(fit.F ** 2).sum(0) / params.D,
                      corr_eig=np.linalg.eigvalsh(kde.covariance / np.outer(sd_C, sd_C)))


# ------------------------------------------------------------------------------------------ the chapter
N_SHOW = 8                 # digits shown in Fig. 9
MOMENT_SAMPLES = 20000     # draws of C behind the table of fold constants
FIELD_BINS = 80            # histogram bins of the teacher field


@dataclass(frozen=True)
class PseudoRealChapter:
    """The cached calls of the chapter ``07_pseudo_real``, built from its parameters cell. Each method makes
    one step's calls, in the chapter's order (:data:`CHAPTER_STEPS`); :func:`chapter_results` makes them all."""

    fit: PseudoRealParams
    teacher: TeacherParams
    base: MnistRun                   # the main pseudo-teacher on pseudo-real inputs
    main_teacher: int
    indices: tuple                   # teachers of the appendix, the main one first
    field_samples: int
    seed: int

    @classmethod
    def from_parameters(cls, p) -> "PseudoRealChapter":
        """From the chapter's parameters ``p`` (a dict or the notebook's namespace, keyed by the names of its
        parameters cell), validated as the chapter validated them."""
        fit = PseudoRealParams(P=p["P"], D=p["D"], f=p["fold"], pixel_scale=p["pixel_scale"],
                               iterations=p["iterations"], lambda_F=p["lambda_F"], lambda_C=p["lambda_C"],
                               bandwidth=p["bandwidth"], seed=p["seed"])
        teacher = TeacherParams(M=p["M"], g=p["g"], lambda_W=p["lambda_W"], iterations=p["teacher_iterations"],
                                n_teachers=p["n_teachers"], n_random=p["n_random"], seed=p["seed"])
        main, n_app, n_t = p["main_teacher"], p["appendix_teachers"], p["n_teachers"]
        if not 0 <= main < n_t or not 0 <= n_app < n_t:
            raise validate.ParameterError(f"main_teacher={main} and appendix_teachers={n_app} must be "
                                          f"below n_teachers={n_t}")
        base = MnistRun(fit=fit, teacher=teacher, teacher_index=main, K=p["K"], lr=p["lr"], runs=p["runs"],
                        t_max=p["t_max"], points=p["points"], seed=p["seed"], test_samples=p["test_samples"])
        indices = tuple([main] + [i for i in range(n_t) if i != main][:n_app])
        return cls(fit, teacher, base, main, indices, p["field_samples"], p["seed"])

    def fit_summary(self) -> FitSummary:
        return fit_summary(self.fit, N_SHOW, self.seed)

    def teachers(self):
        """:class:`lib.core.pseudo_real.TeacherStudy` of the pseudo-teachers against random ones."""
        return pseudo_teacher_study(self.fit, self.teacher)

    def moments(self) -> dict[str, FoldMoments]:
        return {name: input_moments(self.fit, name, MOMENT_SAMPLES, self.seed) for name in INPUTS}

    def cases(self) -> dict[str, MnistDynamics]:
        """SGD against the ODE for each input law of :data:`INPUTS` (Fig. 10)."""
        return {name: mnist_dynamics(replace(self.base, inputs=name)) for name in INPUTS}

    def fields(self) -> dict[str, dict]:
        """:func:`teacher_field_summary` of the main teacher on pseudo-real and standardised inputs."""
        return {name: teacher_field_summary(self.fit, self.teacher, self.main_teacher, name, self.field_samples,
                                            self.seed, bins=FIELD_BINS) for name in ("kde", "standardized")}

    def appendix(self) -> list[tuple[MnistDynamics, MnistDynamics]]:
        return teacher_dynamics(self.base, self.indices)


CHAPTER_STEPS = ("fit_summary", "teachers", "moments", "cases", "fields", "appendix")


def chapter_results(p: dict) -> None:
    """Compute (into the result cache) every expensive result of the chapter for its parameters ``p``, by the
    same calls in the same order as the chapter, without plotting: a machine with only torch, numpy, scipy,
    tqdm and pyyaml can compute the paper profile's results this way."""
    chapter = PseudoRealChapter.from_parameters(p)
    for step in CHAPTER_STEPS:
        getattr(chapter, step)()


# ------------------------------------------------------------------------------------------ tables and numbers
# *_table: the Markdown the chapter displays (tables that wrap inside the book's column, a note line below);
# *_numbers: the numbers its prose glues, name -> formatted text.
def markdown_table(header, rows, note: str = "") -> str:
    """A Markdown table (``header``: column titles; ``rows``: lists of cells, already text), then ``note``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + (f"\n\n{note}" if note else "")


def fit_table(fit: FitSummary) -> str:
    """Reconstruction error and correlations before and after the fit, against their i.i.d. Gaussian level."""
    prm, (b, a) = fit.params, (fit.before, fit.after)
    random_level = {"F": 1 / np.sqrt(prm.N), "C": 1 / np.sqrt(prm.P), "S": 1 / np.sqrt(prm.D)}
    rows = [["reconstruction mse", f"{b['mse']:.4f}", f"{a['mse']:.4f}", ""]]
    for key, what in (("F", "rows of F"), ("C", "coordinates of C"), ("S", "samples of C (not penalised)")):
        rows.append([f"rms ρ, {what}", f"{b[key]:.4f}", f"{a[key]:.4f}", f"{random_level[key]:.4f}"])
        rows.append([f"largest ρ (absolute), {what}", f"{b[key + '_max']:.4f}", f"{a[key + '_max']:.4f}", ""])
    note = (f"Baselines: mean image {fit.baselines['mean']:.4f}, zero {fit.baselines['zero']:.4f}; the fit took "
            f"{fit.wall_s:.0f} s, {len(fit.history['mse'])} function evaluations.")
    return markdown_table(["quantity", "before", "after", "random level"], rows, note)


def fit_numbers(fit: FitSummary) -> dict[str, str]:
    b, a = fit.before, fit.after
    values = {"mse_before": b["mse"], "mse_after": a["mse"], "mse_mean": fit.baselines["mean"],
              "rhoF_before": b["F"], "rhoF_after": a["F"], "rhoC_before": b["C"], "rhoC_after": a["C"],
              "rhoS_before": b["S"], "rhoS_after": a["S"], "h_ratio": fit.h_ratio}
    return {**{k: f"{v:.3f}" for k, v in values.items()}, "P": f"{fit.params.P}", "D": f"{fit.params.D}",
            "rho_outcome": correlation_outcome(fit)}


def correlation_outcome(fit: FitSummary) -> str:
    """The sentence that says whether the penalties held the correlations of F's rows and of C's coordinates
    at or below their i.i.d. Gaussian start (the check ``V3.fit-weak-correlations``)."""
    below = [k for k in ("F", "C") if fit.after[k] <= fit.before[k]]
    names = {"F": "$\\rho^F$", "C": "$\\rho^C$"}
    if len(below) == 2:
        return "The penalised correlations end *below* their random start"
    if not below:
        return "The penalties do *not* hold the correlations at their random start: both end above it"
    above = "C" if below == ["F"] else "F"
    return (f"The penalty holds {names[below[0]]} below its random start, but {names[above]} ends *above* it "
            f"({fit.after[above] / fit.before[above]:.2f} times the i.i.d. level)")


def constants_outcome(gaussian: dict, corrected: dict, level: float) -> str:
    """The sentence that says for which of Q and the test error the corrected constants bring the ODE
    significantly closer to SGD (paired one-sided test over the same runs at ``level``; the check
    ``V3.corrected-closer``). ``gaussian``, ``corrected``: per-run tLog-RMSE per component."""
    names = {"Q": "$Q$", "eg": "the test error"}
    improvement = {k: paired_improvement(gaussian[k], corrected[k]) for k in names}      # (mean gain, p-value)
    better = [k for k, (gain, p) in improvement.items() if gain > 0 and p < level]
    if len(better) == 2:
        return "The corrected constants help where they act most directly, on $Q$ and on the test error"
    if not better:
        return "The corrected constants do not bring the ODE significantly closer to SGD, for $Q$ nor for the test error"
    other = "eg" if better == ["Q"] else "Q"
    return (f"The corrected constants bring the ODE significantly closer to SGD for {names[better[0]]} but not for "
            f"{names[other]}")


def teacher_table(study) -> str:
    """Accuracies of the pseudo-teachers and of the random ones (:class:`lib.core.pseudo_real.TeacherStudy`)."""
    r = study.random_accuracies
    rows = [[f"pseudo-teacher {i}", f"{tt.train_accuracy:.3f}", f"{tt.test_accuracy:.3f}"]
            for i, tt in enumerate(study.teachers)]
    rows.append([f"random teachers (n = {r.size})", "", f"{r.mean():.3f} ± {r.std(ddof=1):.3f}"])
    return markdown_table(["teacher", "train accuracy", "test accuracy"], rows,
                          f"Welch t = {study.t:.1f}, one-sided p = {study.p_value:.2e}.")


def teacher_numbers(study, chapter: PseudoRealChapter) -> dict[str, str]:
    acc = study.accuracies
    n_test = int(round((1 - chapter.teacher.train_fraction) * chapter.fit.P))
    return {"acc_main": f"{acc[chapter.main_teacher]:.3f}", "acc_range": f"{acc.min():.2f} to {acc.max():.2f}",
            "acc_random": f"{study.random_accuracies.mean():.3f}", "teacher_t": f"{study.t:.1f}",
            "teacher_p": f"{study.p_value:.1e}", "n_test": f"{n_test}", "n_teachers": f"{len(study.teachers)}"}


def moments_table(moments: dict[str, FoldMoments]) -> str:
    """Mean and variance of u, literal and moment-matched constants for each input law, and N(0, 1)'s."""
    rows = []
    for name, mo in moments.items():
        a_m, b_m, c_m = ode_constants(mo)
        rows.append([name, f"{mo.u_mean:.3f}", f"{mo.u_var:.3f}", f"{mo.a:.3f}", f"{mo.b:.3f}", f"{mo.c:.3f}",
                     f"{mo.c - mo.a ** 2 - mo.b ** 2:.3f}", f"{a_m:.3f}", f"{b_m:.3f}", f"{c_m:.3f}"])
    ga, gb, gc = moments["kde"].gaussian
    rows.append(["N(0, 1)", "0.000", "1.000", f"{ga:.3f}", f"{gb:.3f}", f"{gc:.3f}", f"{gc - ga ** 2 - gb ** 2:.3f}",
                 f"{ga:.3f}", f"{gb:.3f}", f"{gc:.3f}"])
    return markdown_table(["inputs", "E u", "Var u", "a", "E uf(u)", "c", "c - a² - b²", "a*", "b*", "c*"], rows,
                          "Columns 4 to 7: the literal constants; a*, b*, c*: the moment-matched ones.")


def moment_numbers(moments: dict[str, FoldMoments], fit: FitSummary) -> dict[str, str]:
    mk, (ga, gb, gc) = moments["kde"], moments["kde"].gaussian
    ck = ode_constants(mk)
    return {"u_mean": f"{mk.u_mean:.2f}", "u_var": f"{mk.u_var:.2f}",
            "lit_abc": f"({mk.a:.2f}, {mk.b:.2f}, {mk.c:.2f})",
            "lit_gap": f"{mk.c - mk.a ** 2 - mk.b ** 2:.2f}", "mm_abc": f"({ck[0]:.2f}, {ck[1]:.2f}, {ck[2]:.2f})",
            "gauss_abc": f"({ga:.2f}, {gb:.2f}, {gc:.2f})",
            "pixel_var": f"{fit.pixel_var.min():.2f} to {fit.pixel_var.max():.2f}"}


def tlog_gaps(cases: dict[str, MnistDynamics]) -> dict[tuple[str, str], tuple[dict, dict]]:
    """(inputs, constants) -> (per-run tLog-RMSE, its :class:`Excess` over the Gaussian floor with the same
    constants), for the keys of :data:`GAPS`; floor first, then pseudo-real, then standardised."""
    floor = {const: cases["gaussian"].tlog(const) for const in CONSTANTS}
    gaps = {}
    for name in ("gaussian", "kde", "standardized"):
        for const in CONSTANTS:
            tl = cases[name].tlog(const)
            gaps[(name, const)] = (tl, {k: excess(tl[k], floor[const][k]) for k in GAPS})
    return gaps


def gaps_table(cases: dict[str, MnistDynamics], gaps: dict) -> str:
    """tLog-RMSE (mean over runs) and its ratio to the floor for each input law and choice of constants."""
    rows = [[name, const] + [f"{ex[k].mean:.4f} ({ex[k].ratio:.1f}x)" for k in GAPS]
            for (name, const), (_, ex) in gaps.items()]
    scale = ", ".join(f"{k} {cases['kde'].scale('corrected', k):.3f}" for k in GAPS)
    return markdown_table(["inputs", "constants"] + [f"{k}: tLog-RMSE (ratio to the floor)" for k in GAPS], rows,
                          f"Scale of each metric (mean absolute value of SGD, corrected constants): {scale}.")


def gap_numbers(cases: dict[str, MnistDynamics], gaps: dict, level: float) -> dict[str, str]:
    kd = cases["kde"]
    floor, kc, kg, sc = (gaps[key][1] for key in (("gaussian", "corrected"), ("kde", "corrected"),
                                                   ("kde", "gaussian"), ("standardized", "gaussian")))
    out = {}
    for k in GAPS:
        out.update({f"floor_{k}": f"{floor[k].mean:.4f}", f"kc_{k}": f"{kc[k].mean:.4f}",
                    f"kc_ratio_{k}": f"{kc[k].ratio:.1f}", f"kg_{k}": f"{kg[k].mean:.4f}",
                    f"kg_ratio_{k}": f"{kg[k].ratio:.1f}", f"sc_ratio_{k}": f"{sc[k].ratio:.1f}",
                    f"kc_rel_{k}": f"{kc[k].mean / kd.scale('corrected', k):.2f}"})
    eg_final = {"sgd": float(kd.sgd_as("corrected").eg_numeric[:, -1].mean()),
                "corrected": float(kd.ode["corrected"].eg[0, -1]), "gaussian": float(kd.ode["gaussian"].eg[0, -1])}
    return {**out, "runs": f"{kd.run.runs}", "t_max": f"{kd.run.t_max:g}",
            "constants_outcome": constants_outcome(gaps[("kde", "gaussian")][0], gaps[("kde", "corrected")][0], level),
            **{f"eg_final_{key}": f"{value:.3f}" for key, value in eg_final.items()}}


def field_table(fields: dict[str, dict]) -> str:
    """Cumulants of the teacher field and of random directions (:func:`teacher_field_summary`) per input law."""
    join = lambda x: ", ".join(f"{v:.3f}" for v in np.atleast_1d(x))
    rows = []
    for name, tf in fields.items():
        rows.append([name, "teacher field", join(tf["mean"]), join(tf["var"]), join(tf["skew"]), join(tf["exkurt"])])
        rows.append([name, "random direction", "", join(tf["random_var"]), join(tf["random_skew"]),
                     join(tf["random_exkurt"])])
    se = next(iter(fields.values()))
    return markdown_table(["inputs", "direction", "mean", "variance (T = 1)", "skewness", "excess kurtosis"], rows,
                          f"Standard errors of a Gaussian sample: skewness {se['se_skew']:.3f}, excess kurtosis "
                          f"{se['se_exkurt']:.3f}.")


def field_numbers(fields: dict[str, dict], fit: FitSummary) -> dict[str, str]:
    raw, std = fields["kde"], fields["standardized"]
    join = lambda x: ", ".join(f"{v:.2f}" for v in x)
    return {"nu_var": join(raw["var"]), "nu_mean": join(raw["mean"]), "nu_kurt_std": join(std["exkurt"]),
            "rand_kurt_std": join(std["random_exkurt"]), "se_kurt": f"{std['se_exkurt']:.3f}",
            "corr_eig": f"{fit.corr_eig.min():.2f} to {fit.corr_eig.max():.2f}"}


def appendix_excess(appendix) -> list[dict[str, Excess]]:
    """Per appendix teacher, the :class:`Excess` of its pseudo-real gap (corrected constants) over its floor."""
    return [{k: excess(dyn.tlog("corrected")[k], flo.tlog("corrected")[k]) for k in GAPS} for dyn, flo in appendix]


def appendix_table(appendix, indices, study) -> str:
    """Per pseudo-teacher: accuracies, the correlation of its rows, and each metric's tLog-RMSE against its floor."""
    rows = []
    for i, (dyn, flo) in zip(indices, appendix):
        tt, tl, fl = study.teachers[i], dyn.tlog("corrected"), flo.tlog("corrected")
        rows.append([f"{i}", f"{tt.train_accuracy:.3f}", f"{tt.test_accuracy:.3f}", f"{tt.rho_W_after:.4f}"]
                    + [f"{tl[k].mean():.4f} / {fl[k].mean():.4f}" for k in GAPS])
    return markdown_table(["teacher", "train accuracy", "test accuracy", "ρ_W"] + [f"{k}: tLog-RMSE / floor"
                                                                                   for k in GAPS], rows)


def appendix_numbers(appendix, indices, study) -> dict[str, str]:
    acc = np.array([study.teachers[i].test_accuracy for i in indices])
    eg_ratio = np.array([r["eg"].ratio for r in appendix_excess(appendix)])
    return {"app_eg_ratio": f"{eg_ratio.min():.1f} to {eg_ratio.max():.1f}",
            "app_acc": f"{acc.min():.2f} to {acc.max():.2f}"}
