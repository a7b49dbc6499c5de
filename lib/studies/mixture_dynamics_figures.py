"""Figures of the Section IV chapter (notebooks/04_mixture_dynamics.py): they only load results and plot.

Each function draws one figure of the chapter from the results of :mod:`lib.studies.mixture_dynamics`
(a :class:`~lib.studies.mixture_dynamics.SweepResult` or the trajectories of one cell), saves it as PNG under
the figure folder (:func:`lib.studies.style.savefig`) and returns the matplotlib Figure, which the chapter
glues. Conventions of :mod:`lib.studies.style`: ODE solid, SGD mean dashed with a one-standard-deviation band
over the runs, no titles (captions come from the book).
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from ..measures.compare import METRICS
from . import style
from .mixture_dynamics import Chapter

COMP_COLORS = style.PALETTE
LABELS = {"Q": "$Q$", "R": "$R$", "v": "$v$"}
INSET_RAW = [0.5, 0.08, 0.47, 0.38]        # where the inset of the unstandardised Fig. 6 sits (axes fraction)
INSET_STD = [0.4, 0.3, 0.57, 0.42]         # and that of the standardised one


def components(x, name):
    """(runs, times, ...) -> list of (label, (runs, times)) per component."""
    if name == "v":
        return [(f"$v_{k}$", x[:, :, k]) for k in range(x.shape[2])]
    sym = "Q" if name == "Q" else "R"
    return [(f"${sym}_{{{k}{l}}}$", x[:, :, k, l]) for k in range(x.shape[2]) for l in range(x.shape[3])]


def plot_example(res, fig_name):
    """Figs. 3 and 5: eg, Q, R, v against t: ODE solid, SGD mean dashed with a +-1 std band over runs
    (``res``: a :class:`lib.measures.compare.ComparisonResult`). Four axes, two by two (10 inches wide at most,
    lib.studies.style), each legend right of its panel."""
    t = res.sgd.t
    keep = t > 0
    fig, grid = plt.subplots(2, 2, figsize=(9.4, 6.2), sharex=True)
    axes = grid.ravel()
    ax = axes[0]
    ax.plot(t[keep], res.ode.eg[0, keep], color="k", label="ODE")
    style.band(ax, t[keep], res.sgd.eg.mean(0)[keep], res.sgd.eg.std(0)[keep], COMP_COLORS[0], label="SGD")
    ax.set_yscale("log")
    ax.set_ylabel(r"$\epsilon_g$")
    for ax, name in zip(axes[1:], METRICS):
        sgd, ode = components(getattr(res.sgd, name), name), components(getattr(res.ode, name), name)
        for c, ((lab, xs), (_, xo)) in enumerate(zip(sgd, ode)):
            color = COMP_COLORS[c % len(COMP_COLORS)]
            ax.plot(t[keep], xo[0, keep], color=color, label=lab)
            style.band(ax, t[keep], xs.mean(0)[keep], xs.std(0)[keep], color)
        ax.set_ylabel(LABELS[name])
    style.log_axis(axes[0], "y")
    for i, ax in enumerate(axes):
        style.log_axis(ax, "x")
        if i >= 2:
            ax.set_xlabel("$t$")
        ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), borderaxespad=0, handlelength=1.5)
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig


def plot_vgap(sw, fig_name, m):
    """Fig. 4: the mean gap of the second layer over time (:attr:`SweepResult.vgap`, mean over mixtures) for
    ``m`` components, one curve per alpha. One axis."""
    t = sw.t
    keep = t > 0
    fig, ax = plt.subplots(figsize=(6.4, 4))
    i = sw.ms.index(m)
    for j, a in enumerate(sw.alphas):
        ax.plot(t[keep], sw.vgap[i, j].mean(0)[keep], color=plt.cm.viridis(j / max(1, len(sw.alphas) - 1)),
                label=rf"$\alpha$ = {a:g}")
    style.log_axis(ax, "x")
    style.log_axis(ax, "y")
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"mean $|\langle v\rangle_{\mathrm{SGD}} - v_{\mathrm{ODE}}|$")
    ax.legend(ncol=2)
    style.savefig(fig, fig_name)
    return fig


def plot_tlog_vs_kl(sw, ex, fig_name, inset_panel, inset_at, legend_panel, m_in, alpha_in):
    """Fig. 6: tLog-RMSE of Q, R, v against the exact KL divergence, one curve per m (standard error shaded),
    the metric's scale dotted, and an inset (in panel ``inset_panel``, at ``inset_at``, axes fraction) with the
    example's Q trajectories (solid ODE, dashed SGD). Panels two by two (10 inches wide at most): Q, R on
    top, v below left; the fourth cell holds the legend. ``legend_panel`` names the panel whose curves the
    legend lists (all three panels share them). Three axes, the legend's cell and the inset."""
    fig, grid = plt.subplots(2, 2, figsize=(9.4, 6.8))
    axes = grid.ravel()
    for ax, name in zip(axes, METRICS):
        mean, se = sw.mean(name), sw.sem(name)
        for i, m in enumerate(sw.ms):
            kl = sw.kl_mean()[i]
            color = style.PALETTE[i % len(style.PALETTE)]
            ax.plot(kl, mean[i], "o-", color=color, ms=4, label=f"$m$ = {m}")
            ax.fill_between(kl, mean[i] - se[i], mean[i] + se[i], color=color, alpha=0.25, lw=0)
        ax.axhline(sw.scale_mean(name), color="k", ls=":", lw=1.2, label=r"the metric's scale $\mathbb{E}|x|$")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(left=-0.5)
        ax.set_ylim(mean.min() / 2.5, 3 * max(sw.scale_mean(name), mean.max()))
        style.log_axis(ax, "y")
        ax.set_xlabel(r"$D_{\mathrm{KL}}(P\,\|\,\mathcal{N})$ (nats, exact)")
        ax.set_ylabel(rf"$\mathcal{{M}}$({LABELS[name]})")
    key = axes[3]
    key.axis("off")
    handles, labels = axes[legend_panel].get_legend_handles_labels()
    handles += [plt.Line2D([], [], color="k", lw=1), plt.Line2D([], [], color="k", lw=1, ls="--")]
    labels += [f"inset: ODE, $Q$ of the example\n($m$ = {m_in}, $\\alpha$ = {alpha_in:g})", "inset: SGD, mean of runs"]
    key.legend(handles, labels, loc="center", borderaxespad=0)
    inset = axes[inset_panel].inset_axes(inset_at)
    t = ex.sgd.t
    keep = t > 0
    for c, ((lab, xs), (_, xo)) in enumerate(zip(components(ex.sgd.Q, "Q"), components(ex.ode.Q, "Q"))):
        inset.plot(t[keep], xo[0, keep], color=COMP_COLORS[c], lw=1)
        inset.plot(t[keep], xs.mean(0)[keep], color=COMP_COLORS[c], lw=1, ls="--")
    style.log_axis(inset, "x")
    inset.yaxis.set_major_locator(plt.MaxNLocator(3))
    inset.set_facecolor("white")
    inset.text(0.03, 0.95, "$Q$", transform=inset.transAxes, va="top")
    inset.grid(False)
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig


def plot_shared(res, coord, shared, fig_name, m):
    """The shared-label contrast: diagonal components of Q and R, and v, for the standardised coordinate-wise
    (``coord``) and shared-label (``shared``) examples against the ODE; right, M(Q) relative to its Gaussian
    level against alpha for each sweep of ``res`` (:func:`lib.studies.mixture_dynamics.chapter_sweeps`) with
    ``m`` components. Four axes, two by two, one legend below them all (10 inches wide at most)."""
    fig, grid = plt.subplots(2, 2, figsize=(9.4, 7.4))
    axes = grid.ravel()
    t = coord.sgd.t
    keep = t > 0
    for ax, name in zip(axes[:3], METRICS):
        parts = zip(components(getattr(coord.ode, name), name), components(getattr(coord.sgd, name), name),
                    components(getattr(shared.sgd, name), name))
        for c, ((lab, xo), (_, xc), (_, xs)) in enumerate(parts):
            if name != "v" and c not in (0, 3):
                continue                                     # diagonal components keep the panel readable
            ax.plot(t[keep], xo[0, keep], color="k", lw=1.2, label="ODE" if c == 0 else None)
            style.band(ax, t[keep], xc.mean(0)[keep], xc.std(0)[keep], style.PALETTE[0],
                       label="coordinate-wise, standardised" if c == 0 else None)
            style.band(ax, t[keep], xs.mean(0)[keep], xs.std(0)[keep], style.PALETTE[3], ls="-.",
                       label="shared label, standardised" if c == 0 else None)
        style.log_axis(ax, "x")
        ax.set_xlabel("$t$")
        ax.set_ylabel(LABELS[name] + (" (diagonal)" if name != "v" else ""))
    ax = axes[3]
    sh = res["shared"]
    floor = res[True].mean("Q")[0, 0]
    curves = [(res[True], "coordinate-wise, standardised", style.PALETTE[0], "o-"),
              (sh, "shared label, standardised", style.PALETTE[3], "s-.")]
    if False in res:
        curves.insert(0, (res[False], "coordinate-wise, raw", style.PALETTE[1], "^:"))
    for sw, lab, color, fmt in curves:
        i = sw.ms.index(m)
        ax.errorbar(sw.alphas, sw.mean("Q")[i] / floor, yerr=sw.sem("Q")[i] / floor, fmt=fmt, color=color,
                    ms=4, capsize=2, label=lab)
    ax.axhline(1, color="k", lw=1, ls=":")
    style.log_axis(ax, "y")
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel(r"$\mathcal{M}(Q)$ / Gaussian level")
    handles, labels = ax.get_legend_handles_labels()
    handles.insert(0, axes[0].get_lines()[0])
    labels.insert(0, "ODE")
    fig.legend(handles, labels, loc="upper center", ncol=2, bbox_to_anchor=(0.5, 0.0), borderaxespad=0)
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig


def shared_contrast(chapter: Chapter, res, g, m):
    """:func:`plot_shared` for activation ``g`` at the largest of the chapter's ``shared_alphas``: the
    standardised coordinate-wise and shared-label examples (cached cells) with ``m`` components, and ``res``
    the activation's sweeps. Saved as ``shared_contrast_<g>``."""
    a = max(chapter.shared_alphas)
    coord = chapter.example(g, True, "coordinate", m=m, alpha=a)
    shared = chapter.example(g, True, "shared", m=m, alpha=a)
    return plot_shared(res, coord, shared, f"shared_contrast_{g}", m)


def placeholder(text):
    """A small empty figure that says ``text`` (a figure the chapter's parameters left out). One axis."""
    fig, ax = plt.subplots(figsize=(4, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center")
    return fig


def activation_figures(chapter: Chapter, results, g, inset_raw=INSET_RAW) -> dict:
    """Every figure of the main text for activation ``g`` on its own grid (appendix activations), keyed
    'fig3', 'fig4', 'fig6u' (unstandardised), 'fig5', 'fig6', 'shared' (standardised), each present when
    the chapter's ``standardize`` runs that setting; saved under the main text's names with suffix ``_<g>``.
    ``inset_raw``: where the inset of the unstandardised Fig. 6 sits."""
    res = results[g]
    _, _, m, alpha = chapter.grid(g)
    figs = {}
    if False in chapter.standardize:
        ex_u = chapter.example(g, False)
        figs["fig3"] = plot_example(ex_u, f"fig3_unstandardised_{g}")
        figs["fig4"] = plot_vgap(res[False], f"fig4_vgap_{g}", m)
        figs["fig6u"] = plot_tlog_vs_kl(res[False], ex_u, f"fig6_unstandardised_{g}", 2, inset_raw, 0, m, alpha)
    if True in chapter.standardize:
        ex_s = chapter.example(g, True)
        figs["fig5"] = plot_example(ex_s, f"fig5_standardised_{g}")
        figs["fig6"] = plot_tlog_vs_kl(res[True], ex_s, f"fig6_standardised_{g}", 0, INSET_STD, 2, m, alpha)
        figs["shared"] = shared_contrast(chapter, res, g, m)
    return figs


def appendix_figures(chapter: Chapter, results) -> dict:
    """The glued figures of the appendix ('app_fig3', ..., 'app_shared'): :func:`activation_figures` of the
    second activation (its Fig. 6 inset placed for the erf curves), a :func:`placeholder` for a setting the
    ``standardize`` parameter leaves out or for all six when there is no second activation."""
    names = ("fig3", "fig4", "fig6u", "fig5", "fig6", "shared")
    if len(chapter.activations) < 2:
        return {f"app_{n}": placeholder("no further activation run") for n in names}
    figs = activation_figures(chapter, results, chapter.activations[1], inset_raw=[0.04, 0.44, 0.44, 0.3])
    return {f"app_{n}": figs[n] if n in figs else placeholder("not run under these parameters") for n in names}
