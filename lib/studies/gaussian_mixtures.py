"""Section III: the KL divergence of Gaussian-mixture latent inputs from the standard Gaussian.

One cached study (``kl_study``) computes every number the chapter shows, for a grid of (m, alpha) and both
settings (unstandardised, standardised): the exact divergence averaged over ``n_mixtures`` draws of the
mixture parameters (standardised with the exact mean and variance), and for the first mixture of each cell the
k-nearest-neighbour estimate in dimension D and on a one-dimensional copy of the same scalar mixture
(standardised by sample estimates, as in the paper), beside the exact values of those two.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..core import validate
from ..core.cache import cached
from ..core.inputs import make_distribution
from ..measures.kl import kl_exact, kl_knn

STANDARDIZE_SAMPLES = 10_000   # draws behind the sample mean and variance of the standardised k-NN inputs


@dataclasses.dataclass(frozen=True)
class KLStudy:
    D: int                      # latent dimension
    alphas: tuple               # spreads of the component means
    ms: tuple                   # numbers of components
    n_mixtures: int             # mixtures drawn per (alpha, m) for the exact mean
    knn_samples: int            # samples for the k-NN estimate in dimension D
    knn_samples_1d: int         # samples for the one-dimensional k-NN estimate
    k: int = 1                  # neighbour order
    seed: int = 0

    def __post_init__(self):
        for name in ("D", "n_mixtures", "knn_samples", "knn_samples_1d", "k"):
            validate.integer(name, getattr(self, name), minimum=1)
        for m in self.ms:
            validate.integer("ms", m, minimum=1)
        for a in self.alphas:
            validate.real("alphas", a, nonnegative=True)


def _mixture(alpha, m, seed, standardize, dim, samples=STANDARDIZE_SAMPLES):
    return make_distribution("gmm", dim, seed=seed, alpha=alpha, m=m, standardize=standardize,
                             standardize_samples=samples)


@cached(version=1)
def kl_study(study: KLStudy) -> dict[str, dict[bool, np.ndarray]]:
    """Tables (len(ms), len(alphas)) keyed by name, then by standardised (False/True): ``exact`` (mean over
    mixtures), ``exact_first``, ``knn_full`` (dimension D), ``exact_one`` and ``knn_one`` (dimension 1)."""
    s = study
    shape = (len(s.ms), len(s.alphas))
    out = {name: {} for name in ("exact", "exact_first", "knn_full", "exact_one", "knn_one")}
    for st in (False, True):
        tables = {name: np.zeros(shape) for name in out}
        for i, m in enumerate(s.ms):
            for j, a in enumerate(s.alphas):
                tables["exact"][i, j] = np.mean([kl_exact(_mixture(a, m, s.seed + r, st, s.D, samples=None))
                                                 for r in range(s.n_mixtures)])
                dist = _mixture(a, m, s.seed, st, s.D)
                gen = torch.Generator().manual_seed(s.seed + 1)
                tables["knn_full"][i, j] = kl_knn(dist.sample(s.knn_samples, gen, dtype=torch.float64), k=s.k,
                                                  seed=s.seed + 2)
                dist1 = _mixture(a, m, s.seed, st, 1)
                tables["knn_one"][i, j] = kl_knn(dist1.sample(s.knn_samples_1d, gen, dtype=torch.float64),
                                                 k=s.k, seed=s.seed + 3)
                tables["exact_one"][i, j] = kl_exact(dist1)
                tables["exact_first"][i, j] = kl_exact(dist)
        for name in out:
            out[name][st] = tables[name]
    return out


def chapter_results(params: dict) -> None:
    """The chapter's expensive part from its parameter dict (``lib paper --results-only``): its one cached
    :func:`kl_study`, with the arguments notebooks/03_gaussian_mixtures.py passes."""
    p = params
    kl_study(KLStudy(D=p["D"], alphas=tuple(p["alphas"]), ms=tuple(p["ms"]), n_mixtures=p["n_mixtures"],
                     knn_samples=p["knn_samples"], knn_samples_1d=p["knn_samples_1d"], k=p["k"], seed=p["seed"]))


# ------------------------------------------------------------------------------------------------
# Summaries of the tables (notebooks/03_gaussian_mixtures.py)
# ------------------------------------------------------------------------------------------------
def _both(tables: dict, name: str) -> np.ndarray:
    """Table ``name`` of both settings (unstandardised, then standardised), flattened."""
    return np.concatenate([tables[name][st].ravel() for st in (False, True)])


def one_d_errors(tables: dict) -> tuple[float, float]:
    """How well the one-dimensional k-NN estimate matches the exact divergence per coordinate, over both
    settings: (largest |error| in nats where the exact value is below 1 nat, largest relative error in %
    where it is above 5 nats, 0 if there is none)."""
    one_ex, one_knn = _both(tables, "exact_one"), _both(tables, "knn_one")
    err_1d = np.max(np.abs(one_knn - one_ex)[one_ex < 1.0])
    big = one_ex > 5.0
    rel_1d = 100 * np.max(np.abs(one_knn - one_ex)[big] / one_ex[big]) if big.any() else 0
    return err_1d, rel_1d


def one_d_ratios(tables: dict, low: float = 0.1, high: float = 1.0) -> np.ndarray:
    """One-dimensional k-NN estimate / exact divergence of every cell of both settings whose exact divergence per
    coordinate is in [``low``, ``high``) nats (below ``low`` the ratio of two small numbers says little)."""
    ex, kn = _both(tables, "exact_one"), _both(tables, "knn_one")
    keep = (ex >= low) & (ex < high)
    return kn[keep] / ex[keep]


def small_one_d_errors(tables: dict) -> np.ndarray:
    """|one-dimensional k-NN estimate - exact value| (nats) of every cell of both settings whose exact
    divergence per coordinate is below 1 nat."""
    small = _both(tables, "exact_one") < 1.0
    abs_1d = np.concatenate([np.abs(tables["knn_one"][st] - tables["exact_one"][st]).ravel() for st in (False, True)])
    return abs_1d[small]


def spread(table: np.ndarray) -> tuple[float, float]:
    """How much each knob moves the divergence of a (len(ms), len(alphas)) table: the mean over m of the
    range over alpha, and the mean over alpha of the range over m."""
    by_alpha = np.mean(table.max(axis=1) - table.min(axis=1))
    by_m = np.mean(table.max(axis=0) - table.min(axis=0))
    return by_alpha, by_m


def alpha_steps(exact: np.ndarray, ms) -> np.ndarray:
    """Increases of the divergence from one alpha to the next, (rows of m >= 2, len(alphas) - 1)."""
    return np.diff(exact[[i for i, m in enumerate(ms) if m >= 2]], axis=1)


def wrong_sign_fraction(tables: dict) -> float:
    """Fraction of the unstandardised cells with an exact divergence above 1 nat whose full-dimension k-NN
    estimate is negative."""
    return float(np.mean(tables["knn_full"][False][tables["exact_first"][False] > 1] < 0))


def full_dimension_trap(tables: dict, ms) -> tuple[np.ndarray, np.ndarray]:
    """(estimate / exact, estimate) of the full-dimension k-NN estimate for the unstandardised true mixtures
    (m >= 2) whose exact divergence is above 10 nats."""
    exact, knn = tables["exact_first"][False], tables["knn_full"][False]
    multi = np.array([m >= 2 for m in ms])[:, None] & (exact > 10)
    return knn[multi] / exact[multi], knn[multi]


def knn_table(tables: dict, alphas, ms) -> str:
    """Markdown table: exact divergence of the first mixture and its k-NN estimate in dimension D, per
    setting, m and alpha."""
    lines = ["| standardised | m | alpha | exact (nats) | k-NN in D (nats) |", "|---|---|---|---|---|"]
    for st in (False, True):
        for i, m in enumerate(ms):
            for j, a in enumerate(alphas):
                lines.append(f"| {'yes' if st else 'no'} | {m} | {a} | {tables['exact_first'][st][i, j]:.2f} "
                             f"| {tables['knn_full'][st][i, j]:.2f} |")
    return "\n".join(lines)


def knn_pivot_table(tables: dict, alphas, ms) -> str:
    """Markdown pivot of :func:`knn_table`: one row per setting and alpha, one column per m, each cell
    "k-NN estimate / exact" (nats, first mixture of the cell, whole dimension D)."""
    lines = ["| setting | $\\alpha$ | " + " | ".join(f"$m$ = {m}" for m in ms) + " |", "|---|---|" + "---:|" * len(ms)]
    for st in (False, True):
        for j, a in enumerate(alphas):
            cells = " | ".join(f"{tables['knn_full'][st][i, j]:.1f} / {tables['exact_first'][st][i, j]:.1f}"
                               for i in range(len(ms)))
            lines.append(f"| {'standardised' if st else 'raw'} | {a:g} | {cells} |")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# Figures (matplotlib is imported only when one is drawn)
# ------------------------------------------------------------------------------------------------
def per_coordinate_figure(tables: dict, alphas, ms, D: int):
    """KL per coordinate against alpha, unstandardised (left) and standardised (right): exact mean over the
    mixtures (lines), exact value of the first mixture (dotted) and its one-dimensional k-NN estimate
    (circles), one colour per m."""
    import matplotlib.pyplot as plt

    from . import style

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=False)
    for ax, st in zip(axes, (False, True)):
        for i, m in enumerate(ms):
            color = style.PALETTE[i % len(style.PALETTE)]
            ax.plot(alphas, tables["exact"][st][i] / D, color=color, label=f"m = {m}, exact (mean)")
            ax.plot(alphas, tables["exact_one"][st][i], color=color, ls=":", lw=1)
            ax.plot(alphas, tables["knn_one"][st][i], "o", color=color, ms=5, mfc="none")
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylabel(r"$D_{\mathrm{KL}}$ per coordinate (nats)")
        ax.set_yscale("symlog", linthresh=1e-3)
    axes[0].legend(title="markers: 1-d k-NN")
    axes[0].text(0.02, 0.95, "unstandardised", transform=axes[0].transAxes, va="top")
    axes[1].text(0.02, 0.95, "standardised", transform=axes[1].transAxes, va="top")
    return fig


def knn_vs_exact_figure(tables: dict, D: int):
    """The full-dimension k-NN estimate against the exact divergence of the first mixture of every cell,
    both settings, with the line of agreement."""
    import matplotlib.pyplot as plt

    exact_first, knn_full = tables["exact_first"], tables["knn_full"]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for st, marker in ((False, "o"), (True, "s")):
        ax.plot(exact_first[st].ravel(), knn_full[st].ravel(), marker, mfc="none",
                label="standardised" if st else "unstandardised")
    lim = max(exact_first[False].max(), 1.0)
    ax.plot([1e-3, lim], [1e-3, lim], color="k", lw=1, label="estimate = exact")
    ax.set_xscale("symlog", linthresh=1e-1)
    ax.set_yscale("symlog", linthresh=1e-1)
    ax.set_xlabel("exact $D_{\\mathrm{KL}}$ (nats)")
    ax.set_ylabel(f"$k$-NN estimate in $D$ = {D} (nats)")
    ax.legend()
    return fig
