"""Figures of notebooks/08_forensics.py: they only read the results of :mod:`lib.studies.forensics`."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..measures.paper_tables import TABLE_COLUMNS
from . import style
from .forensics import judge, paper_scatter

SHOWN_KINDS = ("metric", "time grid", "ODE", "learning rate", "selection")


def plot_floor(candidates, names, activations, fig_name):
    """Ratio of each candidate's predicted alpha = 0 row to the paper's, per component (log axis), one panel per
    activation; the grey band is the paper's own row-to-row scatter (3 standard deviations) around 1."""
    fig, axes = plt.subplots(1, len(activations), figsize=(9.6, 4.4), sharey=True, squeeze=False)
    x = np.arange(len(TABLE_COLUMNS))
    chosen = [c for c in candidates if c.name in names]
    for ax, g in zip(axes[0], activations):
        s = 3 * paper_scatter(g)
        ax.fill_between(x, np.exp(-s), np.exp(s), color="0.85", step="mid", label="paper's scatter (3 s.d.)")
        ax.axhline(1.0, color="0.4", lw=0.8)
        for i, c in enumerate(chosen):
            v = judge(c)
            ax.plot(x + 0.08 * (i - len(chosen) / 2), v.ratio[g], "o-", ms=4, lw=1,
                    color=style.PALETTE[i % len(style.PALETTE)], label=c.name)
        ax.set_xticks(x, TABLE_COLUMNS, rotation=60)
        ax.set_yscale("log")
        ax.set_xlabel(f"component ({g})")
    axes[0, 0].set_ylabel("predicted / paper at alpha = 0")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=2, fontsize="small",
               bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    style.savefig(fig, fig_name)
    return fig


def plot_spike(pairs, fig_name, name="Q"):
    """Left: metric ``name`` of (a) the shared-label mixture and (b) its matched Gaussian against the ODE,
    relative to the Gaussian floor, and the gap between their run means relative to its size under the null
    hypothesis that (a) and (b) are one law, against alpha, per activation. Right: Q00 over time at the
    largest alpha for the first activation (ODE, Gaussian runs' mean, (a) mean, (b) mean)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.6, 4.2))
    for i, (g, r) in enumerate(pairs.items()):
        al = np.asarray(r.alphas)
        c = style.PALETTE[i]
        ax.plot(al, r.ratio("a", name), "o-", color=c, label=f"{g}: (a) mixture / floor")
        ax.plot(al, r.ratio("b", name), "s--", color=c, label=f"{g}: (b) matched Gaussian / floor")
        ax.plot(al, r.gap_ab[name] / r.null_ab[name], "^:", color=c, label=f"{g}: |mean (a) - mean (b)| / null")
    ax.axhline(1.0, color="0.4", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel(f"ratio ({name})")
    ax.legend(fontsize="x-small")
    g, r = next(iter(pairs.items()))
    keep = r.t > 0
    for lab, y, ls in (("ODE", r.Q_ode, "-"), ("Gaussian C", r.Q_floor, ":"), ("(a) mixture", r.Q_a[-1], "--"),
                       ("(b) matched Gaussian", r.Q_b[-1], "-.")):
        bx.plot(r.t[keep], y[keep, 0, 0], ls, label=lab)
    style.log_axis(bx, "x")
    bx.set_xlabel("$t$")
    bx.set_ylabel(rf"$Q_{{00}}$ ({g}, $\alpha$ = {r.alphas[-1]:g}, mean of runs)")
    bx.legend(fontsize="small")
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig


def plot_fields(summary, Ns, fig_name):
    """Deviation of the measured moments of (lambda, nu) from the Gaussian-equivalent prediction against N: the
    covariance (Property V.4, left) and E[g(lambda) g(nu)] (eq. 24, right), one curve per law; dotted: twice the
    sampling standard error of the Gaussian law's estimate (below it nothing is resolved)."""
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.4), sharey=True)
    for i, (law, d) in enumerate(summary.items()):
        c = style.PALETTE[i % len(style.PALETTE)] if i < len(style.PALETTE) else "0.5"
        ls = "-" if i < len(style.PALETTE) else "--"
        axes[0].plot(Ns, d["dev"], "o" + ls, color=c, ms=4, label=law)
        axes[1].plot(Ns, d["gg"], "o" + ls, color=c, ms=4)
    gauss = summary.get("Gaussian")
    if gauss is not None:
        axes[0].plot(Ns, 2 * gauss["dev_se"], ":", color="k", label="2 s.e. (Gaussian)")
        axes[1].plot(Ns, 2 * gauss["gg_se"], ":", color="k")
    for ax, lab in zip(axes, ("covariance of (lambda, nu)", "E[g(lambda) g(nu)], eq. 24")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("$N$ ($D = N/2$)")
        ax.text(0.02, 0.97, lab, transform=ax.transAxes, va="top", fontsize="small")
    axes[0].set_ylabel("largest relative deviation from the prediction")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize="x-small",
               bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    style.savefig(fig, fig_name)
    return fig
