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
# # Small spreads: is the gap small when the mixture is nearly Gaussian?
#
# The first version of the paper shows that raw (unstandardised) Gaussian-mixture latents pull SGD away from the
# Gaussian-theory ODE; its later version adds that the gap is small *when $\alpha$ is small enough*. The grid of
# {doc}`04_mixture_dynamics` (the paper's: $\alpha = 0, 1, \dots, 9$) cannot test that: its smallest spread,
# $\alpha = 1$, is already far above the floor there. This short chapter runs the same experiment (same
# network, seeds, metric and raw per-coordinate mixtures $\mathrm{GM}(\alpha, m)$) at spreads below 1, with the
# Gaussian floor ($\alpha = 0$) and $\alpha = 1$ in the same sweep.
#
# **What "small" means here.** The paper gives no number. We call a gap *at the Gaussian level* when it is less
# than 1.5 times the floor (the tLog-RMSE $\mathcal M$ of Gaussian inputs, which is the run-to-run noise of one
# SGD run at this $N$). The statement is about mixtures drawn at random, so each drawn $(m, \text{mixture})$ pair
# is one sample: $e$ is the mean over the pairs of $\mathcal M/\text{floor} - 1$ and $s_e$ its standard error,
# from the scatter between pairs and the floor's own. We decide it two-sided: at the level if the upper bound
# $e + z_2 s_e < 1/2$ for $Q$, $R$ and $v$ and the floor rests on at least 50 runs (with fewer, the floor's own
# error is above a seventh of it, and a pass would hang on the seed's luck); above it if $e - z_4 s_e > 1/2$ for
# some metric; otherwise the run cannot tell (*not tested at this scale*). $z_2$ and $z_4$ are the quantiles of
# Student's $t$ for the pairs' degrees of freedom with the tails of 2 and 4 normal standard deviations (a
# one-sided 97.7% bound for the pass, a 3-in-100,000 false alarm for the failure). Judged by the runs' scatter
# alone, the quick profile's single mixtures flipped the ReLU verdict between "not reproduced" and "not tested"
# over 20 seeds: how far a raw mixture pulls SGD depends on the mixture drawn.

# %% tags=["parameters"]
activations = ["relu", "erf"]     # activations g of student and teacher (paper: relu, erf)
f = "sgn"                         # folding function
ms = [2, 3]                       # numbers of mixture components (paper: 2 to 5)
small_alphas = [0.1, 0.25, 0.5]   # spreads in (0, 1) (the paper has none)
n_mixtures = 2                    # mixtures drawn per (alpha, m) cell (paper: 10)
runs = 5                          # SGD runs per mixture (paper: 10)
N = 1000
D = 500
K = 2
M = 2
lr = 0.2
t_max = 20.0                      # training time in units of N steps (paper: 100)
seed = 0
results_from = "auto"             # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("04b_small_spreads", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
from IPython.display import Markdown
from myst_nb import glue

from lib.studies import small_spreads as small

chapter = small.SmallSpreads.of(globals())     # the parameters above, checked
sweeps = chapter.sweeps()                      # {activation: raw sweep over 0, small_alphas, 1} (cached)

# %% tags=["remove-input"]
glue("fig_small", small.figure(sweeps), display=False)
for key, text in small.numbers(sweeps).items():
    glue(key, text, display=False)

# %% [markdown]
# ```{glue:figure} fig_small
# :name: fig-small-spreads
#
# (no counterpart in the paper) Raw mixtures at small spreads: the gap $\mathcal M$ of $Q$, $R$, $v$ between SGD
# and the ODE in units of the Gaussian floor, against $\alpha$ (spreads {glue:text}`small_list` and
# {glue:text}`alpha_ref`), one line per activation (colour) and number of components (line style). Grey: the
# Gaussian level as defined above (up to {glue:text}`excess_limit` times the floor).
# ```
#
# At $\alpha$ = {glue:text}`alpha_small` the largest gap over metrics and $m$ is {glue:text}`small_max`; at
# $\alpha$ = {glue:text}`alpha_ref` it is {glue:text}`ref_max`. Per metric, averaged over $m$ (in brackets: the
# largest excess over $m$ in standard errors):

# %% tags=["remove-input"]
Markdown("\n\n".join(f"**{g}**\n\n" + small.table_markdown(sw) for g, sw in sweeps.items()))

# %% [markdown]
# (checks-04b_small_spreads)=
# ## Claims checked
#
# The later version's statement, at the smallest spread, for every metric, pooled over the drawn mixtures, by the
# two-sided rule above. It is a statement of the paper that can come out either way, so it is recorded with its verdict, not
# asserted.

# %%
from lib.pipeline import claims

book = claims.Registry("04b_small_spreads", globals(), section="IV")
for g, sw in sweeps.items():
    recorded = book.add(small.check(sw, g))
    print(f"{recorded.id}: {recorded.verdict} (measured {recorded.measured})")
