"""Section II: the hidden manifold model and the Gaussian equivalence property (notebooks/02_hidden_manifold.py).

The chapter checks three things for Gaussian latent inputs, each on ``repeats`` independent draws of F, W, W~
per input dimension N (:func:`checks`, each computed and cached by
:func:`lib.measures.equivalence.equivalence_check`):

* the constants a, b, c of the folding functions, by quadrature against their closed forms
  (:func:`fold_constants_rows`);
* the finite-size gap between the order-parameter formula of the covariance of (lambda-bar, nu) and its
  exact finite-N value, and the Monte Carlo error of the sampled covariance (:func:`covariance_gaps`);
* the Gaussianity of the preactivations at the largest N: skewness and excess kurtosis against their
  sampling standard errors sqrt(6 / P) and sqrt(24 / P) for P samples (:func:`cumulants`).

The figures import matplotlib only when drawn, so the rest of the module needs no plotting library.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import validate
from ..core.functions import FOLD_CLOSED_FORMS, FOLDS, fold_constants
from ..measures.equivalence import EquivalenceCheck, equivalence_check


def fold_constants_rows(folds) -> list[tuple]:
    """(name, a, b, c, err) per folding function: a, b, c by quadrature (lib.core.functions.fold_constants)
    and err the largest |quadrature - closed form| over a, b, c, None where no closed form is known."""
    for name in folds:
        validate.choice("folds", name, FOLDS)
    rows = []
    for name in folds:
        quad = fold_constants(name)
        closed = FOLD_CLOSED_FORMS.get(name)
        err = None if closed is None else max(abs(x - y) for x, y in zip(quad, closed))
        rows.append((name, *quad, err))
    return rows


def fold_constants_text(rows) -> str:
    """The rows of :func:`fold_constants_rows` as a fixed-width text table."""
    lines = [f"{'f':8s} {'a':>10s} {'b':>10s} {'c':>10s}   |quadrature - closed form|"]
    for name, a, b, c, err in rows:
        lines.append(f"{name:8s} {a:10.6f} {b:10.6f} {c:10.6f}   {'no closed form' if err is None else f'{err:.1e}'}")
    return "\n".join(lines)


def fold_constants_table(rows) -> str:
    """The rows of :func:`fold_constants_rows` as a Markdown table (it wraps in the book's column)."""
    lines = ["| $f$ | $a$ | $b$ | $c$ | \\|quadrature − closed form\\| |", "|---|---:|---:|---:|---:|"]
    for name, a, b, c, err in rows:
        lines.append(f"| {name} | {a:.6f} | {b:.6f} | {c:.6f} | {'no closed form' if err is None else f'{err:.1e}'} |")
    return "\n".join(lines)


def abc_error(rows) -> float:
    """Largest |quadrature - closed form| over the rows that have a closed form."""
    return max(r[4] for r in rows if r[4] is not None)


def checks(N_values, ratio: float, K: int, M: int, f: str, samples: int, repeats: int,
           seed: int) -> dict[int, list[EquivalenceCheck]]:
    """{N: [EquivalenceCheck with seeds seed .. seed + repeats - 1]} at D = ratio N."""
    return {N: [EquivalenceCheck(N=N, ratio=ratio, K=K, M=M, f=f, samples=samples, seed=seed + r)
                for r in range(repeats)] for N in N_values}


def run_checks(checks_by_N: dict) -> dict[int, list[dict]]:
    """:func:`lib.measures.equivalence.equivalence_check` of every check (cached), N by N."""
    return {N: [equivalence_check(c) for c in cs] for N, cs in checks_by_N.items()}


def chapter_results(params: dict) -> None:
    """The chapter's expensive part from its parameter dict (``lib paper --results-only``): the cached
    :func:`lib.measures.equivalence.equivalence_check` of every N and repeat, as notebooks/02_hidden_manifold.py
    makes them. The a, b, c table (:func:`fold_constants_rows`, quadrature) is cheap and not cached."""
    p = params
    run_checks(checks(p["N_values"], p["ratio"], p["K"], p["M"], p["f"], p["samples"], p["repeats"], p["seed"]))


def gap(res: list[dict], key_a: str, key_b: str) -> float:
    """Largest absolute difference over the entries of Q and R between the results' ``key_a`` and
    ``key_b`` covariances ("gep", "exact", "mc"), averaged over the repeats ``res``."""
    return np.mean([max(np.abs(r[f"Q_{key_a}"] - r[f"Q_{key_b}"]).max(),
                        np.abs(r[f"R_{key_a}"] - r[f"R_{key_b}"]).max()) for r in res])


@dataclass
class CovarianceGaps:
    """Per N (``N``, float): ``gep`` the gap between the formula and the exact finite-N covariance,
    ``mc`` between the Monte Carlo and the exact covariance (:func:`gap`), and the least-squares power
    law ``gep ~ exp(intercept) N^slope``."""

    N: np.ndarray
    gep: np.ndarray
    mc: np.ndarray
    slope: float
    intercept: float


def covariance_gaps(results: dict, N_values) -> CovarianceGaps:
    """:class:`CovarianceGaps` of :func:`run_checks` results for the sizes ``N_values``."""
    Ns = np.array(N_values, dtype=float)
    gep_gap = np.array([gap(results[N], "exact", "gep") for N in N_values])
    mc_gap = np.array([gap(results[N], "mc", "exact") for N in N_values])
    slope, intercept = np.polyfit(np.log(Ns), np.log(gep_gap), 1)
    return CovarianceGaps(N=Ns, gep=gep_gap, mc=mc_gap, slope=slope, intercept=intercept)


def mc_tolerance(results: dict, samples: int) -> float:
    """Five standard errors of a sampled covariance entry, sqrt((Q_kk Q_ll + Q_kl^2) / P) at its largest,
    bounded by sqrt(2 var^2 / P) with var the largest variance of the exact Q and of T over all results."""
    var_max = max(max(np.diag(r["Q_exact"]).max(), np.diag(r["T"]).max()) for res in results.values() for r in res)
    return 5 * np.sqrt(2 * var_max**2 / samples)


@dataclass
class Cumulants:
    """Skewness and excess kurtosis (repeats, K + M) of the preactivations of one N and the standard
    errors of one estimate from ``samples`` samples."""

    skew: np.ndarray
    exkurt: np.ndarray
    se_skew: float
    se_kurt: float


def cumulants(res: list[dict], samples: int) -> Cumulants:
    """:class:`Cumulants` of the results ``res`` of one N."""
    return Cumulants(skew=np.array([r["skew"] for r in res]), exkurt=np.array([r["exkurt"] for r in res]),
                     se_skew=np.sqrt(6 / samples), se_kurt=np.sqrt(24 / samples))


# ------------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------------
def gap_figure(gaps: CovarianceGaps, samples: int, ratio: float):
    """Log-log: the formula's gap and the Monte Carlo error against N, the fitted power law and N^-1/2."""
    import matplotlib.pyplot as plt

    from . import style

    Ns, slope = gaps.N, gaps.slope
    fig, ax = plt.subplots()
    ax.loglog(Ns, gaps.gep, "o-", label="GEP formula vs exact finite-$N$ covariance")
    ax.loglog(Ns, gaps.mc, "s--", label=f"Monte Carlo ({samples} samples) vs exact")
    ax.loglog(Ns, np.exp(gaps.intercept) * Ns ** slope, ":", color="gray", label=f"fit $\\propto N^{{{slope:.2f}}}$")
    ax.loglog(Ns, gaps.gep[0] * np.sqrt(Ns[0] / Ns), "-.", color="k", lw=1, label="$\\propto N^{-1/2}$")
    style.log_axis(ax, "x", ticks=Ns)                 # the N values themselves, no overlapping minor labels
    style.log_axis(ax, "y")
    ax.set_xlabel("$N$  ($D = %.2g\\,N$)" % ratio)
    ax.set_ylabel("max |difference| over $Q$, $R$ entries")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), borderaxespad=0)   # below: never on the data
    return fig


def gaussianity_figure(res: list[dict], cum: Cumulants, K: int, M: int):
    """Left: histogram of lambda-bar_0 of the first result against N(0, Q_00). Right: skewness and excess
    kurtosis of each preactivation averaged over the results, ± two standard errors of that average."""
    import matplotlib.pyplot as plt

    repeats = len(res)
    labels = [f"$\\bar\\lambda_{k}$" for k in range(K)] + [f"$\\nu_{m}$" for m in range(M)]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    lam = res[0]["lambda_sample"]
    var = float(res[0]["lambda_var"])
    xs = np.linspace(-4, 4, 200) * np.sqrt(var)
    axes[0].hist(lam, bins=60, density=True, alpha=0.6, label="samples of $\\bar\\lambda_0$")
    axes[0].plot(xs, np.exp(-xs**2 / (2 * var)) / np.sqrt(2 * np.pi * var), color="k", label="$N(0, Q_{00})$")
    axes[0].set_xlabel("$\\bar\\lambda_0$")
    axes[0].set_ylabel("density")
    axes[0].legend()
    pos = np.arange(K + M)
    axes[1].errorbar(pos - 0.1, cum.skew.mean(0), yerr=2 * cum.se_skew / np.sqrt(repeats), fmt="o", label="skewness")
    axes[1].errorbar(pos + 0.1, cum.exkurt.mean(0), yerr=2 * cum.se_kurt / np.sqrt(repeats), fmt="s",
                     label="excess kurtosis")
    axes[1].axhline(0, color="k", lw=1)
    axes[1].set_xticks(pos, labels)
    axes[1].set_ylabel("cumulant ratio (±2 s.e.)")
    axes[1].legend()
    return fig
