# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Learning dynamics with Gaussian-mixture inputs
#
# This is the central experiment of the paper (its section IV). The ODE of the order parameters is
# derived for Gaussian latent vectors $C\sim\mathcal N(0, I_D)$. We feed the teacher-student network of
# the previous chapters with latent vectors drawn from a Gaussian mixture $\mathrm{GM}(\alpha, m)$
# instead, train it by online SGD, and ask how far the SGD trajectory of $Q$, $R$ and $v$ strays from
# the Gaussian-theory ODE started from the *same* weights. Two settings are compared:
#
# * **unstandardised**: $C$ is drawn from the mixture as it is; each coordinate has the mixture's mean
#   and variance, which are not 0 and 1;
# * **standardised**: each dimension of $C$ is shifted and rescaled to mean 0 and variance 1, using the
#   mean and standard deviation estimated from $10^4$ samples of the mixture.
#
# The claim under test is that the first setting leaves the ODE, more and more as the mixture moves
# away from a Gaussian, while the second follows it however non-Gaussian the mixture is.
#
# **How the comparison works.** For one mixture we draw the feature matrix $F$, the teacher and one
# student, integrate the ODE from these weights, and run several SGD runs from the same weights that
# differ only in the stream of samples they see. The distance between one SGD run and the ODE is the
# tLog-RMSE of each component (for instance of $Q_{01}$): the root-mean-square difference over the
# recorded times $t>0$, which are log-spaced between $t = 0.01$ and $t_{\max}$, so that early and late
# dynamics weigh alike. (The paper's printed formula, eq. 18 of its first version, is garbled; this
# is the definition its text describes.) Averaging over the components gives $\mathcal M(Q)$,
# $\mathcal M(R)$, $\mathcal M(v)$, and we then average over runs and mixtures. The *scale* of a
# metric is the mean of $|Q_{kl}|$ (or $|R_{km}|$, $|v_k|$) over components, recorded times and runs.
#
# **Reference level.** Even for Gaussian inputs one SGD run at finite $N$ is not the ODE: the order
# parameters fluctuate by $O(1/\sqrt N)$ from run to run. The level of $\mathcal M$ measured at
# $\alpha = 0$ (where the mixture is exactly $\mathcal N(0, 1)$ per coordinate) is therefore the floor
# against which every other setting is judged, with margins set by the run-to-run scatter.
#
# **Distance from the Gaussian.** As in the previous chapter, the KL divergence
# $D_{\mathrm{KL}}(P\,\|\,\mathcal N(0, I_D))$ on every axis is the exact value (a one-dimensional
# quadrature times $D$, the coordinates being independent), not the $k$-nearest-neighbour estimate the
# paper uses: at $D = 500$ that estimator is biased by hundreds of nats and often negative (see the
# chapter on Gaussian mixtures), so its values cannot order the mixtures. For the standardised mixture
# the divergence is that of the standardised law, computed with the same estimated shift and scale as
# the SGD runs use.

# %% tags=["parameters"]
activations = ["relu", "erf"]   # the first is the main text, the others go to the appendix (paper: relu, erf)
f = "sgn"                    # folding function
ms = [2, 3]                  # numbers of mixture components (paper: 2 to 5)
alphas = [0, 3, 6, 9]        # spreads of the component means, 0 first (paper: 0 to 9)
appendix_ms = [2]            # numbers of components for the appendix activations (paper: 2 to 5)
appendix_alphas = [0, 9]     # spreads for the appendix activations, 0 first (paper: 0 to 9)
shared_alphas = [9]          # spreads for the shared-label contrast (paper: 1 to 9)
standardize = [False, True]  # settings to run (False is unstandardised)
n_mixtures = 1               # mixtures drawn per (alpha, m) cell (paper: 10)
runs = 3                     # SGD runs per mixture (paper: 10)
N = 1000
D = 500
K = 2
M = 2
lr = 0.2
t_max = 20.0                 # training time in units of N steps (paper: 100)
seed = 0
results_from = "auto"        # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("04_mixture_dynamics", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from lib.studies import style
from lib.core import validate
from lib.studies.mixture_dynamics import (PAPER_TABLE_OF, Setup, chapter_grid, chapter_sweeps, example, gaussian_scatter,
                          growth_with_time, half_steps, initial_activity, late_mean, latent_covariance_top,
                          mixture_mean, ode_movement, paper_table, table_markdown, table_rows, table_versus_paper,
                          versus_floor)

style.use()
for g in activations:
    validate.choice("activations", g, ("relu", "erf"))
for s in standardize:
    if not isinstance(s, bool):
        raise validate.ParameterError(f"standardize={standardize!r} must list True and/or False")
if not alphas or alphas[0] != 0:
    raise validate.ParameterError(f"alphas={alphas!r} must start with 0 (the Gaussian floor)")
if not appendix_alphas or appendix_alphas[0] != 0:
    raise validate.ParameterError(f"appendix_alphas={appendix_alphas!r} must start with 0 (the Gaussian floor)")
if not appendix_ms:
    raise validate.ParameterError("appendix_ms must hold at least one number of components")
alpha_ex, m_ex = max(alphas), ms[0]          # the example cell of Figs. 3 and 5
METRICS = ("Q", "R", "v")
NEAR_ZERO_MEAN = 0.15                        # |mixture mean| / alpha below which a raw mixture counts as centred
glue("near0_limit", f"{NEAR_ZERO_MEAN:g}", display=False)
LABELS = {"Q": "$Q$", "R": "$R$", "v": "$v$"}


def setup(g):
    return Setup(g=g, f=f, N=N, D=D, K=K, M=M, lr=lr, runs=runs, t_max=t_max, seed=seed)


def grid(g):
    """(ms, alphas, example m, example alpha) for activation g: the main grid for the first activation,
    the appendix grid for the others."""
    return chapter_grid(g, activations, ms, alphas, appendix_ms, appendix_alphas)


results = {g: chapter_sweeps(setup(g), *grid(g)[:2], n_mixtures, standardize, shared_alphas) for g in activations}
g_main = activations[0]
main = results[g_main]
sG_main, sG_count = gaussian_scatter(main.get(True), main.get(False), "Q")
glue("sG_runs", f"{sG_count}", display=False)
glue("g_main", g_main, display=False)
glue("alpha_ex", f"{alpha_ex:g}", display=False)
glue("m_ex", f"{m_ex}", display=False)

# %% [markdown]
# ## Unstandardised mixtures
#
# The first figure shows one unstandardised example, $m=${glue:text}`m_ex` and
# $\alpha=${glue:text}`alpha_ex`, with the {glue:text}`g_main` activation: the generalisation error
# and the order parameters predicted by the ODE (solid) and measured by SGD (dashed: the mean over the
# runs, shaded: one run-to-run standard deviation either side).

# %%
COMP_COLORS = style.PALETTE


def components(x, name):
    """(runs, times, ...) -> list of (label, (runs, times)) per component."""
    if name == "v":
        return [(f"$v_{k}$", x[:, :, k]) for k in range(x.shape[2])]
    sym = "Q" if name == "Q" else "R"
    return [(f"${sym}_{{{k}{l}}}$", x[:, :, k, l]) for k in range(x.shape[2]) for l in range(x.shape[3])]


def plot_example(res, fig_name):
    """eg, Q, R, v against t: ODE solid, SGD mean dashed with a +-1 std band over runs."""
    t = res.sgd.t
    keep = t > 0
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    ax = axes[0]
    ax.plot(t[keep], res.ode.eg[0, keep], color="k", label="ODE")
    style.band(ax, t[keep], res.sgd.eg.mean(0)[keep], res.sgd.eg.std(0)[keep], COMP_COLORS[0], label="SGD")
    ax.set_yscale("log")
    ax.set_ylabel(r"$\epsilon_g$")
    ax.legend()
    for ax, name in zip(axes[1:], METRICS):
        sgd, ode = components(getattr(res.sgd, name), name), components(getattr(res.ode, name), name)
        for c, ((lab, xs), (_, xo)) in enumerate(zip(sgd, ode)):
            color = COMP_COLORS[c % len(COMP_COLORS)]
            ax.plot(t[keep], xo[0, keep], color=color, label=lab)
            style.band(ax, t[keep], xs.mean(0)[keep], xs.std(0)[keep], color)
        ax.set_ylabel(LABELS[name])
        ax.legend(ncol=2, fontsize=8)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig


if False in standardize:
    ex_unstd = example(setup(g_main), alpha_ex, m_ex, False)
    fig3 = plot_example(ex_unstd, f"fig3_unstandardised_{g_main}")
    glue("fig3", fig3, display=False)

# %% [markdown]
# ```{glue:figure} fig3
# :name: fig-unstandardised-example
#
# Unstandardised mixture, $m=${glue:text}`m_ex`, $\alpha=${glue:text}`alpha_ex`: generalisation error
# and order parameters $Q$, $R$, $v$ against training time. Solid: Gaussian-theory ODE; dashed: mean of
# the SGD runs; shaded: one standard deviation over runs. Same initial weights for all curves.
# ```
#
# The SGD curves leave the ODE early, and the second-layer weights $v$ settle at different values. The
# next figure follows the gap in $v$ over time for every $\alpha$: the mean over $k$ of
# $|\langle v_k\rangle_{\text{runs}} - v_k^{\text{ODE}}|$.

# %%
def plot_vgap(sw, fig_name, m):
    t = sw.t
    keep = t > 0
    fig, ax = plt.subplots(figsize=(6.4, 4))
    i = sw.ms.index(m)
    for j, a in enumerate(sw.alphas):
        ax.plot(t[keep], sw.vgap[i, j].mean(0)[keep], color=plt.cm.viridis(j / max(1, len(sw.alphas) - 1)),
                label=rf"$\alpha$ = {a:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("$t$")
    ax.set_ylabel(r"mean $|\langle v\rangle_{\mathrm{SGD}} - v_{\mathrm{ODE}}|$")
    ax.legend(ncol=2)
    style.savefig(fig, fig_name)
    return fig


if False in standardize:
    un = main[False]
    fig4 = plot_vgap(un, f"fig4_vgap_{g_main}", m_ex)
    glue("fig4", fig4, display=False)
    i_ex = un.ms.index(m_ex)
    growth = growth_with_time(un.vgap[i_ex, -1], un.t)
    growth0 = growth_with_time(un.vgap[i_ex, 0], un.t)
    vgap_late = late_mean(un.vgap[i_ex], un.t).mean(axis=1)            # (alphas,)
    glue("v_growth", f"{growth:.0f}", display=False)
    glue("v_growth0", f"{growth0:.0f}", display=False)
    glue("v_late_max", f"{vgap_late[-1]:.3f}", display=False)
    glue("v_late_0", f"{vgap_late[0]:.4f}", display=False)

# %% [markdown]
# ```{glue:figure} fig4
# :name: fig-v-gap
#
# Unstandardised mixtures, $m=${glue:text}`m_ex`: mean gap between the second-layer weights of SGD
# (averaged over runs and mixtures) and of the ODE, against time, one curve per $\alpha$.
# ```
#
# The gap in $v$ grows with time and with $\alpha$. Over the last quarter of the log-spaced times it is
# {glue:text}`v_late_max` at $\alpha=${glue:text}`alpha_ex`, against {glue:text}`v_late_0` at
# $\alpha=0$, where it is only the finite-size noise of the mean of the runs. Between the first and the
# last quarter of the times it grows by a factor {glue:text}`v_growth` at the largest $\alpha$ (at
# $\alpha = 0$ the noise grows too, from zero at $t = 0$, by a factor {glue:text}`v_growth0`, but
# stays two orders of magnitude lower).

# %%
def plot_tlog_vs_kl(sw, ex, fig_name, inset_panel, inset_at, legend_panel, m_in, alpha_in):
    """tLog-RMSE of Q, R, v against the exact KL divergence, one curve per m (standard error shaded),
    the metric's scale dotted, and an inset with the example's Q trajectories (solid ODE, dashed SGD)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, name in zip(axes, METRICS):
        mean, se = sw.mean(name), sw.sem(name)
        for i, m in enumerate(sw.ms):
            kl = sw.kl_mean()[i]
            color = style.PALETTE[i % len(style.PALETTE)]
            ax.plot(kl, mean[i], "o-", color=color, ms=4, label=f"m = {m}")
            ax.fill_between(kl, mean[i] - se[i], mean[i] + se[i], color=color, alpha=0.25, lw=0)
        ax.axhline(sw.scale_mean(name), color="k", ls=":", lw=1.2, label="scale E|x|")
        ax.set_xscale("symlog", linthresh=1.0)
        ax.set_xlim(left=-0.5)
        ax.set_yscale("log")
        ax.set_ylim(mean.min() / 2.5, 3 * max(sw.scale_mean(name), mean.max()))
        ax.set_xlabel(r"$D_{\mathrm{KL}}(P\,\|\,\mathcal{N})$ (nats, exact)")
        ax.set_ylabel(rf"$\mathcal{{M}}$({LABELS[name]})")
    axes[legend_panel].legend(loc="center left")
    inset = axes[inset_panel].inset_axes(inset_at)
    t = ex.sgd.t
    keep = t > 0
    for c, ((lab, xs), (_, xo)) in enumerate(zip(components(ex.sgd.Q, "Q"), components(ex.ode.Q, "Q"))):
        inset.plot(t[keep], xo[0, keep], color=COMP_COLORS[c], lw=1)
        inset.plot(t[keep], xs.mean(0)[keep], color=COMP_COLORS[c], lw=1, ls="--")
    inset.set_xscale("log")
    inset.tick_params(labelsize=7)
    inset.set_facecolor("white")
    inset.text(0.03, 0.95, rf"$Q$, $m$ = {m_in}, $\alpha$ = {alpha_in:g}", transform=inset.transAxes, fontsize=8,
               va="top")
    inset.grid(False)
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig


if False in standardize:
    fig6u = plot_tlog_vs_kl(main[False], ex_unstd, f"fig6_unstandardised_{g_main}", 2, [0.5, 0.08, 0.47, 0.38], 0,
                           m_ex, alpha_ex)
    glue("fig6u", fig6u, display=False)
    un_ratio = {n: un.mean(n)[:, -1] / un.mean(n)[:, 0] for n in METRICS}
    glue("un_ratio_Q", f"{un_ratio['Q'].min():.0f}", display=False)
    glue("un_ratio_v", f"{un_ratio['v'].min():.0f}", display=False)
    glue("un_kl_max", f"{un.kl_mean()[:, -1].max():.0f}", display=False)
    glue("un_rel_Q", f"{(un.mean('Q')[:, -1] / un.scale_mean('Q')).max():.2f}", display=False)
    if len(un.alphas) > 3:                  # growth of the gap over the alphas > 0: overall, and its shape
        span = {n: (un.mean(n)[:, -1] / un.mean(n)[:, 1]).mean() for n in METRICS}
        mu = np.stack([mixture_mean(un, i, len(un.alphas) - 1) / un.alphas[-1] for i in range(len(un.ms))])
        near0 = np.abs(mu) < NEAR_ZERO_MEAN                                  # (m, mixture)
        steps = {n: half_steps(np.moveaxis(un.per_mixture(n)[:, 1:], 1, -1)[near0]) for n in METRICS}
        glue("un_span_Q", f"{span['Q']:.1f}", display=False)
        glue("un_span_v", f"{span['v']:.1f}", display=False)
        glue("un_alpha_1", f"{un.alphas[1]:g}", display=False)
        glue("near0_n", f"{near0.sum()} of the {near0.size}", display=False)
        glue("near0_Q_faster", f"{(steps['Q'][1] > steps['Q'][0]).sum()}", display=False)
        glue("near0_v_slower", f"{(steps['v'][1] < steps['v'][0]).sum()}", display=False)
    else:
        for key in ("un_span_Q", "un_span_v", "un_alpha_1", "near0_n", "near0_Q_faster", "near0_v_slower"):
            glue(key, "(needs four alphas)", display=False)

# %% [markdown]
# ```{glue:figure} fig6u
# :name: fig-tlog-kl-unstandardised
#
# Unstandardised mixtures: tLog-RMSE $\mathcal M$ of $Q$, $R$ and $v$ between SGD and the ODE against
# the exact KL divergence of the mixture from $\mathcal N(0, I_D)$, one curve per number of components
# $m$ (the points are $\alpha$ = 0 and upwards; shaded: standard error over mixtures and runs). Dotted:
# the metric's scale. Inset: $Q$ of the example above (solid ODE, dashed SGD mean).
# ```
#
# At the largest $\alpha$ the gap is at least {glue:text}`un_ratio_Q` times the Gaussian level for $Q$
# and {glue:text}`un_ratio_v` times for $v$, at a divergence of up to {glue:text}`un_kl_max` nats; for
# $Q$ it reaches {glue:text}`un_rel_Q` of the metric's scale. Along each curve the divergence grows with
# $\alpha$, and so does the gap, but not always for long: the table below gives the mean gap in $Q$ per
# cell, and for some mixtures it stops changing after the first $\alpha > 0$.

# %%
if False in standardize:
    lines = ["| m | mixture mean $\\bar\\mu$ per unit $\\alpha$ (first mixture) | "
             + " | ".join(f"M(Q), $\\alpha$ = {a:g}" for a in un.alphas)
             + " | largest change of SGD's $Q$ over training, first mixture, $\\alpha$ max |", "|---|---|" + "---|" * (len(un.alphas) + 1)]
    moved = {}
    for i, m in enumerate(un.ms):
        mu = mixture_mean(un, i, len(un.alphas) - 1)[0] / un.alphas[-1]
        tr = example(setup(g_main), un.alphas[-1], m, False).sgd.Q.mean(0)          # (times, K, K)
        moved[m] = float(np.abs(tr[-1] - tr[0]).max() / np.abs(tr[0]).max())
        lines.append(f"| {m} | {mu:+.2f} | " + " | ".join(f"{x:.4f}" for x in un.mean("Q")[i])
                     + f" | {100 * moved[m]:.1f} % |")
    display(Markdown("\n".join(lines)))
    stalled = [m for m in un.ms if moved[m] < 0.05]
    m_still = min(moved, key=moved.get)
    active = initial_activity(setup(g_main), un.alphas[-1], m_still, False)
    glue("stalled_ms", ", ".join(map(str, stalled)) if stalled else "none", display=False)
    glue("m_still", f"{m_still}", display=False)
    glue("stalled_move", f"{100 * moved[m_still]:.1f}", display=False)
    glue("stalled_active", " and ".join(f"{100 * x:.0f} %" for x in active), display=False)

# %% [markdown]
# Flat rows (here: $m$ = {glue:text}`stalled_ms`, the rows where SGD's $Q$ moves by less than 5 % over
# training in the first mixture) come from mixtures whose mean $\bar\mu = \sum_k p_k\mu_k$ is large
# compared with the unit spread of a component. The means of one mixture index are the same numbers
# scaled by $\alpha$, so $\bar\mu$ grows with $\alpha$ too. The projection $U = CF/\sqrt D$ then
# carries a large fixed offset $\bar\mu\sum_i F_{ij}/\sqrt D$, and the student's input
# $X=\operatorname{sgn}(U)$ is close to one fixed sign pattern (and, $\operatorname{sgn}$ being blind to
# scale, its law hardly changes with $\alpha$ once $\alpha\gg 1$). With ReLU units and this
# initialisation, most inputs then switch the student's units off and learning stalls. In the row
# where SGD moves least ($m$ = {glue:text}`m_still`, largest $\alpha$) the two student units start
# active on {glue:text}`stalled_active` of the inputs (half of them for Gaussian inputs), and over the
# whole run SGD's $Q$ moves by {glue:text}`stalled_move` % of its initial size, while the ODE, which is
# the same for every $\alpha$, learns. A stalled run's gap is the distance between the initial weights
# and the ODE's trajectory, whatever $\alpha$. The first version of the paper reports that the
# unstandardised gaps in $Q$ and $v$ level off as the divergence grows. The two metrics behave differently
# here. Averaged over $m$, from $\alpha=${glue:text}`un_alpha_1` to the largest $\alpha$ the gap in $Q$
# grows by a factor {glue:text}`un_span_Q`, the gap in $v$ by a factor {glue:text}`un_span_v`. In $Q$ the
# levelling belongs to the stalled mixtures; mixtures whose mean stays near 0 keep leaving the ODE faster
# as $\alpha$ grows. In $v$ the growth slows down in those mixtures too: SGD's second layer settles away
# from the ODE's, and a wider mixture moves it little further. Mixture by mixture, for the
# {glue:text}`near0_n` (m, mixture) pairs whose mean $|\bar\mu|$ stays below
# {glue:text}`near0_limit`$\,\alpha$: over the upper half of the grid of $\alpha > 0$ the gap in $Q$ grows
# more than over the lower half in {glue:text}`near0_Q_faster` of them, the gap in $v$ less in
# {glue:text}`near0_v_slower`. Across $m$ the divergence alone therefore does not fix the gap.
#
# ## Standardised mixtures

# %%
if True in standardize:
    ex_std = example(setup(g_main), alpha_ex, m_ex, True)
    fig5 = plot_example(ex_std, f"fig5_standardised_{g_main}")
    glue("fig5", fig5, display=False)
    st = main[True]
    fig6 = plot_tlog_vs_kl(st, ex_std, f"fig6_standardised_{g_main}", 0, [0.4, 0.3, 0.57, 0.42], 2, m_ex, alpha_ex)
    glue("fig6", fig6, display=False)
    st_ratio = {n: st.mean(n) / st.mean(n)[0, 0] for n in METRICS}
    glue("st_ratio_max", f"{max(r.max() for r in st_ratio.values()):.2f}", display=False)
    glue("st_ratio_min", f"{min(r.min() for r in st_ratio.values()):.2f}", display=False)
    glue("st_kl_min", f"{st.kl_mean()[:, 1].min():.1f}", display=False)
    glue("st_kl_max", f"{st.kl_mean().max():.0f}", display=False)
    glue("st_kl_0", f"{st.kl_mean()[0, 0]:.2f}", display=False)
    glue("st_rel", f"{max((st.mean(n) / st.scale_mean(n)).max() for n in METRICS):.3f}", display=False)

# %% [markdown]
# ```{glue:figure} fig5
# :name: fig-standardised-example
#
# The example of {numref}`fig-unstandardised-example` ($m=${glue:text}`m_ex`,
# $\alpha=${glue:text}`alpha_ex`, same weights and sample streams) with each dimension of $C$
# standardised. Solid: ODE; dashed and shaded: SGD mean and run-to-run standard deviation.
# ```
#
# After standardisation the SGD runs scatter around the ODE exactly as they do for Gaussian inputs.
#
# ```{glue:figure} fig6
# :name: fig-tlog-kl-standardised
#
# Standardised mixtures: tLog-RMSE of $Q$, $R$, $v$ against the exact KL divergence of the standardised
# mixture, one curve per $m$ (standard error shaded), with the metric's scale dotted and, as inset, $Q$
# of the standardised example.
# ```
#
# Over the whole grid the gap stays between {glue:text}`st_ratio_min` and {glue:text}`st_ratio_max`
# times the Gaussian ($\alpha = 0$) level, at most {glue:text}`st_rel` of the metric's scale, while the
# divergence of the standardised law goes from {glue:text}`st_kl_0` nats at $\alpha = 0$ (where it
# measures only the error of the estimated mean and variance) through {glue:text}`st_kl_min` nats at the
# first $\alpha > 0$ up to {glue:text}`st_kl_max` nats. Standardisation removes most of the divergence
# (compare the unstandardised axis), but what remains is large: a standardised mixture with
# well-separated means is still bimodal in every coordinate. The dynamics do not see it. The projections
# $U = CF/\sqrt D$ and $\nu = \tilde W C/\sqrt D$ are sums of $D$ independent coordinates, so by the
# central limit theorem they are Gaussian, with a covariance set by the first two moments of $C$ alone:
# once those are 0 and 1, $U$ and $\nu$ have the law they have for Gaussian $C$ up to finite-$D$
# corrections, and so does everything the network computes from them (Lemmas II.1 and V.1; see the
# next chapter).
#
# ### Tables I and II of the paper
#
# The first version of the paper lists the tLog-RMSE of every component for standardised mixtures with
# $m = 2$, with the mean absolute value $\mathbb E|X|$ of each component as the last row. Below, our
# values (mean over mixtures and runs, at the $\alpha$ of our grid), the paper's, and the difference.
# Our $\mathbb E|X|$ row is averaged over the recorded times, runs, mixtures and $\alpha$ of the table.

# %%
tables = {}
for g in activations:
    if True in standardize and 2 in grid(g)[0] and (K, M) == (2, 2) and g in PAPER_TABLE_OF:
        tables[g] = table_rows(results[g][True], m=2)
if g_main in tables:
    display(Markdown(table_markdown(table_versus_paper(tables[g_main], g_main))))
    ours0, paper0 = np.array(tables[g_main]["alpha=0"]), np.array(paper_table(g_main)["alpha=0"])
    glue("table_ratio_QR", f"{ours0[:8].mean() / paper0[:8].mean():.2f}", display=False)
    glue("table_ratio_v", f"{ours0[8:].mean() / paper0[8:].mean():.2f}", display=False)

# %% [markdown]
# At $\alpha = 0$ our values are {glue:text}`table_ratio_QR` times the paper's for the components of $Q$
# and $R$ and {glue:text}`table_ratio_v` times for $v$, on average, under the profile this page was
# executed with. The level depends on how long the runs are compared (the late, saturated phase of
# training is the noisiest, and its weight grows with $t_{\max}$) and on the initial weights, which also
# set $\mathbb E|X|$ (the paper's differ between its two tables too). What the paper's tables and ours share is the
# absence of any trend with $\alpha$: every row stays at the $\alpha = 0$ level within the run-to-run
# scatter (claim 3 below). Note also that the paper
# discarded the mixtures whose Gaussian runs disagreed with the ODE before averaging; we discard nothing.
#
# ## Where standardisation stops working: one label per sample
#
# In the paper's mixture every coordinate of $C$ draws its own component, so the coordinates are
# independent. A literal reading of the mixture's definition gives another law: one component label per
# *sample*, with mean vectors $\mu_k\in[-\alpha,\alpha)^D$, so that all coordinates of a sample move
# together. Its KL divergence has no one-dimensional form; we estimate it by direct Monte Carlo of
# $\mathbb E_P[\log p - \log q]$ with the known density. The figure compares
# the two variants, both standardised, at the same $\alpha$.

# %%
def plot_shared(g, fig_name, m):
    res = results[g]
    a = max(shared_alphas)
    coord = example(setup(g), a, m, True, "coordinate")
    shared = example(setup(g), a, m, True, "shared")
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
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
        ax.set_xscale("log")
        ax.set_xlabel("$t$")
        ax.set_ylabel(LABELS[name] + (" (diagonal)" if name != "v" else ""))
    axes[0].legend(fontsize=8)
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
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * (hi / lo) ** 0.6)                   # headroom for the legend
    ax.set_xlabel(r"$\alpha$")
    ax.set_ylabel(r"$\mathcal{M}(Q)$ / Gaussian level")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    style.savefig(fig, fig_name)
    return fig, coord, shared


if True in standardize:
    fig_sh, coord_ex, shared_ex = plot_shared(g_main, f"shared_contrast_{g_main}", m_ex)
    glue("fig_shared", fig_sh, display=False)
    sh = main["shared"]
    a_sh = max(shared_alphas)
    j_sh = sh.alphas.index(float(a_sh))
    sh_ratio = {n: sh.mean(n)[0, j_sh] / main[True].mean(n)[0, 0] for n in METRICS}
    glue("a_sh", f"{a_sh:g}", display=False)
    glue("sh_ratio_Q", f"{sh_ratio['Q']:.1f}", display=False)
    glue("sh_ratio_R", f"{sh_ratio['R']:.1f}", display=False)
    glue("sh_ratio_v", f"{sh_ratio['v']:.1f}", display=False)
    glue("sh_kl", f"{sh.kl_mean()[0, j_sh]:.0f}", display=False)
    glue("sh_kl_se", f"{sh.kl_err[0, j_sh].max():.1f}", display=False)
    if float(a_sh) in main[True].alphas:
        glue("co_kl", f"{main[True].kl_mean()[main[True].ms.index(m_ex), main[True].alphas.index(float(a_sh))]:.0f}",
             display=False)
    else:
        glue("co_kl", "(not in the grid)", display=False)
    # the covariance of the standardised latent vector: its largest eigenvalue (1 for independent
    # coordinates of unit variance)
    spike = latent_covariance_top(setup(g_main).comparison(a_sh, m_ex, True, "shared").distribution())
    spike_co = latent_covariance_top(setup(g_main).comparison(a_sh, m_ex, True, "coordinate").distribution())
    glue("spike", f"{spike:.0f}", display=False)
    glue("spike_co", f"{spike_co:.2f}", display=False)

# %% [markdown]
# ```{glue:figure} fig_shared
# :name: fig-shared-contrast
#
# Standardisation restores the ODE for the coordinate-wise mixture but not for the shared-label one.
# Left three panels: diagonal components of $Q$ and $R$, and $v$, for $m=${glue:text}`m_ex`,
# $\alpha=${glue:text}`a_sh`: ODE (black), SGD with the coordinate-wise mixture (blue, dashed) and with
# the shared-label mixture (vermillion, dash-dotted), both standardised, same initial weights. Right:
# $\mathcal M(Q)$ relative to its Gaussian level against $\alpha$ (error bars: standard error).
# ```
#
# At $\alpha=${glue:text}`a_sh` the standardised shared-label mixture is {glue:text}`sh_ratio_Q`,
# {glue:text}`sh_ratio_R` and {glue:text}`sh_ratio_v` times the Gaussian level in $Q$, $R$ and $v$,
# with a divergence of {glue:text}`sh_kl` nats (Monte Carlo standard error {glue:text}`sh_kl_se`); the coordinate-wise mixture at the same $\alpha$ sits
# at the Gaussian level with {glue:text}`co_kl` nats. So the divergence is not what decides. What
# decides is the correlation between coordinates. Standardising each dimension fixes the mean and
# variance of every $C_i$, but with a shared label the coordinates still move together: the covariance
# of the standardised vector has the unit diagonal plus a low-rank part
# $\sum_k p_k(\mu_k-\bar\mu)(\mu_k-\bar\mu)^\top$ (rescaled), whose largest eigenvalue here is
# {glue:text}`spike`, against 1 for independent coordinates. A per-dimension affine map cannot remove it.
# Two things then break. The covariance of the teacher's preactivations $\nu = \tilde W C/\sqrt D$ is no
# longer $\tilde W\tilde W^\top/D$: the spike adds a term of order one along the direction of
# $\tilde W(\mu_k-\bar\mu)/\sqrt D$, and likewise for the student. And the preactivations are no longer
# Gaussian: given the label they are Gaussian with a label-dependent mean of order one, so overall they
# are a mixture, whatever $D$. The weak-correlation assumption behind Lemma V.1 and the Gaussian
# equivalence of chapter II fails, and the ODE, which is closed only for Gaussian preactivations with the
# covariance $(Q, R, T)$, no longer describes SGD.

# %% [markdown]
# ## Appendix: the erf activation
#
# The paper's appendix repeats the experiment with $g(x)=\operatorname{erf}(x/\sqrt 2)$ for teacher and
# student. We do the same for every further activation of the `activations` parameter, on a smaller grid
# to keep the quick book fast: {glue:text}`app_grid` (the paper profile runs the full grid of the main
# text). The figures and the table follow the main text in order.
#
# First a precondition. From these initial weights the erf network learns more slowly than the ReLU one:
# by $t=${glue:text}`t_max_text` the ODE's generalisation error has gone from {glue:text}`app_eg0` to
# {glue:text}`app_egT` with {glue:text}`app_g` (with {glue:text}`g_main`: from {glue:text}`main_eg0` to
# {glue:text}`main_egT`), so training is still under way at the end of the comparison window. It is not
# a network sitting at its initial weights, though: along the ODE, the components of $Q$, $R$ and $v$
# travel at least {glue:text}`app_move` times the Gaussian level of their tLog-RMSE away from their
# starting values. A student that did not follow the ODE would therefore be seen far above the floor, as
# in the main text.
#
# With {glue:text}`app_g`, the unstandardised mixture at $\alpha=${glue:text}`app_alpha_ex` leaves the
# ODE: {glue:text}`app_un_ratio` times the Gaussian level for $Q$, $R$ and $v$ (at least
# {glue:text}`app_un_z` standard errors above it). After standardisation every cell stays within
# {glue:text}`app_std_ratio` times the floor (at most {glue:text}`app_std_z` standard errors above it),
# and the standardised shared-label mixture is {glue:text}`app_sh_ratio` times the floor
# ({glue:text}`app_sh_z` standard errors). Against the paper's Table I (erf), our $\alpha = 0$ row is
# {glue:text}`app_table_ratio_QR` times the paper's for $Q$ and $R$ and {glue:text}`app_table_ratio_v`
# times for $v$ on average; as in the main text the level depends on $t_{\max}$ and on the initial
# weights. As in the paper's table, no row with $\alpha > 0$ lies above the $\alpha = 0$ row beyond the
# run-to-run scatter (claim 3 below, asserted for every activation).

# %%
def cell_summary(g):
    """Numbers of the appendix prose for activation g: ratios and z-scores against the alpha = 0 floor."""
    res = results[g]
    _, _, g_m, g_alpha = grid(g)
    sG = {n: gaussian_scatter(res.get(True), res.get(False), n)[0] for n in METRICS}
    ref = res[True] if True in res else res[False]
    ex = example(setup(g), g_alpha, g_m, True in standardize)
    out = {"eg0": ex.ode.eg[0, 0], "egT": ex.ode.eg[0, -1],
           "move": min(ode_movement(ex, n) / ref.mean(n)[0, 0] for n in METRICS)}
    if False in res:
        un = res[False]
        i = un.ms.index(g_m)
        out["un_ratio"] = [un.mean(n)[i, -1] / un.mean(n)[i, 0] for n in METRICS]
        out["un_z"] = min(versus_floor(un, un, n, sG[n])[1][:, 1:].min() for n in METRICS)
    if True in res:
        st, sh = res[True], res["shared"]
        out["std_ratio"] = max((st.mean(n) / st.mean(n)[0, 0]).max() for n in METRICS)
        out["std_z"] = max(versus_floor(st, st, n, sG[n])[1].max() for n in METRICS)
        out["sh_ratio"] = [sh.mean(n)[0, -1] / st.mean(n)[0, 0] for n in METRICS]
        out["sh_z_all"] = [versus_floor(sh, st, n, sG[n])[1][0, -1] for n in METRICS]
        out["sh_z"] = min(out["sh_z_all"])
    return out


summary = {g: cell_summary(g) for g in activations}
glue("t_max_text", f"{t_max:g}", display=False)
glue("main_eg0", f"{summary[g_main]['eg0']:.3f}", display=False)
glue("main_egT", f"{summary[g_main]['egT']:.3f}", display=False)
if len(activations) > 1:
    g_app = activations[1]
    sa = summary[g_app]
    app_ms, app_alphas, app_m, app_alpha = grid(g_app)
    glue("app_g", g_app, display=False)
    glue("app_grid", f"m ∈ {{{', '.join(map(str, app_ms))}}} and α ∈ {{{', '.join(f'{a:g}' for a in app_alphas)}}}",
         display=False)
    glue("app_m_ex", f"{app_m}", display=False)
    glue("app_alpha_ex", f"{app_alpha:g}", display=False)
    glue("app_eg0", f"{sa['eg0']:.3f}", display=False)
    glue("app_egT", f"{sa['egT']:.3f}", display=False)
    glue("app_move", f"{sa['move']:.0f}", display=False)
    glue("app_un_ratio", ", ".join(f"{x:.1f}" for x in sa.get("un_ratio", [])) or "(not run)", display=False)
    glue("app_un_z", f"{sa['un_z']:.0f}" if "un_z" in sa else "(not run)", display=False)
    glue("app_std_ratio", f"{sa['std_ratio']:.2f}" if "std_ratio" in sa else "(not run)", display=False)
    glue("app_std_z", f"{sa['std_z']:.1f}" if "std_z" in sa else "(not run)", display=False)
    glue("app_sh_ratio", ", ".join(f"{x:.1f}" for x in sa.get("sh_ratio", [])) or "(not run)", display=False)
    glue("app_sh_z", f"{sa['sh_z']:.1f}" if "sh_z" in sa else "(not run)", display=False)
    glue("app_sh_z_all", ", ".join(f"{x:.1f}" for x in sa.get("sh_z_all", [])) or "(not run)", display=False)
    n_fail = sum(z <= 4 for z in sa.get("sh_z_all", []))
    glue("app_sh_verdict", f"in this execution the check fails for {n_fail} of the {len(METRICS)} metrics" if n_fail
         else "in this execution it passes for every metric", display=False)
    if g_app in tables:
        ours0, paper0 = np.array(tables[g_app]["alpha=0"]), np.array(paper_table(g_app)["alpha=0"])
        glue("app_table_ratio_QR", f"{ours0[:8].mean() / paper0[:8].mean():.2f}", display=False)
        glue("app_table_ratio_v", f"{ours0[8:].mean() / paper0[8:].mean():.2f}", display=False)
    else:
        glue("app_table_ratio_QR", "(not run)", display=False)
        glue("app_table_ratio_v", "(not run)", display=False)
    figs = {}
    res_g = results[g_app]
    if False in standardize:
        ex_u = example(setup(g_app), app_alpha, app_m, False)
        figs["app_fig3"] = plot_example(ex_u, f"fig3_unstandardised_{g_app}")
        figs["app_fig4"] = plot_vgap(res_g[False], f"fig4_vgap_{g_app}", app_m)
        figs["app_fig6u"] = plot_tlog_vs_kl(res_g[False], ex_u, f"fig6_unstandardised_{g_app}", 2,
                                            [0.04, 0.44, 0.44, 0.3], 0, app_m, app_alpha)
    if True in standardize:
        ex_s = example(setup(g_app), app_alpha, app_m, True)
        figs["app_fig5"] = plot_example(ex_s, f"fig5_standardised_{g_app}")
        figs["app_fig6"] = plot_tlog_vs_kl(res_g[True], ex_s, f"fig6_standardised_{g_app}", 0,
                                           [0.4, 0.3, 0.57, 0.42], 2, app_m, app_alpha)
        figs["app_shared"] = plot_shared(g_app, f"shared_contrast_{g_app}", app_m)[0]
    for name in ("app_fig3", "app_fig4", "app_fig6u", "app_fig5", "app_fig6", "app_shared"):
        if name not in figs:                   # a setting left out by the standardize parameter
            figs[name], ax = plt.subplots(figsize=(4, 1))
            ax.axis("off")
            ax.text(0.5, 0.5, "not run under these parameters", ha="center")
        glue(name, figs[name], display=False)
else:
    for key in ("app_g", "app_grid", "app_m_ex", "app_alpha_ex", "app_eg0", "app_egT", "app_move", "app_un_ratio",
                "app_un_z", "app_std_ratio", "app_std_z", "app_sh_ratio", "app_sh_z", "app_sh_z_all", "app_sh_verdict",
                "app_table_ratio_QR", "app_table_ratio_v"):
        glue(key, "(no further activation run)", display=False)
    for name in ("app_fig3", "app_fig4", "app_fig6u", "app_fig5", "app_fig6", "app_shared"):
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no further activation run", ha="center")
        glue(name, fig, display=False)

# %% [markdown]
# ```{glue:figure} app_fig3
# :name: fig-app-unstandardised-example
#
# As {numref}`fig-unstandardised-example`, activation {glue:text}`app_g`: unstandardised mixture,
# $m=${glue:text}`app_m_ex`, $\alpha=${glue:text}`app_alpha_ex`. Solid: ODE; dashed and shaded: mean and
# standard deviation of the SGD runs.
# ```
#
# ```{glue:figure} app_fig4
# :name: fig-app-v-gap
#
# As {numref}`fig-v-gap`, activation {glue:text}`app_g`: gap between the SGD and ODE second layers over time,
# one curve per $\alpha$ of the appendix grid.
# ```
#
# ```{glue:figure} app_fig6u
# :name: fig-app-tlog-kl-unstandardised
#
# As {numref}`fig-tlog-kl-unstandardised`, activation {glue:text}`app_g`: tLog-RMSE of $Q$, $R$, $v$
# against the exact KL divergence of the unstandardised mixture (points: the $\alpha$ of the appendix grid).
# ```
#
# ```{glue:figure} app_fig5
# :name: fig-app-standardised-example
#
# As {numref}`fig-standardised-example`, activation {glue:text}`app_g`: the example above with $C$
# standardised.
# ```
#
# ```{glue:figure} app_fig6
# :name: fig-app-tlog-kl-standardised
#
# As {numref}`fig-tlog-kl-standardised`, activation {glue:text}`app_g`: standardised mixtures.
# ```
#
# ```{glue:figure} app_shared
# :name: fig-app-shared-contrast
#
# As {numref}`fig-shared-contrast`, activation {glue:text}`app_g`: coordinate-wise against shared-label
# mixture, both standardised; right: $\mathcal M(Q)$ relative to its Gaussian level against $\alpha$.
# ```
#
# Our version of the paper's table for this activation (rows of the appendix grid), beside the paper's
# values and the difference:

# %%
if len(activations) > 1 and activations[1] in tables:
    display(Markdown(table_markdown(table_versus_paper(tables[activations[1]], activations[1]))))
for g in activations[2:]:                 # any further activation: the same figures, shown in order
    res_g = results[g]
    _, _, g_m, g_alpha = grid(g)
    print(f"activation g = {g}")
    if False in standardize:
        ex_u = example(setup(g), g_alpha, g_m, False)
        display(plot_example(ex_u, f"fig3_unstandardised_{g}"))
        display(plot_vgap(res_g[False], f"fig4_vgap_{g}", g_m))
        display(plot_tlog_vs_kl(res_g[False], ex_u, f"fig6_unstandardised_{g}", 2, [0.5, 0.08, 0.47, 0.38], 0,
                                g_m, g_alpha))
    if True in standardize:
        ex_s = example(setup(g), g_alpha, g_m, True)
        display(plot_example(ex_s, f"fig5_standardised_{g}"))
        display(plot_tlog_vs_kl(res_g[True], ex_s, f"fig6_standardised_{g}", 0, [0.4, 0.3, 0.57, 0.42], 2,
                                g_m, g_alpha))
        if g in tables:
            display(Markdown(table_markdown(table_versus_paper(tables[g], g))))
        display(plot_shared(g, f"shared_contrast_{g}", g_m)[0])
plt.close("all")

# %% [markdown]
# ## Claims checked
#
# Every check is made for each activation run, the appendix activations on their own, smaller grid (the
# checks that compare several $\alpha > 0$, 2(b) and the divergence span of 3, need at least three values
# of $\alpha$ and are made where the grid has them). The Gaussian level (floor) of $\mathcal M$ is the
# $\alpha = 0$ cell of the same setting and activation. To ask whether a cell is above the floor we test the null
# hypothesis that it *is* at the Gaussian level: then its per-run values scatter like those of Gaussian
# runs, with a standard deviation $s_G$ that we pool over all standardised coordinate-wise cells and
# the unstandardised $\alpha = 0$ cell ({glue:text}`sG_runs` values), and the difference of the cell's
# mean over its $n$ (mixture, run) pairs from the floor's mean over $n_0$ pairs has the standard error
# $s_G\sqrt{1/n + 1/n_0}$. We call a difference significant beyond 4 of these standard errors: with a
# few dozen comparisons, a pure-noise difference passes 4 standard errors with a probability of a few
# per mille each (a $t$ distribution with the pooled degrees of freedom), so a failure means a real
# excess, not bad luck.
#
# 1. **Gaussian inputs, ODE = SGD**: at $\alpha = 0$, $\mathcal M$ of each metric is below twice the
#    run-to-run spread of that metric (the RMS over log-times of the standard deviation over runs). If SGD
#    followed the ODE exactly, one run would differ from the ODE by its own finite-$N$ fluctuation,
#    $\mathcal M \approx$ spread; a systematic gap $b$ raises this to $\sqrt{\text{spread}^2 + b^2}$, so
#    the bound allows $b < 1.7$ spreads. We also record $\mathcal M$ relative to the metric's scale.
# 2. **Unstandardised, the gap grows**: for every $m$ and metric, (a) every $\alpha > 0$ cell lies above
#    the floor by more than 4 standard errors; (b) averaged over $m$, the gap at the largest $\alpha$ is
#    above that at the smallest positive $\alpha$ by more than 4 standard errors (each cell's own
#    standard error, larger than the Gaussian one away from the floor; we do not require growth at every
#    step and every $m$: it stalls for some mixtures, as explained above); (c) the exact divergence grows
#    at every step in $\alpha$, so along each $m$ the gap grows, or at least does not
#    shrink, with the divergence; (d) the gap in $v$ over the last quarter of the log-times exceeds
#    that over the first quarter at the largest $\alpha$ (factor > 1), and exceeds the $\alpha = 0$ gap
#    at the same times by more than a factor 4 (the $\alpha = 0$ gap is the noise of a mean over runs,
#    whose size varies by well under a factor 2 between run sets of this size).
# 3. **Standardised coordinate-wise mixtures stay at the floor**: every cell's $\mathcal M$ is less than
#    4 standard errors above the floor, for every metric, $\alpha$ and $m$, while the exact divergence at
#    the largest $\alpha$ is above 10 times its value at the smallest $\alpha > 0$ for each $m$.
# 4. **Standardised shared-label mixture leaves the floor**: at the largest contrast $\alpha$ its
#    $\mathcal M$ exceeds the floor by more than 4 standard errors, for every metric. The factor above the
#    floor is recorded beside it; it is not part of the criterion, because its size depends on the
#    activation, on $t_{\max}$ and on the number of runs, while the significance is what tells a real
#    excess from finite-size noise. For the appendix activations this check is recorded and reported, not
#    asserted: under the quick profile the erf network has only begun to learn by its short $t_{\max}$, so
#    the shared label has had little time to act, and a few runs resolve the excess only marginally; a
#    failure there would say little about the paper's setting. Here the shared-label mixture
#    is {glue:text}`app_sh_ratio` times the floor for $Q$, $R$, $v$ with {glue:text}`app_g`
#    ({glue:text}`app_sh_z_all` standard errors) and {glue:text}`sh_ratio_Q`, {glue:text}`sh_ratio_R`,
#    {glue:text}`sh_ratio_v` times with {glue:text}`g_main`; for {glue:text}`app_g`,
#    {glue:text}`app_sh_verdict`.
# 5. **The comparison is not vacuous**: along the ODE, some component of each of $Q$, $R$, $v$ moves
#    away from its initial value by more than 10 times the floor $\mathcal M(\alpha=0)$ of that metric.
#    A student stuck at its initial weights would then differ from the ODE by a sizeable fraction of that
#    movement at the late log-times (about half of them), i.e. by several floors, far outside the
#    run-to-run scatter; without this, "SGD stays at the floor" could hold for a network that never
#    learned within $t_{\max}$ (the concern for the slower erf network). The drop of the ODE's
#    generalisation error over the window is recorded beside it.

# %%
from lib.pipeline import claims

book = claims.Registry("04_mixture_dynamics", globals(), section="IV")
for g in activations:
    res = results[g]
    ref = res[True] if True in res else res[False]
    sG = {n: gaussian_scatter(res.get(True), res.get(False), n)[0] for n in METRICS}
    for name in METRICS:
        fl, spread = ref.mean(name)[0, 0], ref.spread[name][0, 0].mean()
        assert book.check(f"IV.gaussian.{g}.{name}", fl < 2 * spread, measured=fl / spread, paper_claim="1",
                          tolerance="M(alpha=0) / run-to-run spread < 2",
                          statement=f"Gaussian inputs ({g}): the ODE tracks SGD within the finite-N noise "
                                    f"({name}; M / scale = {fl / ref.scale_mean(name):.3f})."), (fl, spread)
    if False in res:
        un = res[False]
        for name in METRICS:
            _, z = versus_floor(un, un, name, sG[name])
            assert book.check(f"IV.unstd-above.{g}.{name}", np.all(z[:, 1:] > 4), measured=z[:, 1:].min(),
                              paper_claim="2", tolerance="every alpha > 0: (M - floor) / s.e. > 4",
                              statement=f"Unstandardised ({g}): SGD leaves the ODE at every alpha > 0 ({name})."), z
            if len(un.alphas) > 2:
                up = un.mean(name)[:, -1].mean() - un.mean(name)[:, 1].mean()
                se_up = np.sqrt((un.sem(name)[:, -1] ** 2 + un.sem(name)[:, 1] ** 2).sum()) / len(un.ms)
                assert book.check(f"IV.unstd-grows.{g}.{name}", up > 4 * se_up, measured=up / se_up, paper_claim="2",
                                  tolerance="mean over m: (M(largest alpha) - M(smallest alpha > 0)) / s.e. > 4",
                                  statement=f"Unstandardised ({g}): averaged over m, the gap grows from the smallest "
                                            f"to the largest alpha > 0 ({name}; it saturates for some mixtures)."), \
                    (up, se_up)
        kl_steps = np.diff(un.kl_mean(), axis=1)
        assert book.check(f"IV.unstd-kl.{g}", np.all(kl_steps > 0), measured=kl_steps.min(), paper_claim="2",
                          tolerance="exact KL increases at every alpha step, for every m",
                          statement=f"Unstandardised ({g}): along each m the gap grows with the KL divergence."), kl_steps
        i = un.ms.index(grid(g)[2])
        gr = growth_with_time(un.vgap[i, -1], un.t)
        vl = late_mean(un.vgap[i], un.t).mean(axis=1)
        assert book.check(f"IV.unstd-v-time.{g}", gr > 1 and vl[-1] > 4 * vl[0], measured=[gr, vl[-1] / vl[0]],
                          paper_claim="2", tolerance="growth (last / first quarter) > 1 and late gap > 4 x alpha=0",
                          statement=f"Unstandardised ({g}): the gap in v grows with time."), (gr, vl)
    if True in res:
        st, sh = res[True], res["shared"]
        for name in METRICS:
            _, z = versus_floor(st, st, name, sG[name])
            assert book.check(f"IV.std-floor.{g}.{name}", np.all(z < 4), measured=z.max(), paper_claim="4",
                              tolerance="every (alpha, m): (M - floor) / s.e. < 4",
                              statement=f"Standardised coordinate-wise mixtures ({g}): the gap stays at the "
                                        f"Gaussian level for every alpha and m ({name}; largest ratio to the "
                                        f"floor {(st.mean(name) / st.mean(name)[0, 0]).max():.2f})."), z
        if len(st.alphas) > 2:
            kl_span = (st.kl_mean()[:, -1] / st.kl_mean()[:, 1]).min()
            assert book.check(f"IV.std-kl-span.{g}", kl_span > 10, measured=kl_span, paper_claim="4",
                              tolerance="KL(largest alpha) / KL(smallest alpha > 0) > 10, every m",
                              statement=f"Standardised ({g}): over the same grid the exact KL divergence grows "
                                        f"by more than an order of magnitude (up to {st.kl_mean().max():.0f} nats)."), \
                kl_span
        for name in METRICS:
            _, z = versus_floor(sh, st, name, sG[name])
            ratio = sh.mean(name)[0, -1] / st.mean(name)[0, 0]
            passed = book.check(f"IV.shared-gap.{g}.{name}", z[0, -1] > 4, measured=[z[0, -1], ratio],
                                paper_claim="4", tolerance="(M - floor) / s.e. > 4 (measured: [z, M / floor])",
                                statement=f"Standardised shared-label mixture ({g}, alpha = {sh.alphas[-1]:g}): "
                                          f"the gap stays clearly above the Gaussian level ({name}).")
            if g == g_main:
                assert passed, (z, ratio)
            else:                                  # appendix activation: recorded, not asserted (see the text)
                print(f"IV.shared-gap.{g}.{name}: {'pass' if passed else 'FAILS'} (z = {z[0, -1]:.1f}, "
                      f"ratio {ratio:.2f}); recorded, not asserted")
    ex = example(setup(g), grid(g)[3], grid(g)[2], True in standardize)
    travel = {name: ode_movement(ex, name) / ref.mean(name)[0, 0] for name in METRICS}
    eg_drop = ex.ode.eg[0, -1] / ex.ode.eg[0, 0]
    assert book.check(f"IV.moved.{g}", min(travel.values()) > 10, measured=[min(travel.values()), eg_drop],
                      tolerance="ODE movement / floor > 10 for Q, R and v (measured: [smallest ratio, "
                                "eg(t_max) / eg(0) of the ODE])",
                      statement=f"The comparison window is not vacuous ({g}): within t_max the ODE's order "
                                f"parameters move many times the Gaussian floor."), travel
for g, rows in tables.items():
    book.table({"erf": "I", "relu": "II"}[g], rows, ["Q00", "Q01", "Q10", "Q11", "R00", "R01", "R10", "R11",
                                                     "v0", "v1"], note=f"{n_mixtures} mixtures x {runs} runs, "
                                                                       f"t_max = {t_max:g}, N = {N}")
print("all asserted Section IV claims hold")
