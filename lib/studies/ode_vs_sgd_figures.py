"""Figures of the ODE chapter (notebooks/02b_ode.py), from the results of :mod:`lib.studies.ode_vs_sgd`.

Kept apart from that module so that it, and the cache-filling :func:`lib.studies.ode_vs_sgd.chapter_results`,
import no plotting library.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..measures.compare import METRICS
from . import style

NAMES = ("eg", "Q", "R", "v")                                     # columns of the trajectory figure
YLABELS = {"eg": r"$\epsilon_g$", "Q": "$Q$", "R": "$R$", "v": "$v$"}
MARKERS = {"Q": "o", "R": "s", "v": "^"}


def components(name: str, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(label, series) pairs of an order parameter with the run and time axes leading: eg as it is, v_k,
    the upper triangle Q_kl (l >= k, Q being symmetric) and every R_km."""
    if name == "eg":
        return [(r"$\epsilon_g$", x)]
    K = x.shape[-2] if name in ("Q", "R") else x.shape[-1]
    if name == "v":
        return [(f"$v_{k}$", x[..., k]) for k in range(K)]
    if name == "Q":
        return [(f"$Q_{{{k}{l}}}$", x[..., k, l]) for k in range(K) for l in range(k, K)]
    return [(f"$R_{{{k}{m}}}$", x[..., k, m]) for k in range(K) for m in range(x.shape[-1])]


def trajectories_figure(cells: dict) -> plt.Figure:
    """One row per activation g of ``cells`` ({g: ComparisonResult}): the generalisation error and the
    components of Q, R and v of the ODE (solid) against the mean of the SGD runs ± their standard
    deviation (dashed, shaded), on a log time axis (t > 0)."""
    activations = list(cells)
    fig, axes = plt.subplots(len(activations), 4, figsize=(14, 3.4 * len(activations)), squeeze=False, sharex=True)
    for row, g in enumerate(activations):
        res = cells[g]
        t = res.sgd.t
        pos = t > 0
        for col, name in enumerate(NAMES):
            ax = axes[row, col]
            ode_c = components(name, getattr(res.ode, name)[0])
            sgd_c = components(name, getattr(res.sgd, name))
            for i, ((label, y_ode), (_, y_sgd)) in enumerate(zip(ode_c, sgd_c)):
                color = style.PALETTE[i % len(style.PALETTE)]
                ax.plot(t[pos], y_ode[pos], color=color, label=label)
                style.band(ax, t[pos], y_sgd.mean(axis=0)[pos], y_sgd.std(axis=0)[pos], color)
            ax.set_xscale("log")
            ax.set_ylabel(f"{YLABELS[name]}  ({g})")
            if row == len(activations) - 1:
                ax.set_xlabel("$t$")
            if name != "eg":
                ax.legend(fontsize=8, ncol=2 if name == "R" else 1)
    axes[0, 0].plot([], [], color="k", label="ODE")
    axes[0, 0].plot([], [], color="k", ls="--", label=f"SGD, mean of {cells[activations[0]].sgd.runs} runs ± std")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def convergence_figure(sweeps: dict, fits: dict) -> plt.Figure:
    """One panel per activation g of ``sweeps`` ({g: ConvergenceResult}): the per-run gap of Q, R and v
    against N (faint: each initial condition; markers: their geometric mean), the fitted power laws
    ``fits[g][name]`` (lib.studies.ode_vs_sgd.convergence_fits) and an N^-1/2 guide."""
    activations = list(sweeps)
    fig, axes = plt.subplots(1, len(activations), figsize=(5.6 * len(activations), 4.2), squeeze=False, sharey=True)
    for ax, g in zip(axes[0], activations):
        res = sweeps[g]
        Ns = res.N.astype(float)
        for i, n in enumerate(METRICS):
            color = style.PALETTE[i]
            gap = res.gap(n)                                           # (n_N, seeds)
            ax.scatter(np.repeat(Ns, gap.shape[1]) * np.tile(np.linspace(0.96, 1.04, gap.shape[1]), len(Ns)),
                       gap.ravel(), s=12, color=color, alpha=0.35, lw=0)
            fit = fits[g][n]
            ax.plot(Ns, np.exp(np.log(gap).mean(axis=1)), MARKERS[n], color=color, ms=7,
                    label=f"{n}: slope {fit.slope:.2f} ± {fit.stderr:.2f}")
            ax.plot(Ns, fit(Ns), "-", color=color, lw=1.2)
        guide = np.exp(np.log(res.gap("all")[0]).mean()) * np.sqrt(Ns[0] / Ns)
        ax.plot(Ns, guide, ":", color="k", lw=1.5, label=r"$\propto N^{-1/2}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(Ns, [f"{x:g}" for x in Ns])
        ax.xaxis.set_minor_locator(plt.NullLocator())
        ax.set_xlabel(f"$N$  ($D$ = {res.study.ratio:g} $N$),  $g$ = {g}")
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel("per-run tLog-RMSE, SGD vs ODE")
    fig.tight_layout()
    return fig
