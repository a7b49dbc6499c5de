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
# # Why the numbers differ
#
# Three of our results disagree with the paper or go beyond it, and each can be traced with the engines
# the book already has. This chapter does so.
#
# 1. At $\alpha = 0$ (Gaussian latents) our tLog metric in Tables I and II is a fraction of the paper's,
#    by a factor that differs between components. We test candidate explanations against all twenty
#    $\alpha = 0$ cells at once.
# 2. With one component label per sample (eq. 17 of the first version read literally), the standardised
#    mixture does not follow the ODE. Is it the low-rank spike of its covariance, or the non-Gaussian law
#    of the label? We run SGD on the mixture and on a Gaussian with its mean and full covariance, from the
#    same weights.
# 3. Property V.4 (eqs. 20-22 of the later version) and eq. 24 say that the second moments of the local
#    fields $(\lambda, \nu)$, and $\mathbb E[g(\lambda) g(\nu)]$, are those of the Gaussian equivalent
#    model for any standardised latent law. We measure both on samples, against $N$.

# %% tags=["parameters"]
activations = ["relu", "erf"]       # activations of teacher and student (paper: relu, erf)
N = 1000
D = 500
lr = 0.2
seed = 0
floor_seeds = list(range(10))       # initial conditions of the Gaussian cells (Section IV paper runs: 0 to 9)
floor_runs = 10                     # SGD runs per initial condition (paper: 10)
floor_t_max = 100.0                 # (paper: 100)
floor_stored = True                 # read the stored Section IV runs (results/stash) where they exist
ode_bins = [5]                      # Marchenko-Pastur bins of the binned ODE; each must divide D (paper: 5 to 500)
ode_seeds = [0]                     # initial conditions integrated with the binned ODE (paper: all floor_seeds)
lrs = []                            # learning rates besides 0.2 (paper profile: 0.1 and 0.5)
lr_runs = 3                         # SGD runs per extra learning rate (paper: 10)
lr_t_max = 10.0                     # training time of those runs (paper: 100)
spike_alphas = [3, 9]               # spreads of the one-label mixture (paper: 1 to 9)
spike_m = 2                         # components (the paper's tables: 2)
spike_runs = 3                      # SGD runs per law (paper: 10)
spike_t_max = 5.0                   # (paper: 100)
field_laws = ["Gaussian", "uniform", "Laplace", "Pareto", "mixture, per coordinate", "mixture, one label",
              "Lorentz"]                 # latent laws of the field study (paper: the Table 1 laws too)
field_Ns = [50, 100, 200]           # sizes N of the field study, D is N/2 (paper: 125 to 2000)
field_samples = 5000                # samples of C per law and size (paper: 10^6)

# %%
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from lib.studies import forensics as fz
from lib.studies import forensics_fields as ff
from lib.studies import forensics_figures as figures
from lib.studies import style

style.use()
chapter = fz.Chapter.of(globals())           # the parameters above, checked
res = fz.chapter_results(chapter)            # everything below (cached)
texts = {**fz.part1_numbers(res, activations), **fz.part2_numbers(res)}
texts["spike_sentence"] = fz.spike_sentence(res.spike)
for key, text in texts.items():
    glue(key, text, display=False)

# %% [markdown]
# ## 1. The level of Tables I and II at $\alpha = 0$
#
# Every candidate below is evaluated on the *same* Gaussian SGD runs and ODE trajectories
# ({glue:text}`floor_source`: "stored" means the paper-scale runs of Section IV, $N = 1000$, $t_{\max} = 100$,
# 10 initial conditions of 10 runs each, read from the committed stash). A candidate gives a predicted
# $\alpha = 0$ row: ten components (the four of $Q$, the four of $R$, the two of $v$) for erf (Table I) and
# ReLU (Table II). We compare it with the paper's row component by component. The paper's own uncertainty
# we take from its ten rows $\alpha = 0, \dots, 9$: by the paper's claim all of them sit at the Gaussian
# level, so their relative scatter ({glue:text}`paper_cv_lo` to {glue:text}`paper_cv_hi` % per component) is the
# sampling error of one row. A component
# agrees when $|\log(\text{predicted}/\text{paper})|$ is within three combined standard deviations (the
# paper's scatter and our standard error over runs); a candidate *reproduces* the paper when all twenty
# components agree and its band is narrower than a factor 1.5 (otherwise the scale cannot decide).
#
# The candidates: the metric read in other ways (eq. 18 as printed, the square root inside the average
# over a difference of squares; its near variants; the RMSE of the mean over runs; errors relative to the
# size of the component), other time grids, a selection of runs (the paper excludes cases where "the ODE
# results and the SGD dynamics of the simple Gaussian significantly differ"; any such rule removes the
# largest values, so it can only lower a row), an ODE that integrates over a Marchenko-Pastur density in
# bins instead of the exact eigenvalues of $FF^\top/N$, and the learning rate (new runs; the ratio of the
# metric at that rate to the one at 0.2, times our row).

# %% tags=["remove-input"]
display(Markdown(fz.candidate_table(res.verdicts, activations)))

# %% [markdown]
# The table lists the geometric mean of the ratio over the components of each group (diagonal and
# off-diagonal $Q$, $R$, $v$). Of {glue:text}`n_candidates` candidates, {glue:text}`n_reproduce`
# reproduce the paper's rows ({glue:text}`n_undecided` cannot be decided at this scale). Our metric is
# {glue:text}`base_erf_Qd`, {glue:text}`base_erf_Qo`, {glue:text}`base_erf_R` and {glue:text}`base_erf_v`
# times the paper's (erf: $Q$ diagonal, $Q$ off-diagonal, $R$, $v$) and {glue:text}`base_relu_Qd`,
# {glue:text}`base_relu_Qo`, {glue:text}`base_relu_R`, {glue:text}`base_relu_v` (ReLU). Eq. 18 as printed
# gives {glue:text}`eq18_erf_Qd`, {glue:text}`eq18_erf_Qo`, {glue:text}`eq18_erf_R`,
# {glue:text}`eq18_erf_v` (erf) and {glue:text}`eq18_relu_Qd`, {glue:text}`eq18_relu_Qo`,
# {glue:text}`eq18_relu_R`, {glue:text}`eq18_relu_v` (ReLU). Eq. 18 as printed, and its variant with the
# square root outside the average, are the readings that bring the erf $Q$ and $R$ entries near the paper's
# size, which is what a square root of a first-order difference does: for a component of size $|x|$,
# $\sqrt{|x^2 - \hat x^2|} \approx \sqrt{2|x|\,|x - \hat x|}$, so the diagonal of $Q$ (size 1) grows far
# more than the off-diagonal (size 0.1). But the same reading puts $v$ and the ReLU diagonal of $Q$ well
# above the paper's, so it does not reproduce the tables either. The ODE over {glue:text}`bins_min`
# Marchenko-Pastur bins differs from the exact ODE by at most {glue:text}`bins_dist` (component-averaged
# RMSE), against a floor of {glue:text}`floor_Q` and above: binning is not a source of a systematic offset
# of the paper's size. The time grids move each group of components by a factor between
# {glue:text}`grid_lo` and {glue:text}`grid_hi`, in the same direction for every component, and cannot
# produce the differences between components. The candidate closest to the paper is
# "{glue:text}`best_name`" ({glue:text}`best_agree` components within the band).

# %% tags=["remove-input"]
shown = [c.name for c in res.candidates if c.kind in ("ODE", "learning rate")
         or c.name.startswith(("RMSE over", "eq. 18", "sqrt of", "RMSE, times t >= 10"))]
glue("fig_floor", figures.plot_floor(res.candidates, shown, activations, "forensics_floor"), display=False)

# %% [markdown]
# ```{glue:figure} fig_floor
# :name: fig-forensics-floor
#
# Ratio of the predicted $\alpha = 0$ row to the paper's, per component (Table I: erf, Table II: ReLU),
# for the book's metric, eq. 18 as printed, its square-root-of-mean variant, the latest time window, the
# binned ODE and (paper profile) other learning rates. Grey: the paper's own scatter over its ten rows
# (three standard deviations) around a ratio of 1.
# ```
#
# ## 2. The one-label mixture: the spike, not only its law
#
# With one label per sample, $C = \bar\mu + \sum_k \xi_k(\mu_k - \bar\mu) + Z$ with a discrete $\xi$ (one
# entry 1, the others 0). Its covariance $I + \sum_k p_k(\mu_k - \bar\mu)(\mu_k - \bar\mu)^\top$ has a
# rank-$(m-1)$ spike whose top eigenvalue after standardisation is {glue:text}`sp_relu_top` at
# $\alpha=${glue:text}`sp_alpha` ($m=${glue:text}`sp_m`). The matched Gaussian replaces the label by
# Gaussian latents with the same second moments, $C = \bar\mu + \sum_k \sqrt{p_k}\, g_k (\mu_k - \bar\mu)
# + Z$, and is standardised with the same map. From the same initial weights we run SGD on (a) the
# mixture, (b) the matched Gaussian and Gaussian latents (the floor), and integrate the ODE. For each law
# we measure the metric against the ODE (its excess over the floor in standard errors of the floor's
# run-to-run scatter), and the RMSE between the run means of (a) and (b), against what it would be if
# (a) and (b) were one law: $\sqrt{2/R}$ times their run-to-run spread. We call the run means different
# when that ratio exceeds 2.5 (for pure noise the squared ratio is a mean of $\chi^2_1$ variables of mean
# 1 over at least two independent components, which exceeds $2.5^2$ with probability below $e^{-6}$).

# %% tags=["remove-input"]
glue("fig_spike", figures.plot_spike(res.pairs, "forensics_spike"), display=False)

# %% [markdown]
# ```{glue:figure} fig_spike
# :name: fig-forensics-spike
#
# Left: tLog metric of $Q$ against the ODE for (a) the standardised one-label mixture (circles) and (b) the
# Gaussian with its mean and covariance (squares), relative to the Gaussian floor, and the gap between
# the run means of (a) and (b) relative to its size under the null hypothesis (triangles), against
# $\alpha$. Right: $Q_{00}$ at the largest $\alpha$, means of the runs.
# ```
#
# At $\alpha=${glue:text}`sp_alpha`, with ReLU the mixture is {glue:text}`sp_relu_aQ` times the floor in
# $Q$ ({glue:text}`sp_relu_za` standard errors above it, largest of $Q$, $R$, $v$) and the matched Gaussian
# {glue:text}`sp_relu_bQ` times ({glue:text}`sp_relu_zb` standard errors); their run means differ by
# {glue:text}`sp_relu_gap` times the null size. With erf: {glue:text}`sp_erf_aQ` and
# {glue:text}`sp_erf_bQ` times ({glue:text}`sp_erf_za` and {glue:text}`sp_erf_zb` standard errors), run
# means {glue:text}`sp_erf_gap` times the null size apart. What breaks the theory, ReLU:
# {glue:text}`sp_relu_verdict`; erf: {glue:text}`sp_erf_verdict`.
#
# The Gaussian with the mixture's covariance is *not* Gaussian universality's safe case: the hidden
# manifold ODE assumes i.i.d. latent coordinates, and a spike is a shared $O(1)$ latent factor. It enters the
# inputs $X = f(CF/\sqrt D)$ as a common factor, so the inputs are no longer weakly correlated and the
# teacher's field $\nu = \tilde W C/\sqrt D$ has a variance $\tilde W \operatorname{Cov}(C) \tilde
# W^\top / D \neq T$ (section 3 below measures it). An ODE for this case would need the spike as an extra
# order parameter (the overlaps of $W$ and $\tilde W$ with the directions $\mu_k - \bar\mu$, projected
# through $F$), which is not within reach of this chapter. Set beside what is known for a simpler
# learner: Pesce, Krzakala, Loureiro and Stephan (2023, "Are Gaussian data all you need? Extents and limits
# of universality in high-dimensional generalized linear estimation", arXiv:2302.08923) compute the errors
# of generalised linear estimation on Gaussian-mixture data exactly and show that whether a single
# Gaussian with the mixture's moments describes them depends on how the target weights align with the
# clusters' means and covariances. Here the teacher's weights overlap the mean differences at order one
# ($\tilde W(\mu_k - \bar\mu)/\sqrt D$ is of order $\alpha$), the situation in which they find that
# universality can fail. {glue:text}`spike_sentence`
#
# ## 3. Property V.4 and eq. 24 measured

# %% tags=["remove-input"]
summary = ff.study_summary(res.fields, field_Ns, activations[0])
glue("fig_fields", figures.plot_fields(summary, field_Ns, "forensics_fields"), display=False)
rows = ["| law | deviation at N = %d | s.e. | slope | eq. 24 deviation | s.e. | slope |" % field_Ns[-1],
        "|---|---|---|---|---|---|---|"]
fmt = lambda s: "not resolved" if s[0] is None else f"{s[0]:.2f} ({s[1]} sizes)"
for law, d in summary.items():
    rows.append(f"| {law} | {d['dev'][-1]:.3g} | {d['dev_se'][-1]:.2g} | {fmt(d['slope'])} | {d['gg'][-1]:.3g} | "
                f"{d['gg_se'][-1]:.2g} | {fmt(d['gg_slope'])} |")
display(Markdown("\n".join(rows)))
one = summary.get("mixture, one label")
glue("f_one", f"{one['dev'][-1]:.2f}" if one else "not run", display=False)
glue("f_one_slope", "not resolved" if not one or one["slope"][0] is None else f"{one['slope'][0]:.2f}", display=False)
glue("f_gauss", f"{summary['Gaussian']['dev'][-1]:.3f}", display=False)
glue("f_samples", f"{field_samples:,}", display=False)

# %% [markdown]
# ```{glue:figure} fig_fields
# :name: fig-forensics-fields
#
# Largest deviation of the measured second moments of $(\lambda, \nu)$ (left) and of
# $\mathbb E[g(\lambda_k) g(\nu_n)]$ (right, eq. 24, first activation) from the Gaussian-equivalent
# prediction, relative to the fields' scale, against $N$ ($D = N/2$, the same weights for every law at one
# $N$). Dotted: twice the sampling standard error of the Gaussian law's estimate.
# ```
#
# For fixed weights we draw {glue:text}`f_samples` latent vectors of each standardised law, form
# $\lambda = W f(CF/\sqrt D)/\sqrt N$ and $\nu = \tilde W C/\sqrt D$, and compare their second moments with
# $Q$, $R$, $T$ computed from the weights (the prediction of Property V.4), and $\mathbb E[g(\lambda_k)
# g(\nu_n)]$ with its Gaussian value (eq. 24). The deviation is the largest entry of the difference divided
# by the fields' scale; the slope is fitted over the sizes where it is resolved (above three standard
# errors). For the Gaussian law at the largest $N$ it is {glue:text}`f_gauss`, the sampling error and the
# finite-size error of the linearisation together. The laws with finite variance stay at that level, as
# Property V.4 says. Two fail: for the one-label mixture the deviation is {glue:text}`f_one` and does not
# fall with $N$ (fitted slope {glue:text}`f_one_slope`: the spike changes $Q$, $R$ and $T$ at order one,
# whatever $N$), and for Lorentz
# the sample moments are erratic and orders of magnitude off (no variance to standardise).

# %% [markdown]
# (checks-08_forensics)=
# ## Claims checked
#
# Each check is recorded with its verdict (none is asserted); the rules live in `lib/studies/forensics_checks.py`.
#
# 1. **Tables I/II level** (paper claim 1): one check per candidate, *reproduces the paper's
#    $\alpha = 0$ row* as defined above (not tested where the band is wider than a factor 1.5), and one
#    summary check attached to claim 1: some candidate reproduces the paper's level.
# 2. **One-label mixture** (paper claim 4b): the standardised one-label mixture follows the ODE (excess
#    over the floor below 4 standard errors; a larger excess contradicts the paper's conclusion read
#    literally), and our finding of which of spike and label law breaks the theory, recorded with the
#    numbers behind it.
# 3. **Property V.4**: for every standardised law the deviation at the largest $N$ is within 4 combined
#    standard errors of the Gaussian law's (the finite-size level). For the one-label mixture this is the
#    paper's conclusion read literally (claim 4b; a failure contradicts it); for Lorentz the paper itself
#    expects a failure, and we check that the deviation exceeds ten times the Gaussian law's at every $N$
#    (its batch standard errors are themselves erratic: the law has no variance).

# %%
from lib.pipeline import claims
from lib.studies import forensics_checks

book = claims.Registry("08_forensics", globals(), section="forensics")
base = res.verdicts[0]
assert np.all(np.isfinite(np.concatenate(list(base.ratio.values())))), base.ratio
for check in forensics_checks.checks(res.verdicts, res.pairs, res.spike, summary):
    recorded = book.add(check)                        # every rule: lib/studies/forensics_checks.py
    assert recorded or not check.asserted, (check.id, check.measured)
print("recorded", len(book.claims), "checks")
