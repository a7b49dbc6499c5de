"""Figures of the ODE chapter (notebooks/02b_ode.py), from the results of :mod:`lib.studies.ode_vs_sgd`.

Kept apart from that module so that it, and the cache-filling :func:`lib.studies.ode_vs_sgd.chapter_results`,
import no plotting library.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

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
    """Small multiples: one column per activation g of ``cells`` ({g: ComparisonResult}), one row per
    quantity (the generalisation error, then the components of Q, R and v): the ODE (solid) against the
    mean of the SGD runs ± their standard deviation (dashed, shaded), on a log time axis (t > 0). Each row's
    legend names its components once, right of the last column; at most 10 inches wide (lib.studies.style).
    ``fig.axes`` lists the panels activation by activation (eg, Q, R, v of the first, then of the next)."""
    activations = list(cells)
    cols = len(activations)
    fig = plt.figure(figsize=(3.3 + 2.9 * cols, 2.2 * len(NAMES)))
    grid = fig.add_gridspec(len(NAMES), cols)
    axes = np.empty((len(NAMES), cols), dtype=object)
    for col in range(cols):                                    # column by column: fig.axes is per activation
        for row in range(len(NAMES)):
            axes[row, col] = fig.add_subplot(grid[row, col], sharex=axes[0, 0] if (row or col) else None)
    for col, g in enumerate(activations):
        res = cells[g]
        t = res.sgd.t
        pos = t > 0
        axes[0, col].set_title(f"$g$ = {g}")                  # a column header; the caption comes from the book
        for row, name in enumerate(NAMES):
            ax = axes[row, col]
            ode_c = components(name, getattr(res.ode, name)[0])
            sgd_c = components(name, getattr(res.sgd, name))
            for i, ((label, y_ode), (_, y_sgd)) in enumerate(zip(ode_c, sgd_c)):
                color = style.PALETTE[i % len(style.PALETTE)]
                ax.plot(t[pos], y_ode[pos], color=color, label=label)
                style.band(ax, t[pos], y_sgd.mean(axis=0)[pos], y_sgd.std(axis=0)[pos], color)
            style.log_axis(ax, "x")
            if col == 0:
                ax.set_ylabel(YLABELS[name])
            if row == len(NAMES) - 1:
                ax.set_xlabel("$t$")
            else:
                ax.tick_params(labelbottom=False)
    runs = cells[activations[0]].sgd.runs
    key = [Line2D([], [], color="k", label="ODE"), Line2D([], [], color="k", ls="--", label=f"SGD: mean of\n{runs} runs ± std")]
    for row, ax in enumerate(axes[:, -1]):
        handles = key if row == 0 else ax.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.03, 0.5), handlelength=1.5, borderaxespad=0,
                  ncol=2 if len(handles) > 4 else 1, columnspacing=0.8)
    fig.tight_layout()
    return fig


def convergence_figure(sweeps: dict, fits: dict) -> plt.Figure:
    """One panel per activation g of ``sweeps`` ({g: ConvergenceResult}): the per-run gap of Q, R and v
    against N (faint: each initial condition; markers: their geometric mean), the fitted power laws
    ``fits[g][name]`` (lib.studies.ode_vs_sgd.convergence_fits) and an N^-1/2 guide; each panel's legend
    (with its slopes) below it. 10 inches wide at most."""
    activations = list(sweeps)
    fig, axes = plt.subplots(1, len(activations), figsize=(min(4.8 * len(activations), 9.6), 5.0), squeeze=False,
                             sharey=True)
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
        style.log_axis(ax, "x", ticks=Ns)
        style.log_axis(ax, "y")
        ax.set_title(f"$g$ = {g}")
        ax.set_xlabel(f"$N$  ($D$ = {res.study.ratio:g} $N$)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=1, borderaxespad=0)
    axes[0, 0].set_ylabel("per-run tLog-RMSE, SGD vs ODE")
    fig.tight_layout()
    return fig
