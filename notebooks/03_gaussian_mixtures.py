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
# # Gaussian-mixture inputs and their distance from the Gaussian
#
# Section III of the paper replaces the Gaussian latent vector $C$ by a Gaussian mixture
# $\mathrm{GM}(\alpha, m)$: $m$ unit-variance components whose means $\mu_k$ are drawn uniformly from
# $[-\alpha, \alpha)$, with weights $p_k\sim U(0,1)$ normalised. In the paper's setting every coordinate of
# $C$ draws its own component, so the $D$ coordinates are independent copies of one scalar mixture. Two
# knobs move the mixture away from $\mathcal N(0, I_D)$: the spread $\alpha$ of the means and the number
# $m$ of components. The paper measures the distance by the Kullback-Leibler divergence
# $D_{\mathrm{KL}}(P\,\|\,\mathcal N)$, estimated from samples with the $k$-nearest-neighbour method of
# {cite}`wang2009divergence`, and reports that $\alpha$ moves it more than $m$.
#
# Because the coordinates are independent and the mixture density is known, the divergence also has an
# exact value: $D$ times the divergence of one coordinate, a one-dimensional integral. We compute it
# beside the $k$-NN estimate, both for the raw mixture and for its *standardised* version, where each
# dimension is shifted and rescaled to sample mean 0 and sample variance 1, as in the paper.

# %% tags=["parameters"]
D = 500                        # latent dimension (the paper: 500)
alphas = [0, 1, 3, 5, 7, 9]    # spread of the component means
ms = [1, 2, 3, 5]              # numbers of components (the paper: 1..5)
n_mixtures = 5                 # mixtures drawn per (alpha, m) for the exact values (the paper: 20)
knn_samples = 2000             # samples of P (and of the Gaussian reference) for k-NN in dimension D
knn_samples_1d = 10_000        # samples for the one-coordinate k-NN estimate
k = 1                          # neighbour order of the estimator
seed = 0
results_from = "auto"          # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("03_gaussian_mixtures", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
import torch
from IPython.display import Markdown, display
from myst_nb import glue

from lib.studies import gaussian_mixtures as study
from lib.studies import style

style.use()
torch.set_num_threads(1)

# Exact divergence averaged over n_mixtures draws of the mixture parameters (standardised with the exact
# mean and variance, the population version of the paper's map); k-NN on the first mixture of each cell
# (standardised by sample estimates, as in the paper) in dimension D and on a one-dimensional copy of the
# same scalar mixture. Each table is (len(ms), len(alphas)), keyed by standardised False / True.
tables = study.kl_study(study.KLStudy(D=D, alphas=tuple(alphas), ms=tuple(ms), n_mixtures=n_mixtures,
                                      knn_samples=knn_samples, knn_samples_1d=knn_samples_1d, k=k, seed=seed))
exact, exact_first, knn_full = tables["exact"], tables["exact_first"], tables["knn_full"]

# %% [markdown]
# ## The divergence per coordinate
#
# Per coordinate the $k$-NN estimator works: in one dimension it is close to the exact value, though for raw
# mixtures near 1 nat it is biased low, by up to a fifth at these sample sizes (for instance $-0.18$ nats on $0.87$
# for a raw five-component mixture at $\alpha = 5$, with a scatter of $0.04$ over 40 resamplings), because the
# Gaussian reference samples rarely reach the outer components. The figure shows the exact divergence per coordinate (lines: the mean over the drawn mixtures),
# and the one-dimensional $k$-NN estimate on one coordinate of the first mixture (markers; compare with
# the dotted exact value of that same mixture).

# %% tags=["remove-input"]
fig = study.per_coordinate_figure(tables, alphas, ms, D)
style.savefig(fig, "kl_per_coordinate")
glue("kl_per_coordinate_fig", fig, display=False)

# %% [markdown]
# ```{glue:figure} kl_per_coordinate_fig
# :name: fig-kl-per-coordinate
#
# (paper Fig. 2, which plots the $k$-NN estimate for the whole vector) KL divergence of one coordinate of
# $\mathrm{GM}(\alpha, m)$ from $\mathcal N(0,1)$ against $\alpha$.
# Left: raw mixture; right: standardised per dimension. Lines: exact value (quadrature), mean over the
# drawn mixtures; dotted: the first mixture alone; circles: one-dimensional $k$-NN estimate for that
# first mixture. The divergence of the whole vector is $D$ times these values.
# ```

# %% tags=["remove-input"]
err_1d, rel_1d = study.one_d_errors(tables)
glue("err_1d", f"{err_1d:.3f}", display=False)
glue("rel_1d", f"{rel_1d:.0f}", display=False)
alpha_spread, m_spread = study.spread(exact[False])
glue("alpha_spread", f"{alpha_spread:.0f}", display=False)
glue("m_spread", f"{m_spread:.0f}", display=False)
glue("spread_ratio", f"{alpha_spread / m_spread:.1f}", display=False)
std_max = exact[True].max()
glue("std_max", f"{std_max:.0f}", display=False)
glue("unstd_max", f"{exact[False].max():.0f}", display=False)

# %% [markdown]
# Where the divergence per coordinate is below 1 nat, the one-dimensional $k$-NN estimate is within
# {glue:text}`err_1d` nats of the exact value. For far-apart components (several nats per coordinate) it
# falls short, by up to {glue:text}`rel_1d` %: the Gaussian reference samples never reach the outer
# components, so the nearest-neighbour distances there say little about the Gaussian density. Over the grid, changing $\alpha$ at fixed $m$ moves the total divergence by
# {glue:text}`alpha_spread` nats on average, changing $m$ at fixed $\alpha$ by {glue:text}`m_spread`
# nats: a ratio of {glue:text}`spread_ratio`, which is the paper's observation that $\alpha$ matters more
# than $m$. Standardisation shrinks the divergence a lot (largest total {glue:text}`std_max` nats, against
# {glue:text}`unstd_max` raw), but for large $\alpha$ and several components it stays far from zero: a
# standardised mixture is still a mixture, bimodal when the means are far apart.
#
# ## The $k$-NN estimate in the full dimension
#
# The paper applies the estimator to samples of the whole vector, $D$ = 500. There the estimator is far
# from the truth at any feasible sample size: it relies on the density being nearly constant over each
# nearest-neighbour ball, and in 500 dimensions these balls are as large as the distribution itself. Its
# bias decreases only like $n^{-1/D}$. {numref}`fig-knn-vs-exact` compares it with the exact value for the
# first mixture of each cell.

# %% tags=["remove-input"]
fig = study.knn_vs_exact_figure(tables, D)
style.savefig(fig, "knn_vs_exact")
glue("knn_vs_exact_fig", fig, display=False)
wrong_sign = study.wrong_sign_fraction(tables)
glue("wrong_sign", f"{100 * wrong_sign:.0f}", display=False)
glue("knn_gauss", f"{knn_full[False][0, 0]:.2f}", display=False)

# %% [markdown]
# ```{glue:figure} knn_vs_exact_fig
# :name: fig-knn-vs-exact
#
# (no counterpart in the paper) The $k$-NN estimate of $D_{\mathrm{KL}}$ in the full dimension $D$ against the exact value, for every
# $(\alpha, m)$ cell and both settings. The black line marks agreement. The paper reports only the
# estimate, as the KL axis of its Figs. 2 and 6.
# ```
#
# For the raw mixtures with an exact divergence above 1 nat, {glue:text}`wrong_sign` % of the full-dimension
# estimates are *negative*; even for a Gaussian input ($\alpha=0$) the estimate is {glue:text}`knn_gauss`
# instead of 0. The full-dimension $k$-NN numbers therefore do not measure the divergence, and the paper's
# KL axes (its Figs. 2 and 6) cannot be read as divergences. In this book every KL axis uses the exact
# value (or, for the shared-label mixture of {doc}`04_mixture_dynamics`, the direct Monte Carlo value
# $\mathbb E_P[\log p - \log q]$ from the known density), and the $k$-NN values are shown only here.
# The qualitative ordering the paper relies on, $\alpha$ moving the divergence more than $m$, holds for
# the exact values.
#
# Per cell, the estimate against the exact value (nats, first mixture of each cell, whole dimension;
# the one-row-per-cell table follows, folded):

# %% tags=["remove-input"]
display(Markdown(study.knn_pivot_table(tables, alphas, ms)))

# %% tags=["remove-input", "hide-output"]
display(Markdown(study.knn_table(tables, alphas, ms)))

# %% [markdown]
# (checks-03_gaussian_mixtures)=
# ## Checks
#
# Each check is recorded with its verdict for the reproduction report, {doc}`99_report`; the rules live in
# `lib/studies/gaussian_mixtures_checks.py`:
#
# 1. $\alpha$ moves the exact divergence more than $m$ does (mean spreads; the paper's claim).
# 2. The exact divergence grows at every step in $\alpha$, for every $m \ge 2$.
# 3. Standardisation raises no cell's exact divergence by more than 1 nat.
# 4. Where the divergence per coordinate is between 0.1 and 1 nat, the one-dimensional $k$-NN estimate is within a
#    factor 2 of the exact value: the criterion of the $D = 500$ axis below, so that the two dimensions are judged
#    alike. (An absolute band of 0.1 nats failed on 2 of 12 seeds: near 1 nat the estimate of a raw mixture is
#    biased low, by up to a fifth, as said above.)
# 5. The paper's KL axis: in $D = 500$ the $k$-NN estimate reaches half the exact divergence in every mixture
#    cell above 10 nats. A finding, recorded with its verdict, not asserted; a failure contradicts the axis.

# %%
from lib.pipeline import claims
from lib.studies import gaussian_mixtures_checks

book = claims.Registry("03_gaussian_mixtures", globals(), section="III")
steps = study.alpha_steps(exact[False], ms)          # the exact divergence's steps in alpha, every m >= 2
ratio_1d = study.one_d_ratios(tables)                 # 1-d k-NN / exact where the divergence is 0.1 to 1 nat
ratio_full, trapped = study.full_dimension_trap(tables, ms)   # full-dimension k-NN / exact, mixtures above 10 nats
for check in gaussian_mixtures_checks.checks(alpha_spread, m_spread, steps, exact[True], exact[False], ratio_1d,
                                             ratio_full):
    recorded = book.add(check)                        # every rule: lib/studies/gaussian_mixtures_checks.py
    assert recorded or not check.asserted, (check.id, check.measured)
    if not check.asserted:
        print(f"{check.id}: {recorded.verdict} (measured {check.measured})")
