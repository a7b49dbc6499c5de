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
alphas = [0, 0.5, 3, 9]      # spreads of the component means, 0 first (paper: 0 to 9)
appendix_ms = [2, 3]         # numbers of components for the appendix activations (paper: 2 to 5)
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

from lib.measures.compare import METRICS
from lib.studies import mixture_dynamics as md
from lib.studies import mixture_dynamics_figures as figures
from lib.studies import mixture_dynamics_numbers as numbers
from lib.studies import style

style.use()
chapter = md.Chapter.of(globals())          # the parameters above, checked
results = chapter.sweeps()                  # {activation: {False: raw, True: standardised, "shared": ...}} (cached)
g_main = activations[0]                     # the main text; the others go to the appendix
_, _, m_ex, alpha_ex = chapter.grid(g_main)  # the example cell of Figs. 3 and 5
main = results[g_main]

# %% tags=["remove-input"]
for key, text in numbers.main_numbers(chapter, results).items():
    glue(key, text, display=False)

# %% [markdown]
# ## Unstandardised mixtures
#
# The first figure shows one unstandardised example, $m=${glue:text}`m_ex` and
# $\alpha=${glue:text}`alpha_ex`, with the {glue:text}`g_main` activation: the generalisation error
# and the order parameters predicted by the ODE (solid) and measured by SGD (dashed: the mean over the
# runs, shaded: one run-to-run standard deviation either side).

# %% tags=["remove-input"]
if False in standardize:
    ex_unstd = chapter.example(g_main, False)
    glue("fig3", figures.plot_example(ex_unstd, f"fig3_unstandardised_{g_main}"), display=False)

# %% [markdown]
# ```{glue:figure} fig3
# :name: fig-unstandardised-example
#
# (paper Fig. 3) Unstandardised mixture, $m=${glue:text}`m_ex`, $\alpha=${glue:text}`alpha_ex`: generalisation error
# and order parameters $Q$, $R$, $v$ against training time. Solid: Gaussian-theory ODE; dashed: mean of
# the SGD runs; shaded: one standard deviation over runs. Same initial weights for all curves.
# ```
#
# The SGD curves leave the ODE early, and the second-layer weights $v$ settle at different values. The
# next figure follows the gap in $v$ over time for every $\alpha$: the mean over $k$ of
# $|\langle v_k\rangle_{\text{runs}} - v_k^{\text{ODE}}|$.

# %% tags=["remove-input"]
if False in standardize:
    glue("fig4", figures.plot_vgap(main[False], f"fig4_vgap_{g_main}", m_ex), display=False)
    for key, text in numbers.vgap_numbers(main[False], m_ex).items():
        glue(key, text, display=False)

# %% [markdown]
# ```{glue:figure} fig4
# :name: fig-v-gap
#
# (paper Fig. 4) Unstandardised mixtures, $m=${glue:text}`m_ex`: mean gap between the second-layer weights of SGD
# (averaged over runs and mixtures) and of the ODE, against time, one curve per $\alpha$.
# ```
#
# The gap in $v$ grows with time and with $\alpha$. Over the last quarter of the log-spaced times it is
# {glue:text}`v_late_max` at $\alpha=${glue:text}`alpha_ex`, against {glue:text}`v_late_0` at
# $\alpha=0$, where it is only the finite-size noise of the mean of the runs. Between the first and the
# last quarter of the times it grows by a factor {glue:text}`v_growth` at the largest $\alpha$ (at
# $\alpha = 0$ the noise grows too, from zero at $t = 0$, by a factor {glue:text}`v_growth0`, but
# stays two orders of magnitude lower).

# %% tags=["remove-input"]
if False in standardize:
    glue("fig6u", figures.plot_tlog_vs_kl(main[False], ex_unstd, f"fig6_unstandardised_{g_main}", 2, figures.INSET_RAW,
                                          0, m_ex, alpha_ex), display=False)
    for key, text in numbers.unstandardised_numbers(main[False]).items():
        glue(key, text, display=False)

# %% [markdown]
# ```{glue:figure} fig6u
# :name: fig-tlog-kl-unstandardised
#
# (the unstandardised counterpart of paper Fig. 6) Unstandardised mixtures: tLog-RMSE $\mathcal M$ of $Q$, $R$ and $v$ between SGD and the ODE against
# the exact KL divergence of the mixture from $\mathcal N(0, I_D)$, one curve per number of components
# $m$ (the points are $\alpha$ = 0 and upwards; shaded: standard error over mixtures and runs). Dotted:
# the metric's scale. Inset: $Q$ of the example above (solid ODE, dashed SGD mean).
# ```
#
# At the largest $\alpha$ the gap is at least {glue:text}`un_ratio_Q` times the Gaussian level for $Q$
# and {glue:text}`un_ratio_v` times for $v$, at a divergence of up to {glue:text}`un_kl_max` nats; for
# $Q$ it reaches {glue:text}`un_rel_Q` of the metric's scale. Along each curve the divergence grows with
# $\alpha$, and so does the gap, but not always for long: the table below gives the mean gap in $Q$ per
# cell (one column per $m$), and for some mixtures it stops changing after the first $\alpha > 0$.

# %% tags=["remove-input"]
if False in standardize:
    stalled, texts = numbers.stalled_table(chapter.setup(g_main), main[False])
    display(Markdown(stalled))
    for key, text in texts.items():
        glue(key, text, display=False)

# %% [markdown]
# Flat columns (here: $m$ = {glue:text}`stalled_ms`, the columns where SGD's $Q$ moves by less than 5 % over
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

# %% tags=["remove-input"]
if True in standardize:
    ex_std = chapter.example(g_main, True)
    glue("fig5", figures.plot_example(ex_std, f"fig5_standardised_{g_main}"), display=False)
    glue("fig6", figures.plot_tlog_vs_kl(main[True], ex_std, f"fig6_standardised_{g_main}", 0, figures.INSET_STD, 2,
                                         m_ex, alpha_ex), display=False)
    for key, text in numbers.standardised_numbers(main[True]).items():
        glue(key, text, display=False)

# %% [markdown]
# ```{glue:figure} fig5
# :name: fig-standardised-example
#
# (paper Fig. 5) The example of {numref}`fig-unstandardised-example` ($m=${glue:text}`m_ex`,
# $\alpha=${glue:text}`alpha_ex`, same weights and sample streams) with each dimension of $C$
# standardised. Solid: ODE; dashed and shaded: SGD mean and run-to-run standard deviation.
# ```
#
# After standardisation the SGD runs scatter around the ODE exactly as they do for Gaussian inputs.
#
# ```{glue:figure} fig6
# :name: fig-tlog-kl-standardised
#
# (paper Fig. 6) Standardised mixtures: tLog-RMSE of $Q$, $R$, $v$ against the exact KL divergence of the standardised
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
# values (mean over mixtures and runs, at the $\alpha$ of our grid) as ratios to the paper's; the full table,
# ours beside the paper's and the difference row by row, is folded under it. Our $\mathbb E|X|$ row is averaged
# over the recorded times, runs, mixtures and $\alpha$ of the table.

# %% tags=["remove-input"]
tables = numbers.chapter_tables(chapter, results)          # our Tables I and II: {activation: rows}
if g_main in tables:
    display(Markdown(md.table_ratio_markdown(tables[g_main], g_main)))
    for key, text in numbers.table_numbers(tables[g_main], g_main).items():
        glue(key, text, display=False)

# %% tags=["remove-input", "hide-output"]
if g_main in tables:
    display(Markdown(md.table_markdown(md.table_versus_paper(tables[g_main], g_main))))

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

# %% tags=["remove-input"]
if True in standardize:
    glue("fig_shared", figures.shared_contrast(chapter, main, g_main, m_ex), display=False)
    for key, text in numbers.shared_numbers(chapter.setup(g_main), main, shared_alphas, m_ex).items():
        glue(key, text, display=False)

# %% [markdown]
# ```{glue:figure} fig_shared
# :name: fig-shared-contrast
#
# (no counterpart in the paper) Standardisation restores the ODE for the coordinate-wise mixture but not for the shared-label one.
# Top row and bottom left: diagonal components of $Q$ and $R$, and $v$, for $m=${glue:text}`m_ex`,
# $\alpha=${glue:text}`a_sh`: ODE (black), SGD with the coordinate-wise mixture (blue, dashed) and with
# the shared-label mixture (vermillion, dash-dotted), both standardised, same initial weights. Bottom right:
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

# %% tags=["remove-input"]
for key, text in numbers.appendix_numbers(chapter, results, tables).items():
    glue(key, text, display=False)
for name, fig in figures.appendix_figures(chapter, results).items():
    glue(name, fig, display=False)

# %% [markdown]
# ```{glue:figure} app_fig3
# :name: fig-app-unstandardised-example
#
# (paper appendix, Fig. 3 for erf) As {numref}`fig-unstandardised-example`, activation {glue:text}`app_g`: unstandardised mixture,
# $m=${glue:text}`app_m_ex`, $\alpha=${glue:text}`app_alpha_ex`. Solid: ODE; dashed and shaded: mean and
# standard deviation of the SGD runs.
# ```
#
# ```{glue:figure} app_fig4
# :name: fig-app-v-gap
#
# (paper appendix, Fig. 4 for erf) As {numref}`fig-v-gap`, activation {glue:text}`app_g`: gap between the SGD and ODE second layers over time,
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
# (paper appendix, Fig. 5 for erf) As {numref}`fig-standardised-example`, activation {glue:text}`app_g`: the example above with $C$
# standardised.
# ```
#
# ```{glue:figure} app_fig6
# :name: fig-app-tlog-kl-standardised
#
# (paper appendix, Fig. 6 for erf) As {numref}`fig-tlog-kl-standardised`, activation {glue:text}`app_g`: standardised mixtures.
# ```
#
# ```{glue:figure} app_shared
# :name: fig-app-shared-contrast
#
# As {numref}`fig-shared-contrast`, activation {glue:text}`app_g`: coordinate-wise against shared-label
# mixture, both standardised; right: $\mathcal M(Q)$ relative to its Gaussian level against $\alpha$.
# ```
#
# Our version of the paper's table for this activation (rows of the appendix grid) as ratios to the paper's
# values, with the full table (ours, the paper's, the difference) folded under it:

# %% tags=["remove-input"]
if len(activations) > 1 and activations[1] in tables:
    display(Markdown(md.table_ratio_markdown(tables[activations[1]], activations[1])))

# %% tags=["remove-input", "hide-output"]
if len(activations) > 1 and activations[1] in tables:
    display(Markdown(md.table_markdown(md.table_versus_paper(tables[activations[1]], activations[1]))))
for g in activations[2:]:                 # any further activation: the same figures and table, in order
    print(f"activation g = {g}")
    display(*figures.activation_figures(chapter, results, g).values())
    if g in tables:
        display(Markdown(md.table_markdown(md.table_versus_paper(tables[g], g))))
plt.close("all")

# %% [markdown]
# (checks-04_mixture_dynamics)=
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
# 2. **Unstandardised, the gap grows**: for every $m$ and metric, (a) every cell with $\alpha \ge 1$ (the
#    paper's spreads; smaller ones are the subject of {doc}`04b_small_spreads`) lies above the floor by more
#    than 4 standard errors; (b) over the drawn mixtures, the gap grows from the smallest positive
#    $\alpha$ to the largest: each $(m, \text{mixture})$ pair gives one growth (averaged over its runs), and
#    their mean must be above 0 by the $t$ quantile of a 4-sigma tail times its standard error between
#    mixtures; below 0 by as much contradicts the paper, in between the run cannot tell (not tested). The
#    scatter is the one between mixtures because the statement is about mixtures drawn at random: with the
#    runs' own standard error, one quick draw (seed 13) shrank by 49 of them: at $\alpha = 9$ its three runs
#    agreed to 0.1% in $\mathcal M$, so that standard error was tiny, while the gap in $v$ was below the one
#    at $\alpha = 0.5$. With two pairs (the quick profile) the quantile is in the thousands, so only the paper
#    profile decides it; this check is recorded with its verdict, not asserted. We do not require growth at
#    every step and every $m$: it stalls for some mixtures, as explained above; (c) the exact divergence grows
#    at every step in $\alpha$, so along each $m$ the gap grows, or at least does not
#    shrink, with the divergence; (d) the gap in $v$ over the last quarter of the log-times exceeds
#    that over the first quarter at the largest $\alpha$ (factor > 1), and exceeds the $\alpha = 0$ gap
#    at the same times by more than a factor 4 (the $\alpha = 0$ gap is the noise of a mean over runs,
#    whose size varies by well under a factor 2 between run sets of this size).
#    Two statements of the paper's versions are recorded with their verdicts, not asserted. (e) *The gaps
#    level off as KL grows* (first version), for $Q$ and $v$: over the (m, mixture) pairs, the gap must grow
#    less over the upper half of the $\alpha > 0$ grid than over the lower half in a majority that a
#    two-sided sign test finds significant ($p < 0.01$); a significant majority the other way contradicts
#    it, and with fewer than 12 pairs the test cannot decide (not tested). The later version's statement,
#    *the gap is small when $\alpha$ is small enough*, needs spreads below the grid's; the chapter
#    {doc}`04b_small_spreads` runs them and checks it.
# 3. **Standardised coordinate-wise mixtures stay at the floor**: every cell's $\mathcal M$ is at the Gaussian
#    level, for every metric, $\alpha$ and $m$, decided two-sided as in 4 below (a one-sided "less than 4
#    standard errors above" let a coarse run pass, and flagged the small real excess of standardised laws, about
#    1.1 to 1.3 times the floor, whenever a seed's few runs resolved it); recorded with its verdict, not asserted.
#    The grid must reach laws far
#    from the Gaussian: the largest exact divergence of its cells is above 10 nats, at which a single latent
#    vector tells the law from $\mathcal N(0, I_D)$ by a log-likelihood ratio of 10 on average. Where no drawn
#    mixture gets that far (seed 13 of the quick profile drew a grid whose largest divergence is 0.2 nats), the
#    draw cannot test the claim far from the Gaussian: that check is *not tested*, and claim 4 cannot pass,
#    though a resolved excess still fails it. (The ratio of
#    the divergences at the largest and smallest $\alpha$, which an earlier version of this check bounded,
#    depends on the random component means of one drawn mixture more than on $\alpha$: a nearly coincident
#    pair of means makes the standardised law almost Gaussian at any spread.)
# 4. **The mixture of eq. 17 read literally, standardised** (paper claim 4b): the paper's conclusion,
#    applied to its own definition of the mixture (one component label per sample), says its $\mathcal M$
#    stays at the Gaussian level at the largest contrast $\alpha$. "At the Gaussian level" is an equivalence
#    statement, so it is decided two-sided: with $e = \mathcal M/\text{floor} - 1$ and its standard error
#    $s_e$ (the Gaussian scatter above, in units of the floor), the gap is at the Gaussian level if its upper
#    bound $e + 2 s_e$ (one-sided 97.7%, the usual level of an equivalence test) is below $1/2$ and the floor
#    rests on at least 50 runs, above it if $e - 4 s_e > 1/2$, and otherwise the run cannot tell (*not tested
#    at this scale*); half the floor is our reading of "at the level", the paper gives no number. The run count
#    is fixed by the design, not drawn: one run's $\mathcal M$ scatters by about its own mean, so with fewer
#    than 50 runs the floor is known to worse than a seventh of itself, and over 20 seeds of the quick profile
#    (3 runs) a data-driven resolution rule flipped the verdict between seeds. The check is
#    stated from the paper's side and recorded with its verdict, not asserted: an excess above half the floor
#    by more than 4 standard errors *contradicts* the conclusion for this reading. Here the shared-label
#    mixture is {glue:text}`app_sh_ratio` times the floor for $Q$, $R$, $v$ with {glue:text}`app_g`
#    ({glue:text}`app_sh_z_all` standard errors) and {glue:text}`sh_ratio_Q`, {glue:text}`sh_ratio_R`,
#    {glue:text}`sh_ratio_v` times with {glue:text}`g_main`; for {glue:text}`app_g`,
#    {glue:text}`app_sh_verdict`. (Under the quick profile the erf network has only begun to learn by its
#    short $t_{\max}$, so there the excess is resolved only marginally and the run may not tell.)
# 5. **The comparison is not vacuous**: along the ODE, some component of each of $Q$, $R$, $v$ moves
#    away from its initial value by more than 10 times the floor $\mathcal M(\alpha=0)$ of that metric.
#    A student stuck at its initial weights would then differ from the ODE by a sizeable fraction of that
#    movement at the late log-times (about half of them), i.e. by several floors, far outside the
#    run-to-run scatter; without this, "SGD stays at the floor" could hold for a network that never
#    learned within $t_{\max}$ (the concern for the slower erf network). The drop of the ODE's
#    generalisation error over the window is recorded beside it.

# %%
from lib.pipeline import claims
from lib.studies import mixture_dynamics_checks as section4_checks

book = claims.Registry("04_mixture_dynamics", globals(), section="IV")
for g in activations:
    for check in section4_checks.checks(numbers.claim_stats(chapter, results, g), g):
        recorded = book.add(check)                    # every rule: lib/studies/mixture_dynamics_checks.py
        assert recorded or not check.asserted, (check.id, check.measured)
        if not check.asserted:
            print(f"{check.id}: {recorded.verdict} (measured {check.measured})")
for g, rows in tables.items():
    book.table({"erf": "I", "relu": "II"}[g], rows, ["Q00", "Q01", "Q10", "Q11", "R00", "R01", "R10", "R11",
                                                     "v0", "v1"], note=f"{n_mixtures} mixtures x {runs} runs, "
                                                                       f"t_max = {t_max:g}, N = {N}")
print("all asserted Section IV checks hold; the recorded findings are in the report")
