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
# # Universality across input laws, and where it ends
#
# Section V.2 of the later version of the paper leaves Gaussian mixtures behind: if standardising the
# latent vector $C$ is what makes SGD follow the Gaussian-theory ODE, then *any* law with a mean and a
# variance should do, once each coordinate is shifted and rescaled to mean 0 and variance 1. The paper
# tests this on a list of laws (its Table 1, whose parameter values were lost in extraction; ours are
# below) and then shows a law for which it must fail, the Lorentz (Cauchy) law, which has neither mean
# nor variance, so that "standardising" it with sample moments is a procedure without a limit.
#
# This chapter regenerates Table 1 with the skewness and excess kurtosis of each law, compares SGD with the
# ODE for every standardised law (the paper's Fig. 7) against the floor that finite-size fluctuations set
# for Gaussian inputs, and studies the Lorentz input as the number of samples used to standardise it grows
# (Fig. 8). We add a heavy-tailed Pareto law, whose variance is finite while its third and fourth moments
# are not: it sits between the two cases and turns out to be the most instructive one.

# %% tags=["parameters"]
N = 1000                 # student input dimension (the paper: 1000)
D = 500                  # latent dimension (the paper: 500)
K = 2
M = 2
lr = 0.2
activations = ["relu", "erf"]   # g of teacher and student; the first is the main text, erf the appendix
folds = ["sgn", "tanh"]  # folding functions f; the first is the main text, tanh our second one
cross = False            # also run each further activation with each further fold (paper: True)
laws = [["Gaussian", "gaussian", {}],
        ["uniform", "uniform", {"low": 0.0, "high": 1.0}],
        ["beta (arcsine)", "beta", {"a": 0.5, "b": 0.5}],
        ["beta (skewed)", "beta", {"a": 2.0, "b": 5.0}],
        ["Poisson", "poisson", {"rate": 1.0}],
        ["Laplace", "laplace", {"scale": 1.0}],
        ["Pareto", "pareto", {"shape": 5.0}],
        ["Gaussian mixture", "gmm", {"alpha": 9.0, "m": 2, "variant": "coordinate"}],
        ["Lorentz", "lorentz", {"scale": 1.0}]]
heavy_laws = [["Pareto, shape 2.5", "pareto", {"shape": 2.5}]]   # finite variance only (our addition)
reference = "Gaussian"   # the law that sets the floor
appendix_laws = ["Gaussian", "uniform", "beta (arcsine)", "beta (skewed)", "Poisson", "Laplace", "Pareto",
                 "Gaussian mixture", "Lorentz"]   # laws run in the further settings (paper: also Pareto 2.5)
appendix_study = False   # repeat the sample-size study in the further settings (paper: True)
study = ["Lorentz", "Pareto, shape 2.5"]   # laws whose standardisation sample size is varied
study_sizes = [100, 1000, 10000, 100000]   # samples behind the sample mean and variance
runs = 3                 # SGD runs per law (the paper: 10)
t_max = 20.0             # the paper: 100
points = 40              # recorded log-spaced times
level = 0.001            # one-sided level of the floor test
far = 1.0                # a Lorentz run must lie above this many single-run margins (1: outside the Gaussian scatter)
cumulant_samples = 10000   # draws of C for the projection cumulants
seed = 0
replicate_seeds = [1, 2]  # further seeds (seed + each; initial weights and samples) for one setting
replicate_setting = ["relu", "tanh"]   # (g, f) of that study; must be one of the settings above
replicate_laws = ["Gaussian", "uniform", "Poisson", "Laplace", "Pareto"]   # its laws (the reference included)
replicate_N = [250, 500, 1000]   # the same study at these N, with D in proportion (paper: 500, 1000, 2000)
results_from = "auto"    # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("06_universality", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %%
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from lib.studies import checks_v, style
from lib.studies import universality_figures as figures
from lib.studies.universality_summary import Universality

style.use()
u = Universality(N=N, D=D, K=K, M=M, lr=lr, activations=activations, folds=folds, cross=cross, laws=laws,
                 heavy_laws=heavy_laws, reference=reference, appendix_laws=appendix_laws,
                 appendix_study=appendix_study, study=study, study_sizes=study_sizes, runs=runs, t_max=t_max,
                 points=points, level=level, far=far, cumulant_samples=cumulant_samples, seed=seed,
                 replicate_seeds=replicate_seeds, replicate_setting=replicate_setting,
                 replicate_laws=replicate_laws, replicate_N=replicate_N)

# %% [markdown]
# ## Table 1: the laws
#
# Every law is used through its standardised version, so only its shape matters. Skewness and excess
# kurtosis are exact (closed forms; for the mixture, from the raw moments of its components). The last two
# columns anticipate the argument below: they give the skewness and excess kurtosis of a projection
# $u = C\cdot w/|w|$ of the standardised $D$-dimensional vector, $w\sim\mathcal N(0, I_D)$, the kind of
# variable that enters the network ($U = CF/\sqrt D$ and the teacher's $\nu = \tilde W C/\sqrt D$ are such
# projections). For a sum of independent standardised terms the cumulants add:
# $\kappa_3(u) = \kappa_3 \sum_j w_j^3/|w|^3$ and $\kappa_4(u) = \kappa_4\sum_j w_j^4/|w|^4$. The first
# has a random sign and a size of order $\sqrt{15}\,\kappa_3/D$ (its root mean square over Gaussian
# directions; the terms $w_j^3$ of both signs cancel, and only for weights of one sign would it be of order
# $D^{-1/2}$); the second is close to $3\kappa_4/D$. "Predicted" is that formula averaged over the
# directions, "measured" the sample value from draws of $C$ (sample-standardised, as in the paper).

# %% tags=["remove-input"]
display(Markdown(figures.table1(u)))

# %% [markdown]
# For every law with a fourth moment the measured kurtosis of the projection is small, within its sampling
# error ({glue:text}`se_kurt_u` for the direction average of a Gaussian) of the prediction, which is
# already of order $1/D$ at $D=${glue:text}`D`. (For the Pareto law with shape 5 the estimate itself is
# noisy: the sampling error of a kurtosis involves the eighth moment, which this law lacks.) For the Lorentz law the sample kurtosis of the projection is {glue:text}`lorentz_kurt_u`: a sum of
# Cauchy variables is again Cauchy, and no amount of averaging makes it Gaussian.
#
# ## What the theory says, and where it stops
#
# The ODE is derived from the Gaussian equivalence property: in the high-dimensional limit the
# preactivations $(\lambda,\nu)$ are jointly Gaussian with covariances $Q$, $R$, $T$ built from the weights
# and the constants $a, b, c$ of the folding function. The paper's modified equivalence property (its
# Property V.4) replaces "jointly Gaussian" by "has the same first two cumulants as the Gaussian": for a
# standardised input law the preactivations may not be Gaussian, but their means and covariances are the
# Gaussian ones, and the expectations the ODE needs (of sgn, ReLU, erf and products of them) are, to the
# order that matters, fixed by those two cumulants. The paper's route to it is Lemma V.3, applied to one
# standardised coordinate.
#
# The lemma chapter found that route too short: for a skewed law, $\mathbb E[\operatorname{sgn} x]$ of a
# single standardised coordinate differs from its Gaussian value, because mean and variance do not fix
# the median. What makes the property true in this model is that nothing in it acts on a single coordinate.
# The folding function acts on $U = CF/\sqrt D$, the teacher on $\tilde W C/\sqrt D$: sums of $D$
# independent standardised terms with $O(1)$ weights. By the central limit theorem their higher cumulants
# vanish (the table above measures it), so in the limit they *are* Gaussian, with the covariance fixed by
# the first two cumulants of $C$. Standardisation matters because the mean and variance of $C$ enter those
# covariances (an unstandardised law gives another $Q$, $R$, $T$ and another $a, b, c$); the remaining
# shape of the law does not, once $D$ is large.
#
# This argument needs a variance, and it is asymptotic. Two things can go wrong:
#
# * **No variance (Lorentz).** A sum of Cauchy variables is Cauchy: $U$ and $\nu$ never become Gaussian, and
#   the teacher's label has no variance, so the order parameter $T$ the ODE is built on does not exist.
#   Standardising with sample moments estimates a variance that grows with the sample size $n$ (the sum of
#   squares of $n$ Cauchy draws grows like $n^2$), so the standardised input shrinks like $n^{-1/2}$ while
#   its rare huge values remain. There is no $n$ at which the procedure settles.
# * **A variance but no fourth moment (heavy Pareto).** The limit is Gaussian, but it is approached slowly.
#   The labels' squares have infinite variance, so the running averages that drive the weights over the
#   $N t$ samples of a run converge like $(Nt)^{-(1-2/\alpha)}$ for tail index $\alpha$ (here
#   $(Nt)^{-0.2}$) rather than $(Nt)^{-1/2}$, and a typical run sees fewer large labels than the variance
#   accounts for.

# %% [markdown]
# ## SGD against the ODE for every standardised law (paper Fig. 7)
#
# Every law is run from the same initial weights (student, teacher, feature matrix $F$), with the same run
# seeds; the ODE starts from those weights and does not depend on the law. The Gaussian input sets the
# floor: its per-run tLog-RMSE (the root mean square gap over log-spaced times, averaged over components) is
# what finite $N$ alone produces.

# %%
sweeps, tests, t_fw = u.sweeps, u.tests, u.t_fw   # every law against the ODE, per setting; tests per metric

# %% tags=["remove-input"]
glue("fig7", figures.dynamics(sweeps[u.main], u.finite_table, reference), display=False)

# %% [markdown]
# ```{glue:figure} fig7
# :name: fig-universality-dynamics
#
# SGD against the ODE for every standardised law of Table 1 with a finite variance (paper Fig. 7; activation
# {glue:text}`g_main`, folding function {glue:text}`f_main`, $N=1000$-scale model of the parameters cell).
# Top, black: the ODE (one curve per component); dashed: the SGD mean over {glue:text}`runs` runs for each
# law, all from the same initial weights. Bottom: the gap between the SGD mean and the ODE, averaged over
# components (thick: the Gaussian input, i.e. the floor). From left to right: generalisation error, $Q$,
# $R$, $v$.
# ```
#
# The table gives each law's mean tLog-RMSE over runs (± its standard error) for each order parameter,
# its ratio to the Gaussian floor and the comparison-with-control $t$ statistic: the excess over the floor
# in units of the run-to-run scatter, which is pooled over the reference and every law with a fourth
# moment (so the scatter has many degrees of freedom even with few runs per law). Under the hypothesis that
# a law follows the ODE exactly as well as Gaussian inputs do, $t$ exceeds the per-test critical value
# $t_c$ with probability equal to the level of the parameters cell. The claim, though, is about all laws
# and all four order parameters at once, and with about 30 such tests per setting one of them would exceed
# $t_c$ by chance with a probability of a few percent. We therefore judge the claim against the family-wise
# critical value $t_\mathrm{fw}$ (Bonferroni: the quantile at the level divided by the number of tests), so
# that a false alarm anywhere in a setting has probability at most the level.

# %% tags=["remove-input"]
display(Markdown(figures.floor_table(u, u.main)))

# %% tags=["remove-input"]
glue("fig7t", figures.t_statistics(tests[u.main], u.finite_labels, t_fw[u.main], level), display=False)

# %% [markdown]
# ```{glue:figure} fig7t
# :name: fig-universality-t
#
# Excess of each finite-variance law's tLog-RMSE over the Gaussian floor, in units of the pooled run-to-run
# scatter ($t$ statistic), for $Q$, $R$, $v$ and $\epsilon_g$; dotted: the critical value of one test,
# dashed: the family-wise one that the claim uses.
# ```
#
# Every law of Table 1 with a variance stays within the floor: the largest $t$ is {glue:text}`worst_t`
# ({glue:text}`worst_law`, {glue:text}`worst_metric`), against the family-wise $t_\mathrm{fw}=${glue:text}`t_fw`
# over {glue:text}`n_tests` tests (one test alone: $t_c=${glue:text}`t_crit`), and no mean
# tLog-RMSE exceeds {glue:text}`ratio_max` times the Gaussian one (floor of $Q$: {glue:text}`floor_Q`). This
# includes the law with the largest excess kurtosis, {glue:text}`kurt_law` ({glue:text}`kurt_value`).
#
# The heavy-tailed Pareto law (shape 2.5, finite variance, infinite third and fourth moments) is the
# exception, listed last in the table; we come back to it after the Lorentz law.
#
# ### Other seeds
#
# One seed fixes the initial weights and every sample the runs draw, and all laws share them, so the
# table above is one draw of the whole experiment. We repeat one setting with further seeds for a subset of
# the laws (parameters `replicate_seeds`, `replicate_setting`, `replicate_laws`; the first row is the main
# seed, read from the runs above).

# %% tags=["remove-input"]
display(Markdown(figures.seed_table(u)))

# %% [markdown]
# With {glue:text}`rep_seeds` seeds in the setting {glue:text}`rep_setting` and the family-wise critical value
# of each seed's tests, {glue:text}`rep_fail_text`. Over all these seeds, laws and metrics,
# {glue:text}`rep_above` of the ratios to the Gaussian floor are above 1, and their geometric mean is
# {glue:text}`rep_geo`. So the finite-variance laws are not exactly at the floor: at this size they sit on
# average a little above it, by an amount that a test with this many runs resolves only now and then. The
# cumulant argument predicts corrections that vanish as $D$ grows. Whether this excess is such a
# finite-size residue is what the next study asks.
#
# ### The excess against the size of the network
#
# If the excess comes from the non-Gaussian shape of the projections, it is a systematic bias on top of
# the run-to-run fluctuations. The projections' third and fourth cumulants shrink like $1/D$ (Table 1), so
# the bias should too, while one run fluctuates about the ODE by $O(N^{-1/2})$. With $D/N$ fixed, a bias
# $b\propto 1/D$ beside fluctuations $\sigma\propto N^{-1/2}$ gives a ratio to the floor of
# $\sqrt{1 + b^2/\sigma^2} = 1 + O(1/N)$: the excess should roughly halve at each doubling of $N$. We
# repeat the study above (same setting, laws, runs, $t_{\max}$ and seeds) at several $N$, with $D$ in
# proportion (parameter `replicate_N`).

# %%
fit = u.fit    # the replicate laws at every N of replicate_N and every seed, and their trend with N

# %% tags=["remove-input"]
display(Markdown(figures.size_table(u)))

# %% tags=["remove-input"]
glue("size_fig", figures.excess_versus_n(u.size_points, fit, u.rep_tested, N / D), display=False)

# %% [markdown]
# ```{glue:figure} size_fig
# :name: fig-excess-versus-N
#
# The ratio of each finite-variance law's tLog-RMSE to the Gaussian floor (geometric mean over the four
# order parameters; one point per law and seed, shifted sideways for legibility) at $N$ =
# {glue:text}`size_Ns`, with $D$ in proportion. Black: geometric mean over laws, metrics and seeds, with
# its standard error from the scatter between seeds.
# ```
#
# The geometric mean of the ratios goes from {glue:text}`size_geo_first` at the smallest $N$ to
# {glue:text}`size_geo_last` at the largest. A straight-line fit of the log-ratio (mean over laws and
# metrics, one value per seed and $N$) against $\log N$ has the slope {glue:text}`size_slope` (± its
# standard error): {glue:text}`size_verdict`. A bias of order $1/D$ would make the log-ratio fall like
# $1/N$, so that the ratio would go from {glue:text}`size_geo_first` at the smallest $N$ to about
# {glue:text}`size_pred_last` at the largest; fitted like the data, that decay has the slope
# {glue:text}`size_pred_slope`, and the measured slope lies {glue:text}`size_pred_z` standard errors above it.
#
# One cause of an excess that does not shrink with $N$ is built into the procedure: each law is
# standardised with a mean and variance estimated from $10^4$ draws, so every coordinate of $C$ keeps a
# mean error of about $10^{-2}$, and the projections $U$ and $\nu$ inherit offsets of that size whatever
# $D$ is, while the Gaussian reference is exactly $\mathcal N(0, I_D)$. To measure this part we repeat
# the study at the main $N$ with the exact population mean and variance of each law (same draws, same
# weights):

# %% tags=["remove-input"]
display(Markdown(figures.exact_table(u)))

# %% [markdown]
# Over the seeds the geometric mean of the ratios is {glue:text}`exact_geo_s` with sample moments and
# {glue:text}`exact_geo_x` with exact ones, and the largest $t$ with exact moments is
# {glue:text}`exact_worst`: {glue:text}`exact_verdict`.
#
# We have no tested explanation for what remains. A candidate is the tail of the laws: a run at size $N$
# draws $N t_{\max} D$ coordinates, so the largest standardised values it meets grow with $N$ for every law
# with a power-law tail (Pareto), and slowly for exponential tails (Laplace, Poisson), and single large
# inputs kick the weights by steps that the ODE, which sees only second moments, does not describe. That
# mechanism would not fade with $N$; testing it needs laws with the same kurtosis and different tails.

# %% [markdown]
# ## The Lorentz input, standardised with more and more samples (paper Fig. 8)
#
# For each sample size $n$ the standardising map uses the sample mean and standard deviation of $n$ draws
# per coordinate. A run whose weights blow up (with a ReLU teacher a Cauchy label can be arbitrarily large)
# is stopped and marked as diverged; its gap to the ODE is infinite. We run the heavy Pareto law the same
# way, plus once with its exact population mean and variance ("exact").

# %%
studies, exact = u.sample_sizes    # per setting and law of `study`: one run set per sample size (and exact)

# %% tags=["remove-input"]
glue("fig8", figures.lorentz_breakdown(u), display=False)

# %% [markdown]
# ```{glue:figure} fig8
# :name: fig-lorentz-breakdown
#
# The Lorentz input, standardised with the sample mean and standard deviation of $n$ draws per coordinate
# (paper Fig. 8). Top left: generalisation error of the runs that did not diverge, for each $n$, against the ODE and the
# Gaussian SGD mean; crosses on the time axis mark runs that diverged. Top right: each run's largest
# tLog-RMSE (over $Q$, $R$, $v$, $\epsilon_g$) relative to the Gaussian floor, against $n$, for the Lorentz
# law and the heavy Pareto law (squares: Pareto standardised with its exact moments); triangles: diverged
# runs; grey band: the Gaussian floor plus the single-run margin (its legend at the bottom right). Bottom
# left: the sample standard deviation that the standardisation divides by (median and 10 to 90 % range over
# coordinates).
# ```

# %% [markdown]
# The Lorentz runs are nowhere near the ODE: even the closest one is {glue:text}`lor_min_excess` single-run
# margins above the Gaussian floor, and with a ReLU teacher many runs blow up (diverged runs for
# $n$ = {glue:text}`lor_sizes`: {glue:text}`lor_diverged` of the runs). Collecting more samples does not help:
# the sample standard deviation grows like $n^{s}$ with $s=${glue:text}`lor_scale_slope` (right panel; the
# theory says $1/2$), so the standardised input shrinks as $n$ grows while its rare, enormous values stay,
# and the labels become mostly near zero punctuated by huge kicks. There is no limit for the procedure to
# settle on, which is the paper's point: standardisation restores the Gaussian dynamics only when the
# moments it matches exist.
#
# ### The heavy Pareto law: a variance is not enough at this size

# %% [markdown]
# The Pareto law with shape 2.5 has a variance, so the paper's statement covers it, but at the paper's size
# it does not follow the ODE within the floor (with fewer or shorter runs the outcome depends on the seed; see
# claim 5 below): with the paper's procedure (standardisation from $10^4$ samples) its largest tLog-RMSE ratio is {glue:text}`heavy_ratio_sweep` ($t$ up to {glue:text}`heavy_t_sweep`). The
# sample-size study (middle panel) is not monotone. With $n=${glue:text}`heavy_n_small` samples the median
# ratio is {glue:text}`heavy_ratio_small`: the sample variance of a few heavy-tailed draws typically
# underestimates the variance (the population variance is {glue:text}`heavy_var_small` times the median
# sample variance there), so the "standardised" input is too large. The ratio is smallest,
# {glue:text}`heavy_ratio_best`, at $n=${glue:text}`heavy_n_best`, and with the exact mean and variance it
# is {glue:text}`heavy_ratio_exact`, still far above the floor. At the end of the runs with exact moments
# SGD's teacher overlap $R$ trails the ODE by {glue:text}`heavy_dR` on average and its error exceeds the
# ODE's by {glue:text}`heavy_deg`: SGD learns more slowly than the theory says.
#
# Our reading: a single SGD run is in the same position as a finite sample. Over its
# $Nt\approx${glue:text}`heavy_samples_run` steps it typically meets fewer large labels than the variance
# accounts for, and the averages that the ODE replaces by expectations converge only like $(Nt)^{-0.2}$.
# Standardising with a sample of comparable size inflates the input by about the same typical factor and
# partly cancels the effect; exact standardisation exposes it. The ODE remains the limit (the variance
# exists), but the approach to it is slow enough that $N = 1000$ is far from it. The claim "finite variance
# suffices" holds asymptotically; at the paper's size, what we observe to be needed is a finite fourth
# moment. (A scan over $N$ would settle how fast the gap closes; it is not part of this chapter.)

# %% [markdown]
# ## Appendix: the erf activation and a second folding function
#
# The paper repeats the study with the erf activation and with a second folding function; ours is
# $f=\tanh$, odd like sgn but smooth, so that, unlike sgn, it sees the scale of $U$ and not only its sign.
# We change one ingredient at a time from the main setting: {glue:text}`app_settings`. These settings run
# the laws {glue:text}`app_laws_text`. The laws with a fourth moment among them supply, with the reference,
# the pooled run-to-run scatter of the floor test ({glue:text}`app_dof`). The sample-size study
# {glue:text}`app_study_text`. (The quick profile leaves the heavy Pareto law out of these settings and
# does not repeat the study there; the paper profile runs every law and the study in every setting, and
# also the erf activation with $f=\tanh$.)
#
# Over the same window the further settings learn more slowly than the main one (numbers below), which
# raises the question whether the comparison tests anything: a network that hardly moved would trivially
# match an ODE that hardly moves either. It does move: {glue:text}`app_moved_text`. (Ratios: the largest change of
# a component of $Q$, $R$, $v$ along the ODE, in units of the Gaussian floor of that metric; the least of
# the three is given.)

# %% tags=["remove-input"]
glue("fig_app", figures.appendix(u), display=False)

# %% [markdown]
# ```{glue:figure} fig_app
# :name: fig-universality-appendix
#
# The further settings, one row each (the paper's appendix figures). Left: gap between the generalisation
# error of SGD and of the ODE over time: black, the Gaussian input (the floor); band, the range over the
# other laws of Table 1 with a variance (SGD mean over runs); dashed, the heavy Pareto law where it is run;
# dotted, each surviving single run of the Lorentz input. Right: excess of each law's tLog-RMSE over the Gaussian floor ($t$ statistic) for
# $Q$, $R$, $v$, $\epsilon_g$; dashed: the family-wise critical value.
# ```
#
# Laws with a variance: {glue:text}`app_worst_text`. The Lorentz input: {glue:text}`app_lorentz_text`.
# The table collects every setting: each cell is the largest $t$ over $Q$, $R$, $v$, $\epsilon_g$ and, in
# brackets, the largest ratio to the floor; for the Lorentz law it counts diverged runs and gives the
# smallest ratio of the others; a dash marks a law not run in that setting.

# %% tags=["remove-input"]
display(Markdown(figures.settings_table(u)))

# %% tags=["remove-input"]
for name, text in u.texts().items():     # every number and phrase that the prose glues
    glue(name, text, display=False)
glue("far", f"{far:g}", display=False)
glue("heavy_min_samples", f"{checks_v.HEAVY_MIN_SAMPLES:,}", display=False)

# %% [markdown]
# (checks-06_universality)=
# ## Claims checked
#
# 1. Every law of Table 1 other than the reference whose parameters fix its shape is clearly non-Gaussian:
#    |skewness| ≥ 0.5 or |excess kurtosis| ≥ 0.5, or no such moments (exact values). The mixture's shape is
#    drawn with the seed (its two component means and weights are random): about a quarter of the draws of
#    GM(9, 2) lie within 0.5 of the Gaussian, so its value is reported beside the check, not decided by it.
# 2. (Paper.) Every standardised law of Table 1 with a finite variance follows the ODE within the Gaussian
#    floor: for each of $Q$, $R$, $v$, $\epsilon_g$ and each setting of activation and folding function
#    (the further settings with the laws they run), the comparison-with-control $t$ statistic is below the
#    family-wise critical value $t_\mathrm{fw}$: the one-sided Student quantile at the level of the parameters
#    cell divided by the number of law-metric tests of the setting (Bonferroni). The scatter is pooled over
#    the reference and the laws with a fourth moment, so each test is calibrated (false alarms at the nominal
#    level, tested in `tests/test_section5.py`), and a false alarm anywhere in a setting has probability at
#    most the level. (Judged test by test at $t_c$ instead, about 30 tests at level $10^{-3}$ would raise a
#    false alarm somewhere with a probability of a few percent.)
# 3. (Paper.) The Lorentz input does not: every run is either diverged or farther from the floor than
#    {glue:text}`far` single-run margin(s), the one-sided prediction bound $t_c\,s\sqrt{1+1/n_\mathrm{ref}}$ for
#    one Gaussian-input run at the level of the parameters cell (a Gaussian-input run exceeds it in one of the
#    four metrics with probability at most 4 times the level), in every setting, and, where the sample-size
#    study is run, this holds at every standardisation sample size (the gap does not settle). An earlier
#    version asked for 10 margins, a number without a sampling basis, which the erf runs of some seeds miss
#    while lying far outside the Gaussian scatter (`results/stability/06_universality.json`).
# 4. The standardising scale of the Lorentz law grows like $n^{1/2}$: fitted log-log slope of the median
#    sample standard deviation in $[0.35, 0.65]$ (the median over 500 coordinates of a stable law's sample
#    scale fluctuates by some 10 % per point, a slope error below 0.1 over three decades).
# 5. (Paper, recorded and reported, not asserted.) The heavy-tailed Pareto law, which has a variance, follows
#    the ODE within the floor. In our runs at the paper's size this fails (see above); it is recorded as failed
#    rather than asserted so that the book still builds, and the reproduction report lists it. Its departure
#    comes from rare large inputs, and whether a few short runs meet them is itself a matter of chance, so the
#    check is decided only where the law's runs see at least {glue:text}`heavy_min_samples` samples in all
#    (runs times $N t_{\max}$, the paper profile's size); with fewer it is not tested at this scale.
# 6. The comparison is not vacuous in any setting: along the ODE, some component of each of $Q$, $R$, $v$
#    moves by more than 10 times the Gaussian floor of that metric within $t_{\max}$. A student that did not
#    learn would then sit several floors away from the ODE over the late log-times, far outside the
#    run-to-run scatter, so "within the floor" means "follows the learning dynamics" and not "both stand
#    still". The drop of the ODE's error over the window is recorded beside it.
# 7. (Paper, recorded and reported, not asserted.) Claim 2 again for a subset of laws in one setting under
#    further seeds ("Other seeds" above), each seed judged family-wise. It is recorded rather than asserted
#    because it asks the same question as claim 2 with new draws: where it fails, the finding is that the
#    outcome of claim 2 depends on the draw, and the report lists it.
# 8. (Ours, recorded, not asserted.) The excess of those laws over the floor shrinks as $N$ and $D$ grow
#    together ("The excess against the size of the network" above): the fitted slope of the log-ratio
#    against $\log N$ is below zero by more than two standard errors. It is a measurement of how the
#    excess behaves, not a claim of the paper, so it is recorded either way.
#    It is tested only where the grid of $N$ can resolve the trend: the slope that a bias of order $1/D$ would
#    give, starting from the excess measured at the smallest $N$, must exceed two standard errors of the fitted
#    slope. Where the laws sit at the floor already at the smallest $N$ there is no excess to shrink, and the
#    check is not tested at this scale.

# %%
from lib.pipeline import claims

book = claims.Registry("06_universality", globals(), section="V.2")
for check in checks_v.universality_checks(u):       # every rule: lib/studies/checks_v.py
    recorded = book.add(check)
    assert recorded or not check.asserted, (check.id, check.measured)
    if not check.asserted:
        print(f"{check.id}: {recorded.verdict} (measured {check.measured}); recorded, not asserted")
print("all asserted Section V.2 checks hold; the recorded findings are in the report")
