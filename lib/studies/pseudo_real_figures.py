"""Figures of the pseudo-real chapter (Section V.3: Figs. 9 and 10 and their companions), from the results of
:mod:`lib.studies.pseudo_real`. Each function returns its matplotlib Figure; the chapter saves and glues it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import style
from .pseudo_real import GAPS, FitSummary, MnistDynamics


def images_figure(fit: FitSummary):
    """Fig. 9: rows of digits (MNIST, the fit, KDE samples, standardised KDE samples), one column per digit."""
    rows = [("MNIST", fit.images["targets"]), ("fit $f(CF/\\sqrt{D})$", fit.images["fit"]),
            ("KDE samples", fit.images["kde"]), ("standardised $C$", fit.images["standardized"])]
    n_show = len(fit.shown)
    fig, axes = plt.subplots(len(rows), n_show, figsize=(1.1 * n_show, 1.25 * len(rows)))
    for r, (label, imgs) in enumerate(rows):
        for j in range(n_show):
            ax = axes[r, j]
            ax.imshow(imgs[j], cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    fig.subplots_adjust(wspace=0.05, hspace=0.08)
    return fig


def teacher_accuracy_figure(study):
    """Histogram of the random teachers' test accuracies, a vertical line per pseudo-teacher."""
    fig, ax = plt.subplots(figsize=(6.0, 3.2))
    ax.hist(study.random_accuracies, bins=15, color=style.PALETTE[5], alpha=0.8,
            label=f"{study.random_accuracies.size} random teachers")
    for i, a in enumerate(study.accuracies):
        ax.axvline(a, color=style.PALETTE[3], lw=1.5, label="pseudo-teachers" if i == 0 else None)
    ax.set_xlabel("test accuracy on odd / even")
    ax.set_ylabel("count")
    ax.legend()
    return fig


def _components(key: str, sgd, ode_c, ode_g) -> list:
    """(SGD (runs, times), corrected ODE (1, times), Gaussian ODE (1, times), label) per component of ``key``;
    Q: its upper triangle only."""
    if key == "eg":
        return [(sgd.eg_numeric, ode_c.eg, ode_g.eg, "")]
    arr_s, arr_c, arr_g = getattr(sgd, key), getattr(ode_c, key), getattr(ode_g, key)
    idx = [i for i in np.ndindex(arr_s.shape[2:]) if key != "Q" or i[0] <= i[1]]
    return [(arr_s[(slice(None), slice(None)) + i], arr_c[(0, slice(None)) + i][None],
             arr_g[(0, slice(None)) + i][None], "".join(str(x) for x in i)) for i in idx]


def dynamics_figure(kd: MnistDynamics):
    """Fig. 10: Q, R, v and eg of SGD on pseudo-real inputs against the ODE (corrected constants; for v and eg
    also the Gaussian ones), log time."""
    sgd_c = kd.sgd_as("corrected")
    ode_c, ode_g = kd.ode["corrected"], kd.ode["gaussian"]
    t = sgd_c.t
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = [("Q", axes[0, 0], "$Q_{kl}$"), ("R", axes[0, 1], "$R_{km}$"), ("v", axes[1, 0], "$v_k$"),
              ("eg", axes[1, 1], "$\\epsilon_g$")]
    for key, ax, ylabel in panels:
        for j, (s_arr, c_arr, g_arr, sub) in enumerate(_components(key, sgd_c, ode_c, ode_g)):
            color = style.PALETTE[j % len(style.PALETTE)]
            style.band(ax, t[1:], s_arr.mean(0)[1:], s_arr.std(0)[1:], color, label="SGD" if j == 0 else None)
            ax.plot(t[1:], c_arr[0][1:], color=color, label="ODE, corrected" if j == 0 else None)
            if key in ("v", "eg"):
                ax.plot(t[1:], g_arr[0][1:], color=color, ls=":", lw=1.4,
                        label="ODE, Gaussian constants" if j == 0 else None)
            if sub:
                ax.annotate(sub, (t[-1], c_arr[0][-1]), xytext=(3, 0), textcoords="offset points", color=color,
                            va="center")
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
        ax.set_ylabel(ylabel)
    axes[1, 1].set_yscale("log")
    axes[0, 0].legend(loc="best")
    axes[1, 1].legend(loc="lower left")
    fig.tight_layout()
    return fig


def gaps_figure(gaps: dict):
    """Bars of the tLog-RMSE between SGD and the ODE (mean over runs, two standard errors) per component, for
    the floor, pseudo-real inputs with both constants and standardised inputs (``gaps``: see
    :func:`lib.studies.pseudo_real.tlog_gaps`)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    labels = [("gaussian", "gaussian", "Gaussian $C$ (floor)"),
              ("kde", "gaussian", "pseudo-real, Gaussian constants"),
              ("kde", "corrected", "pseudo-real, corrected constants"),
              ("standardized", "gaussian", "standardised, Gaussian constants")]
    width = 0.2
    for j, (name, const, label) in enumerate(labels):
        ex = gaps[(name, const)][1]
        xs = np.arange(len(GAPS)) + (j - 1.5) * width
        ax.bar(xs, [ex[k].mean for k in GAPS], width, yerr=[2 * ex[k].se for k in GAPS], color=style.PALETTE[j],
               label=label, capsize=2)
    ax.set_xticks(np.arange(len(GAPS)), ["$Q$", "$R$", "$v$", "$\\epsilon_g$"])
    ax.set_yscale("log")
    ax.set_ylabel("tLog-RMSE, SGD vs ODE")
    ax.legend(loc="upper left", ncol=2)
    return fig


def field_figure(fields: dict):
    """Histograms of the teacher field nu_m on pseudo-real and standardised inputs against N(0, 1), one panel
    per teacher unit (``fields``: :func:`lib.studies.pseudo_real.teacher_field_summary` per input law)."""
    tf_raw, tf_std = fields["kde"], fields["standardized"]
    M = len(tf_raw["var"])
    fig, axes = plt.subplots(1, M, figsize=(4.2 * M, 3.2), squeeze=False)
    xs = np.linspace(-6, 6, 300)
    for m in range(M):
        ax = axes[0, m]
        for tf, color, label in ((tf_raw, style.PALETTE[1], "pseudo-real $C$"),
                                 (tf_std, style.PALETTE[2], "standardised $C$")):
            edges = tf["hist_edges"][m]
            ax.hist(edges[:-1], bins=edges, weights=tf["hist_density"][m], alpha=0.5, color=color, label=label)
        ax.plot(xs, np.exp(-xs ** 2 / 2) / np.sqrt(2 * np.pi), color="k", lw=1.2, label="$\\mathcal{N}(0, T_{mm})$")
        ax.set_xlabel(f"teacher field $\\nu_{m}$")
        ax.set_ylabel("density")
    axes[0, 0].legend()
    fig.tight_layout()
    return fig


def appendix_figure(appendix, indices, study):
    """Test error (left) and second-layer weights (right) of SGD against the corrected ODE for each appendix
    teacher (``appendix``: :func:`lib.studies.pseudo_real.teacher_dynamics` of ``indices``)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for j, (i, (dyn, _)) in enumerate(zip(indices, appendix)):
        s, o = dyn.sgd_as("corrected"), dyn.ode["corrected"]
        color = style.PALETTE[j % len(style.PALETTE)]
        style.band(axes[0], s.t[1:], s.eg_numeric.mean(0)[1:], s.eg_numeric.std(0)[1:], color)
        axes[0].plot(s.t[1:], o.eg[0, 1:], color=color,
                     label=f"teacher {i} (accuracy {study.teachers[i].test_accuracy:.2f})")
        for k_ in range(s.v.shape[2]):
            style.band(axes[1], s.t[1:], s.v[:, 1:, k_].mean(0), s.v[:, 1:, k_].std(0), color)
            axes[1].plot(s.t[1:], o.v[0, 1:, k_], color=color)
    for ax, ylabel in ((axes[0], "$\\epsilon_g$"), (axes[1], "$v_k$")):
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
        ax.set_ylabel(ylabel)
    axes[0].set_yscale("log")
    axes[0].legend(loc="lower left")
    fig.tight_layout()
    return fig
