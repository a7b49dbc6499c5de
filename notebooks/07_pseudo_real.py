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
# # Pseudo-real data: a hidden manifold that looks like MNIST
#
# Section V.3 of the later version of the paper turns the hidden manifold model towards real data. The
# latent vectors $C$ and the feature matrix $F$ are no longer drawn at random: they are *fitted* so that
# the student's inputs $X=f(CF/\sqrt D)$ reproduce MNIST digits, while penalties keep the rows of $F$ and
# the coordinates of $C$ nearly uncorrelated, as the theory assumes. New inputs come from a kernel density
# estimate of the fitted $C$, and a *pseudo-teacher*, trained to tell odd from even digits, supplies the
# labels. The paper then runs SGD on these data and reports that the ODE, with the constants $a, b, c$ of
# the folding function recomputed for the fitted $C$, still describes the dynamics approximately.
#
# The paper's equations for this section (its eqs. 25 and 26) and its sizes were lost in extraction, so
# the definitions here are ours and are stated in `lib/core/pseudo_real.py`: the reconstruction loss plus
# penalties on the mean squared off-diagonal correlations of $F$'s rows and of $C$'s coordinates, minimised
# by L-BFGS; pixels $p\in[0,1]$ mapped to targets $s(2p-1)$ with $s<1$; the folding function
# $f(u)=\operatorname{erf}(u/\sqrt2)$, a smooth odd function that can carry grey levels (sgn could only
# reproduce a binarised digit) and that has closed-form Gaussian constants. The teacher is
# $y=\sum_m\tilde v_m\tilde g(\tilde W_m C/\sqrt D)$ with rows of $\tilde W$ kept at squared norm $D$,
# trained on the parity labels of the fitted $C$ with a penalty on the correlation of its rows.
#
# What we check: how well the fit reproduces MNIST and how weak the correlations stay (the paper's Fig. 9), whether the
# pseudo-teacher is significantly better than random teachers, and how far SGD on the pseudo-real data is
# from the ODE (the paper's Fig. 10), measured against the floor that finite-size fluctuations set for Gaussian $C$ in
# the same model. The answer to the last question is less favourable than the paper's, and the chapter
# says by how much and why.

# %% tags=["parameters"]
P = 500                  # MNIST digits fitted (all 10000 in the paper profile)
D = 100                  # latent dimension of C (the paper's value was lost)
fold = "erf"             # folding function f, erf(u/sqrt 2)
pixel_scale = 0.9        # pixel p in [0, 1] becomes the target 0.9 (2p - 1)
iterations = 100         # L-BFGS iterations of the fit
lambda_F = 1.0           # penalty weight on the correlations of the rows of F
lambda_C = 1.0           # penalty weight on the correlations of the coordinates of C
bandwidth = "silverman_1d"   # KDE bandwidth rule, per coordinate
M = 2                    # teacher hidden units
K = 2                    # student hidden units
g = "erf"                # activation of teacher and student, erf(x/sqrt 2)
lambda_W = 1.0           # penalty weight on the correlation of the teacher's rows
teacher_iterations = 100   # L-BFGS iterations per pseudo-teacher
n_teachers = 5           # pseudo-teachers trained from different initial weights
n_random = 100           # random teachers in the t-test
main_teacher = 0         # the pseudo-teacher of the dynamics figure (paper Fig. 10)
appendix_teachers = 2    # further pseudo-teachers in the appendix
lr = 0.2                 # learning rate
runs = 8                 # SGD runs per case, all from the same initial weights (the paper: 10)
t_max = 20.0             # the paper: 100
points = 30              # recorded log-spaced times
test_samples = 1000      # held-out inputs per run for the SGD test error
field_samples = 20000    # draws of C for the teacher-field cumulants
level = 0.01             # one-sided significance level of every test
seed = 0
results_from = "auto"    # auto shows the paper bundle if it matches the code, compute runs these values

# %% tags=["remove-input"]
from lib.pipeline import bundle

shown = bundle.choose("07_pseudo_real", results_from, globals())   # paper bundle if current and asked for
globals().update(shown.parameters)
shown.note()

# %% tags=["remove-input"]
from myst_nb import glue

from IPython.display import Markdown, display

from lib.studies import checks_v, style
from lib.studies.pseudo_real import (PseudoRealChapter, appendix_numbers, appendix_table, field_numbers,
                                     field_table, fit_numbers, fit_table, gap_numbers, gaps_table, moment_numbers,
                                     moments_table, teacher_numbers, teacher_table, tlog_gaps)
from lib.studies.pseudo_real_figures import (appendix_figure, dynamics_figure, field_figure, gaps_figure,
                                             images_figure, teacher_accuracy_figure)

style.use()

# %%
chapter = PseudoRealChapter.from_parameters(globals())   # every expensive result below is one of its calls

# %% [markdown]
# ## Fitting $C$ and $F$ to MNIST
#
# The fit starts from i.i.d. standard normal $C$ and $F$, which is the Gaussian hidden manifold model, and
# moves both until $f(CF/\sqrt D)$ matches the digits. The report below gives the reconstruction error
# (mean squared error over pixels, against two baselines: predicting the mean image, and predicting 0) and
# the root mean square of the off-diagonal correlations: $\rho^F$ between rows of $F$, $\rho^C$ between
# coordinates of $C$ across samples, and $\rho^S$ between (centred) samples, which is not penalised. The
# random level of each is the value for i.i.d. Gaussian entries.

# %%
fit = chapter.fit_summary()   # numbers and images of the fit and its KDE, not C or F
display(Markdown(fit_table(fit)))

# %% [markdown]
# The fit brings the reconstruction error from {glue:text}`mse_before` to {glue:text}`mse_after`, far below
# the {glue:text}`mse_mean` of the mean image, with $P=${glue:text}`P` digits and $D=${glue:text}`D`.
# {glue:text}`rho_outcome`: $\rho^F$ goes from {glue:text}`rhoF_before` to
# {glue:text}`rhoF_after` and $\rho^C$ from {glue:text}`rhoC_before` to {glue:text}`rhoC_after`. The
# correlation between samples, which no penalty controls, stays near its start ({glue:text}`rhoS_before` to
# {glue:text}`rhoS_after`) but its largest entries grow: similar digits get similar latent vectors.
#
# New latent vectors come from a Gaussian kernel density estimate of the fitted $C$ with a per-coordinate
# bandwidth (Silverman's rule applied to each coordinate, {glue:text}`h_ratio` of the coordinate's standard
# deviation on average). A sample is one fitted digit's $C$ plus independent Gaussian noise, so the new
# inputs are perturbed digits. The last row of the figure shows what the same samples become once $C$ is
# standardised coordinate by coordinate (used further below).

# %% tags=["remove-input"]
fig = images_figure(fit)
style.savefig(fig, "fig9_pseudo_real_images")
glue("fig9", fig, display=False)
for name, text in fit_numbers(fit).items():
    glue(name, text, display=False)
glue("level", f"{level:g}", display=False)
glue("constants_min_p", f"{checks_v.CONSTANTS_MIN_P:,}", display=False)

# %% [markdown]
# ```{glue:figure} fig9
# :name: fig-pseudo-real-images
#
# Pseudo-real inputs (paper Fig. 9). First row: MNIST digits; second: their reconstruction
# $f(CF/\sqrt D)$ from the fitted $C$ and $F$; third: new inputs made from latent vectors drawn from the
# kernel density estimate of $C$ (not the same digits); fourth: the same draws after standardising each
# coordinate of $C$ to mean 0 and variance 1.
# ```
#
# ## The pseudo-teacher
#
# Each pseudo-teacher starts from random weights and is trained by L-BFGS on the parity labels (odd $+1$,
# even $-1$) of a training split of the fitted $C$; its accuracy is that of $\operatorname{sign}(y)$ on the
# held-out split. Random, untrained teachers of the same architecture are scored on the same split, and
# Welch's one-sided $t$-test asks whether the pseudo-teachers are better.

# %%
study = chapter.teachers()
display(Markdown(teacher_table(study)))

# %% tags=["remove-input"]
fig = teacher_accuracy_figure(study)
style.savefig(fig, "pseudo_teacher_accuracy")
glue("teacher_fig", fig, display=False)
for name, text in teacher_numbers(study, chapter).items():
    glue(name, text, display=False)

# %% [markdown]
# ```{glue:figure} teacher_fig
# :name: fig-pseudo-teacher
#
# Test accuracy of the pseudo-teachers (vertical lines) against the distribution of accuracies of random
# teachers on the same held-out digits.
# ```
#
# The {glue:text}`n_teachers` pseudo-teachers reach test accuracies of {glue:text}`acc_range` on
# {glue:text}`n_test` held-out digits, against {glue:text}`acc_random` for random teachers (chance level):
# $t=${glue:text}`teacher_t`, $p=${glue:text}`teacher_p`. The pseudo-teacher knows the labels.
#
# ## Corrected constants
#
# The ODE sees the folding function only through $a=\mathbb E f(u)$, $b=\mathbb E\,uf(u)$ and
# $c=\mathbb E f(u)^2$ for $u\sim\mathcal N(0,1)$. The paper recomputes them for the distribution of the
# entries of $U=CF/\sqrt D$ under the fitted $C$. Here that distribution is far from standard: MNIST is
# mostly background, so most entries of $U$ must sit where $f(u)\approx-s$. Taken literally,
# $\mathbb E\,uf(u)$ then measures the background rather than the slope of $f$, and the three numbers no
# longer satisfy $c\ge a^2+b^2$, which every covariance needs (the ODE refuses them). We use instead the
# moment-matched constants, which reduce to the Gaussian ones for $u\sim\mathcal N(0,1)$:
# $a=\mathbb E f(u)$, $b=\mathbb E[(u-\bar u)f(u)]/\operatorname{sd}(u)$, $c=\mathbb E f(u)^2$.

# %%
moments = chapter.moments()
display(Markdown(moments_table(moments)))

# %% tags=["remove-input"]
for name, text in moment_numbers(moments, fit).items():   # the numbers of the next paragraph
    glue(name, text, display=False)

# %% [markdown]
# On the pseudo-real inputs the entries of $U$ have mean {glue:text}`u_mean` and variance {glue:text}`u_var`.
# The literal constants are {glue:text}`lit_abc`, with $c-a^2-b^2=${glue:text}`lit_gap` $<0$; the
# moment-matched ones are {glue:text}`mm_abc`, against {glue:text}`gauss_abc` for $\mathcal N(0,1)$. After
# standardising $C$ the entries of $U$ are nearly standard and the constants nearly Gaussian. Even for
# Gaussian $C$ they differ a little from the Gaussian values, because the fitted $F$ gives different pixels
# different variances of $u$ (from {glue:text}`pixel_var`, mean 1): pooled over pixels, $u$ is a scale
# mixture of Gaussians.
#
# ## SGD on pseudo-real data against the ODE
#
# Every case below starts from the same weights: the fitted $F$, the pseudo-teacher, one random student.
# The runs differ only in the inputs they draw. The ODE starts from those weights too, once with the
# Gaussian constants and once with the corrected ones; since $Q$ and $R$ are linear in the constants, the
# SGD values are expressed with the constants of the ODE they are compared with, while $v$ and the test
# error $\epsilon_g$ need no such choice. Three input laws:
#
# * **pseudo-real**: $C$ from the kernel density estimate, the data of {numref}`fig-pseudo-real-images`;
# * **standardised**: the same estimate with each coordinate of $C$ shifted and scaled to mean 0 and
#   variance 1 (exact moments of the estimate), the treatment that sections IV and V.2 show to restore the
#   Gaussian dynamics for other laws;
# * **Gaussian**: $C\sim\mathcal N(0,I_D)$ in the same model, whose gap to the ODE is the finite-size floor.

# %%
cases = chapter.cases()
gaps = tlog_gaps(cases)
display(Markdown(gaps_table(cases, gaps)))

# %% tags=["remove-input"]
fig = dynamics_figure(cases["kde"])
style.savefig(fig, "fig10_pseudo_real_dynamics")
glue("fig10", fig, display=False)
fig = gaps_figure(gaps)
style.savefig(fig, "pseudo_real_gaps")
glue("gap_fig", fig, display=False)
for name, text in gap_numbers(cases, gaps, level).items():
    glue(name, text, display=False)

# %% [markdown]
# ```{glue:figure} fig10
# :name: fig-pseudo-real-dynamics
#
# SGD against the ODE on pseudo-real inputs (paper Fig. 10): dashed, the mean of the runs; band, the run-to-run
# standard deviation) against the ODE from the same initial weights with the corrected constants (solid)
# and, for $v$ and $\epsilon_g$, with the Gaussian constants (dotted). $Q$ and $R$ use the corrected
# constants on both sides; indices label the components. SGD's $\epsilon_g$ is measured on held-out inputs.
# ```

# %% [markdown]
# ```{glue:figure} gap_fig
# :name: fig-pseudo-real-gaps
#
# Distance between SGD and the ODE (tLog-RMSE averaged over components, mean over runs, error bars two
# standard errors) for each input law and choice of constants. The first bars are the finite-size floor.
# ```
#
# The ODE does not track SGD on the pseudo-real data at the level of the floor. With the corrected
# constants ({glue:text}`runs` runs, $t\le${glue:text}`t_max`) it misses SGD by {glue:text}`kc_ratio_Q`,
# {glue:text}`kc_ratio_R`, {glue:text}`kc_ratio_v` and {glue:text}`kc_ratio_eg` times the Gaussian floor for
# $Q$, $R$, $v$ and $\epsilon_g$ (the table gives each tLog-RMSE), which is {glue:text}`kc_rel_Q`,
# {glue:text}`kc_rel_R`, {glue:text}`kc_rel_v` and {glue:text}`kc_rel_eg` of the size of each quantity. The
# ODE reproduces the shape of the learning curves, which is what "approximately" can mean here, but at
# $t=${glue:text}`t_max` SGD's test error is {glue:text}`eg_final_sgd` where the ODE predicts
# {glue:text}`eg_final_corrected` (with the Gaussian constants {glue:text}`eg_final_gaussian`).
#
# {glue:text}`constants_outcome` (paired one-sided test over the same runs at level {glue:text}`level`; the
# table's rows "kde, gaussian" and "kde, corrected"). Standardising $C$ does much more than recomputing
# constants: the standardised inputs miss SGD by {glue:text}`sc_ratio_Q`, {glue:text}`sc_ratio_R`,
# {glue:text}`sc_ratio_v` and {glue:text}`sc_ratio_eg` times the floor, but they are no longer MNIST-like
# (last row of {numref}`fig-pseudo-real-images`).
#
# ### Why three constants cannot correct it
#
# The ODE rests on the Gaussian equivalence property, whose premises are a zero-mean latent vector with
# unit covariance and a teacher field $\nu=\tilde WC/\sqrt D$ that is Gaussian with covariance $T$. The
# pseudo-real $C$ breaks all three. Its mean is not zero, so every pixel has its own mean of $u$ and the
# student's preactivations acquire means that the ODE has no variable for; a single pooled $a$ cannot
# describe pixel-dependent offsets. Its coordinates have variances far from 1, so the teacher field has a
# variance different from $T_{mm}=1$, which $a,b,c$ do not touch. And the pseudo-teacher is trained to
# separate digits, so its field inherits their cluster structure and is not Gaussian even after
# standardisation; random directions through the same inputs give the comparison:

# %%
fields_ = chapter.fields()
tf_std = fields_["standardized"]
display(Markdown(field_table(fields_)))

# %% tags=["remove-input"]
fig = field_figure(fields_)
style.savefig(fig, "pseudo_teacher_field")
glue("field_fig", fig, display=False)
for name, text in field_numbers(fields_, fit).items():
    glue(name, text, display=False)

# %% [markdown]
# ```{glue:figure} field_fig
# :name: fig-pseudo-teacher-field
#
# Distribution of the pseudo-teacher's preactivations on new inputs, for the pseudo-real and the
# standardised latent vectors, against the Gaussian the ODE assumes.
# ```
#
# On pseudo-real inputs the teacher field has means {glue:text}`nu_mean` and variances {glue:text}`nu_var`
# where the ODE assumes 0 and 1. After standardisation mean and variance are close to right, but the excess
# kurtosis of the field is {glue:text}`nu_kurt_std` (standard error {glue:text}`se_kurt`), against
# {glue:text}`rand_kurt_std` along random directions. Random directions through the standardised inputs are
# not Gaussian either at this size, and with this few of them whether the teacher's field is the more
# non-Gaussian one changes with the seed, so we claim only that the field the ODE treats as Gaussian is
# not. The weak-correlation assumption of the paper is
# about the teacher as much as about the data: a teacher that knows the labels is correlated with the
# data's structure by construction. We attribute what is left of the gap after standardisation to this and
# to the correlations left between the coordinates of $C$ (the eigenvalues of the correlation matrix of the
# standardised $C$ run from {glue:text}`corr_eig`, where the ODE assumes all equal to 1); this chapter
# does not separate the two.
#
# ## Appendix: other pseudo-teachers
#
# The same experiment with other pseudo-teachers of comparable accuracy (each against its own Gaussian
# floor, same student and run count).

# %%
appendix = chapter.appendix()
display(Markdown(appendix_table(appendix, chapter.indices, study)))

# %% tags=["remove-input"]
fig = appendix_figure(appendix, chapter.indices, study)
style.savefig(fig, "pseudo_real_teachers")
glue("appendix_fig", fig, display=False)
for name, text in appendix_numbers(appendix, chapter.indices, study).items():
    glue(name, text, display=False)

# %% [markdown]
# ```{glue:figure} appendix_fig
# :name: fig-pseudo-real-teachers
#
# SGD (dashed, band: run-to-run standard deviation) against the ODE with corrected constants (solid) for
# several pseudo-teachers: test error (left) and second-layer weights (right).
# ```
#
# Teachers with test accuracies {glue:text}`app_acc` give the same picture: the ODE follows the shape of
# SGD's learning curve, and the test-error gap is {glue:text}`app_eg_ratio` times each teacher's Gaussian
# floor.
#
# (checks-07_pseudo_real)=
# ### Claims checked
#
# 1. The fit reproduces the digits: its reconstruction error is below half that of the mean image (the
#    margin of the library's tests, where a failed optimiser stays near the mean image).
# 2. The penalties hold $\rho^F$ and $\rho^C$ at or below their i.i.d. Gaussian level at the start
#    (recorded with its outcome, not asserted: whether it holds is a finding, stated above and in the report).
# 3. The main pseudo-teacher is significantly better than random teachers: Welch's one-sided $t$-test,
#    $p<$ {glue:text}`level`. (Paper claim 7.)
# 4. Every pseudo-teacher is significant on its own (the paper's appendix: all its teachers beat random
#    ones): its accuracy lies $z$ standard deviations of the random teachers' accuracies above their mean,
#    with $z$ beyond the normal quantile at level {glue:text}`level` divided by the number of teachers (Bonferroni).
# 5. The ODE approximately predicts SGD (paper claim 7), which we read as: its tLog-RMSE with corrected
#    constants is at most 10% of the size of each of $Q$, $R$, $v$, $\epsilon_g$ (recorded with its verdict,
#    not asserted; the misses in units of each quantity are given above).
#    And on pseudo-real inputs the ODE is only an approximate description: for each of $Q$, $R$, $v$,
#    $\epsilon_g$ the tLog-RMSE with corrected constants exceeds the Gaussian floor (Welch one-sided over
#    runs, $p<$ {glue:text}`level`). (Paper claim 7, "approximately", quantified.) The pseudo-real gap is a bias,
#    nearly the same in every run, while the floor is noise, and the floor's runs scatter most for the test
#    error; with 4 runs per case the test had about 3 degrees of freedom and missed the level on some seeds
#    for gaps of several floors, so the quick profile runs {glue:text}`runs` (`results/stability/07_pseudo_real.json`).
# 6. The corrected constants bring the ODE closer to SGD than the Gaussian constants for $Q$ and
#    $\epsilon_g$ (paired one-sided $t$-test over the same runs, $p<$ {glue:text}`level`). (Paper claim 7; recorded with
#    its outcome, not asserted: whether it holds is a finding, stated above and in the report.) It is decided
#    only on a fit of the whole MNIST test set ({glue:text}`constants_min_p` digits, the paper profile): on a fit
#    of a few hundred digits the seed, which draws the digits and the start of the fit, changes the sign of the
#    constants' effect on the test error from one seed to the next (`results/stability/07_pseudo_real.json`), so
#    the quick profile records it as not tested at this scale.
# 7. Standardising $C$ brings the ODE closer to SGD for every one of $Q$, $R$, $v$, $\epsilon_g$ (Welch,
#    $p<$ {glue:text}`level`; our addition).
# 8. The pseudo-teacher's field is not Gaussian even for standardised inputs: its largest excess kurtosis
#    exceeds 5 Gaussian standard errors (our explanation). The largest along random directions is reported
#    beside it, not compared: those directions are non-Gaussian at the same order, and the comparison
#    changed outcome with the seed (`results/stability/07_pseudo_real.json`).

# %%
from lib.pipeline import claims

book = claims.Registry("07_pseudo_real", globals(), section="V.3")
for check in checks_v.pseudo_real_checks(fit, study, cases, gaps, tf_std, level):   # rules: lib/studies/checks_v.py
    recorded = book.add(check)
    assert recorded or not check.asserted, (check.id, check.measured)
    if not check.asserted:
        print(f"{check.id}: {recorded.verdict} (measured {check.measured}); recorded, not asserted")
print("all asserted Section V.3 checks hold; the recorded findings are in the report")
